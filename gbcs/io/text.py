"""Text output for people: an indented tree with hex offsets, findings, and a run summary.

Every line passes through escape_text on its way out, so nothing a message or file carries
(values, meanings, file names, error and finding messages) can move the cursor or print a
line of its own. Offsets are hex everywhere in text output, as in the tree.
"""
from __future__ import annotations

from collections import Counter
from itertools import repeat
from typing import Iterable, TextIO

from gbcs.io.escape import escape_text
from gbcs.io.records import Result
from gbcs.message import Node

HEX_SHOWN = 16   # bytes of hex shown per line before eliding


def hex_offset(offset: int) -> str:
    return f"0x{offset:05X}"


class Lines:
    """Writes whole lines, escaped; with `hold`, kept until flush() (one write for a message's
    lines: a write to a text stream costs more than the line it writes)."""

    def __init__(self, out: TextIO, hold: bool = False):
        self.out = out
        self.held: list[str] | None = [] if hold else None

    def __call__(self, line: str = "") -> None:
        # printable ASCII without a backslash has nothing to escape (the common line)
        if type(line) is not str or not (line.isascii() and line.isprintable() and "\\" not in line):
            line = escape_text(line)
        if self.held is None:
            self.out.write(line + "\n")
        else:
            self.held.append(line)

    def flush(self) -> None:
        """Write the lines held."""
        if self.held:
            self.held.append("")
            self.out.write("\n".join(self.held))
            self.held = []


def _hex(raw: bytes) -> str:
    if len(raw) <= HEX_SHOWN:
        return raw.hex(" ").upper()
    return raw[:HEX_SHOWN].hex(" ").upper() + f" … (+{len(raw) - HEX_SHOWN} bytes)"


def _leaf_text(node: Node) -> str:
    return _value_text(node.value, node.meaning, node.codec)


def _value_text(value, meaning, codec) -> str:
    if isinstance(value, (bytes, bytearray)):
        shown = ""
    elif isinstance(value, int):
        try:
            shown = str(value)
        except ValueError:                   # beyond Python's int-to-str limit
            shown = f"0x{value:X}"
    else:
        shown = repr(value)
    parts = [p for p in (shown, meaning) if p]
    if codec == "unparsed":
        parts.append("(not decoded)")
    return " = ".join(parts[:1]) + (f"  ({'; '.join(parts[1:])})" if len(parts) > 1 else "")


def _render_tape(tape, top: int, data: bytes, line: Lines, indent: str) -> None:
    """render_tree for a decoded tree, read from its tape row by row (no Node per field)."""
    names, codecs, meanings = tape.names, tape.codecs, tape.meanings
    a_name, a_index, a_start, a_end = tape.a_name, tape.a_index, tape.a_start, tape.a_end
    a_codec, a_meaning, after = tape.a_codec, tape.a_meaning, tape.after
    ends: list[int] = []
    for j in range(top, after(top)):
        while ends and j >= ends[-1]:
            ends.pop()
        pad = indent * len(ends)
        index = a_index[j]
        name = names[a_name[j]] if index < 0 else f"{names[a_name[j]]}[{index}]"
        start, end, meaning = a_start[j], a_end[j], meanings[a_meaning[j]]
        cid = a_codec[j]
        if cid:
            line(f"{start:05X}  {pad}{name:<{max(1, 34 - len(pad))}} {_hex(data[start:end]):<47} "
                 f"{_value_text(tape.value(j), meaning, codecs[cid])}".rstrip())
        else:
            label = f"  ({meaning})" if meaning else ""
            line(f"{start:05X}  {pad}{name}  [{end - start} bytes]{label}")
            if after(j) > j + 1:
                ends.append(after(j))


def render_tree(root: Node, data: bytes, out: TextIO | Lines, indent: str = "  ") -> None:
    """The tree, one node a line (iteratively: deep trees need no recursion)."""
    line = out if isinstance(out, Lines) else Lines(out)
    if root.tape is not None:
        _render_tape(root.tape, root.row, data, line, indent)
        return
    stack: list = [iter(((root, 0),))]
    while stack:
        item = next(stack[-1], None)
        if item is None:
            stack.pop()
            continue
        node, depth = item
        pad = indent * depth
        if node.is_leaf:
            raw = data[node.start:node.end]
            line(f"{node.start:05X}  {pad}{node.name:<{max(1, 34 - len(pad))}} {_hex(raw):<47} "
                 f"{_leaf_text(node)}".rstrip())
        else:
            label = f"  ({node.meaning})" if node.meaning else ""
            line(f"{node.start:05X}  {pad}{node.name}  [{node.end - node.start} bytes]{label}")
            if node.children:
                stack.append(zip(node.children, repeat(depth + 1)))


