"""`gbcs duis validate | sign | check` through click's CliRunner."""
from __future__ import annotations

import json

import pytest
from click.testing import CliRunner
from cryptography.hazmat.primitives import serialization

from duis_world import GSME, OPERATOR, SUPPLIER, orgs, request  # noqa: F401 (fixture)
from gbcs.builder import Envelope, precommand
from gbcs.cli import main
from gbcs.crypto.testkeys import write_keystore


@pytest.fixture()
def keys(orgs, tmp_path):
    folder = tmp_path / "keys"
    write_keystore(folder, {(eui, "ds", False): (orgs.keys[eui], orgs.certs[eui]) for eui in (SUPPLIER, OPERATOR)})
    # The supplier's role certificate (OU 02) says which user roles it can hold.
    (folder / "extra").mkdir()
    for eui in (SUPPLIER, OPERATOR):
        pem = orgs.role_certs[eui].public_bytes(serialization.Encoding.PEM)
        (folder / "extra" / f"{eui.replace('-', '').lower()}-ka.pem").write_bytes(pem)
    return folder


def run(*args, input=None):
    return CliRunner().invoke(main, list(args), input=input, catch_exceptions=False)


def test_sign_to_stdout_then_validate_jsonl(keys, tmp_path, monkeypatch):
    monkeypatch.delenv("GBCS_DUIS_SCHEMAS", raising=False)
    req = tmp_path / "req.xml"
    req.write_bytes(request("4.1.1", "<sr:ReadInstantaneousImportRegisters/>", cv=1))
    signed = run("duis", "sign", "--keys", str(keys), "--signer", SUPPLIER, "--role", "87", str(req))
    assert signed.exit_code == 0, signed.output
    out = tmp_path / "signed.xml"
    out.write_text(signed.output)
    result = run("duis", "validate", "--keys", str(keys), "--keys", str(keys / "extra"),
                 "--format", "jsonl", str(out))
    record = json.loads(result.stdout)
    assert result.exit_code == 0, result.output
    assert record["service_reference_variant"] == "4.1.1"
    assert record["signature"] == "valid" and record["signer"] == SUPPLIER
    assert record["findings"] == [] and record["status"] == "unverified"      # no --schemas: not verified
    text = run("duis", "validate", "--keys", str(keys), "--keys", str(keys / "extra"), str(out))
    assert text.exit_code == 0 and ": unverified" in text.stdout and "signature: valid" in text.stdout
    assert {"source", "service_reference_variant", "signature", "signer", "findings"} <= set(record)


def test_validate_exit_status_and_states(keys, tmp_path):
    (tmp_path / "unsigned.xml").write_bytes(request())
    result = run("duis", "validate", "--format", "json", str(tmp_path))
    records = json.loads(result.stdout)
    assert result.exit_code == 1
    assert records[0]["signature"] == "absent" and records[0]["status"] == "failed"
    assert [f["rule"] for f in records[0]["findings"]] == ["GBCS-U012"]


def test_sign_many_needs_an_output_folder_and_keeps_names(keys, tmp_path):
    for name in ("a.xml", "b.xml"):
        (tmp_path / name).write_bytes(request())
    assert run("duis", "sign", "--keys", str(keys), "--signer", SUPPLIER,
               str(tmp_path / "a.xml"), str(tmp_path / "b.xml")).exit_code == 2
    out = tmp_path / "out"
    result = run("duis", "sign", "--keys", str(keys), "--signer", SUPPLIER, "-o", str(out), "--keep-counter",
                 str(tmp_path / "a.xml"), str(tmp_path / "b.xml"))
    assert result.exit_code == 0
    assert sorted(p.name for p in out.iterdir()) == ["a.xml", "b.xml"]
    assert b":1002</sr:RequestID>" in (out / "a.xml").read_bytes()


def test_sign_without_key_material_fails(keys, tmp_path):
    (tmp_path / "r.xml").write_bytes(request(originator="AB-00-00-00-00-09-00-00"))
    result = run("duis", "sign", "--keys", str(keys), "--signer", "AB-00-00-00-00-09-00-00", str(tmp_path / "r.xml"))
    assert result.exit_code == 1
    assert "missing key material" in result.output


def test_text_output_escapes_control_characters(tmp_path):
    (tmp_path / "bad.xml").write_bytes(request(counter="1\u0085\u2028x"))    # legal XML characters
    result = run("duis", "validate", str(tmp_path / "bad.xml"))
    assert "GBCS-U007" in result.stdout
    assert "\u0085" not in result.stdout and "\u2028" not in result.stdout
    assert "\\x85" in result.stdout and "\\u2028" in result.stdout
    assert result.exit_code == 1


