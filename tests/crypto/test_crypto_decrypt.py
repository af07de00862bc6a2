"""Encrypted GBZ components and DLMS protected data: found, decrypted, decoded, or reported."""
from __future__ import annotations

import pytest

from gbcs.errors import DecodeError

import gbcs
from gbcs import builder
from gbcs.crypto import (Keystore, check_integrity, encrypt_payload_part, mac_wrap_with_keys,
                         payload_encryption_key)
from gbcs.crypto.locate import find_encrypted
from gbcs.crypto import envelope

from crypto_world import ACB, DEVICE, SUPPLIER, world  # noqa: F401 (fixtures)

READ_ATTRIBUTES_RESPONSE = bytes.fromhex("0000 00 23 10270000  0100 00 21 3A03")   # two ZCL records
PLAIN_COMPONENT = bytes.fromhex("00 0700 0008 08 00 01 17 06 00 18 50".replace(" ", ""))
DLMS_DATA = bytes.fromhex("02 02 06 00 00 00 0A 11 05")                        # structure{u32 10, u8 5}


def gbz_encrypted_component(part: bytes, last: bool = True, cluster: int = 0x0705) -> bytes:
    body = b"\x00\x00" + bytes([0x08, 0x01, 0x01]) + len(part).to_bytes(2, "big") + part
    return bytes([0x03 if last else 0x02]) + cluster.to_bytes(2, "big") + len(body).to_bytes(2, "big") + body


def protection_parameters(counter: int, originator: bytes, recipient: bytes) -> bytes:
    return (bytes.fromhex("01 01 02 02 16 02 02 05 09 09 04") + counter.to_bytes(8, "big")
            + b"\x09\x08" + originator + b"\x09\x08" + recipient + b"\x09\x00"
            + bytes.fromhex("02 02 16 02 02 02 09 01 02 09 00"))


def octet_string(value: bytes) -> bytes:
    return b"\x09" + builder.ber_length(len(value)) + value


def response(world, content: bytes, *, counter: int, recipient: bytes = SUPPLIER, code: int = 0x0071,
             **extra) -> bytes:
    env = builder.Envelope("response", counter, DEVICE, recipient, code, **extra)
    apdu = builder.general_signing(env, content, signature=b"")
    return mac_wrap_with_keys(apdu, world.priv(DEVICE, "ka"), world.pub(recipient, "ka"))


def key_for(world, counter: int, target: bytes = SUPPLIER) -> bytes:
    return payload_encryption_key(world.priv(DEVICE, "ka"), world.pub(target, "ka"), originator=DEVICE,
                                  counter=counter, recipient=target)


def gbz_message(world, counter=1000, tamper=False, parts=1, **extra):
    target = extra.get("srp_id") or SUPPLIER
    key = key_for(world, extra.get("supplementary_originator_counter") or counter, target)
    comps = [PLAIN_COMPONENT]
    for i in range(parts):
        part = encrypt_payload_part(key, DEVICE, READ_ATTRIBUTES_RESPONSE + bytes([i]))
        if tamper:
            part = part[:7] + bytes([part[7] ^ 0x40]) + part[8:]
        comps.append(gbz_encrypted_component(part, last=i == parts - 1))
    content = b"\x01\x09" + bytes([len(comps)]) + b"".join(comps)
    return response(world, content, counter=counter, recipient=extra.pop("recipient", SUPPLIER), **extra)


def test_gbz_component_decrypts(world):
    msg = gbz_message(world)
    r = check_integrity(msg, world.keystore)
    assert (r.mac, r.decryption) == ("valid", "valid")
    (part,) = r.decrypted
    assert part.plaintext == READ_ATTRIBUTES_RESPONSE + b"\x00"
    assert part.family == "gbz" and part.context["cluster"] == 0x0705 and part.context["command_id"] == 1
    assert msg[part.source_offset] == 0x31 and part.source_length == 5 + len(part.plaintext) + 12
    assert part.tree is not None and part.tree.start == 0 and part.tree.end == len(part.plaintext)
    assert gbcs.encode(part.tree) == part.plaintext       # the plaintext tree tiles the plaintext
    assert r.keys["decryption"] == ["00DB1234567890A0 KA", "90B3D51F30010000 KA"]


def test_several_components_share_key_and_iv(world):
    r = check_integrity(gbz_message(world, parts=3), world.keystore)
    assert r.decryption == "valid" and [p.plaintext[-1] for p in r.decrypted] == [0, 1, 2]
    assert r.decrypted[0].source_offset < r.decrypted[1].source_offset < r.decrypted[2].source_offset


def test_failed_tag_is_a_status_not_an_exception(world):
    r = check_integrity(gbz_message(world, tamper=True), world.keystore)
    assert r.mac == "valid" and r.decryption == "invalid" and not r.ok
    (part,) = r.decrypted
    assert part.status == "invalid" and part.plaintext is None and "tag does not match" in part.detail


def test_supplementary_remote_party_and_originator_counter(world):
    # URP-style response to the ACB: the payload is for the SRP, with the SOC as counter
    msg = gbz_message(world, counter=50, recipient=ACB, srp_id=SUPPLIER, srp_counter=60,
                      supplementary_originator_counter=70)
    f = envelope.from_bytes(msg)
    assert (f.srp_id, f.srp_counter, f.soc) == (SUPPLIER, 60, 70)
    r = check_integrity(msg, world.keystore)
    assert (r.mac, r.decryption) == ("valid", "valid")


