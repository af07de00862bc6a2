"""ECDH on P-256 and the GBCS single-pass concatenation KDF (one SHA-256 round).

K = first 16 bytes of SHA-256(counter 00000001 ‖ Z ‖ OtherInfo), OtherInfo =
AlgorithmID ‖ originator title ‖ 09 ‖ mode ‖ counter(8) ‖ recipient title (33 bytes).
"""
from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING

from gbcs.crypto._facts import facts

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric import ec

KEY_LENGTH = 16


def ecdh(private_key: ec.EllipticCurvePrivateKey, public_key: ec.EllipticCurvePublicKey) -> bytes:
    """The shared secret Z (x-coordinate, 32 bytes). The one place ECDH runs (tests count calls)."""
    from cryptography.hazmat.primitives.asymmetric import ec
    return private_key.exchange(ec.ECDH(), public_key)


def mode_byte(mode: int | str) -> int:
    return facts().modes[mode] if isinstance(mode, str) else mode


def other_info(originator: bytes, mode: int | str, counter: int | bytes, recipient: bytes) -> bytes:
    f = facts()
    if len(originator) != f.system_title_size or len(recipient) != f.system_title_size:
        raise ValueError(f"system titles are {f.system_title_size} bytes")
    counter_bytes = counter if isinstance(counter, bytes) else counter.to_bytes(f.counter_size, "big")
    if len(counter_bytes) != f.counter_size:
        raise ValueError(f"the counter is {f.counter_size} bytes")
    return (f.kdf_algorithm_id + originator + f.transaction_id_tag + bytes([mode_byte(mode)])
            + counter_bytes + recipient)


def derive_key(shared_secret: bytes, info: bytes) -> bytes:
    # hashlib's SHA-256 (OpenSSL underneath, as in cryptography) without a Hash object per key
    return hashlib.sha256(facts().kdf_counter + shared_secret + info).digest()[:KEY_LENGTH]
