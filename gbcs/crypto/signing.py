"""Make protected messages: sign pre-commands, MAC-wrap APDUs, encrypt payload parts.

`sign_precommand` is what a DCC user does with a pre-command (GBCS 4.3.2): ECDSA over the
bytes after DF up to the end of the content, appended as 40 ‖ r‖s. `mac_wrap_with_keys`
is the MAC the Access Control Broker (commands) or a device (responses, alerts) adds.
"""
from __future__ import annotations

import os
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from gbcs import builder
from gbcs.crypto import ecdsa, envelope, kdf, scheme
from gbcs.crypto._facts import facts
from gbcs.crypto.keystore import KeyEntry, Keystore, normalise_eui, parse_private_key
from gbcs.crypto.decrypt import key_pairs
from gbcs.errors import DecodeError, EncodeError, KeystoreError, TruncatedError

PrivateKeyLike = ec.EllipticCurvePrivateKey | KeyEntry


def load_private_key(path: str | os.PathLike) -> ec.EllipticCurvePrivateKey:
    """A PEM (PKCS#8 or SEC1) P-256 private key from a file. KeystoreError names the file."""
    p = Path(path)
    try:
        data = p.read_bytes()
    except OSError as exc:
        raise KeystoreError(f"{p}: cannot read the key file ({exc.strerror})") from None
    return parse_private_key(data, str(p))


def _private(key: PrivateKeyLike) -> ec.EllipticCurvePrivateKey:
    if isinstance(key, KeyEntry):
        return key.private_key()
    if isinstance(key, ec.EllipticCurvePrivateKey):
        return key
    raise TypeError(f"expected an EC private key or KeyEntry, not {type(key).__name__}")


def _apdu_facts(apdu: bytes, what: str) -> envelope.Facts:
    tag = facts().general_signing_tag
    if apdu[:1] != tag:
        raise EncodeError(f"{what} must be a General-Signing APDU (starting {tag.hex().upper()}), got "
                          f"{apdu[:1].hex().upper() or 'nothing'}")
    try:
        return envelope.from_bytes(apdu)
    except TruncatedError as exc:
        # A response or alert being signed has no signature-length byte yet: read it as unsigned.
        if exc.field == "signature.length" and exc.offset == len(apdu):
            return envelope.from_bytes(apdu + b"\x00")
        raise EncodeError(f"{what} is not a readable General-Signing APDU: {exc}") from None
    except DecodeError as exc:
        raise EncodeError(f"{what} is not a readable General-Signing APDU: {exc}") from None


def sign_precommand(precommand: bytes, private_key: PrivateKeyLike) -> bytes:
    """The signed General-Signing APDU: the pre-command with 40 ‖ r‖s appended.

    A pre-command ending in a 00 signature-length byte (as some tools hand them out) is accepted
    and the 00 replaced. An already signed APDU is an EncodeError.
    """
    f = _apdu_facts(bytes(precommand), "a pre-command")
    if f.signature:
        raise EncodeError("this APDU is already signed (it ends in 40 and a 64-byte signature)")
    body = f.data[:f.content_end]
    signature = ecdsa.sign_raw(_private(private_key), body[1:])
    return body + bytes([facts().signature_size]) + signature


def mac_wrap_with_keys(apdu: bytes, private_key: PrivateKeyLike, public_key: ec.EllipticCurvePublicKey,
                       *, invocation_counter: int = 0) -> bytes:
    """MAC header ‖ APDU ‖ MAC, the MAC keyed by ECDH(private_key, public_key).

    For a command the two keys are the ACB's and the recipient device's KA keys (either way
    round); for a response or alert, the originator's and the recipient's.
    """
    f = _apdu_facts(bytes(apdu), "the APDU to MAC")
    if f.signature is None:
        raise EncodeError("the APDU has no signature field; add 00 (unsigned) or sign it first")
    z = kdf.ecdh(_private(private_key), public_key)
    header = builder.mac_header(len(f.data), facts().mac_security_header[0], invocation_counter)
    security_header = header[-5:]
    mac = scheme.compute_mac(scheme.mac_key(z, f), f.originator, security_header, f.data)
    return header + f.data + mac


def mac_wrap_with_keystore(apdu: bytes, keystore: Keystore, *, acb: bytes | str | None = None) -> bytes:
    """MAC-wrap with the first usable key pair the keystore holds for the message's parties."""
    f = _apdu_facts(bytes(apdu), "the APDU to MAC")
    acb_id = facts().acb_default if acb is None else normalise_eui(acb)
    a, b, why = scheme.mac_parties(f, acb_id, keystore.kind_of(f.originator) == "device")
    pairs = key_pairs(keystore, a, b)
    if not pairs:
        raise KeystoreError(f"cannot MAC ({why}): the keystore has no private KA key of "
                            f"{a.hex().upper()} or {b.hex().upper()} with the other's public key")
    pe, qe = pairs[0]
    return mac_wrap_with_keys(apdu, pe, qe.public_key)


def payload_encryption_key(private_key: PrivateKeyLike, public_key: ec.EllipticCurvePublicKey, *,
                           originator: bytes | str, counter: int, recipient: bytes | str) -> bytes:
    """The AES key for a message's encrypted parts (KDF mode 04).

    Pass the supplementary remote party as `recipient` and the supplementary originator
    counter as `counter` when the message's other-information carries them.
    """
    z = kdf.ecdh(_private(private_key), public_key)
    return kdf.derive_key(z, kdf.other_info(normalise_eui(originator), "payload_encryption", counter,
                                            normalise_eui(recipient)))


def encrypt_payload_part(key: bytes, originator: bytes | str, plaintext: bytes) -> bytes:
    """Security header 31 00000000 ‖ ciphertext ‖ 12-byte tag, for a GBZ component or DLMS octet-string."""
    return scheme.encrypt_part(key, normalise_eui(originator), plaintext)


def private_key_pem(key: ec.EllipticCurvePrivateKey) -> bytes:
    """PKCS#8 PEM of a key, for writing test keystores (never for output)."""
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption())