def test_no_key_and_unchecked(world):
    msg = gbz_message(world)
    assert check_integrity(msg, None).decryption == "unchecked"
    assert check_integrity(msg, None).decrypted[0].status == "unchecked"
    r = check_integrity(msg, Keystore())
    assert r.decryption == "no-key" and r.decrypted[0].status == "no-key"


def dlms_response(world, counter=1000, tamper=False):
    key = key_for(world, counter)
    part = encrypt_payload_part(key, DEVICE, DLMS_DATA)
    if tamper:
        part = part[:-1] + bytes([part[-1] ^ 1])
    item = b"\x02\x02" + protection_parameters(counter, DEVICE, SUPPLIER) + octet_string(part)
    content = (b"\xda\x20" + (counter & 0xFFFFFF).to_bytes(3, "big") + b"\x00\x00\x02"
               + item + b"\x09\x02\xab\xcd" + b"\x02\x01\x00\x01\x00")
    return response(world, content, counter=counter, code=0x0027)


def test_dlms_protected_attributes(world):
    r = check_integrity(dlms_response(world), world.keystore)
    assert (r.mac, r.decryption) == ("valid", "valid")
    (part,) = r.decrypted
    assert part.family == "dlms" and part.plaintext == DLMS_DATA and part.source_path.startswith("payload.data[0]")
    assert check_integrity(dlms_response(world, tamper=True), world.keystore).decryption == "invalid"


def test_dlms_data_notification_alert(world):
    counter = 33
    key = key_for(world, counter, ACB)
    part = encrypt_payload_part(key, DEVICE, DLMS_DATA)
    body = (b"\x02\x04\x12\x8f\x0a\x09\x01\x00" + protection_parameters(counter, DEVICE, ACB)
            + octet_string(part))
    content = b"\x0f\x00\x00\x00\x21\x00" + body
    env = builder.Envelope("alert", counter, DEVICE, ACB, 0x0061)
    apdu = builder.general_signing(env, content, signature=b"")
    msg = mac_wrap_with_keys(apdu, world.priv(DEVICE, "ka"), world.pub(ACB, "ka"))
    r = check_integrity(msg, world.keystore)
    assert (r.mac, r.decryption) == ("valid", "valid") and r.decrypted[0].plaintext == DLMS_DATA


def test_gcs53_style_alert_component(world):
    counter = 12
    key = key_for(world, counter, ACB)
    part = encrypt_payload_part(key, DEVICE, READ_ATTRIBUTES_RESPONSE)
    content = b"\x01\x09\x01\x8f\x0a\x38\x81\x88\x90" + gbz_encrypted_component(part)
    env = builder.Envelope("alert", counter, DEVICE, ACB, 0x008B)
    apdu = builder.general_signing(env, content, signature=b"")
    msg = mac_wrap_with_keys(apdu, world.priv(DEVICE, "ka"), world.pub(ACB, "ka"))
    r = check_integrity(msg, world.keystore)
    assert r.decryption == "valid" and r.decrypted[0].plaintext == READ_ATTRIBUTES_RESPONSE
    # another alert code with the same bytes holds no encrypted part
    env = builder.Envelope("alert", counter, DEVICE, ACB, 0x00F2)
    other = gbcs.decode(builder.general_signing(env, content[:9] + b"\x00\x01", signature=b""))
    assert find_encrypted(other.root, other.payload_type) == []


@pytest.mark.parametrize("content", [
    b"\x01\x09\x05\x03\x07\x05\xff\xff",            # component longer than the content
    b"\x01\x09\x01\x03\x07\x05\x00\x03\x00\x00\x08",  # encrypted component cut short
    b"\xda\x20\x00\x00\x01\x00\x00\x05\x02\x02\x01",  # data that ends early
    b"\xda",
])
def test_undecodable_payload_leaves_decryption_unchecked(world, content):
    env = builder.Envelope("response", 5, DEVICE, ACB, 0x0027)
    msg = builder.general_signing(env, content, signature=b"")
    r = check_integrity(msg, world.keystore)
    assert r.decryption == "unchecked" and r.decrypted == []
    assert find_encrypted(None, "gbz") == []


def test_decryption_findings(world):
    (f,) = check_integrity(gbz_message(world, tamper=True), world.keystore).findings()
    assert (f.rule, f.topic, f.severity) == ("GBCS-C003", "decryption", "error")
    (f,) = check_integrity(gbz_message(world), Keystore()).findings()[-1:]
    assert (f.rule, f.topic, f.severity) == ("GBCS-C006", "decryption", "warning")
    assert "the keystore lacks the KA private key for the originator" in f.message and DEVICE.hex().upper() in f.message


@pytest.mark.parametrize("problem", [
    DecodeError("bad data", 0, "data"), RecursionError(), KeyError("decoder bug")])
def test_plaintext_that_does_not_decode_keeps_its_bytes_and_the_error(world, problem):
    from unittest import mock
    from gbcs.crypto import decrypt

    def broken(w, ctx, part):
        raise problem

    with mock.patch.object(decrypt, "_decode_dlms_plaintext", broken):
        r = check_integrity(dlms_response(world), world.keystore)
    (part,) = r.decrypted
    assert r.decryption == "valid" and part.plaintext == DLMS_DATA and part.error["rule"].startswith("GBCS-D")
    assert gbcs.encode(part.tree) == DLMS_DATA
    assert [f.rule for f in r.findings()] == ["GBCS-C005"]
