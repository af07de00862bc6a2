"""The structural rules the XSD cannot express: each broken once, and a clean request for each."""
from __future__ import annotations

import pytest

from duis_world import DCC, GAS_FLOW, OPERATOR, READ_REGISTERS, SUPPLIER, request
from gbcs.duis.checks import structure_findings
from gbcs.duis.document import parse_request_id, read_document
from gbcs.duis.validate import validate_many


def rules_of(data: bytes) -> list[str]:
    return [f.rule for f in structure_findings(read_document(data))]


CLEAN = {
    "critical transform": request(),
    "non-critical read": request("4.1.1", READ_REGISTERS, cv=1),
    "non-device to the DCC": request("8.2", "<sr:ReadInventory><sr:DeviceID>AB-00-00-00-00-00-00-A1</sr:DeviceID>"
                                     "</sr:ReadInventory>", cv=8, target=DCC),
    "signed pre-command": request("6.7", "<sr:SignedPreCommand><sr:GBCSPayload>3w==</sr:GBCSPayload>"
                                  "</sr:SignedPreCommand>", cv=5),
    "future-dated where allowed": request("3.1", "<sr:DisplayMessage><sr:ExecutionDateTime>2030-01-01T00:00:00Z"
                                          "</sr:ExecutionDateTime></sr:DisplayMessage>", cv=1),
    "decimal at its maximum": request(body=GAS_FLOW.format(rate="6.5535")),
    "decimal with a trailing zero": request(body=GAS_FLOW.format(rate="6.55350")),
}


@pytest.mark.parametrize("name", sorted(CLEAN))
def test_clean_requests_have_no_structural_findings(name):
    assert rules_of(CLEAN[name]) == []


BROKEN = {
    "GBCS-U003": request("4.99.1", READ_REGISTERS, cv=1),
    "GBCS-U004": request("6.7", reference="4.1"),
    "GBCS-U005": request("6.7", READ_REGISTERS),
    "GBCS-U006": request("6.7", cv=1),
    "GBCS-U007": request(counter="007"),
    "GBCS-U008": request("4.1.1", READ_REGISTERS, cv=1, target=DCC),
    "GBCS-U009": request(version="5.3"),
    "GBCS-U010": request(body=GAS_FLOW.format(rate="6.5536")),
    "GBCS-U011": request("4.11.1", "<sr:ReadTariffPrimaryElement><sr:ExecutionDateTime>2030-01-01T00:00:00Z"
                         "</sr:ExecutionDateTime></sr:ReadTariffPrimaryElement>", cv=1),
}


@pytest.mark.parametrize("rule", sorted(BROKEN))
def test_each_structural_rule_fires_alone(rule):
    assert rules_of(BROKEN[rule]) == [rule]


@pytest.mark.parametrize("rate, fires", [("6.1680", False), ("6.55351", True), ("-0.0001", True), ("1e0", True),
                                         ("0", False), (" 6.5 ", False), ("6.5536", True)])
def test_gas_flow_decimal(rate, fires):
    assert ("GBCS-U010" in rules_of(request(body=GAS_FLOW.format(rate=rate)))) is fires


def test_exclusive_bounds():
    body = ("<sr:SetCHFSubGHzConfiguration><sr:LimitedCriticalDutyCycleThreshold>{}"
            "</sr:LimitedCriticalDutyCycleThreshold></sr:SetCHFSubGHzConfiguration>")
    assert "GBCS-U010" in rules_of(request("6.28", body.format("2.5"), cv=1))
    assert "GBCS-U010" not in rules_of(request("6.28", body.format("2.4"), cv=1))


def test_more_body_and_command_variant_breaches():
    signed_on_non_critical = request("4.1.1", "<sr:SignedPreCommand><sr:GBCSPayload>3w==</sr:GBCSPayload>"
                                     "</sr:SignedPreCommand>", cv=1)
    assert "GBCS-U005" in rules_of(signed_on_non_critical)
    assert "GBCS-U005" in rules_of(request(cv=5))                 # CV 5 needs the SignedPreCommand
    assert rules_of(request("8.2", "<sr:ReadInventory/>", cv=8, target=OPERATOR)) == ["GBCS-U008"]
    signed = "<sr:SignedPreCommand><sr:GBCSPayload>3w==</sr:GBCSPayload></sr:SignedPreCommand>"
    assert rules_of(request("8.1.1", signed, cv=6)) == ["GBCS-U006"]      # 8.1.1: CV 4 and 5 only
    assert rules_of(request("8.1.1", signed, cv=5)) == []


@pytest.mark.parametrize("text, ok", [
    ("90-B3-D5-1F-30-01-00-00:00-DB-12-34-56-78-90-A1:1002", True),
    ("90-b3-d5-1f-30-01-00-00:00-db-12-34-56-78-90-a1:0", True),
    ("90-B3-D5-1F-30-01-00-00:00-DB-12-34-56-78-90-A1:18446744073709551615", True),
    ("90-B3-D5-1F-30-01-00-00:00-DB-12-34-56-78-90-A1:18446744073709551616", False),
    ("90-B3-D5-1F-30-01-00-00::00-DB-12-34-56-78-90-A1:1", False),
    ("90-B3-D5-1F-30-01-00:00-DB-12-34-56-78-90-A1:1", False),
    ("90B3D51F30010000:00-DB-12-34-56-78-90-A1:1", False),
])
def test_request_id_structure(text, ok):
    rid, problem = parse_request_id(text)
    assert (rid is not None) is ok and (problem is None) is ok


def test_counter_reused_by_one_originator(tmp_path):
    (tmp_path / "a.xml").write_bytes(request(counter=5))
    (tmp_path / "b.xml").write_bytes(request(counter=5))
    (tmp_path / "c.xml").write_bytes(request(counter=6))
    (tmp_path / "d.xml").write_bytes(request(counter=5, originator=OPERATOR))
    results = {r.source.rsplit("/", 1)[-1]: [f.rule for f in r.findings] for r in validate_many([str(tmp_path)])}
    assert "GBCS-U020" in results["b.xml"]
    assert all("GBCS-U020" not in results[n] for n in ("a.xml", "c.xml", "d.xml"))


def test_non_device_originator_may_be_any_user():
    assert rules_of(request("8.2", "<sr:ReadInventory/>", cv=8, target=DCC, originator=SUPPLIER)) == []
