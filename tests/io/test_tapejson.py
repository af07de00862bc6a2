"""gbcs.io.tapejson: a tree written from its tape is exactly json.dumps(Node.to_dict()) in compact
form, whatever the values, names and meanings, and however the rows are cut into pieces."""
from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

import gbcs
from gbcs.io.inputs import iter_inputs
from gbcs.io.jsonout import iter_json, write_jsonl
from gbcs.io.records import Result, Tree
from gbcs.io.tapejson import TapeJson
from gbcs.message import Node
from gbcs.wire.backend import Walker

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "captures"


def compact(value) -> str:
    return json.dumps(value, separators=(",", ":"))


def written(root: Node, rows: int, closing: str = "}") -> str:
    writer = TapeJson(root.tape, root.row, closing)
    pieces = []
    piece = writer.piece(rows)
    while piece:
        pieces.append(piece)
        piece = writer.piece(rows)
    return "".join(pieces)


def odd_tree() -> Node:
    """Every kind of leaf value, indexed names, meanings that need escaping, nested and empty groups."""
    data = bytes(range(1, 40)) + bytes.fromhex("FFFFFFFFFFFFFFFFFF") + bytes.fromhex("3FF8000000000000")
    w = Walker(data, root=Node("top", 0, 0, children=[]))
    w.uint("u1", 1, "one \"quoted\" \\ back\x01slash")
    w.uint("u2", 2, "café")
    w.uint_le("u3le", 3)
    w.uint("u7", 7, "seven")
    w.sint("s2", 2)
    w.begin("items")
    for i in range(3):
        w.begin(f"item[{i}]")
        w.uint(f"value[{i}]", 1, None if i else "first")
        w.finish()
    w.begin("empty")
    w.finish()
    w.finish()
    w.bytes("raw", 5, "\u2603 snow")
    w.leaf("stored", w.pos, "text", "a \"text\" value\n", "\x7f del")
    w.leaf("none", w.pos, "none", None)
    w.leaf("flag", w.pos, "bool", True)
    w.uint("big", 9)
    w.float("f64", 8)
    root = w.root
    root.end = len(data)
    return root


@pytest.mark.parametrize("rows", [1, 2, 7, 4096])
def test_an_odd_tree_is_written_as_json_dumps_would(rows):
    root = odd_tree()
    assert root.tape is not None
    assert written(root, rows) == compact(root.to_dict())


def test_the_top_node_takes_the_closing_given():
    root = odd_tree()
    text = written(root, 3, ',"extra":1}')
    assert json.loads(text) == {**root.to_dict(), "extra": 1}
    leaf = root.get("u2")
    assert written(leaf, 1, ',"x":[]}') == compact({**leaf.to_dict(), "x": []})


def example_messages():
    return [item.data for item in iter_inputs([str(EXAMPLES)]) if item.data is not None]


def trees_of(messages):
    """The root of each message that decodes, and of the message its GBT blocks carry."""
    for data in messages:
        try:
            message = gbcs.decode(data)
        except gbcs.GbcsError:
            continue
        yield message.root
        if message.inner is not None:
            yield message.inner.root


def test_every_example_message_tree_is_written_as_to_dict():
    checked = 0
    for root in trees_of(example_messages()):
        assert written(root, 5) == compact(root.to_dict())
        checked += 1
    assert checked >= 5


def test_jsonl_records_with_trees_are_unchanged_by_the_writer():
    results = []
    for data in example_messages():
        try:
            results.append(Result("m", message=gbcs.decode(data), data=data))
        except gbcs.GbcsError:
            continue
    out = io.StringIO()
    write_jsonl(results, out)
    lines = out.getvalue().splitlines()
    assert len(lines) == len(results)
    for line, result in zip(lines, results):
        streamed = "".join(iter_json({"source": "m", "tree": Tree(result.message.root)}))
        assert json.loads(line)["tree"] == json.loads(streamed)["tree"] == result.message.root.to_dict()


def test_every_rtds_tree_and_its_mutants_are_written_as_to_dict(rtds):
    """The real corpus, and each message with one byte changed (trees that stop early, odd
    lengths, unknown codes), in pieces of a few rows."""
    import random
    rng = random.Random(8)
    variants = []
    for _, data in rtds:
        variants.append(data)
        for _ in range(2):
            at = rng.randrange(len(data))
            variants.append(data[:at] + bytes([rng.randrange(256)]) + data[at + 1:])
    checked = 0
    for root in trees_of(variants):
        assert written(root, 7) == compact(root.to_dict())
        checked += 1
    assert checked >= len(rtds)
