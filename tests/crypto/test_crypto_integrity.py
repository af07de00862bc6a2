"""Signature and MAC statuses of messages built and protected with the project's own keys."""
from __future__ import annotations

import json
from unittest import mock

import pytest

import gbcs
from gbcs import builder
from gbcs.crypto import (Keystore, check_integrity, generate_keypair, kdf, mac_wrap_with_keys,
                         mac_wrap_with_keystore, make_certificate, sign_precommand)
from gbcs.crypto import envelope
from gbcs.crypto.integrity import certificates_in, harvest_certificates
from gbcs.errors import DecodeError, EncodeError, KeystoreError

from crypto_world import (ACB, ASN1_NULL, DEVICE, DEVICE2, DLMS_GET, READ_FIRMWARE, SUPPLIER,  # noqa: F401
                          fresh_world, world)


def statuses(result):
    return result.signature, result.mac, result.decryption


def test_signed_and_maced_command(world):
    r = check_integrity(world.command(signed=True), world.keystore)
    assert statuses(r) == ("valid", "valid", "absent") and r.ok
    assert r.keys["signature"] == ["90B3D51F30010000 DS"]
    assert sorted(r.keys["mac"]) == ["00DB1234567890A0 KA", "90B3D51F30000002 KA"]
    assert any("Access Control Broker" in d for d in r.details)


def test_unsigned_command_response_alert_and_signed_only(world):
    ks = world.keystore
    assert statuses(check_integrity(world.command(), ks)) == ("absent", "valid", "absent")
    assert statuses(check_integrity(world.response(), ks)) == ("absent", "valid", "absent")
    assert statuses(check_integrity(world.alert(), ks)) == ("absent", "valid", "absent")
    assert statuses(check_integrity(world.signed_response(), ks)) == ("valid", "absent", "absent")


def test_precommand_has_nothing_to_check_until_signed(world):
    pre = world.precommand()
    assert statuses(check_integrity(pre, world.keystore)) == ("absent", "absent", "absent")
    signed = sign_precommand(pre, world.priv(SUPPLIER, "ds"))
    assert signed.startswith(pre) and len(signed) == len(pre) + 65 and signed[len(pre)] == 0x40
    assert check_integrity(signed, world.keystore).signature == "valid"
    # a pre-command handed out with a trailing 00 is signed the same way
    again = sign_precommand(pre + b"\x00", world.keystore.find(SUPPLIER, "ds")[0])
    assert again[:len(pre)] == pre and check_integrity(again, world.keystore).signature == "valid"


def test_signing_refuses_what_is_not_a_precommand(world):
    signed = sign_precommand(world.precommand(), world.priv(SUPPLIER, "ds"))
    with pytest.raises(EncodeError, match="already signed"):
        sign_precommand(signed, world.priv(SUPPLIER, "ds"))
    with pytest.raises(EncodeError, match="DF"):
        sign_precommand(world.command(), world.priv(SUPPLIER, "ds"))
    with pytest.raises(EncodeError):
        sign_precommand(b"\xdf\x09\x01", world.priv(SUPPLIER, "ds"))


def test_a_different_key_fails(world):
    stranger = generate_keypair()
    forged = sign_precommand(world.precommand(), stranger)
    r = check_integrity(forged, world.keystore)
    assert r.signature == "invalid" and not r.ok
    assert "does not verify" in " ".join(r.details)
    apdu = envelope.from_bytes(world.command()).apdu
    wrong_mac = mac_wrap_with_keys(apdu, stranger, world.pub(DEVICE, "ka"))
    assert check_integrity(wrong_mac, world.keystore).mac == "invalid"


def test_unchecked_without_keystore(world):
    r = check_integrity(world.command(signed=True), None)
    assert statuses(r) == ("unchecked", "unchecked", "absent")
    assert check_integrity(world.precommand(), None).signature == "absent"


def test_no_key(world):
    empty = Keystore()
    r = check_integrity(world.command(signed=True), empty)
    assert statuses(r) == ("no-key", "no-key", "absent") and r.ok
    text = " ".join(r.details)
    assert "no DS certificate" in text and "no KA key at all" in text


