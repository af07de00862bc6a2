"""ECDSA P-256 / SHA-256 with GBCS's raw signature form (r ‖ s, 32 bytes each, big-endian)."""
from __future__ import annotations

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature, encode_dss_signature

RAW_LENGTH = 64
_HALF = RAW_LENGTH // 2


def raw_to_der(raw: bytes) -> bytes:
    """r ‖ s (64 bytes) -> DER ECDSA-Sig-Value, the form `cryptography` verifies."""
    if len(raw) != RAW_LENGTH:
        raise ValueError(f"a GBCS signature is {RAW_LENGTH} bytes (r ‖ s), got {len(raw)}")
    return encode_dss_signature(int.from_bytes(raw[:_HALF], "big"), int.from_bytes(raw[_HALF:], "big"))


def der_to_raw(der: bytes) -> bytes:
    r, s = decode_dss_signature(der)
    return r.to_bytes(_HALF, "big") + s.to_bytes(_HALF, "big")


def sign_raw(private_key: ec.EllipticCurvePrivateKey, data: bytes) -> bytes:
    return der_to_raw(private_key.sign(data, ec.ECDSA(hashes.SHA256())))


def verify_raw(public_key: ec.EllipticCurvePublicKey, raw: bytes, data: bytes) -> bool:
    """True when `raw` is a valid signature of `data`; never raises for a bad signature."""
    if len(raw) != RAW_LENGTH:
        return False
    try:
        public_key.verify(raw_to_der(raw), data, ec.ECDSA(hashes.SHA256()))
    except (InvalidSignature, ValueError):
        return False
    return True
