"""The DUIS <-> GBCS cross-check on messages built with our own encoder: clean, then one seeded
mismatch of each kind."""
from __future__ import annotations

import base64

import pytest

from duis_world import GSME, OPERATOR, SUPPLIER, request
from gbcs.builder import Envelope, general_signing, mac_wrap, precommand
from gbcs.crypto import sign_precommand
from gbcs.crypto.testkeys import generate_keypair
from gbcs.duis.crosscheck import GbcsItem, cross_check
from gbcs.duis.document import read_document
from gbcs.payload import dlms, gbz

EUI = {name: bytes.fromhex(name.replace("-", "")) for name in (SUPPLIER, OPERATOR, GSME)}
GCS24A = 0x00FC
KEY = generate_keypair()


def gas_flow_payload(threshold: int = 61680, divisor: int = 10000) -> bytes:
    fields = {"provider_id": 0, "issuer_event_id": 0, "uncontrolled_flow_threshold": threshold,
              "unit_of_measure": 1, "multiplier": 1, "divisor": divisor, "stabilisation_period": 60,
              "measurement_period": 300}
    fc = gbz.build_frame_control(True, False)
    return gbz.build_gbz([gbz.build_component(0x0702, 0x0E, fields, frame_control=fc)])


def pre(*, code=GCS24A, counter=1002, originator=SUPPLIER, recipient=GSME, **payload) -> bytes:
    env = Envelope("command", counter, EUI[originator], EUI[recipient], code)
    return precommand(env, gas_flow_payload(**payload))


def reply(*, code=GCS24A, counter=1002, originator=GSME, recipient=SUPPLIER) -> bytes:
    env = Envelope("response", counter, EUI[originator], EUI[recipient], code)
    return general_signing(env, gbz.build_gbz([gbz.build_component(
        0x0702, 0x0B, b"\x0e\x00", frame_control=gbz.build_frame_control(False, True))]), b"")


def unsigned_command(code=GCS24A, content: bytes | None = None) -> bytes:
    """A command as the DCC sends it over the WAN (MAC'd; the MAC is not what is checked here), unsigned."""
    env = Envelope("command", 1002, EUI[SUPPLIER], EUI[GSME], code)
    return mac_wrap(general_signing(env, gas_flow_payload() if content is None else content, b""), b"\0" * 12)


def rules(items, req: bytes | None = None) -> list[str]:
    doc = read_document(req or request())
    return sorted({f.rule for f in cross_check(doc, [GbcsItem(f"m{i}", d) for i, d in enumerate(items)])})


def test_matching_round_trip_is_clean():
    p = pre()
    assert rules([p, sign_precommand(p, KEY), reply()]) == []


def test_signed_pre_command_inside_a_cv5_request_is_checked():
    p = pre()
    body = (f"<sr:SignedPreCommand><sr:GBCSPayload>{base64.b64encode(sign_precommand(p, KEY)).decode()}"
            f"</sr:GBCSPayload></sr:SignedPreCommand>")
    assert rules([p], request(body=body, cv=5)) == []
    forged = sign_precommand(pre(threshold=65535), KEY)
    body = f"<sr:SignedPreCommand><sr:GBCSPayload>{base64.b64encode(forged).decode()}</sr:GBCSPayload></sr:SignedPreCommand>"
    assert "GBCS-U032" in rules([p], request(body=body, cv=5))


@pytest.mark.parametrize("rule, items", [
    ("GBCS-U030", lambda: [pre(code=0x0027)]),                       # ECS17b: another variant's command
    ("GBCS-U031", lambda: [unsigned_command()]),
    ("GBCS-U032", lambda: [pre(), sign_precommand(pre(threshold=61000, divisor=10000), KEY)]),
    ("GBCS-U033", lambda: [pre(threshold=61681)]),
    ("GBCS-U034", lambda: [pre(recipient=OPERATOR)]),
    ("GBCS-U034", lambda: [pre(counter=999)]),
    ("GBCS-U035", lambda: [pre(), reply(counter=1003)]),
    ("GBCS-U035", lambda: [pre(), reply(originator=OPERATOR)]),
    ("GBCS-U036", lambda: [b"\xdf\x09\x01"]),
])
def test_each_seeded_mismatch_is_caught(rule, items):
    assert rule in rules(items())


