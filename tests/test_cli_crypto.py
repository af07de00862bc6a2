"""`gbcs decode --keys`, `gbcs validate` and `gbcs sign` on messages made with our own keys."""
from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from gbcs.builder import Envelope, general_signing, precommand
from gbcs.cli import main
from gbcs.crypto import (Keystore, generate_keypair, mac_wrap_with_keystore, make_certificate,
                         write_keystore)
from gbcs.crypto.signing import private_key_pem

SUPPLIER = bytes.fromhex("AB00000000010000")
ACB = bytes.fromhex("AB00000000000002")
DEVICE = bytes.fromhex("AB000000000000E1")
GET = bytes.fromhex("D9200010000001010001000000020 1FF020100".replace(" ", ""))


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    folder = tmp_path_factory.mktemp("keys")
    keys = {}
    for eui, device in ((SUPPLIER, False), (ACB, False), (DEVICE, True)):
        for usage in ("ds", "ka"):
            k = generate_keypair()
            keys[(eui, usage, False)] = (k, make_certificate(k, eui, usage, device=device, role=2))
    write_keystore(folder, keys)
    ks = Keystore.load([str(folder)])
    env = Envelope("command", 0x1000, SUPPLIER, DEVICE, 0x0059)
    command = mac_wrap_with_keystore(general_signing(env, GET, b""), ks, acb=ACB)
    pre = precommand(Envelope("command", 0x1001, SUPPLIER, DEVICE, 0x001C), GET)
    ds_key = folder / "signer.pem"
    ds_key.write_bytes(private_key_pem(keys[(SUPPLIER, "ds", False)][0]))
    return {"folder": folder, "command": command, "pre": pre, "ds_key": ds_key, "keys": keys}


def run(*args):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def stdout(*args):
    return run(*args).stdout


def test_validate_reports_valid_mac(world, tmp_path):
    f = tmp_path / "c.txt"
    f.write_text(world["command"].hex())
    result = run("validate", "--format", "jsonl", "--keys", str(world["folder"]), "--acb", ACB.hex(), str(f))
    assert result.exit_code == 0, result.output
    record = json.loads(result.stdout)
    assert (record["signature"], record["mac"], record["findings"]) == ("absent", "valid", [])


def test_validate_flags_a_flipped_bit_and_exits_1(world, tmp_path):
    bad = bytearray(world["command"])
    bad[50] ^= 0x01                                        # inside the DLMS content
    f = tmp_path / "bad.txt"
    f.write_text(bad.hex())
    result = run("validate", "--format", "jsonl", "--keys", str(world["folder"]), "--acb", ACB.hex(), str(f))
    assert result.exit_code == 1
    record = json.loads(result.stdout)
    assert record["mac"] == "invalid"
    # the flipped bit is in the DLMS invoke id, so the envelope rule on it warns too
    assert [(x["rule"], x["severity"]) for x in record["findings"]] == [("GBCS-M001", "error"),
                                                                          ("GBCS-E112", "warning")]


def test_without_keys_everything_is_unchecked(world, tmp_path):
    f = tmp_path / "c.txt"
    f.write_text(world["command"].hex())
    record = json.loads(stdout("validate", "--format", "jsonl", str(f)))
    assert record["mac"] == "unchecked" and record["signature"] == "absent"


def test_sign_turns_a_precommand_into_a_verified_command(world, tmp_path):
    f = tmp_path / "pre.txt"
    f.write_text(world["pre"].hex())
    result = run("sign", "--key", str(world["ds_key"]), str(f))
    assert result.exit_code == 0, result.output
    signed = bytes.fromhex(result.stdout.strip())
    assert signed.startswith(world["pre"]) and len(signed) == len(world["pre"]) + 65
    (tmp_path / "signed.txt").write_text(signed.hex())
    record = json.loads(stdout("validate", "--format", "jsonl", "--keys", str(world["folder"]),
                               str(tmp_path / "signed.txt")))
    assert record["kind"] == "command" and record["signature"] == "valid"


def test_sign_refuses_what_is_not_a_precommand(world, tmp_path):
    f = tmp_path / "c.txt"
    f.write_text(world["command"].hex())
    result = CliRunner().invoke(main, ["sign", "--key", str(world["ds_key"]), str(f)])
    assert result.exit_code == 1 and "not a pre-command" in result.stderr


def test_private_keys_never_reach_the_output(world, tmp_path):
    f = tmp_path / "c.txt"
    f.write_text(world["command"].hex())
    out = ""
    for fmt in ("text", "json", "jsonl"):
        out += run("decode", "--format", fmt, "--keys", str(world["folder"]), "--acb", ACB.hex(), str(f)).output
        out += run("validate", "--format", fmt, "--keys", str(world["folder"]), str(f)).output
    for k, _cert in world["keys"].values():
        secret = k.private_numbers().private_value.to_bytes(32, "big")
        assert secret.hex() not in out.lower() and secret.hex().upper() not in out
    assert "PRIVATE KEY" not in out


def test_bad_keystore_is_a_usage_error(tmp_path):
    bad = tmp_path / "ks.json"
    bad.write_text("{not json")
    result = run("validate", "--keys", str(bad), str(bad))
    assert result.exit_code == 2
