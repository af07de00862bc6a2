"""JSON and JSON Lines writers that stream: a tree is written node by node, never held as one
string, and the array of a JSON document is closed whatever fails midway.

Records are dicts (see gbcs.io.records); a Node or Tree anywhere in a record is written as
Node.to_dict() would be. Output is ASCII (non-ASCII escaped), so any terminal encoding works.
"""
from __future__ import annotations

import json
from typing import Any, Iterable, Iterator, TextIO

from gbcs.io.records import Result, Tree, record_of
from gbcs.message import Node, json_value

_string = json.encoder.encode_basestring_ascii
FLUSH_AT = 1 << 16          # characters gathered before each write


def _scalar(value: Any) -> str:
    if isinstance(value, str):
        return _string(value)
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, int):
        try:
            return str(value)
        except ValueError:      # beyond Python's int-to-str limit: its hex, as a string
            return _string(f"0x{value:X}")
    if isinstance(value, (bytes, bytearray)):
        return _string(value.hex().upper())
    return json.dumps(value)


def iter_json(value: Any, indent: int | None = None, level: int = 0) -> Iterator[str]:
    """`value` as JSON text in pieces; dicts and lists nest, Nodes and Trees are streamed."""
    if isinstance(value, Tree):
        yield from _node_chunks(value.root, indent, level, value.extra)
    elif isinstance(value, Node):
        yield from _node_chunks(value, indent, level, {})
    elif isinstance(value, dict):
        if not value:
            yield "{}"
            return
        inner = "" if indent is None else "\n" + " " * (indent * (level + 1))
        yield "{"
        for i, (key, item) in enumerate(value.items()):
            yield ("," if i else "") + inner + _string(str(key)) + (":" if indent is None else ": ")
            yield from iter_json(item, indent, level + 1)
        yield ("" if indent is None else "\n" + " " * (indent * level)) + "}"
    elif isinstance(value, (list, tuple)):
        if not value:
            yield "[]"
            return
        inner = "" if indent is None else "\n" + " " * (indent * (level + 1))
        yield "["
        for i, item in enumerate(value):
            yield ("," if i else "") + inner
            yield from iter_json(item, indent, level + 1)
        yield ("" if indent is None else "\n" + " " * (indent * level)) + "]"
    else:
        yield _scalar(value)


def _node_head(node: Node, colon: str, sep: str) -> str:
    parts = [f'{{"name"{colon}{_string(node.name)}', f'"offset"{colon}{node.start}',
             f'"length"{colon}{node.end - node.start}']
    if node.codec is not None:
        parts.append(f'"codec"{colon}{_string(node.codec)}')
        parts.append(f'"value"{colon}{_scalar(json_value(node.value))}')
    if node.meaning is not None:
        parts.append(f'"meaning"{colon}{_string(str(node.meaning))}')
    return sep.join(parts)


def _node_chunks(root: Node, indent: int | None, level: int, extra: dict[str, Node]) -> Iterator[str]:
    """A tree without recursion: each node on its own line when indenting, leaves on one line."""
    colon, sep = (":", ",") if indent is None else (": ", ", ")

    def newline(depth: int) -> str:
        return "" if indent is None else "\n" + " " * (indent * (level + depth))

    # work items: a Node list being written (iterator, depth, first) or a literal to emit
    stack: list = [[iter((root,)), 0, True]]
    while stack:
        top = stack[-1]
        if isinstance(top, str):
            stack.pop()
            yield top
            continue
        node = next(top[0], None)
        if node is None:
            stack.pop()
            continue
        depth = top[1]
        prefix = ("" if top[2] else ",") + (newline(depth) if depth else "")
        top[2] = False
        closing = "}"
        if depth == 0 and extra:
            closing = "".join(f'{sep}{_string(k)}{colon}' + "".join(_node_chunks(v, indent, level, {}))
                              for k, v in extra.items()) + "}"
        children = node.children
        if children is None:
            yield prefix + _node_head(node, colon, sep) + closing
        elif not children:
            yield prefix + _node_head(node, colon, sep) + f'{sep}"children"{colon}[]' + closing
        else:
            yield prefix + _node_head(node, colon, sep) + f'{sep}"children"{colon}['
            stack.append(newline(depth) + "]" + closing)
            stack.append([iter(children), depth + 1, True])


class Buffered:
    """Gathers small pieces and writes them in large ones."""

    def __init__(self, out: TextIO):
        self.out, self.parts, self.size = out, [], 0

    def write(self, text: str) -> None:
        self.parts.append(text)
        self.size += len(text)
        if self.size >= FLUSH_AT:
            self.flush()

    def flush(self) -> None:
        if self.parts:
            self.out.write("".join(self.parts))
            self.parts, self.size = [], 0


def write_jsonl(items: Iterable[Result | dict], out: TextIO) -> None:
    """One JSON object per line. A failure between records leaves only whole lines behind."""
    buf = Buffered(out)
    try:
        for item in items:
            for piece in iter_json(record_of(item)):
                buf.write(piece)
            buf.write("\n")
    finally:
        buf.flush()


def write_json(items: Iterable[Result | dict], out: TextIO) -> None:
    """One JSON array of records; the array is closed even when producing a record fails."""
    buf = Buffered(out)
    buf.write("[")
    try:
        for i, item in enumerate(items):
            record = record_of(item)
            buf.write(",\n" if i else "\n")
            for piece in iter_json(record, indent=2):
                buf.write(piece)
    finally:
        buf.write("\n]\n")
        buf.flush()
