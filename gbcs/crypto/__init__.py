"""GBCS cryptography: keystores, signature and MAC checks, decryption, signing.

    >>> from gbcs.crypto import Keystore, check_integrity, sign_precommand
    >>> ks = Keystore.load(["keystore/", "boxed-keystore.json"])
    >>> result = check_integrity(gbcs.decode(data), ks)      # or the raw bytes
    >>> result.signature, result.mac, result.decryption      # valid|invalid|absent|no-key|unchecked
    >>> [part.tree for part in result.decrypted]             # decoded plaintexts

Facts (ACB id, KDF and AAD constants, where encrypted parts sit) live in specs/crypto.gbspec.

The names below are loaded on first use: `cryptography` (about 80 ms to import) is imported
only when a key is loaded or a check needs it, so `gbcs decode` without --keys never pays for it.
"""
from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

# public name -> the module that defines it
_EXPORTS = {
    "DecryptedPart": "decrypt",
    **dict.fromkeys(("ABSENT", "INVALID", "NO_KEY", "STATUSES", "UNCHECKED", "VALID", "Integrity",
                     "certificates_in", "check_integrity", "harvest_certificates"), "integrity"),
    **dict.fromkeys(("KeyEntry", "Keystore"), "keystore"),
    "normalise_eui": "eui",
    **dict.fromkeys(("encrypt_payload_part", "load_private_key", "mac_wrap_with_keys", "mac_wrap_with_keystore",
                     "payload_encryption_key", "sign_precommand"), "signing"),
    **dict.fromkeys(("generate_keypair", "make_certificate", "write_keystore"), "testkeys"),
    **dict.fromkeys(("Utrn", "make_utrn", "parse_utrn", "verify_utrn"), "utrn"),
}

__all__ = ["Keystore", "KeyEntry", "normalise_eui", "check_integrity", "Integrity", "DecryptedPart",
           "STATUSES", "VALID", "INVALID", "ABSENT", "NO_KEY", "UNCHECKED", "certificates_in",
           "harvest_certificates", "sign_precommand", "mac_wrap_with_keys", "mac_wrap_with_keystore",
           "load_private_key", "payload_encryption_key", "encrypt_payload_part", "generate_keypair",
           "make_certificate", "write_keystore", "Utrn", "parse_utrn", "verify_utrn", "make_utrn"]


def __getattr__(name: str):
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'gbcs.crypto' has no attribute {name!r}")
    value = getattr(importlib.import_module(f"gbcs.crypto.{module}"), name)
    globals()[name] = value            # later look-ups are plain attribute reads
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))


if TYPE_CHECKING:      # what type checkers and readers see
    from gbcs.crypto.decrypt import DecryptedPart
    from gbcs.crypto.eui import normalise_eui
    from gbcs.crypto.integrity import (ABSENT, INVALID, NO_KEY, STATUSES, UNCHECKED, VALID, Integrity,
                                       certificates_in, check_integrity, harvest_certificates)
    from gbcs.crypto.keystore import KeyEntry, Keystore
    from gbcs.crypto.signing import (encrypt_payload_part, load_private_key, mac_wrap_with_keys,
                                     mac_wrap_with_keystore, payload_encryption_key, sign_precommand)
    from gbcs.crypto.testkeys import generate_keypair, make_certificate, write_keystore
    from gbcs.crypto.utrn import Utrn, make_utrn, parse_utrn, verify_utrn
