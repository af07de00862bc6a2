"""`gbcs validate` formats, selection, strictness, outcomes and exit codes; `gbcs rules`;
`gbcs sign --keys/--force` and named outputs; escaped text output (issue 7 items 1 and 4)."""
from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
import xmlschema
from click.testing import CliRunner

from gbcs.builder import Envelope, general_signing, precommand
from gbcs.cli import main
from gbcs.crypto import Keystore, generate_keypair, make_certificate, mac_wrap_with_keys, write_keystore
from gbcs.crypto.signing import private_key_pem

SCHEMAS = Path(__file__).resolve().parent / "data" / "schemas"
SUPPLIER = bytes.fromhex("90B3D51F30010000")
ACB = bytes.fromhex("90B3D51F30000002")
DEVICE = bytes.fromhex("00DB1234567890A0")
STRANGER = bytes.fromhex("04DB1234567890A0")
ECS52 = 0x0059
# an ECS52 Access-Response (invoke id = counter 1002): one null-data, get result "hardware fault"
RESPONSE_CONTENT = bytes.fromhex("DA200003EA00000100010101")
GET = bytes.fromhex("D9200003E800010100010000000201FF020100")
# issue 7 item 4: an alert whose DLMS octet string would clear the screen and print its own line
FORGING_ALERT = bytes.fromhex(
    "DF090301000000000000010800DB1234567890A00890B3D51F30010000000200CC360F00000001000A2E1B5B324A1B5D30"
    "3B6F776E6564071B5B33316D46414B453A207369676E61747572652076616C69641B5B306D0D0A00")


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    folder = tmp_path_factory.mktemp("keys")
    keys, layout = {}, {}
    for eui, device in ((SUPPLIER, False), (ACB, False), (DEVICE, True)):
        for usage in ("ds", "ka"):
            k = generate_keypair()
            keys[(eui, usage)] = k
            cert = make_certificate(k, eui, usage, device=device, role=4 if eui == ACB else 2)
            layout[(eui, usage, False)] = (None if device else k, cert)
    write_keystore(folder, layout)
    ks = Keystore.load([str(folder)])

    def response(originator=DEVICE):
        env = Envelope("response", 1002, originator, SUPPLIER, ECS52)
        apdu = general_signing(env, RESPONSE_CONTENT, signature=b"")
        return mac_wrap_with_keys(apdu, keys[(DEVICE, "ka")], keys[(SUPPLIER, "ka")].public_key())

    good = response()
    tampered = bytearray(good)
    at = tampered.index(DEVICE)
    tampered[at:at + 8] = STRANGER                     # the originator changed, as in issue 7 item 1
    pre = precommand(Envelope("command", 0x1001, SUPPLIER, DEVICE, 0x001C), GET)
    signers = tmp_path_factory.mktemp("signers")
    signer = signers / "supplier-ds.pem"
    signer.write_bytes(private_key_pem(keys[(SUPPLIER, "ds")]))
    other = signers / "other-ds.pem"
    other.write_bytes(private_key_pem(generate_keypair()))
    return {"folder": str(folder), "ks": ks, "good": good, "tampered": bytes(tampered), "pre": pre,
            "signer": str(signer), "other": str(other)}


def run(*args, input=None):
    return CliRunner().invoke(main, [str(a) for a in args], input=input, catch_exceptions=False)


def hexfile(path: Path, *messages: bytes) -> Path:
    path.write_text("".join(m.hex().upper() + "\n" for m in messages))
    return path


def test_tampered_originator_is_unverified_names_the_party_and_fails_under_strict(world, tmp_path):
    f = hexfile(tmp_path / "m.hex", world["good"], world["tampered"])
    result = run("validate", "--keys", world["folder"], f)
    assert result.exit_code == 0, result.output
    assert "2 messages: 1 verified, 1 unverified, 0 failed" in result.stdout
    assert "WARNING GBCS-M002 at 0x" in result.stdout
    assert f"lacks the KA certificate for the originator {STRANGER.hex().upper()}" in result.stdout
    strict = run("validate", "--strict", "--keys", world["folder"], f)
    assert strict.exit_code == 1
    assert "2 messages: 1 verified, 0 unverified, 1 failed" in strict.stdout
    records = [json.loads(line) for line in run("validate", "--format", "jsonl", "--keys", world["folder"], f)
               .stdout.splitlines()]
    assert [r["status"] for r in records] == ["verified", "unverified"]
    assert records[1]["unknown_parties"] == [STRANGER.hex().upper()] and records[1]["mac"] == "no-key"


