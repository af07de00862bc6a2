"""GBCS cryptography: keystores, signature and MAC checks, decryption, signing.

    >>> from gbcs.crypto import Keystore, check_integrity, sign_precommand
    >>> ks = Keystore.load(["keystore/", "boxed-keystore.json"])
    >>> result = check_integrity(gbcs.decode(data), ks)      # or the raw bytes
    >>> result.signature, result.mac, result.decryption      # valid|invalid|absent|no-key|unchecked
    >>> [part.tree for part in result.decrypted]             # decoded plaintexts

Facts (ACB id, KDF and AAD constants, where encrypted parts sit) live in specs/crypto.gbspec.
"""
from gbcs.crypto.decrypt import DecryptedPart
from gbcs.crypto.integrity import (ABSENT, INVALID, NO_KEY, STATUSES, UNCHECKED, VALID, Integrity,
                                   certificates_in, check_integrity, harvest_certificates)
from gbcs.crypto.keystore import KeyEntry, Keystore, normalise_eui
from gbcs.crypto.signing import (encrypt_payload_part, load_private_key, mac_wrap_with_keys,
                                 mac_wrap_with_keystore, payload_encryption_key, sign_precommand)
from gbcs.crypto.testkeys import generate_keypair, make_certificate, write_keystore
from gbcs.crypto.utrn import Utrn, make_utrn, parse_utrn, verify_utrn

__all__ = ["Keystore", "KeyEntry", "normalise_eui", "check_integrity", "Integrity", "DecryptedPart",
           "STATUSES", "VALID", "INVALID", "ABSENT", "NO_KEY", "UNCHECKED", "certificates_in",
           "harvest_certificates", "sign_precommand", "mac_wrap_with_keys", "mac_wrap_with_keystore",
           "load_private_key", "payload_encryption_key", "encrypt_payload_part", "generate_keypair",
           "make_certificate", "write_keystore", "Utrn", "parse_utrn", "verify_utrn", "make_utrn"]
