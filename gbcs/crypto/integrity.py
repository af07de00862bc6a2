"""check_integrity: is the signature right, is the MAC right, what does the encrypted content say.

Every outcome is a status, never an exception: `valid`, `invalid` (computed and wrong),
`absent` (the message carries none), `no-key` (the keystore lacks what the check needs) and
`unchecked` (no keystore given). `details` says in words which keys were used.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from gbcs.crypto import ecdsa, envelope, scheme
from gbcs.crypto._facts import facts
from gbcs.crypto.decrypt import (DecryptedPart, decrypt_message, key_pairs, missing_ka_keys, missing_keys_text,
                                 pair_text)
from gbcs.crypto.eui import normalise_eui
from gbcs.errors import DecodeError, KeystoreError
from gbcs.findings import Finding, finding as _finding
from gbcs.message import Message

if TYPE_CHECKING:        # keystores need `cryptography`; a check without one must not import it
    from gbcs.crypto.keystore import KeyEntry, Keystore

VALID, INVALID, ABSENT, NO_KEY, UNCHECKED = "valid", "invalid", "absent", "no-key", "unchecked"
STATUSES = (VALID, INVALID, ABSENT, NO_KEY, UNCHECKED)


_NO_KEY_HINT = (" — to check it, add the missing key with --keys (for commands, --acb names the "
                "Access Control Broker whose KA key MACs them)")


_NEW: list = []         # a default that stands for "a new empty list / dict" (field(default_factory=...))


@dataclass(init=False)
class Integrity:
    signature: str
    mac: str
    decryption: str = ABSENT            # all encrypted parts: valid | invalid | no-key | absent | unchecked
    details: list[str] = field(default_factory=list)
    decrypted: list[DecryptedPart] = field(default_factory=list)
    keys: dict[str, list[str]] = field(default_factory=dict)   # check -> key labels used
    signature_offset: int | None = None        # where the 64-byte signature / 12-byte MAC start
    mac_offset: int | None = None
    # check -> the ways to complete the keystore, each a list of (EUI, its role, the key it lacks)
    missing: dict[str, list[list[tuple[str, str, str]]]] = field(default_factory=dict)

    # written out (init=False): the generated one is interpreted even in the compiled twin
    def __init__(self, signature: str, mac: str, decryption: str = ABSENT, details: list[str] = _NEW,
                 decrypted: list[DecryptedPart] = _NEW, keys: dict[str, list[str]] = _NEW,
                 signature_offset: int | None = None, mac_offset: int | None = None,
                 missing: dict[str, list[list[tuple[str, str, str]]]] = _NEW):
        self.signature = signature
        self.mac = mac
        self.decryption = decryption
        self.details = [] if details is _NEW else details
        self.decrypted = [] if decrypted is _NEW else decrypted
        self.keys = {} if keys is _NEW else keys
        self.signature_offset = signature_offset
        self.mac_offset = mac_offset
        self.missing = {} if missing is _NEW else missing

    @property
    def ok(self) -> bool:
        """No check failed (a missing key or an unchecked message is not a failure)."""
        return INVALID not in (self.signature, self.mac, self.decryption)

    def findings(self) -> list[Finding]:
        """The failed and impossible checks as findings (signature S, mac M, decryption C rules).

        A check that could not be made names the party whose key is missing, so a message whose
        originator or recipient was tampered with is never silently taken as checked."""
        out = []

        def text(prefix: str) -> str:
            return next((d for d in self.details if d.startswith(prefix)), prefix)
        if self.signature == INVALID:
            out.append(_finding("GBCS-S001", text("signature: invalid"), self.signature_offset, "signature.value"))
        elif self.signature == NO_KEY:
            out.append(_finding("GBCS-S002", "signature not verified: " + self._missing_text("signature"),
                                self.signature_offset, "signature.value"))
        if self.mac == INVALID:
            out.append(_finding("GBCS-M001", text("mac: invalid"), self.mac_offset, "mac"))
        elif self.mac == NO_KEY:
            out.append(_finding("GBCS-M002", "MAC not verified: " + self._missing_text("mac"), self.mac_offset, "mac"))
        for d in self.decrypted:
            if d.status == INVALID:
                out.append(_finding("GBCS-C003", d.detail, d.source_offset, d.source_path))
            elif d.status == NO_KEY:
                out.append(_finding("GBCS-C006", f"{d.source_path} not decrypted: " + self._missing_text("decryption"),
                                    d.source_offset, d.source_path))
            elif d.error is not None:
                out.append(_finding("GBCS-C005", f"plaintext of {d.source_path}: {d.error['message']}",
                                    d.source_offset, d.source_path))
        return out

    def _missing_text(self, check: str) -> str:
        options = self.missing.get(check) or []
        what = " or the ".join(" and the ".join(f"{kind} for the {role} {eui}" for eui, role, kind in option)
                           for option in options) or "a key the check needs"
        return f"the keystore lacks the {what}" + _NO_KEY_HINT

    @property
    def unknown_parties(self) -> list[str]:
        """EUIs whose keys the checks needed and the keystore lacked, each once."""
        if not self.missing:
            return []
        return list(dict.fromkeys(eui for options in self.missing.values() for option in options
                                  for eui, _, _ in option))

    def to_dict(self, nodes: bool = False) -> dict:
        """JSON-ready data; with `nodes`, plaintext trees stay Node objects (for streaming writers)."""
        return {"signature": self.signature, "mac": self.mac, "decryption": self.decryption,
                "details": list(self.details), "keys": {k: list(v) for k, v in self.keys.items()},
                "unknown_parties": self.unknown_parties,
                "decrypted": [d.to_dict(nodes) for d in self.decrypted]}


def _named(options: list[list[tuple[bytes, str]]], f: envelope.Facts,
           acb: bytes) -> list[list[tuple[str, str, str]]]:
    """(EUI, its role in this message, the missing key) for each missing key of each option."""
    roles = {f.originator: "originator", f.recipient: "recipient", acb: "Access Control Broker"}
    if f.srp_id is not None:
        roles.setdefault(f.srp_id, "supplementary remote party")
    return [[(eui.hex().upper(), roles.get(eui, "party"), what) for eui, what in option] for option in options]


def _acb(acb: bytes | str | None) -> bytes:
    return facts().acb_default if acb is None else normalise_eui(acb)


def _signature(f: envelope.Facts, ks: Keystore | None, out: Integrity) -> None:
    if not f.signature:
        out.signature = ABSENT
        return
    if ks is None:
        out.signature = UNCHECKED
        return
    who = f.originator.hex().upper()
    entries = ks.public_entries(f.originator, "ds")
    if not entries:
        out.signature = NO_KEY
        out.missing["signature"] = [[(who, "originator", "DS certificate")]]
        out.details.append(f"signature: no key; the keystore has no DS certificate for the originator {who}")
        return
    data = f.signed_bytes
    for e in entries:
        if ecdsa.verify_raw(e.public_key, f.signature, data):
            out.signature = VALID
            out.keys["signature"] = [e.label()]
            note = " (certificate taken from a message)" if e.origin == "message" else ""
            out.details.append(f"signature: valid with {e.describe()}{note}")
            return
    out.signature = INVALID
    out.keys["signature"] = [e.label() for e in entries]
    out.details.append(f"signature: invalid; does not verify with {len(entries)} DS key(s) of {who}: "
                       + "; ".join(e.describe() for e in entries))


def _mac(f: envelope.Facts, ks: Keystore | None, acb: bytes, out: Integrity) -> None:
    if f.mac is None:
        out.mac = ABSENT
        return
    if ks is None:
        out.mac = UNCHECKED
        return
    if f.security_header != facts().mac_security_header:
        out.details.append(f"mac: security header {f.security_header.hex().upper()} is not the "
                           f"{facts().mac_security_header.hex().upper()} every GBCS message carries; "
                           "its control byte and counter were used as DLMS prescribes")
    kind = ks.kind_of(f.originator)
    a, b, why = scheme.mac_parties(f, acb, kind == "device")
    pairs = key_pairs(ks, a, b)
    if f.cra == scheme.COMMAND and kind is None and f.originator != acb:
        # the keystore does not say whether the originator is a device: try its keys too
        pairs += [p for p in key_pairs(ks, f.originator, f.recipient) if p not in pairs]
        why += " (or originator × recipient, were the originator a device)"
    if not pairs:
        out.mac = NO_KEY
        out.missing["mac"] = _named(missing_ka_keys(ks, a, b), f, acb)
        out.details.append(f"mac: no key ({why}); {missing_keys_text(ks, a, b)}")
        return
    for pe, qe in pairs:
        key = scheme.mac_key(ks.shared_secret(pe, qe.public_key), f)
        if scheme.mac_matches(key, f):
            out.mac = VALID
            out.keys["mac"] = [pe.label(), qe.label()]
            out.details.append(f"mac: valid ({why}); {pair_text(pe, qe)}")
            return
    out.mac = INVALID
    out.keys["mac"] = sorted({x.label() for pq in pairs for x in pq})
    out.details.append(f"mac: invalid ({why}); tried " + "; ".join(pair_text(pe, qe) for pe, qe in pairs))


def facts_of(message: Message | bytes, *, undecodable: bool = False) -> tuple[envelope.Facts, Message | None]:
    """Envelope facts and the decoded message; raw bytes whose payload will not decode are
    still checked from their envelope (`undecodable`: the caller's full decode of these bytes
    already failed, so only the envelope is read). Raises DecodeError when the envelope itself is bad."""
    if isinstance(message, Message):
        return envelope.from_message(message), message
    data = bytes(message)
    if undecodable:
        return envelope.from_bytes(data), None
    from gbcs.decoding import decode
    try:
        decoded = decode(data)
    except DecodeError:
        return envelope.from_bytes(data), None
    return envelope.from_message(decoded), decoded


def check_integrity(message: Message | bytes, keystore: Keystore | None, *, acb: bytes | str | None = None,
                    decrypt: bool = True, use_message_certificates: bool = False,
                    undecodable: bool = False) -> Integrity:
    """Signature, MAC and encrypted content of one message, checked with `keystore`.

    `acb` is the Access Control Broker whose KA key MACs commands (default from
    specs/crypto.gbspec: 90B3D51F30000002). With `use_message_certificates`, certificates the
    message carries are added to the keystore first (and named as such when used).
    Raises only DecodeError (the envelope cannot be read) and KeystoreError (a key file
    that cannot be parsed). `undecodable`: raw bytes the caller already failed to decode
    (they are not decoded again; their envelope is checked).
    """
    f, decoded = facts_of(message, undecodable=undecodable and not isinstance(message, Message))
    out = Integrity(signature=ABSENT, mac=ABSENT)
    if f.signature:
        out.signature_offset = f.content_end + 1
    if f.mac is not None:
        out.mac_offset = len(f.data) - len(f.mac)
    if keystore is not None and use_message_certificates:
        harvest_certificates(f, keystore)
    _signature(f, keystore, out)
    _mac(f, keystore, _acb(acb), out)
    if decrypt:
        carried = (decoded.inner or decoded) if decoded is not None else None
        tree = carried.root if carried is not None else None
        family = carried.payload_type if carried is not None else None
        out.decryption, out.decrypted, lines = decrypt_message(f, keystore, tree, family)
        if keystore is not None and any(d.status == NO_KEY for d in out.decrypted):
            out.missing["decryption"] = _named(missing_ka_keys(keystore, *scheme.payload_parties(f)), f, _acb(acb))
        out.details.extend(lines)
        used = sorted({label for d in out.decrypted for label in d.keys})
        if used:
            out.keys["decryption"] = used
    return out


# -- certificates carried in messages ------------------------------------------------------

def certificates_in(message: Message | bytes | envelope.Facts) -> list[tuple[int, bytes]]:
    """(offset, DER) of every X.509 certificate in the grouping header and the content."""
    from cryptography import x509
    f = message if isinstance(message, envelope.Facts) else facts_of(message)[0]
    data, found = f.data, []
    pos, end = f.apdu_start, f.content_end
    while True:
        pos = data.find(b"\x30\x82", pos, end)
        if pos < 0 or pos + 4 > end:
            return found
        length = int.from_bytes(data[pos + 2:pos + 4], "big")
        stop = pos + 4 + length
        if stop <= end:
            der = data[pos:stop]
            try:
                x509.load_der_x509_certificate(der)
            except ValueError:
                pass
            else:
                found.append((pos, der))
                pos = stop
                continue
        pos += 1


def harvest_certificates(message: Message | bytes | envelope.Facts, keystore: Keystore) -> list[KeyEntry]:
    """Add the certificates a message carries to the keystore (those naming an EUI and usage)."""
    added = []
    for offset, der in certificates_in(message):
        try:
            added.append(keystore.add_certificate(der, source=f"message certificate at 0x{offset:05X}"))
        except KeystoreError:
            continue
    return added
