"""ECDSA encoding, the KDF, and 12-byte GCM tags."""
from __future__ import annotations

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.concatkdf import ConcatKDFHash
from hypothesis import given, settings, strategies as st

from gbcs.crypto import ecdsa, gcm, kdf, generate_keypair


def test_raw_signature_round_trips_through_der():
    key = generate_keypair()
    raw = ecdsa.sign_raw(key, b"data")
    assert len(raw) == 64
    assert ecdsa.der_to_raw(ecdsa.raw_to_der(raw)) == raw
    assert ecdsa.verify_raw(key.public_key(), raw, b"data")
    assert not ecdsa.verify_raw(key.public_key(), raw, b"other")
    assert not ecdsa.verify_raw(key.public_key(), raw[:63], b"data")
    assert not ecdsa.verify_raw(key.public_key(), bytes(64), b"data")       # r = s = 0
    assert not ecdsa.verify_raw(key.public_key(), b"\xff" * 64, b"data")    # r, s >= n


def test_raw_to_der_rejects_wrong_length():
    with pytest.raises(ValueError):
        ecdsa.raw_to_der(bytes(63))


def test_other_info_layout():
    oi = kdf.other_info(bytes.fromhex("90B3D51F30010000"), "command", 1000, bytes.fromhex("00DB1234567890A0"))
    assert len(oi) == 33
    assert oi[7:15] == bytes.fromhex("90B3D51F30010000")
    assert oi[15:17] == b"\x09\x01"
    assert oi[17:25] == (1000).to_bytes(8, "big")
    assert oi[25:] == bytes.fromhex("00DB1234567890A0")
    assert kdf.other_info(bytes(8), "payload_encryption", 0, bytes(8))[16] == 4
    with pytest.raises(ValueError):
        kdf.other_info(bytes(7), 1, 0, bytes(8))


@given(st.binary(min_size=32, max_size=32), st.binary(min_size=33, max_size=33))
@settings(max_examples=50)
def test_kdf_is_the_nist_single_step_kdf(z, info):
    # cryptography's own one-step KDF (SP 800-56A) must give the same 16 bytes
    expected = ConcatKDFHash(hashes.SHA256(), 16, info).derive(z)
    assert kdf.derive_key(z, info) == expected


def test_ecdh_is_symmetric():
    a, b = generate_keypair(), generate_keypair()
    assert kdf.ecdh(a, b.public_key()) == kdf.ecdh(b, a.public_key())


@given(st.binary(min_size=16, max_size=16), st.binary(max_size=64), st.binary(max_size=64))
@settings(max_examples=50)
def test_gcm_12_byte_tags(key, aad, plaintext):
    iv = bytes(range(12))
    ct, tag = gcm.seal(key, iv, aad, plaintext)
    assert len(tag) == 12
    assert gcm.open_(key, iv, aad, ct, tag) == plaintext
    bad = bytes([tag[0] ^ 1]) + tag[1:]
    assert gcm.open_(key, iv, aad, ct, bad) is None
    assert gcm.open_(key, iv, aad + b"x", ct, tag) is None
    assert gcm.open_(key, iv, aad, ct, tag[:11]) is None
    assert gcm.gmac_matches(key, iv, aad, gcm.gmac(key, iv, aad))


@given(st.binary(min_size=16, max_size=16), st.binary(min_size=12, max_size=12), st.binary(max_size=300))
@settings(max_examples=50)
def test_gmac_is_the_gcm_tag_of_an_empty_plaintext(key, iv, aad):
    # gmac (one AESGCM call) equals the tag seal() makes through a Cipher object
    tag = gcm.seal(key, iv, aad)[1]
    assert gcm.gmac(key, iv, aad) == tag and len(tag) == 12
    assert gcm.gmac_matches(key, iv, aad, tag)
    assert not gcm.gmac_matches(key, iv, aad, bytes([tag[0] ^ 0x80]) + tag[1:])
    assert not gcm.gmac_matches(key, iv, aad + b"\x00", tag)
    assert not gcm.gmac_matches(key, iv, aad, tag[:11]) and not gcm.gmac_matches(key, iv, aad, tag + b"\x00")


def test_iv_carries_the_invocation_counter():
    assert gcm.iv_for(bytes(range(8))) == bytes(range(8)) + bytes(4)
    assert gcm.iv_for(bytes(8), 5)[-4:] == b"\x00\x00\x00\x05"
