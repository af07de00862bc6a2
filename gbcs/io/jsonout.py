"""JSON and JSON Lines writers that stream: a tree is written node by node, never held as one
string, and the array of a JSON document is closed whatever fails midway.

Records are dicts (see gbcs.io.records); a Node or Tree anywhere in a record is written as
Node.to_dict() would be. Output is ASCII (non-ASCII escaped), so any terminal encoding works.

A decoded tree is written straight from its tape (gbcs.wire.walker.Tape), row by row, with
each distinct name, codec and meaning escaped once: no Node is made per field. The rest of a
record goes through orjson (several times faster than json for the findings lists) whenever
its output is the same as json's: plain str/int/bool/None data (non-ASCII and DEL, which
orjson writes as they are, are escaped afterwards). A JSON Lines record whose tree is small
(SMALL_TREE_ROWS) and holds only such values is written by one orjson call, tree included.
"""
from __future__ import annotations

import json
import re
from itertools import islice
from typing import Any, Iterable, Iterator, TextIO

import orjson

from gbcs.io import tapejson
from gbcs.io.records import Result, Tree, record_of
from gbcs.message import Node, json_value
from gbcs.wire.walker import V_F32, V_F32LE, V_F64, V_F64LE, V_STORED

_string = json.encoder.encode_basestring_ascii
FLUSH_AT = 1 << 16          # characters gathered before each write
ROWS_PER_PIECE = 512        # tree rows joined into one piece
_SAFE_LEAVES = frozenset((str, int, bool, type(None)))
_SAFE_TYPES = _SAFE_LEAVES | {dict, list, tuple}
_STR = frozenset((str,))
SMALL_TREE_ROWS = 4096      # trees up to this many rows go to orjson whole (as dicts); larger ones stream
_FLOAT_KINDS = bytes((V_F32, V_F32LE, V_F64, V_F64LE))
_PLAIN_VALUES = (int, str, bytes, bytearray, bool, type(None))
_PLAIN_VALUE_TYPES = frozenset(_PLAIN_VALUES)
_NOT_JSON_ASCII = re.compile("[^\x00-\x7e]")       # what json's ensure_ascii escapes beyond orjson


def _orjson_safe(value: Any, depth: int = 0) -> bool:
    """True when orjson writes `value` exactly as json.dumps would (bar non-ASCII text,
    checked on the output): str, int, bool and None in dicts with str keys, lists and tuples
    (no floats: their text differs). An int beyond 64 bits passes here: orjson refuses it
    (a TypeError its callers catch), as it does a nesting too deep for it."""
    kind = type(value)
    if kind in _SAFE_LEAVES:
        return True
    if depth > 64:
        return False
    if kind is dict:
        if value and not set(map(type, value)) <= _STR:
            return False
        items = value.values()
    elif kind is list or kind is tuple:
        items = value
    else:
        return False
    # the types of a container's items, told at C speed; only nested containers are visited
    types = set(map(type, items))
    if types <= _SAFE_LEAVES:
        return True
    if not types <= _SAFE_TYPES:
        return False
    for item in items:
        if type(item) not in _SAFE_LEAVES and not _orjson_safe(item, depth + 1):
            return False
    return True


def _fast_json(value: Any, indent: int | None, level: int) -> str | None:
    """`value` as json.dumps(ensure_ascii=True) writes it, through orjson; None when orjson
    would write something else."""
    if not _orjson_safe(value):
        return None
    try:
        raw = orjson.dumps(value, option=orjson.OPT_INDENT_2 if indent == 2 else 0)
    except TypeError:               # orjson.JSONEncodeError: an int beyond 64 bits, or too deep
        return None
    text = _as_json_text(raw)
    if indent == 2 and level:
        text = text.replace("\n", "\n" + " " * (indent * level))
    return text


def _as_json_text(raw: bytes) -> str:
    """orjson's output as json.dumps(ensure_ascii=True) gives it: they differ only in the
    characters json escapes and orjson writes as they are (non-ASCII, DEL), all inside strings."""
    if raw.isascii() and b"\x7f" not in raw:
        return raw.decode("ascii")
    return _NOT_JSON_ASCII.sub(lambda m: _string(m.group())[1:-1], raw.decode("utf-8"))


