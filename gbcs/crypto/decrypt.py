"""Decrypt the encrypted parts of a message and decode each plaintext like any payload.

Each plaintext gets its own tree, walked over the plaintext bytes (offsets relative to the
plaintext), and remembers which node of the message tree held its ciphertext. A tag that does
not match is a status, never an exception.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from gbcs.crypto import scheme
from gbcs.crypto.envelope import Facts
from gbcs.crypto.locate import EncryptedPart, find_encrypted
from gbcs.errors import DecodeError, LengthError
from gbcs.message import Node
from gbcs.payload.context import PayloadContext
from gbcs.payload.dlms import decode_data
from gbcs.payload.gbz import decode_zcl_payload
from gbcs.spec import specs
from gbcs.wire.backend import Walker

if TYPE_CHECKING:        # keystores need `cryptography`; a message without keys must not import it
    from gbcs.crypto.keystore import KeyEntry, Keystore


@dataclass
class DecryptedPart:
    """One encrypted part: where its ciphertext is, and its plaintext when the key was found."""
    family: str                         # gbz | dlms
    source_path: str                    # node of the message tree holding the ciphertext
    source_offset: int                  # first byte of the part's security header
    source_length: int                  # security header + ciphertext + tag
    status: str                         # valid | invalid | no-key | unchecked
    context: dict = field(default_factory=dict)
    plaintext: bytes | None = None
    tree: Node | None = None            # plaintext tree (offsets within the plaintext)
    error: dict | None = None           # DecodeError of the plaintext, if its decoding failed
    detail: str = ""
    keys: list[str] = field(default_factory=list)     # labels of the two keys that worked

    def to_dict(self, nodes: bool = False) -> dict:
        tree = self.tree if nodes else (self.tree.to_dict() if self.tree is not None else None)
        return {
            "family": self.family,
            "source": {"path": self.source_path, "offset": self.source_offset, "length": self.source_length},
            "status": self.status,
            "context": {k: v for k, v in self.context.items()},
            "plaintext": self.plaintext.hex().upper() if self.plaintext is not None else None,
            "tree": tree,
            "error": self.error,
            "detail": self.detail,
        }


def covering_path(root: Node | None, start: int, end: int) -> str:
    """Dotted path (below the root) of the deepest node that holds data[start:end]."""
    if root is None:
        return "payload"
    parts: list[str] = []
    node = root
    while True:
        for child in node.children or ():
            if child.start <= start and end <= child.end and child.end > child.start:
                parts.append(child.name)
                node = child
                break
        else:
            return ".".join(parts) or root.name


PAIRS_KEPT = 4096          # party pairs whose key pairs a keystore remembers


def key_pairs(ks: Keystore, a: bytes, b: bytes) -> list[tuple[KeyEntry, KeyEntry]]:
    """(private entry, public entry) pairs for ECDH between a and b, either way round.

    Remembered per keystore until it gains an entry (a certificate taken from a message, say):
    every message between the same two parties asks again."""
    key = (a, b, len(ks))
    found = ks.pair_cache.get(key)
    if found is None:
        if len(ks.pair_cache) >= PAIRS_KEPT:
            ks.pair_cache.clear()
        found = ks.pair_cache[key] = _key_pairs(ks, a, b)
    return list(found)              # callers may extend their list


def _key_pairs(ks: Keystore, a: bytes, b: bytes) -> list[tuple[KeyEntry, KeyEntry]]:
    out, seen = [], set()
    for mine, theirs in ((a, b), (b, a)):
        privates = ks.private_entries(mine, "ka")
        publics = ks.public_entries(theirs, "ka") if privates else ()
        for pe in privates:
            for qe in publics:
                if qe is pe:
                    continue
                key = (pe.key_id, ks.point(qe.public_key))
                if key not in seen:
                    seen.add(key)
                    out.append((pe, qe))
    return out


def missing_keys_text(ks: Keystore, a: bytes, b: bytes) -> str:
    def have(eui: bytes) -> str:
        entries = ks.find(eui, "ka")
        if not entries:
            return f"{eui.hex().upper()}: no KA key at all"
        if any(e.has_private for e in entries):
            return f"{eui.hex().upper()}: KA private key present"
        return f"{eui.hex().upper()}: KA certificate only, no private key"
    return (f"ECDH needs one side's private KA key and the other's public KA key ({have(a)}; {have(b)})")


def missing_ka_keys(ks: Keystore, a: bytes, b: bytes) -> list[list[tuple[bytes, str]]]:
    """The ways to make ECDH between a and b work with the fewest keys added: each a list of
    (EUI, what is missing). Certificates are preferred to private keys: a user can usually get
    the other party's certificate, rarely its private key."""
    options = []
    for mine, theirs in ((a, b), (b, a)):
        need = []
        if not ks.private_entries(mine, "ka"):
            need.append((mine, "KA private key"))
        if not ks.public_entries(theirs, "ka"):
            need.append((theirs, "KA certificate"))
        options.append(need)

    def cost(need):
        return len(need), sum(what.endswith("private key") for _, what in need)
    best = min(cost(need) for need in options)
    chosen = [need for need in options if cost(need) == best]
    return chosen[:1] if len(chosen) == 2 and chosen[0] == chosen[1] else chosen


