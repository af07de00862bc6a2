"""The ECDSA signature of a certificate: whether its signatureValue is a DER ECDSA-Sig-Value, the
(r, s) it holds (also from raw r‖s or lenient BER, so an encoding defect is reported apart from a
wrong signature), and verification with the issuing CA's key."""
from __future__ import annotations

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

from gbcs.smki.facts import fact
from gbcs.smki.parse import T_INTEGER, T_SEQUENCE, Certificate, oid_of

# asn1_oid names of the ECDSA signature algorithms -> the hash each uses
_HASHES = {"ecdsa_with_sha256": hashes.SHA256, "ecdsa_with_sha384": hashes.SHA384}


def ecdsa_algorithms() -> dict[str, type]:
    """Dotted OID -> hash class of the ECDSA signature algorithms the linter can verify."""
    return {oid_of(name): h for name, h in _HASHES.items()}


def signature_value_is_der(cert: Certificate) -> bool:
    inner = cert.signature_value.children          # the walker parsed it only if it is strict DER
    return (len(inner) == 1 and inner[0].tag == T_SEQUENCE
            and [c.tag for c in inner[0].children] == [T_INTEGER, T_INTEGER])


def signature_numbers(cert: Certificate) -> tuple[int, int] | None:
    """(r, s) from a DER or BER ECDSA-Sig-Value, or raw r‖s; None when neither."""
    if signature_value_is_der(cert):
        r, s = cert.signature_value.children[0].children
        return int.from_bytes(r.content, "big", signed=True), int.from_bytes(s.content, "big", signed=True)
    raw = cert.signature_bytes
    n = fact("ecdsa_component_length")
    if len(raw) == 2 * n and raw[:1] != bytes([T_SEQUENCE]):
        return int.from_bytes(raw[:n], "big"), int.from_bytes(raw[n:], "big")
    # lenient BER: SEQUENCE { INTEGER, INTEGER } with short-form lengths
    if len(raw) < 2 or raw[0] != T_SEQUENCE or raw[1] != len(raw) - 2:
        return None
    numbers, i = [], 2
    while i < len(raw):
        if raw[i] != T_INTEGER or i + 1 >= len(raw) or raw[i + 1] & 0x80:
            return None
        length = raw[i + 1]
        value = raw[i + 2:i + 2 + length]
        if len(value) != length or not value:
            return None
        numbers.append(int.from_bytes(value, "big", signed=True))
        i += 2 + length
    return (numbers[0], numbers[1]) if len(numbers) == 2 else None


def verify(cert: Certificate, key: ec.EllipticCurvePublicKey) -> bool | None:
    """True / False whether `key` signed the certificate; None when it cannot be said (not ECDSA,
    unreadable signature value)."""
    hash_class = ecdsa_algorithms().get(cert.signature_algorithm.children[0].oid)
    numbers = signature_numbers(cert)
    if hash_class is None or numbers is None or min(numbers) <= 0:
        return None
    try:
        key.verify(encode_dss_signature(*numbers), cert.tbs_der, ec.ECDSA(hash_class()))
    except InvalidSignature:
        return False
    return True