def _tree_data(tree: Tree) -> dict | None:
    """Tree.to_dict(), when orjson writes it as the streaming writer would: decoded trees (tapes)
    of at most SMALL_TREE_ROWS rows, no float values (their text differs), stored values and
    meanings of plain types. None otherwise (and for trees of Node objects)."""
    for root in (tree.root, *tree.extra.values()):
        tape = root.tape
        if tape is None:
            return None
        top = root.row
        stop = tape.after(top)
        if stop - top > SMALL_TREE_ROWS:
            return None
        kinds = tape.a_vkind[top:stop].tobytes()
        if any(k in kinds for k in _FLOAT_KINDS):
            return None
        if V_STORED in kinds:
            stored = tape.stored
            if top == 0 and stop == tape.n:      # the whole tape: every stored value, typed at C speed
                if not set(map(type, stored.values())) <= _PLAIN_VALUE_TYPES:
                    return None
            elif any(top <= j < stop and type(v) not in _PLAIN_VALUES for j, v in stored.items()):
                return None
        if not set(map(type, islice(tape.meanings, 1, None))) <= _STR:
            return None
    return tree.to_dict()


def _record_line(record: dict) -> str | None:
    """A record as one line of JSON through orjson, exactly as iter_json(record) writes it; None
    when that cannot be promised (the caller streams it instead)."""
    tree = record.get("tree")
    if isinstance(tree, Tree):
        if tapejson.COMPILED:
            return _spliced_line(record, tree)
        rest = {k: v for k, v in record.items() if k != "tree"}
        if not _orjson_safe(rest):
            return None
        data = _tree_data(tree)
        if data is None:
            return None
        record = dict(record)
        record["tree"] = data
    elif not _orjson_safe(record):
        return None
    try:
        raw = orjson.dumps(record)
    except TypeError:               # orjson.JSONEncodeError: an int beyond 64 bits
        return None
    return _as_json_text(raw)


def _spliced_line(record: dict, tree: Tree) -> str | None:
    """_record_line for the compiled build: the keys around the tree through orjson, the tree
    written from its tape (gbcs.io.tapejson) between them, as iter_json(record) writes it."""
    for root in (tree.root, *tree.extra.values()):
        if root.tape is None or root.tape.after(root.row) - root.row > SMALL_TREE_ROWS:
            return None                 # a large tree is streamed
    keys = list(record)
    at = keys.index("tree")
    before = {k: record[k] for k in keys[:at]}
    after = {k: record[k] for k in keys[at + 1:]}
    head = _fast_json(before, None, 0) if before else "{}"
    tail = _fast_json(after, None, 0) if after else "{}"
    if head is None or tail is None:
        return None
    return "".join((head[:-1], "," if before else "", '"tree":',
                    *_tape_chunks(tree.root.tape, tree.root.row, None, 0, tree.extra),
                    "," + tail[1:] if after else "}"))


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
    elif isinstance(value, (dict, list, tuple)):
        yield from _container(value, indent, level)
    else:
        yield _scalar(value)


def _container(value: dict | list | tuple, indent: int | None, level: int) -> Iterator[str]:
    """A dict or a list: through orjson when that gives json's text, else item by item."""
    keyed = isinstance(value, dict)
    brackets = "{}" if keyed else "[]"
    if not value:
        yield brackets
        return
    if indent is None or indent == 2:
        fast = _fast_json(value, indent, level)
        if fast is not None:
            yield fast
            return
    inner = "" if indent is None else "\n" + " " * (indent * (level + 1))
    colon = ":" if indent is None else ": "
    yield brackets[0]
    for i, entry in enumerate(value.items() if keyed else value):
        key, item = entry if keyed else ("", entry)
        yield ("," if i else "") + inner + (_string(str(key)) + colon if keyed else "")
        yield from iter_json(item, indent, level + 1)
    yield ("" if indent is None else "\n" + " " * (indent * level)) + brackets[1]


def _node_head(node: Node, colon: str, sep: str) -> str:
    parts = [f'{{"name"{colon}{_string(node.name)}', f'"offset"{colon}{node.start}',
             f'"length"{colon}{node.end - node.start}']
    if node.codec is not None:
        parts.append(f'"codec"{colon}{_string(node.codec)}')
        parts.append(f'"value"{colon}{_scalar(json_value(node.value))}')
    if node.meaning is not None:
        parts.append(f'"meaning"{colon}{_string(str(node.meaning))}')
    return sep.join(parts)


