"""AES-128-GCM with GBCS's short tags (envelope_size `mac`): GMAC over the MAC AAD, and payload
decryption.

`cryptography` is imported on first use (a decode without keys never needs it)."""
from __future__ import annotations

import hmac

from gbcs.crypto._facts import facts


def iv_for(originator: bytes, invocation_counter: int = 0) -> bytes:
    """IV = originator system title ‖ invocation counter (the security header after its control
    byte; zero in every known message)."""
    return originator + invocation_counter.to_bytes(facts().security_header_size - 1, "big")


def seal(key: bytes, iv: bytes, aad: bytes, plaintext: bytes = b"") -> tuple[bytes, bytes]:
    """(ciphertext, tag cut to the GBCS length). With empty plaintext the tag is the GMAC."""
    from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
    enc = Cipher(algorithms.AES(key), modes.GCM(iv)).encryptor()
    enc.authenticate_additional_data(aad)
    ciphertext = enc.update(plaintext) + enc.finalize()
    return ciphertext, enc.tag[:facts().tag_length]


def gmac(key: bytes, iv: bytes, aad: bytes) -> bytes:
    """The GMAC of `aad`: the GCM tag of an empty plaintext, cut to the GBCS length. One call
    into the library (AESGCM), not a Cipher object and its context: about 6x faster."""
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM
    return AESGCM(key).encrypt(iv, b"", aad)[:facts().tag_length]


def open_(key: bytes, iv: bytes, aad: bytes, ciphertext: bytes, tag: bytes) -> bytes | None:
    """The plaintext, or None when the tag does not match (never raises for a bad tag)."""
    from cryptography.exceptions import InvalidTag
    from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
    tag_length = facts().tag_length
    if len(tag) != tag_length:
        return None
    dec = Cipher(algorithms.AES(key), modes.GCM(iv, tag, min_tag_length=tag_length)).decryptor()
    dec.authenticate_additional_data(aad)
    plaintext = dec.update(ciphertext)
    try:
        dec.finalize()
    except InvalidTag:
        return None
    return plaintext


def gmac_matches(key: bytes, iv: bytes, aad: bytes, tag: bytes) -> bool:
    """True when `tag` is the GMAC of `aad` (compared in constant time, as the library would)."""
    if len(tag) != facts().tag_length:
        return False
    return hmac.compare_digest(gmac(key, iv, aad), tag)