def test_a_flipped_mac_bit_fails_with_exit_1(world, tmp_path):
    bad = bytearray(world["good"])
    bad[-1] ^= 1
    result = run("validate", "--keys", world["folder"], hexfile(tmp_path / "b.hex", bytes(bad)))
    assert result.exit_code == 1
    assert "ERROR GBCS-M001" in result.stdout and "1 message: 0 verified, 0 unverified, 1 failed" in result.stdout


def test_without_keys_nothing_is_verified(world, tmp_path):
    result = run("validate", hexfile(tmp_path / "m.hex", world["good"], world["pre"]))
    assert result.exit_code == 0 and "2 messages: 0 verified, 2 unverified, 0 failed" in result.stdout


@pytest.mark.parametrize("words, expected", [
    ((), ["GBCS-M001"]),
    (("--select", "mac"), ["GBCS-M001"]),
    (("--select", "GBCS-M"), ["GBCS-M001"]),
    (("--select", "signature,decryption"), []),
    (("--select", "GBCS-S", "--select", "gbcs-m001"), ["GBCS-M001"]),
    (("--ignore", "GBCS-M001"), []),
    (("--select", "mac", "--ignore", "mac"), []),
])
def test_select_and_ignore(world, tmp_path, words, expected):
    bad = bytearray(world["good"])
    bad[-1] ^= 1
    f = hexfile(tmp_path / "b.hex", bytes(bad))
    result = run("validate", "--format", "jsonl", "--keys", world["folder"], *words, f)
    record = json.loads(result.stdout)
    assert [x["rule"] for x in record["findings"]] == expected
    assert result.exit_code == (1 if expected else 0)


@pytest.mark.parametrize("args", [("--select", "nonsense"), ("--ignore", "GBCS-Q"), ("--acb", "zz"),
                                  ("--acb", "0011"), ("--format", "xml")])
def test_usage_errors_exit_2(world, tmp_path, args):
    result = CliRunner().invoke(main, ["validate", *args, str(hexfile(tmp_path / "m.hex", world["good"]))])
    assert result.exit_code == 2, result.output


def test_sarif_and_junit_from_the_command_are_valid(world, tmp_path):
    bad = bytearray(world["good"])
    bad[-1] ^= 1
    f = hexfile(tmp_path / "m.hex", world["good"], bytes(bad), world["tampered"], b"\xDD\x00")
    sarif = run("validate", "--format", "sarif", "--keys", world["folder"], f)
    assert sarif.exit_code == 1
    doc = json.loads(sarif.stdout)
    jsonschema.validate(doc, json.loads((SCHEMAS / "sarif-schema-2.1.0.json").read_text(encoding="utf-8")))
    results = doc["runs"][0]["results"]
    assert {r["ruleId"] for r in results} >= {"GBCS-M001", "GBCS-M002"}
    assert {r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in results} == {str(f)}
    assert {r["id"] for r in doc["runs"][0]["tool"]["driver"]["rules"]} == {r["ruleId"] for r in results}
    junit = run("validate", "--format", "junit", "--keys", world["folder"], f)
    schema = xmlschema.XMLSchema(str(SCHEMAS / "junit-10.xsd"))
    schema.validate(junit.stdout)
    suite = schema.to_dict(junit.stdout)["testsuite"][0]
    assert suite["@tests"] == "4" and [c["@classname"] for c in suite["testcase"][:3]] == ["ECS52"] * 3
    assert [c["@name"] for c in suite["testcase"]] == [f"{f}:{i}" for i in range(1, 5)]
    assert "failure" not in suite["testcase"][0] and "failure" in suite["testcase"][1]
    strict = schema.to_dict(run("validate", "--format", "junit", "--strict", "--keys", world["folder"], f).stdout)
    assert "failure" in strict["testsuite"][0]["testcase"][2]


def test_text_output_escapes_what_messages_and_file_names_carry(tmp_path):
    name = tmp_path / "evil\x1b[2Jname\rFAKE.hex"
    hexfile(name, FORGING_ALERT, FORGING_ALERT[:40])
    for command in (("decode",), ("validate",)):
        result = run(*command, name)
        out = result.stdout
        assert not set(out) & {"\x1b", "\x07", "\r"}, repr(out)
        assert not any(line.startswith("FAKE") for line in out.splitlines())
        assert "\\x1b[2Jname\\rFAKE.hex" in out
    assert "\\x07\\x1b[31mFAKE: signature valid\\x1b[0m" in run("decode", name).stdout