def _tape_chunks(tape, top: int, indent: int | None, level: int, extra: dict[str, Node]) -> Iterator[str]:
    """The tree at row `top` of a tape, read row by row (pre-order), as _node_chunks writes it."""
    if indent is None and tapejson.COMPILED:
        closing = "}"
        if extra:
            closing = "".join(f',{_string(k)}:' + "".join(_node_chunks(v, None, level, {}))
                              for k, v in extra.items()) + "}"
        writer = tapejson.TapeJson(tape, top, closing)
        piece = writer.piece(ROWS_PER_PIECE)
        while piece:
            yield piece
            piece = writer.piece(ROWS_PER_PIECE)
        return
    colon, sep = (":", ",") if indent is None else (": ", ", ")
    names, codecs, meanings = tape.names, tape.codecs, tape.meanings
    a_name, a_index, a_start, a_end = tape.a_name, tape.a_index, tape.a_start, tape.a_end
    a_codec, a_meaning = tape.a_codec, tape.a_meaning
    after, value_of = tape.after, tape.value
    name_text: dict = {}
    codec_text: dict = {}
    meaning_text: dict = {}
    key_name, key_offset, key_length = f'{{"name"{colon}', f'{sep}"offset"{colon}', f'{sep}"length"{colon}'
    key_codec, key_value, key_meaning = f'{sep}"codec"{colon}', f'{sep}"value"{colon}', f'{sep}"meaning"{colon}'
    open_children, no_children = f'{sep}"children"{colon}[', f'{sep}"children"{colon}[]'

    def newline(depth: int) -> str:
        return "" if indent is None else "\n" + " " * (indent * (level + depth))

    closing_top = "}"
    if extra:
        closing_top = "".join(f'{sep}{_string(k)}{colon}' + "".join(_node_chunks(v, indent, level, {}))
                              for k, v in extra.items()) + "}"
    pieces: list[str] = []
    closers: list = []                # [row past the group, its closing text]
    first = True
    for j in range(top, after(top)):
        while closers and j >= closers[-1][0]:
            pieces.append(closers.pop()[1])
            first = False
        depth = len(closers)
        nid, index = a_name[j], a_index[j]
        if index < 0:
            name = name_text.get(nid)
            if name is None:
                name = name_text[nid] = _string(names[nid])
        else:
            name = _string(f"{names[nid]}[{index}]")
        start = a_start[j]
        parts = [("" if first else ",") + (newline(depth) if depth else ""), key_name, name,
                 key_offset, str(start), key_length, str(a_end[j] - start)]
        cid = a_codec[j]
        if cid:
            codec = codec_text.get(cid)
            if codec is None:
                codec = codec_text[cid] = _string(codecs[cid])
            parts += (key_codec, codec, key_value, _scalar(json_value(value_of(j))))
        mid = a_meaning[j]
        if mid:
            meaning = meaning_text.get(mid)
            if meaning is None:
                meaning = meaning_text[mid] = _string(str(meanings[mid]))
            parts += (key_meaning, meaning)
        closing = closing_top if j == top else "}"
        if cid:
            parts.append(closing)
            first = False
        else:
            stop = after(j)
            if stop == j + 1:
                parts += (no_children, closing)
                first = False
            else:
                parts.append(open_children)
                closers.append((stop, newline(depth) + "]" + closing))
                first = True
        pieces.append("".join(parts))
        if len(pieces) >= ROWS_PER_PIECE:
            yield "".join(pieces)
            pieces = []
    while closers:
        pieces.append(closers.pop()[1])
    if pieces:
        yield "".join(pieces)


def _node_chunks(root: Node, indent: int | None, level: int, extra: dict[str, Node]) -> Iterator[str]:
    """A tree without recursion: each node on its own line when indenting, leaves on one line."""
    if root.tape is not None:
        yield from _tape_chunks(root.tape, root.row, indent, level, extra)
        return
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
            record = record_of(item)
            line = _record_line(record)
            if line is None:
                for piece in iter_json(record):
                    buf.write(piece)
            else:
                buf.write(line)
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