def test_device_to_device_command_needs_a_device_private_key(world):
    # PPMID -> GSME: no ACB on the way, both ends are devices whose private keys are absent
    env = builder.Envelope("command", 5, DEVICE, DEVICE2, 0x009B)
    apdu = builder.general_signing(env, DLMS_GET)
    msg = mac_wrap_with_keys(apdu, world.priv(DEVICE, "ka"), world.pub(DEVICE2, "ka"))
    r = check_integrity(msg, world.keystore)
    assert r.mac == "no-key"
    assert "device-to-device" in r.details[0] and "certificate only" in r.details[0]
    # given one device's private key, it verifies
    ks = Keystore.load(world.folder)
    ks.add_key(DEVICE, "ka", private_key=world.priv(DEVICE, "ka"))
    assert check_integrity(msg, ks).mac == "valid"


def test_keys_either_way_round(world):
    # response: device (private absent) -> supplier; the supplier's private key × device public
    r = check_integrity(world.response(), world.keystore)
    assert r.mac == "valid" and "90B3D51F30010000 KA private" in r.details[0]
    # only the device's private key and the supplier's certificate: the other way round
    ks = Keystore()
    ks.add_key(DEVICE, "ka", private_key=world.priv(DEVICE, "ka"))
    ks.add_key(SUPPLIER, "ka", public_key=world.pub(SUPPLIER, "ka"))
    r = check_integrity(world.response(), ks)
    assert r.mac == "valid" and "00DB1234567890A0 KA private" in r.details[0]


def test_acb_is_overridable(world):
    other_acb = "90B3D51F30000099"
    ks = Keystore.load(world.folder)
    key = generate_keypair()
    ks.add_key(other_acb, "ka", private_key=key)
    env = builder.Envelope("command", 1, SUPPLIER, DEVICE, 0x0059)
    msg = mac_wrap_with_keys(builder.general_signing(env, DLMS_GET), key, world.pub(DEVICE, "ka"))
    assert check_integrity(msg, ks).mac == "invalid"
    assert check_integrity(msg, ks, acb=other_acb).mac == "valid"
    assert check_integrity(msg, ks, acb=bytes.fromhex(other_acb)).mac == "valid"


def test_mac_wrap_with_keystore_matches_mac_wrap_with_keys(world):
    msg = world.command(signed=True)
    apdu = envelope.from_bytes(msg).apdu
    assert mac_wrap_with_keystore(apdu, world.keystore) == msg
    with pytest.raises(KeystoreError):
        mac_wrap_with_keystore(apdu, Keystore())
    with pytest.raises(EncodeError, match="no signature field"):
        mac_wrap_with_keys(world.precommand(), world.priv(ACB, "ka"), world.pub(DEVICE, "ka"))


def test_decoded_message_and_raw_bytes_agree(world):
    msg = world.command(ASN1_NULL, code=READ_FIRMWARE, signed=True)
    decoded = gbcs.decode(msg)
    assert envelope.from_message(decoded) == envelope.from_bytes(msg)
    assert statuses(check_integrity(decoded, world.keystore)) == statuses(check_integrity(msg, world.keystore))


def test_srp_envelope_facts(world):
    env = builder.Envelope("command", 9, ACB, DEVICE, READ_FIRMWARE, srp_id=SUPPLIER, srp_counter=77)
    apdu = builder.general_signing(env, ASN1_NULL)
    msg = mac_wrap_with_keys(apdu, world.priv(ACB, "ka"), world.pub(DEVICE, "ka"))
    f = envelope.from_bytes(msg)
    assert (f.srp_id, f.srp_counter, f.soc) == (SUPPLIER, 77, None)
    assert envelope.from_message(gbcs.decode(msg)) == f
    assert check_integrity(msg, world.keystore).mac == "valid"


def test_bad_envelopes_are_decode_errors(world):
    for junk in (b"", b"\x00\x01", b"\xdd\x00\x00", b"\xdf\x09\x05" + bytes(40)):
        with pytest.raises(DecodeError):
            check_integrity(junk, world.keystore)


def test_ecdh_runs_once_per_key_pair(fresh_world):
    w = fresh_world
    messages = [w.command(counter=c) for c in range(300)] + [w.response(counter=c) for c in range(300)]
    calls = []
    real = kdf.ecdh

    def counting(priv, pub):
        calls.append(1)
        return real(priv, pub)

    with mock.patch.object(kdf, "ecdh", counting):
        for m in messages:
            assert check_integrity(m, w.keystore).mac == "valid"
    assert len(calls) == 2            # ACB × device for commands, supplier × device for responses
    assert w.keystore.ecdh_computed == 2


