"""Render decode results for people (an indented tree) and machines (JSON, JSON Lines)."""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, TextIO

from gbcs.errors import GbcsError
from gbcs.message import Message, Node

HEX_SHOWN = 16   # bytes of hex shown per line in text output before eliding


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


def error_dict(error: GbcsError | None) -> dict | None:
    if error is None:
        return None
    return {"type": type(error).__name__, "message": error.message,
            "offset": getattr(error, "offset", None), "field": getattr(error, "field", None),
            "rule": getattr(error, "rule", None)}


def result_record(result: Result, with_tree: bool = True) -> dict[str, Any]:
    m = result.message
    record: dict[str, Any] = {"source": result.source, "ok": result.ok}
    summary = m.summary() if m is not None else {}
    for key in ("kind", "message_code", "use_case", "message_name", "cra_flag", "originator",
                "recipient", "originator_counter", "date_time", "payload_type", "unparsed_bytes"):
        record[key] = summary.get(key)
    if m is not None and m.inner is not None:
        record["gbt_blocks"] = m.extras.get("gbt_blocks")
    if result.extra:
        record.update(result.extra)
    if with_tree:
        if m is None:
            record["tree"] = None
        else:
            tree = m.root.to_dict()
            if m.inner is not None:
                tree["reassembled"] = m.inner.root.to_dict()
            record["tree"] = tree
    record["error"] = error_dict(result.error)
    return record


def write_jsonl(results, out: TextIO) -> None:
    for r in results:
        out.write(json.dumps(result_record(r), separators=(",", ":")) + "\n")


def write_json(results, out: TextIO) -> None:
    out.write("[")
    for i, r in enumerate(results):
        out.write(",\n" if i else "\n")
        out.write(json.dumps(result_record(r), indent=2))
    out.write("\n]\n")


# -- text --------------------------------------------------------------------------------

def _hex(raw: bytes) -> str:
    if len(raw) <= HEX_SHOWN:
        return raw.hex(" ").upper()
    return raw[:HEX_SHOWN].hex(" ").upper() + f" … (+{len(raw) - HEX_SHOWN} bytes)"


def _leaf_text(node: Node, data: bytes) -> str:
    value = node.value
    if isinstance(value, (bytes, bytearray)):
        shown = ""
    elif isinstance(value, int):
        shown = str(value)
    else:
        shown = repr(value)
    parts = [p for p in (shown, node.meaning) if p]
    if node.codec == "unparsed":
        parts.append("(not decoded)")
    return " = ".join(parts[:1]) + (f"  ({'; '.join(parts[1:])})" if len(parts) > 1 else "")


def render_tree(root: Node, data: bytes, out: TextIO, indent: str = "  ") -> None:
    def visit(node: Node, depth: int) -> None:
        pad = indent * depth
        raw = data[node.start:node.end]
        if node.is_leaf:
            text = _leaf_text(node, data)
            out.write(f"{node.start:05X}  {pad}{node.name:<{max(1, 34 - len(pad))}} {_hex(raw):<47} {text}".rstrip() + "\n")
        else:
            label = f"  ({node.meaning})" if node.meaning else ""
            out.write(f"{node.start:05X}  {pad}{node.name}  [{node.end - node.start} bytes]{label}\n")
            for child in node.children or ():
                visit(child, depth + 1)
    visit(root, 0)


def headline(result: Result) -> str:
    m = result.message
    if m is None:
        return f"{result.source}: ERROR {result.error}" if result.error else f"{result.source}: no message"
    code = f"0x{m.message_code:04X}" if m.message_code is not None else "?"
    name = " ".join(filter(None, (m.use_case, m.message_name)))
    who = f"{m.originator.hex().upper() if m.originator else '?'} -> {m.recipient.hex().upper() if m.recipient else '?'}"
    return (f"{result.source}: {m.kind} {code} {name} | {who} | counter {m.originator_counter} | "
            f"{m.payload_type or 'no'} payload | {len(m.data)} bytes")


def write_text(results, out: TextIO, tree: bool = True) -> None:
    for r in results:
        out.write(headline(r) + "\n")
        if r.extra:
            for key, value in r.extra.items():
                if not isinstance(value, (list, dict)):
                    out.write(f"  {key}: {value}\n")
            for f in r.extra.get("findings") or ():
                where = f" at offset {f['offset']}" if f.get("offset") is not None else ""
                field_ = f" in {f['field']}" if f.get("field") else ""
                out.write(f"  {f['severity'].upper()} {f['rule']}{where}{field_}: {f['message']}\n")
        for line in r.details:
            out.write(f"  - {line}\n")
        if r.message is not None and tree:
            render_tree(r.message.root, r.message.data, out)
            if r.message.inner is not None:
                out.write("  reassembled message:\n")
                render_tree(r.message.inner.root, r.message.inner.data, out)
        for part in (r.decrypted if tree else ()):
            out.write(f"  decrypted {part.family} content of {part.source_path} (offset {part.source_offset}):"
                      f" {part.status}\n")
            if part.tree is not None:
                render_tree(part.tree, part.plaintext, out, indent="  ")
        if r.error is not None and r.message is not None:
            out.write(f"  ERROR {r.error}\n")
        out.write("\n")