def headline(result: Result) -> str:
    m = result.message
    if m is None:
        return f"{result.source}: ERROR {error_text(result.error)}" if result.error else f"{result.source}: no message"
    code = f"0x{m.message_code:04X}" if m.message_code is not None else "?"
    name = " ".join(filter(None, (m.use_case, m.message_name)))
    who = f"{m.originator.hex().upper() if m.originator else '?'} -> {m.recipient.hex().upper() if m.recipient else '?'}"
    return (f"{result.source}: {m.kind} {code} {name} | {who} | counter {m.originator_counter} | "
            f"{m.payload_type or 'no'} payload | {len(m.data)} bytes")


def error_text(error) -> str:
    """An error for text output, its offset in hex."""
    offset = getattr(error, "offset", None)
    if offset is None:
        return str(error)
    return (f"{getattr(error, 'rule', '')} at {hex_offset(offset)} in {getattr(error, 'field', '?')}: "
            f"{error.message}").lstrip()


def finding_text(f: dict) -> str:
    where = f" at {hex_offset(f['offset'])}" if f.get("offset") is not None else ""
    field_ = f" in {f['field']}" if f.get("field") else ""
    return f"{f['severity'].upper()} {f['rule']}{where}{field_}: {f['message']}"


STATUS_KEYS = ("status", "signature", "mac", "decryption")     # shown in text; `valid` is for machines


def _write_result(r: Result, line: Lines, tree: bool) -> None:
    extra = r.extra or {}
    if r.message is None and extra.get("findings"):
        line(f"{r.source}: not decoded")            # the findings below say why
    else:
        line(headline(r))
    for key in STATUS_KEYS:
        if extra.get(key) is not None:
            line(f"  {key}: {extra[key]}")
    for f in extra.get("findings") or ():
        line("  " + finding_text(f))
    for detail in r.details:
        line(f"  - {detail}")
    if r.message is not None and tree:
        render_tree(r.message.root, r.message.data, line)
        if r.message.inner is not None:
            line("  reassembled message:")
            render_tree(r.message.inner.root, r.message.inner.data, line)
    for part in (r.decrypted if tree else ()):
        line(f"  decrypted {part.family} content of {part.source_path} (at {hex_offset(part.source_offset)}):"
             f" {part.status}")
        if part.tree is not None:
            render_tree(part.tree, part.plaintext, line, indent="  ")
    if r.error is not None and r.message is not None:
        line(f"  ERROR {error_text(r.error)}")


def _write_record(record: dict, line: Lines) -> None:
    status = record.get("status") or ("ok" if record.get("ok", True) else "failed")
    line(f"{record.get('source', '?')}: {status}")
    for f in record.get("findings") or ():
        line("  " + finding_text(f))


class Summary:
    """Counts for the end of a run: messages, their status, findings by rule."""

    def __init__(self):
        self.messages = 0
        self.status: Counter = Counter()
        self.rules: Counter = Counter()
        self.severity: dict[str, str] = {}

    def add(self, record: dict) -> None:
        self.messages += 1
        if record.get("status"):
            self.status[record["status"]] += 1
        for f in record.get("findings") or ():
            self.rules[f["rule"]] += 1
            self.severity[f["rule"]] = f["severity"]

    def lines(self, stopped: bool = False) -> list[str]:
        from gbcs.rules import rules
        known = rules()
        counts = ", ".join(f"{self.status[s]} {s}" for s in ("verified", "unverified", "failed"))
        head = "run stopped early after " if stopped else ""
        out = [f"{head}{self.messages} message{'s' if self.messages != 1 else ''}: {counts}"]
        if self.rules:
            out.append("findings by rule:")
            for rule_id, n in sorted(self.rules.items()):
                name = known[rule_id].name if rule_id in known else ""
                out.append(f"  {rule_id} {name} ({self.severity[rule_id]}): {n}")
        else:
            out.append("no findings")
        return out


def write_text(items: Iterable[Result | dict], out: TextIO, tree: bool = True, summary: bool = False) -> None:
    """Each result (headline, statuses, findings, tree) or record; with `summary`, the counts last."""
    line = Lines(out, hold=True)            # written a message at a time
    counts = Summary()
    stopped = True
    try:
        for item in items:
            if isinstance(item, Result):
                _write_result(item, line, tree)
                counts.add({**(item.extra or {}), "source": item.source})
            else:
                _write_record(item, line)
                counts.add(item)
            line()
            line.flush()
        stopped = False
    finally:
        if summary:
            for text in counts.lines(stopped):
                line(text)
        line.flush()
