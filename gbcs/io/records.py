"""What every output format writes: one record per input message.

A decode or validate run yields `Result`s; other commands (certificate lint, DUIS validation,
conformance runs) may hand the writers plain dicts with at least `source` and `findings`
(each a `Finding.to_dict()`). Trees stay Node objects inside records so that the JSON writers
stream them instead of building one huge string.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Iterable, Iterator

from gbcs.errors import GbcsError, InputError
from gbcs.message import Message, Node


_NEW_LIST: list = []          # a default that stands for "a new empty list" (field(default_factory=list))


@dataclass(init=False)
class Result:
    """One input message and what became of it."""
    source: str
    message: Message | None = None
    data: bytes | None = None
    error: GbcsError | None = None
    extra: dict | None = None       # later layers (crypto status, findings) add keys here
    decrypted: list = field(default_factory=list)   # gbcs.crypto.DecryptedPart, for text output
    details: list = field(default_factory=list)     # human lines about the checks made

    # written out (init=False): the generated one is interpreted even in the compiled twin
    def __init__(self, source: str, message: Message | None = None, data: bytes | None = None,
                 error: GbcsError | None = None, extra: dict | None = None, decrypted: list = _NEW_LIST,
                 details: list = _NEW_LIST):
        self.source = source
        self.message = message
        self.data = data
        self.error = error
        self.extra = extra
        self.decrypted = [] if decrypted is _NEW_LIST else decrypted
        self.details = [] if details is _NEW_LIST else details

    @property
    def ok(self) -> bool:
        return self.error is None and self.message is not None


@dataclass
class Tree:
    """A message tree in a record: written as Node.to_dict() would, plus extra keys on the root."""
    root: Node
    extra: dict[str, Node] = field(default_factory=dict)

    def to_dict(self) -> dict:
        out = self.root.to_dict()
        out.update((k, v.to_dict()) for k, v in self.extra.items())
        return out


def error_dict(error: GbcsError | None) -> dict | None:
    if error is None:
        return None
    return {"type": type(error).__name__, "message": error.message,
            "offset": getattr(error, "offset", None), "field": getattr(error, "field", None),
            "rule": getattr(error, "rule", None)}


SUMMARY_KEYS = ("kind", "message_code", "use_case", "message_name", "cra_flag", "originator", "recipient",
                "originator_counter", "date_time", "payload_type", "unparsed_bytes")


def record_of(item: Result | dict, with_tree: bool = True) -> dict[str, Any]:
    """The record of a Result (its tree as a lazily written Tree), or a record dict as it is."""
    if isinstance(item, dict):
        return item
    m = item.message
    record: dict[str, Any] = {"source": item.source, "ok": item.ok}
    summary = m.summary() if m is not None else {}
    for key in SUMMARY_KEYS:
        record[key] = summary.get(key)
    if m is not None and m.inner is not None:
        record["gbt_blocks"] = m.extras.get("gbt_blocks")
    if item.extra:
        record.update(item.extra)
    if with_tree:
        if m is None:
            record["tree"] = None
        else:
            record["tree"] = Tree(m.root, {"reassembled": m.inner.root} if m.inner is not None else {})
    record["error"] = error_dict(item.error)
    return record


def result_record(result: Result, with_tree: bool = True) -> dict[str, Any]:
    """The record as plain JSON-ready data (the whole tree in memory: for small messages and tests)."""
    record = record_of(result, with_tree)
    if isinstance(record.get("tree"), Tree):
        record["tree"] = record["tree"].to_dict()
    return record


def validated(results: Iterable[Result], keystore=None, acb=None, chosen=None, strict: bool = False) -> Iterator[Result]:
    """Each result with its statuses, its outcome (verified / unverified / failed) and findings:
    what `gbcs validate` writes. `chosen` is a gbcs.validate.RuleSelector (or None for all rules)."""
    from gbcs.findings import from_error
    from gbcs.validate import Validation, check
    for r in results:
        if r.data is None:                           # nothing was read: an input error
            error = r.error or InputError("unreadable input", r.source)
            v = Validation(b"", None, error, source=r.source, findings=[from_error(error)])
            if chosen is not None:
                v.findings = [f for f in v.findings if chosen.wanted(f.rule)]
        else:
            v = check(r.data, r.message, r.error, keystore, acb=acb, selector=chosen, source=r.source)
        r.extra = {"status": v.outcome(strict), "signature": v.signature, "mac": v.mac,
                   "decryption": v.decryption, "valid": v.ok}
        unknown = v.unknown_parties
        if unknown:
            r.extra["unknown_parties"] = unknown
        r.extra["findings"] = [f.to_dict() for f in v.findings]
        yield r


def validation_records(items, keystore=None, *, acb=None, select=(), ignore=(), strict: bool = False,
                       with_tree: bool = True) -> Iterator[dict]:
    """The JSON-ready validate records of a stream of input messages (gbcs.io.inputs.InputMessage)."""
    from gbcs.io.stream import decode_items
    from gbcs.validate import selector
    chosen = selector(select, ignore)
    for r in validated(decode_items(items), keystore, acb, chosen, strict):
        yield result_record(r, with_tree)
