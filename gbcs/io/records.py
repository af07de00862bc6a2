"""What every output format writes: one record per input message.

A decode or validate run yields `Result`s; other commands (certificate lint, DUIS validation,
conformance runs) may hand the writers plain dicts with at least `source` and `findings`
(each a `Finding.to_dict()`). Trees stay Node objects inside records so that the JSON writers
stream them instead of building one huge string.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from gbcs.errors import GbcsError
from gbcs.message import Message, Node


@dataclass
class Result:
    """One input message and what became of it."""
    source: str
    message: Message | None = None
    data: bytes | None = None
    error: GbcsError | None = None
    extra: dict | None = None       # later layers (crypto status, findings) add keys here
    decrypted: list = field(default_factory=list)   # gbcs.crypto.DecryptedPart, for text output
    details: list = field(default_factory=list)     # human lines about the checks made

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
