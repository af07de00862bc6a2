"""AES-128-GCM with GBCS's 12-byte tags: GMAC over the MAC AAD, and payload decryption.

`cryptography` is imported on first use (a decode without keys never needs it)."""
from __future__ import annotations


TAG_LENGTH = 12


def iv_for(originator: bytes, invocation_counter: int = 0) -> bytes:
    """IV = originator system title ‖ invocation counter (4 bytes; zero in every known message)."""
    return originator + invocation_counter.to_bytes(4, "big")


def seal(key: bytes, iv: bytes, aad: bytes, plaintext: bytes = b"") -> tuple[bytes, bytes]:
    """(ciphertext, 12-byte tag). With empty plaintext the tag is the GMAC."""
    from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
    enc = Cipher(algorithms.AES(key), modes.GCM(iv)).encryptor()
    enc.authenticate_additional_data(aad)
    ciphertext = enc.update(plaintext) + enc.finalize()
    return ciphertext, enc.tag[:TAG_LENGTH]


def gmac(key: bytes, iv: bytes, aad: bytes) -> bytes:
    return seal(key, iv, aad)[1]


def open_(key: bytes, iv: bytes, aad: bytes, ciphertext: bytes, tag: bytes) -> bytes | None:
    """The plaintext, or None when the tag does not match (never raises for a bad tag)."""
    from cryptography.exceptions import InvalidTag
    from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
    if len(tag) != TAG_LENGTH:
        return None
    dec = Cipher(algorithms.AES(key), modes.GCM(iv, tag, min_tag_length=TAG_LENGTH)).decryptor()
    dec.authenticate_additional_data(aad)
    plaintext = dec.update(ciphertext)
    try:
        dec.finalize()
    except InvalidTag:
        return None
    return plaintext


def gmac_matches(key: bytes, iv: bytes, aad: bytes, tag: bytes) -> bool:
    return open_(key, iv, aad, b"", tag) is not None
