"""ECDSA P-256 / SHA-256 with GBCS's raw signature form (r ‖ s, each half of envelope_size
`signature`, big-endian).

`cryptography` is imported on first use (a decode without keys never needs it)."""
from __future__ import annotations

from functools import lru_cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric import ec

from gbcs.crypto._facts import facts


@lru_cache(maxsize=1)
def _algorithm() -> "ec.ECDSA":
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec
    return ec.ECDSA(hashes.SHA256())


def raw_to_der(raw: bytes) -> bytes:
    """r ‖ s -> DER ECDSA-Sig-Value, the form `cryptography` verifies."""
    from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature
    size = facts().signature_size
    if len(raw) != size:
        raise ValueError(f"a GBCS signature is {size} bytes (r ‖ s), got {len(raw)}")
    half = size // 2
    return encode_dss_signature(int.from_bytes(raw[:half], "big"), int.from_bytes(raw[half:], "big"))


def der_to_raw(der: bytes) -> bytes:
    from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature
    r, s = decode_dss_signature(der)
    half = facts().signature_size // 2
    return r.to_bytes(half, "big") + s.to_bytes(half, "big")


def sign_raw(private_key: ec.EllipticCurvePrivateKey, data: bytes) -> bytes:
    return der_to_raw(private_key.sign(data, _algorithm()))


def verify_raw(public_key: ec.EllipticCurvePublicKey, raw: bytes, data: bytes) -> bool:
    """True when `raw` is a valid signature of `data`; never raises for a bad signature."""
    from cryptography.exceptions import InvalidSignature
    if len(raw) != facts().signature_size:
        return False
    try:
        public_key.verify(raw_to_der(raw), data, _algorithm())
    except (InvalidSignature, ValueError):
        return False
    return True