def test_value_uses_the_carried_divisor():
    assert rules([pre(threshold=6168, divisor=1000)]) == []          # 6.1680 = 6168 / 1000
    assert rules([pre(threshold=6168, divisor=10000)]) == ["GBCS-U033"]


def test_integer_twin_of_the_decimal():
    req = request(body="<sr:UpdateDeviceConfigurationGasFlow><sr:UncontrolledGasFlowRate>61680"
                       "</sr:UncontrolledGasFlowRate></sr:UpdateDeviceConfigurationGasFlow>")
    assert rules([pre()], req) == []
    assert rules([pre(threshold=1)], req) == ["GBCS-U033"]


def test_non_critical_command_needs_no_signature():
    req = request("4.1.1", "<sr:ReadInstantaneousImportRegisters/>", cv=1)
    get = dlms.build_access_request([("get", 3, "1-0:1.8.0.255", 2)], invoke_id=1)
    assert rules([unsigned_command(0x0027, get)], req) == []
    assert rules([unsigned_command()]) == ["GBCS-U031"]



GAS_PRICES = ("<sr:UpdatePricePrimaryElement><sr:PriceElements><sr:GasPriceElements>"
              "<sr:CurrencyUnits>GBP</sr:CurrencyUnits><sr:StandingCharge>54794</sr:StandingCharge>"
              "<sr:BlockTariff><sr:BlockPrice index=\"1\">9600</sr:BlockPrice>"
              "<sr:BlockPrice index=\"2\">10200</sr:BlockPrice><sr:NumberOfThresholds>1</sr:NumberOfThresholds>"
              "</sr:BlockTariff></sr:GasPriceElements></sr:PriceElements></sr:UpdatePricePrimaryElement>")


def price_pre(prices: list[int]) -> bytes:
    fields = {"provider_id": 0, "issuer_event_id": 0, "start_time": 0, "issuer_tariff_id": 1, "command_index": 0,
              "number_of_commands": 1, "sub_payload_control": 0,
              "prices": [{"tier_block_id": i, "price": p} for i, p in enumerate(prices)]}
    component = gbz.build_component(0x0700, 0x05, fields, frame_control=gbz.build_frame_control(True, True))
    env = Envelope("command", 1002, EUI[SUPPLIER], EUI[GSME], 0x00A3)        # GCS01b
    return precommand(env, gbz.build_gbz([component]))


def test_tariff_prices_agree_in_order():
    req = request("1.2.1", GAS_PRICES)
    assert rules([price_pre([9600, 10200])], req) == []
    assert rules([price_pre([9600, 10300])], req) == ["GBCS-U033"]
    assert rules([price_pre([10200, 9600])], req) == ["GBCS-U033"]
    assert rules([price_pre([9600])], req) == ["GBCS-U033"]                  # a block price missing


def test_validate_checks_the_signed_pre_command_a_request_carries():
    from gbcs.duis.validate import validate_document
    signed = base64.b64encode(sign_precommand(pre(counter=999), KEY)).decode()
    body = f"<sr:SignedPreCommand><sr:GBCSPayload>{signed}</sr:GBCSPayload></sr:SignedPreCommand>"
    assert "GBCS-U034" in [f.rule for f in validate_document(request(body=body, cv=5)).findings]
    good = base64.b64encode(sign_precommand(pre(), KEY)).decode()
    body = f"<sr:SignedPreCommand><sr:GBCSPayload>{good}</sr:GBCSPayload></sr:SignedPreCommand>"
    assert [f.rule for f in validate_document(request(body=body, cv=5)).findings] == ["GBCS-U012"]


def test_a_returned_local_response_is_not_taken_for_this_requests_answer():
    from duis_world import DCC
    answer = base64.b64encode(reply(counter=5)).decode()
    req = request("8.13", f"<sr:ReturnLocalCommandResponse><sr:OriginalRequestID>{SUPPLIER}:{GSME}:5"
                          f"</sr:OriginalRequestID><sr:DeviceGBCSResponse>{answer}</sr:DeviceGBCSResponse>"
                          f"</sr:ReturnLocalCommandResponse>", cv=8, target=DCC)
    assert rules([], req) == []