def test_rules_documents_every_rule():
    from gbcs.rules import rules
    text = run("rules").stdout.splitlines()
    assert len(text) == len(rules()) and text[0].startswith("GBCS-D000  decode-error")
    mac = json.loads(run("rules", "--topic", "mac", "--format", "json").stdout)
    assert [r["id"] for r in mac] == [r.id for r in rules().values() if r.topic == "mac"]
    assert mac[0] == rules()["GBCS-M001"].to_dict()
    assert CliRunner().invoke(main, ["rules", "--topic", "crypto"]).exit_code == 2


def test_sign_refuses_a_key_that_is_not_the_originators(world, tmp_path):
    f = hexfile(tmp_path / "pre.hex", world["pre"])
    refused = CliRunner().invoke(main, ["sign", "--key", world["other"], "--keys", world["folder"], str(f)])
    assert refused.exit_code == 1 and refused.stdout == ""
    assert f"does not belong to the originator {SUPPLIER.hex().upper()}" in refused.stderr
    forced = CliRunner().invoke(main, ["sign", "--key", world["other"], "--keys", world["folder"], "--force", str(f)])
    assert forced.exit_code == 0 and len(bytes.fromhex(forced.stdout.strip())) == len(world["pre"]) + 65
    assert "signing anyway" in forced.stderr
    good = run("sign", "--key", world["signer"], "--keys", world["folder"], f)
    assert good.exit_code == 0 and good.stderr == ""


def test_sign_names_the_input_of_each_output(world, tmp_path):
    a = hexfile(tmp_path / "a.hex", world["pre"])
    b = tmp_path / "b.bin"
    b.write_bytes(world["pre"])
    result = run("sign", "--key", world["signer"], a, b)
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0] == f"# source: {a}" and lines[2] == f"# source: {b}"
    signed = tmp_path / "signed.txt"
    signed.write_text(result.stdout)                 # gbcs reads the # lines back as comments
    records = [json.loads(x) for x in run("validate", "--format", "jsonl", "--keys", world["folder"], signed)
               .stdout.splitlines()]
    assert [r["signature"] for r in records] == ["valid", "valid"]
    single = run("sign", "--key", world["signer"], a)
    assert not single.stdout.startswith("#")


@pytest.mark.parametrize("fmt", ["json", "jsonl", "junit", "sarif", "text"])
def test_output_stays_well_formed_when_a_key_fails_midway(world, tmp_path, monkeypatch, fmt):
    import sys
    from gbcs.errors import KeystoreError
    package = sys.modules["gbcs.validate"]          # gbcs.validate the attribute is the function
    real, calls = package.check, []

    def check_then_fail(*args, **kwargs):
        calls.append(1)
        if len(calls) == 2:
            raise KeystoreError("x-ka.key: the private key cannot be used (corrupt)")
        return real(*args, **kwargs)
    monkeypatch.setattr(package, "check", check_then_fail)
    f = hexfile(tmp_path / "m.hex", world["good"], world["good"], world["good"])
    result = CliRunner().invoke(main, ["validate", "--format", fmt, "--keys", world["folder"], str(f)])
    assert result.exit_code == 1 and "cannot be used" in result.stderr
    out = result.stdout
    if fmt == "json":
        assert len(json.loads(out)) == 1
    elif fmt == "jsonl":
        assert [json.loads(x)["status"] for x in out.splitlines()] == ["verified"]
    elif fmt == "junit":
        xmlschema.XMLSchema(str(SCHEMAS / "junit-10.xsd")).validate(out)
    elif fmt == "sarif":
        doc = json.loads(out)
        jsonschema.validate(doc, json.loads((SCHEMAS / "sarif-schema-2.1.0.json").read_text(encoding="utf-8")))
        assert doc["runs"][0]["invocations"][0]["executionSuccessful"] is False
    else:
        assert "run stopped early after 1 message: 1 verified" in out


def test_an_unreadable_input_is_a_failed_message_not_a_crash(world, tmp_path):
    f = hexfile(tmp_path / "m.hex", world["good"])
    result = run("validate", "--keys", world["folder"], f, tmp_path / "missing.hex")
    assert result.exit_code == 1
    assert "ERROR GBCS-D008: no such file or directory" in result.stdout
    assert "2 messages: 1 verified, 0 unverified, 1 failed" in result.stdout
