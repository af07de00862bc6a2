"""The validation API: gbcs.validate / validate_many results, outcomes, selection, and checks
that crash becoming findings of their rule."""
from __future__ import annotations

import pytest

import gbcs
from gbcs.builder import Envelope, general_signing, mac_wrap, precommand
from gbcs.crypto import Keystore, generate_keypair, mac_wrap_with_keys, make_certificate, write_keystore
from gbcs.errors import KeystoreError
from gbcs.io.inputs import InputMessage
from gbcs.errors import InputError
from gbcs.validate import engine

SUPPLIER = bytes.fromhex("90B3D51F30010000")
DEVICE = bytes.fromhex("00DB1234567890A0")
CONTENT = bytes.fromhex("DA200003EA00000100010101")
GET = bytes.fromhex("D9200003E800010100010000000201FF020100")


@pytest.fixture(scope="module")
def parts(tmp_path_factory):
    folder = tmp_path_factory.mktemp("ks")
    keys = {(eui, "ka"): generate_keypair() for eui in (SUPPLIER, DEVICE)}
    write_keystore(folder, {(eui, usage, False): (k if eui == SUPPLIER else None,
                                                  make_certificate(k, eui, usage, device=eui == DEVICE))
                            for (eui, usage), k in keys.items()})
    env = Envelope("response", 1002, DEVICE, SUPPLIER, 0x0059)
    response = mac_wrap_with_keys(general_signing(env, CONTENT, signature=b""), keys[(DEVICE, "ka")],
                                  keys[(SUPPLIER, "ka")].public_key())
    return Keystore.load([str(folder)]), response


def test_validate_result(parts):
    ks, response = parts
    v = gbcs.validate(response, ks)
    assert (v.ok, v.status, v.signature, v.mac, v.findings) == (True, "verified", "absent", "valid", [])
    assert v.message.use_case == "ECS52" and v.unknown_parties == []
    bad = bytearray(response)
    bad[-2] ^= 0x10
    v = gbcs.validate(bytes(bad), ks)
    assert not v.ok and v.status == "failed" and v.mac == "invalid"
    (f,) = v.findings
    assert isinstance(f, gbcs.Finding)
    assert (f.rule, f.topic, f.severity, f.offset, f.field, f.reference) == (
        "GBCS-M001", "mac", "error", len(bad) - 12, "mac", "GBCS 4.3.3")


def test_unverified_messages_are_never_verified(parts):
    ks, response = parts
    assert gbcs.validate(response).status == "unverified"                      # no keystore
    assert gbcs.validate(response, Keystore()).status == "unverified"          # keys missing
    v = gbcs.validate(response, Keystore())
    assert v.unknown_parties and v.outcome(strict=True) == "failed"
    pre = precommand(Envelope("command", 5, SUPPLIER, DEVICE, 0x0059), GET)
    assert gbcs.validate(pre, ks).verified is False                            # nothing to check


def test_select_and_ignore_take_ids_prefixes_and_topics(parts):
    ks, response = parts
    bad = bytearray(response)
    bad[-1] ^= 1
    rules_of = lambda **kw: [f.rule for f in gbcs.validate(bytes(bad), ks, **kw).findings]  # noqa: E731
    assert rules_of(select=["mac"]) == ["GBCS-M001"]
    assert rules_of(select=["GBCS-M0"]) == ["GBCS-M001"]
    assert rules_of(select=["signature,decryption"]) == []
    assert rules_of(ignore=["GBCS-M001"]) == []
    assert rules_of(select=["gbcs-m"], ignore=["signature"]) == ["GBCS-M001"]
    with pytest.raises(ValueError, match="gbcs rules"):
        gbcs.validate(response, select=["GBCS-Z"])


def test_a_malformed_acb_is_refused(parts):
    with pytest.raises(KeystoreError):
        gbcs.validate(parts[1], acb="not an eui")


def test_validate_many_streams_and_keeps_sources(parts):
    ks, response = parts
    consumed = []

    def source():
        for item in (response, InputMessage("x.hex", response, "hex"),
                     InputMessage("y.hex", None, "hex", InputError("unreadable", source="y.hex")),
                     b"\xDF\x09"):
            consumed.append(item)
            yield item
    results = gbcs.validate_many(source(), ks)
    first = next(results)
    assert len(consumed) == 1 and first.status == "verified"                 # lazily, one at a time
    second, third, fourth = list(results)
    assert second.source == "x.hex" and second.ok
    assert third.source == "y.hex" and third.status == "failed" and third.findings[0].rule == "GBCS-D008"
    assert fourth.status == "failed" and fourth.findings[0].rule.startswith("GBCS-D")


def test_a_check_that_crashes_is_a_finding_of_its_rule(parts, monkeypatch):
    def broken(ctx):
        raise ZeroDivisionError("boom")
    monkeypatch.setattr(engine, "_CHECKS", [engine.Check(("GBCS-S001",), broken, "data")])
    monkeypatch.setattr(engine, "TOPIC_MODULES", ())
    (f,) = gbcs.validate(parts[1]).findings
    assert f.rule == "GBCS-S001" and "ZeroDivisionError" in f.message and "please report" in f.message


def test_decode_failures_are_findings_not_exceptions():
    v = gbcs.validate(mac_wrap(b"\xDF\x09\x01", bytes(12)))
    assert not v.ok and v.message is None and v.findings[0].topic == "decode"


def test_a_crash_in_the_integrity_check_is_a_finding(parts, monkeypatch):
    import gbcs.crypto
    def broken(*args, **kwargs):
        raise IndexError("bug")
    monkeypatch.setattr(gbcs.crypto, "check_integrity", broken)
    v = gbcs.validate(parts[1], parts[0])
    assert v.status == "failed" and v.signature is None and [f.rule for f in v.findings] == ["GBCS-D999"]