def pair_text(pe: KeyEntry, qe: KeyEntry) -> str:
    note = " (certificate taken from a message)" if qe.origin == "message" else ""
    return f"{pe.label()} private ({pe.source}) × {qe.label()} public ({qe.source}){note}"


# -- plaintext decoding --------------------------------------------------------------------

def _decode_gbz_plaintext(w: Walker, ctx: PayloadContext, part: EncryptedPart) -> None:
    c = part.context
    decode_zcl_payload(w, ctx, cluster=c["cluster"], frame_control=c["frame_control"], command_id=c["command_id"])


def _decode_dlms_plaintext(w: Walker, ctx: PayloadContext, part: EncryptedPart) -> None:
    decode_data(w, ctx, "data")


def decode_plaintext(plaintext: bytes, part: EncryptedPart, f: Facts) -> tuple[Node, dict | None]:
    """The plaintext's tree; on a DecodeError the tree is one opaque leaf and the error is kept."""
    ctx = PayloadContext(specs(), f.message_code, f.cra, f.counter, f.originator, f.recipient)
    w = Walker(plaintext, root=Node("plaintext", 0, 0, children=[]))
    try:
        if part.family == "gbz":
            _decode_gbz_plaintext(w, ctx, part)
        else:
            _decode_dlms_plaintext(w, ctx, part)
        if w.pos != len(plaintext):
            left = len(plaintext) - w.pos
            raise LengthError(f"{left} plaintext bytes left over after decoding", w.pos, "plaintext",
                              rule="GBCS-D005", actual=left)
    except DecodeError as exc:
        error = exc.to_dict()
    except RecursionError:
        error = {"type": "ConstraintError", "message": "nesting too deep to decode", "offset": 0,
                 "field": "plaintext", "rule": "GBCS-D006"}
    except Exception as exc:     # a payload decoder bug must not hide the crypto result
        error = {"type": "DecodeError", "message": f"internal decoder error {type(exc).__name__}: {exc}",
                 "offset": 0, "field": "plaintext", "rule": "GBCS-D999"}
    else:
        root = w.root
        root.end = len(plaintext)
        return root, None
    root = Node("plaintext", 0, len(plaintext), children=[Node("bytes", 0, len(plaintext), "unparsed", plaintext)])
    return root, error


# -- the parts of one message --------------------------------------------------------------

def decrypt_message(f: Facts, ks: Keystore | None, tree: Node | None,
                    family: str | None) -> tuple[str, list[DecryptedPart], list[str]]:
    """(overall status, parts, detail lines) for every encrypted part of the message."""
    if tree is None:
        return "unchecked", [], ["decryption: the payload did not decode, so its encrypted parts "
                                 "cannot be located"]
    parts = find_encrypted(tree, family)
    if not parts:
        return "absent", [], []
    results = [DecryptedPart(p.family, covering_path(tree, p.start, p.end), p.start, p.end - p.start,
                             "unchecked", dict(p.context)) for p in parts]
    if ks is None:
        return "unchecked", results, [f"decryption: {len(parts)} encrypted part(s), no keystore given"]
    sender, target = scheme.payload_parties(f)
    pairs = key_pairs(ks, sender, target)
    if not pairs:
        text = f"decryption: no key; {missing_keys_text(ks, sender, target)}"
        for r in results:
            r.status, r.detail = "no-key", text
        return "no-key", results, [text]
    keys = [(scheme.payload_key(ks.shared_secret(pe, qe.public_key), f), pe, qe) for pe, qe in pairs]
    details = []
    for p, r in zip(parts, results):
        blob = f.data[p.start:p.end]
        for key, pe, qe in keys:
            plaintext = scheme.decrypt_part(key, f.originator, blob)
            if plaintext is not None:
                r.status, r.plaintext = "valid", plaintext
                r.detail = f"decrypted with {pair_text(pe, qe)}"
                r.keys = [pe.label(), qe.label()]
                r.tree, r.error = decode_plaintext(plaintext, p, f)
                break
        else:
            r.status = "invalid"
            r.detail = (f"tag does not match with any of {len(keys)} key pair(s): "
                        + "; ".join(pair_text(pe, qe) for _, pe, qe in keys))
        details.append(f"decryption of {r.source_path} at 0x{r.source_offset:05X}: {r.status}, {r.detail}")
    status = "valid" if all(r.status == "valid" for r in results) else "invalid"
    return status, results, details