def test_certificates_carried_in_a_message(world):
    new_device = bytes.fromhex("00DB1234567890B7")
    key = generate_keypair()
    from cryptography.hazmat.primitives import serialization
    der = make_certificate(key, new_device, "ds").public_bytes(serialization.Encoding.DER)
    env = builder.Envelope("response", 3, new_device, SUPPLIER, READ_FIRMWARE)
    content = der                                  # a DER certificate as the whole content
    msg = sign_precommand(builder.general_signing(env, content, signature=None), key)
    assert certificates_in(msg) == [(envelope.from_bytes(msg).content_start, der)]
    ks = Keystore.load(world.folder)
    assert check_integrity(msg, ks).signature == "no-key"
    r = check_integrity(msg, ks, use_message_certificates=True)
    assert r.signature == "valid" and "taken from a message" in r.details[0]
    assert harvest_certificates(msg, ks)[0].origin == "message"


def test_integrity_renders_as_json(world):
    r = check_integrity(world.command(signed=True), world.keystore)
    d = json.loads(json.dumps(r.to_dict()))
    assert d["signature"] == "valid" and d["mac"] == "valid" and d["decrypted"] == []


def test_findings(world):
    assert check_integrity(world.command(signed=True), world.keystore).findings() == []
    forged = sign_precommand(world.precommand(), generate_keypair())
    (f,) = check_integrity(forged, world.keystore).findings()
    assert (f.rule, f.topic, f.severity, f.field) == ("GBCS-S001", "signature", "error", "signature.value")
    assert f.offset == len(forged) - 64 and forged[f.offset - 1] == 0x40
    s, m = check_integrity(world.command(signed=True), Keystore()).findings()
    assert (s.rule, s.topic, s.severity) == ("GBCS-S002", "signature", "warning")
    assert (m.rule, m.topic, m.severity) == ("GBCS-M002", "mac", "warning")
    assert f"DS certificate for the originator {SUPPLIER.hex().upper()}" in s.message
    bad_mac = bytearray(world.command())
    bad_mac[-1] ^= 1
    (f,) = check_integrity(bytes(bad_mac), world.keystore).findings()
    assert (f.rule, f.topic, f.offset, f.field) == ("GBCS-M001", "mac", len(bad_mac) - 12, "mac")


def test_gbt_blocks_are_checked_on_the_message_they_carry(world):
    msg = world.command(ASN1_NULL, code=READ_FIRMWARE, signed=True)
    env = builder.Envelope("command", 1000, SUPPLIER, DEVICE, READ_FIRMWARE)
    blocks = b"".join(builder.gbt_blocks(msg, env, block_size=40))
    decoded = gbcs.decode(blocks)
    assert decoded.inner is not None
    r = check_integrity(decoded, world.keystore)
    assert (r.signature, r.mac) == ("valid", "valid")
    assert (check_integrity(blocks, world.keystore).mac) == "valid"
    with pytest.raises(DecodeError):
        check_integrity(blocks[:-5], world.keystore)


def test_unusual_security_header_is_used_and_named(world):
    apdu = envelope.from_bytes(world.command()).apdu
    msg = mac_wrap_with_keys(apdu, world.priv(ACB, "ka"), world.pub(DEVICE, "ka"), invocation_counter=7)
    assert msg[8:13] == b"\x11\x00\x00\x00\x07"
    r = check_integrity(msg, world.keystore)
    assert r.mac == "valid" and "security header 1100000007" in r.details[0]


def test_command_from_an_originator_of_unknown_kind_tries_both_rules(world):
    env = builder.Envelope("command", 5, DEVICE, DEVICE2, 0x009B)
    msg = mac_wrap_with_keys(builder.general_signing(env, DLMS_GET), world.priv(DEVICE, "ka"),
                             world.pub(DEVICE2, "ka"))
    ks = Keystore()
    ks.add_key(ACB, "ka", private_key=world.priv(ACB, "ka"))
    ks.add_key(DEVICE2, "ka", public_key=world.pub(DEVICE2, "ka"))
    assert check_integrity(msg, ks).mac == "invalid"             # only the ACB rule can be computed
    ks.add_key(DEVICE, "ka", private_key=world.priv(DEVICE, "ka"))   # no certificate: kind unknown
    r = check_integrity(msg, ks)
    assert r.mac == "valid" and "were the originator a device" in r.details[0]
