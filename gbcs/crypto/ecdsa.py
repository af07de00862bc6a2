"""ECDSA P-256 / SHA-256 with GBCS's raw signature form (r ‖ s, 32 bytes each, big-endian).

`cryptography` is imported on first use (a decode without keys never needs it)."""
from __future__ import annotations

from functools import lru_cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric import ec

RAW_LENGTH = 64
_HALF = RAW_LENGTH // 2


@lru_cache(maxsize=1)
def _algorithm() -> "ec.ECDSA":
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec
    return ec.ECDSA(hashes.SHA256())


def raw_to_der(raw: bytes) -> bytes:
    """r ‖ s (64 bytes) -> DER ECDSA-Sig-Value, the form `cryptography` verifies."""
    from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature
    if len(raw) != RAW_LENGTH:
        raise ValueError(f"a GBCS signature is {RAW_LENGTH} bytes (r ‖ s), got {len(raw)}")
    return encode_dss_signature(int.from_bytes(raw[:_HALF], "big"), int.from_bytes(raw[_HALF:], "big"))


def der_to_raw(der: bytes) -> bytes:
    from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature
    r, s = decode_dss_signature(der)
    return r.to_bytes(_HALF, "big") + s.to_bytes(_HALF, "big")


def sign_raw(private_key: ec.EllipticCurvePrivateKey, data: bytes) -> bytes:
    return der_to_raw(private_key.sign(data, _algorithm()))


def verify_raw(public_key: ec.EllipticCurvePublicKey, raw: bytes, data: bytes) -> bool:
    """True when `raw` is a valid signature of `data`; never raises for a bad signature."""
    from cryptography.exceptions import InvalidSignature
    if len(raw) != RAW_LENGTH:
        return False
    try:
        public_key.verify(raw_to_der(raw), data, _algorithm())
    except (InvalidSignature, ValueError):
        return False
    return True