def test_refused_xml_and_schema_options(tmp_path):
    (tmp_path / "x.xml").write_bytes(b'<!DOCTYPE r [<!ENTITY e SYSTEM "file:///etc/passwd">]><r>&e;</r>')
    result = run("duis", "validate", "--format", "jsonl", str(tmp_path / "x.xml"))
    assert result.exit_code == 1 and json.loads(result.stdout)["findings"][0]["rule"] == "GBCS-U001"
    assert run("duis", "validate", "--schemas", str(tmp_path), str(tmp_path / "x.xml")).exit_code == 2


def test_check_command(tmp_path):
    req = tmp_path / "req.xml"
    req.write_bytes(request("4.1.1", "<sr:ReadInstantaneousImportRegisters/>", cv=1))
    eui = {n: bytes.fromhex(n.replace("-", "")) for n in (SUPPLIER, GSME)}
    from gbcs.payload import dlms
    get = dlms.build_access_request([("get", 3, "1-0:1.8.0.255", 2)], invoke_id=1)
    good = precommand(Envelope("command", 1002, eui[SUPPLIER], eui[GSME], 0x0027), get)
    wrong = precommand(Envelope("command", 1002, eui[SUPPLIER], eui[GSME], 0x0029), get)
    (tmp_path / "good.hex").write_text(good.hex())
    (tmp_path / "wrong.hex").write_text(wrong.hex())
    ok = run("duis", "check", "--format", "jsonl", str(req), str(tmp_path / "good.hex"))
    assert ok.exit_code == 0 and json.loads(ok.stdout)["findings"] == []
    bad = run("duis", "check", str(req), str(tmp_path / "wrong.hex"))
    assert bad.exit_code == 1 and "GBCS-U030" in bad.output


def test_junit_and_sarif_formats(tmp_path):
    (tmp_path / "r.xml").write_bytes(request())
    junit = run("duis", "validate", "--format", "junit", str(tmp_path / "r.xml"))
    assert junit.exit_code == 1 and 'type="GBCS-U012"' in junit.stdout
    sarif = json.loads(run("duis", "validate", "--format", "sarif", str(tmp_path / "r.xml")).stdout)
    assert [r["ruleId"] for r in sarif["runs"][0]["results"]] == ["GBCS-U012"]


def test_check_reads_payloads_from_duis_responses(tmp_path):
    import base64
    from duis_world import SR
    req = tmp_path / "req.xml"
    req.write_bytes(request())
    eui = {n: bytes.fromhex(n.replace("-", "")) for n in (SUPPLIER, GSME)}
    wrong_counter = precommand(Envelope("command", 7, eui[SUPPLIER], eui[GSME], 0x00FC), b"")
    payload = base64.b64encode(wrong_counter).decode()
    (tmp_path / "pre.xml").write_text(
        f'<sr:Response xmlns:sr="{SR}" schemaVersion="5.4"><sr:Body><sr:ResponseMessage><sr:PreCommand>'
        f"<sr:GBCSVersion>4.0</sr:GBCSVersion><sr:GBCSPayload>{payload}</sr:GBCSPayload></sr:PreCommand>"
        f"</sr:ResponseMessage></sr:Body></sr:Response>")
    result = run("duis", "check", "--format", "jsonl", str(req), str(tmp_path / "pre.xml"))
    rules = [f["rule"] for f in json.loads(result.stdout)["findings"]]
    assert result.exit_code == 1 and "GBCS-U034" in rules


def test_select_ignore_and_strict(tmp_path):
    (tmp_path / "a.xml").write_bytes(request(version="5.3"))
    plain = json.loads(run("duis", "validate", "--format", "jsonl", str(tmp_path / "a.xml")).stdout)
    assert sorted(f["rule"] for f in plain["findings"]) == ["GBCS-U009", "GBCS-U012"]
    ignored = run("duis", "validate", "--format", "jsonl", "--ignore", "GBCS-U012", str(tmp_path / "a.xml"))
    assert ignored.exit_code == 0 and [f["rule"] for f in json.loads(ignored.stdout)["findings"]] == ["GBCS-U009"]
    strict = run("duis", "validate", "--strict", "--ignore", "GBCS-U012", str(tmp_path / "a.xml"))
    assert strict.exit_code == 1
    assert run("duis", "validate", "--select", "nonsense", str(tmp_path / "a.xml")).exit_code == 2
