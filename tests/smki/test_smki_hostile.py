"""Input that is not a certificate is reported as such (GBCS-X000): never a crash, a hang or a
huge allocation."""
from __future__ import annotations

import base64

import pytest
from cryptography.hazmat.primitives import serialization
from hypothesis import HealthCheck, given, settings, strategies as st

from gbcs.errors import CertificateError
from gbcs.payload.asn1 import der_sequence
from gbcs.smki import lint_certificate, parse_certificate
from smki_world import POOL, ROOT, SUBJECT_KEY, der, org, signer_of

GOOD = org().der(signer_of(org()))


def _nested(depth: int) -> bytes:
    inner = b""
    for _ in range(depth):
        inner = der_sequence(inner)
    return inner


def _pem(label: str, body: bytes) -> bytes:
    return (f"-----BEGIN {label}-----\n".encode() + base64.encodebytes(body) + f"-----END {label}-----\n".encode())


HOSTILE = {
    "empty": b"",
    "garbage-text": b"hello, this is not a certificate\n",
    "truncated": GOOD[:-10],
    "truncated-header": GOOD[:3],
    "oversized-length": b"\x30\x84\xff\xff\xff\xf0" + GOOD[4:],
    "too-many-length-bytes": b"\x30\x89" + b"\x01" * 9 + GOOD[4:],
    "indefinite-length": b"\x30\x80" + GOOD[4:] + b"\x00\x00",
    "deep-nesting": _nested(2000),
    "trailing-bytes": GOOD + b"\x00",
    "huge": b"\x30" + b"\x00" * (1 << 17),
    "bare-public-key-der": SUBJECT_KEY.public_key().public_bytes(serialization.Encoding.DER,
                                                                 serialization.PublicFormat.SubjectPublicKeyInfo),
    "bare-public-key-pem": SUBJECT_KEY.public_key().public_bytes(serialization.Encoding.PEM,
                                                                 serialization.PublicFormat.SubjectPublicKeyInfo),
    "private-key-pem": SUBJECT_KEY.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                                 serialization.NoEncryption()),
    "bad-base64-pem": b"-----BEGIN CERTIFICATE-----\n!!!!\n-----END CERTIFICATE-----\n",
    "pem-without-end": b"-----BEGIN CERTIFICATE-----\nMIIB\n",
    "wrong-outer-shape": der_sequence(der_sequence(), der_sequence()),
}


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_hostile_input_is_a_clear_x000_finding(name):
    result = lint_certificate(HOSTILE[name])
    assert [f.rule for f in result.findings] == ["GBCS-X000"], result.findings
    assert result.findings[0].message and result.profile is None
    with pytest.raises(CertificateError):
        parse_certificate(HOSTILE[name])


def test_the_messages_say_what_the_input_is():
    def message(name):
        return lint_certificate(HOSTILE[name]).findings[0].message
    assert "bare public key" in message("bare-public-key-der")
    assert "bare public key" in message("bare-public-key-pem")
    assert "private key" in message("private-key-pem")
    assert "nested more than" in message("deep-nesting")
    assert "not valid DER" in message("truncated")


def test_a_self_signed_root_on_an_unknown_curve_is_a_finding():
    from gbcs.payload.asn1 import der_oid
    spki = der(ROOT)
    curve = der_oid("1.2.840.10045.3.1.7")
    data = spki.replace(curve, der_oid("1.2.840.10045.3.1.88")[:len(curve)], 1)
    result = lint_certificate(data)
    messages = {f.rule: f.message for f in result.findings}
    assert "cannot be read" in messages["GBCS-X103"] and "GBCS-X006" in messages


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from([GOOD, der(ROOT)]), st.floats(0, 1, exclude_max=True), st.integers(0, 255),
       st.integers(0, 3))
def test_mutated_certificates_never_crash(base, where, value, cut):
    data = bytearray(base)
    position = int(where * len(data))
    data[position] = value
    data = bytes(data[:len(data) - cut])
    result = lint_certificate(data, issuers=POOL)
    assert all(f.rule.startswith("GBCS-X") and "failed (" not in f.message for f in result.findings)
