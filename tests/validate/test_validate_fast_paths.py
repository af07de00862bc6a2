"""The fast paths of validation give what the plain ones give: tape searches (tree scan, names,
encrypted parts, paths) equal the same walk over Node objects, the rule plan follows the
selector and the registered checks, per-message memos are per message, and the one-call JSON
lines and escape-free text lines equal the streamed and escaped ones."""
from __future__ import annotations

import io
import json

import pytest

import gbcs
from gbcs.crypto import generate_keypair, make_certificate
from gbcs.crypto import locate
from gbcs.io import tapejson
from gbcs.io.jsonout import SMALL_TREE_ROWS, _record_line, iter_json, write_jsonl
from gbcs.io.records import Result, Tree, record_of
from gbcs.io.escape import escape_text
from gbcs.io.text import Lines
from gbcs.message import Node
from gbcs.payload import asn1
from gbcs.spec import specs
from gbcs.validate import engine
from gbcs.validate.facts import (_facts, facts, nodes_named, non_minimal_lengths, parent_of, path_of,
                                 scan_tree)
from gbcs.validate.precision import _scaling_field
from rule_world import (ECS04A, ECS52, ESME, GCS24A, GSME, adjust_balance, flow_threshold,  # noqa: F401
                        get_response, read_firmware, world)


def plain(node: Node) -> Node:
    """The same tree made of Node objects (no tape), to run the plain paths on."""
    kids = node.children
    return Node(node.name, node.start, node.end, node.codec, node.value, node.meaning,
                None if kids is None else [plain(c) for c in kids])


def _certificate() -> bytes:
    from cryptography.hazmat.primitives.serialization import Encoding
    return make_certificate(generate_keypair(), ESME, "ka").public_bytes(Encoding.DER)


@pytest.fixture(scope="module")
def messages(world) -> list[bytes]:
    """Built messages with what the fast paths look for: long-form lengths (minimal or not), a
    carried certificate, ZCL scaling fields, DLMS and GBZ payloads, an encrypted-free tree."""
    unjoin = asn1.build_unjoin_command(bytes.fromhex("0102030405060708"))
    pre = world.precommand(ECS04A, adjust_balance())
    join = asn1.build_join_command("method_c", ESME, "esme", _certificate())
    return [
        world.command(ECS52, read_firmware()),
        world.command(0x0010, unjoin),
        world.command(0x0010, b"\x04\x81" + unjoin[1:]),             # non-minimal payload length
        pre[:30] + b"\x81" + pre[30:],                                # non-minimal envelope length
        world.command(0x00AF, join),                                   # a certificate (82 xx xx lengths)
        world.command(GCS24A, flow_threshold(divisor=0, unit=0x7F), signed=True, recipient=GSME),
    ]


def _reference_scan(root: Node) -> tuple[list, bool]:
    lengths, certificate = [], False
    for node in root.descendants():
        if node.codec is None and node.name == "tbs_certificate":
            certificate = True
        elif node.codec == "ber_len" and node.end - node.start > (1 if node.value < 0x80
                                                                  else 1 + (node.value.bit_length() + 7) // 8):
            lengths.append(node.start)
    return lengths, certificate


def _check_tree(root: Node) -> None:
    scan = scan_tree(root)
    reference = _reference_scan(root)
    assert ([n.start for n in scan.non_minimal], scan.carries_certificate) == reference
    copy = plain(root)
    other = scan_tree(copy)
    assert ([n.start for n in other.non_minimal], other.carries_certificate) == reference
    assert [n.start for n in scan.lengths] == [n.start for n in root.descendants() if n.codec == "ber_len"]
    def lengths(found):
        return [(path, node.start, used, needed) for path, node, used, needed in found]
    assert lengths(non_minimal_lengths(root, scan)) == lengths(non_minimal_lengths(copy))
    paths = dict((id(node), path) for path, node in copy.walk())
    for fast, slow in zip(root.descendants(), copy.descendants()):
        assert path_of(root, fast) == paths[id(slow)]
    for match in (_scaling_field, lambda name: name == "tbs_certificate", lambda name: name.startswith("l")):
        assert [n.start for n in nodes_named(root, match)] == \
            [n.start for n in root.descendants() if match(n.name) and not n.name.endswith("]")]
        assert [(n.name, n.start) for n in nodes_named(copy, match)] == \
            [(n.name, n.start) for n in copy.descendants() if match(n.name)]
    for node in list(root.descendants())[1:]:
        parent = parent_of(root, node)
        assert any(child == node for child in parent.children)
    for family in ("gbz", "dlms", None):
        assert locate.find_encrypted(root, family) == locate.find_encrypted(copy, family)


def test_tape_searches_equal_the_plain_walks(messages):
    seen = {"non-minimal": 0, "certificate": 0, "scaling": 0}
    for data in messages:
        root = gbcs.decode(data).root
        _check_tree(root)
        scan = scan_tree(root)
        seen["non-minimal"] += bool(scan.non_minimal)
        seen["certificate"] += scan.carries_certificate
        seen["scaling"] += bool(nodes_named(root, _scaling_field))
    assert seen == {"non-minimal": 2, "certificate": 1, "scaling": 1}      # the inputs test what they should


def test_the_row_pass_of_the_compiled_twin_finds_what_the_column_search_finds(messages):
    """facts._scan_rows (scan_tree's pass in the compiled twin), called in either twin: every
    length it keeps for a closer look covers the non-minimal ones, and it sees the certificate."""
    from gbcs.validate.facts import _scan_rows
    from gbcs.wire.walker import V_BERLEN
    for data in messages:
        root = gbcs.decode(data).root
        tape, top = root.tape, root.row
        cid, nid = tape.codec_ids.get("ber_len"), tape.name_ids.get("tbs_certificate")
        rows, certificate = _scan_rows(tape.a_codec, tape.a_name, tape.a_index, tape.a_start, tape.a_end,
                                       tape.a_vkind, tape.data, top, tape.after(top), -1 if cid is None else cid,
                                       -1 if nid is None else nid, V_BERLEN)
        lengths, carried = _reference_scan(root)
        assert certificate == carried
        assert set(lengths) <= {tape.start(row) for row in rows}
        assert all(tape.codec(row) == "ber_len" and tape.end(row) - tape.start(row) > 1 for row in rows)


def test_fast_paths_on_the_corpus(rtds):
    for _, data in rtds:
        try:
            message = gbcs.decode(data)
        except gbcs.GbcsError:
            continue
        _check_tree(message.root)
        if message.inner is not None:
            _check_tree(message.inner.root)


def test_the_plan_follows_the_selector_and_the_registered_checks(world, monkeypatch):
    data = world.command(ECS52, read_firmware(counter=0), counter=0)       # GBCS-E111 and a MAC to check
    chosen = engine.selector(["GBCS-E11"], ["GBCS-E112"])
    wanted = engine._plan(chosen)
    assert wanted and all(any(r.startswith("GBCS-E11") for r in c.rules) for c in wanted)
    assert engine._plan(chosen) is wanted                       # worked out once per selector
    assert {c.function for c in engine._plan(None)} == {c.function for c in engine.checks()}
    v = engine.check(data, gbcs.decode(data), None, world.keystore, selector=chosen)
    assert [f.rule for f in v.findings] == ["GBCS-E111"]
    # a new registry (as a test or a plugin makes) is planned again, with and without a selector
    calls = []

    def counting(ctx):
        calls.append(ctx.message.message_code)
        return ()
    monkeypatch.setattr(engine, "_CHECKS", [engine.Check(("GBCS-E111",), counting, "message")])
    assert [c.function for c in engine._plan(chosen)] == [counting]
    assert [c.function for c in engine._plan(None)] == [counting]
    engine.check(data, gbcs.decode(data), None, selector=chosen)
    engine.rule_check("GBCS-E101")(counting)                      # registered later: planned too
    assert [c.function for c in engine._plan(None)] == [counting, counting]
    engine.check(data, gbcs.decode(data), None)
    assert calls == [ECS52] * 3


def test_memos_are_per_message(world):
    made = []

    def once_per_message(ctx):
        made.append(ctx.message.originator_counter)
        return len(made)
    contexts = []
    for counter in (1001, 1002):
        data = world.command(ECS52, read_firmware(counter=counter), counter=counter)
        ctx = engine.Context(data, gbcs.decode(data), None, None, None, specs())
        assert ctx.once(once_per_message) == ctx.once(once_per_message)
        contexts.append(ctx)
    assert made == [1001, 1002]
    assert contexts[0].once(once_per_message) == 1 and contexts[1].once(once_per_message) == 2


def test_facts_follow_the_spec_set():
    s = specs()
    assert facts(s) is facts(s) is s.derived(_facts)
    other = type(s).__new__(type(s))
    other.__dict__.update({k: v for k, v in s.__dict__.items() if k != "_derived"})
    assert facts(other) is not facts(s) and facts(other) == facts(s)
    assert facts(s) is s.derived(_facts)


def _streamed(record: dict) -> str:
    return "".join(iter_json(record))


def test_one_call_json_lines_equal_the_streamed_ones(messages):
    for data in messages:
        message = gbcs.decode(data)
        record = record_of(Result("a.hex:1", message=message, data=data,
                                  extra={"findings": [{"rule": "GBCS-E111", "message": "naïve \x7f \u202e 😀"}]}))
        line = _record_line(record)
        assert line is not None and line == _streamed(record)
        assert json.loads(line)["tree"] == message.root.to_dict()
    # what orjson would write differently goes the streamed way, with the same text
    message = gbcs.decode(messages[0])
    odd = [{"n": 1.5}, {"n": 1 << 70}, {"n": Node("x", 0, 1, "u8", 1)}]
    for extra in odd:
        record = record_of(Result("b", message=message, data=messages[0], extra=extra))
        assert _record_line(record) is None
        out = io.StringIO()
        write_jsonl([record], out)
        assert out.getvalue() == _streamed(record) + "\n"
    stored = gbcs.decode(messages[0])
    stored.root.get("grouping_header").children[0].value = 2.5         # a float value
    record = record_of(Result("c", message=stored, data=messages[0]))
    line = _record_line(record)
    # streamed, or (compiled build) written from the tape as the Node writer writes it
    assert (line is None) != tapejson.COMPILED
    if line is not None:
        assert line == "".join(iter_json({**record, "tree": Tree(plain(stored.root))}))


def _alert_with_nulls(n: int) -> bytes:
    """An alert whose DLMS structure holds n null-data: a tree of about n rows."""
    content = bytes.fromhex("0F0000000100") + b"\x02" + bytes([0x82]) + n.to_bytes(2, "big") + bytes(n)
    return (bytes.fromhex("DF090301000000000000010800DB1234567890A00890B3D51F300100000002" "00CC")
            + bytes([0x82]) + len(content).to_bytes(2, "big") + content + b"\x00")


def test_big_trees_and_plain_trees_are_streamed(messages):
    data = _alert_with_nulls(SMALL_TREE_ROWS + 10)
    big = gbcs.decode(data)
    assert big.root.tape.n > SMALL_TREE_ROWS
    small = gbcs.decode(messages[0])
    for record in (record_of(Result("big", message=big, data=data)),
                   {"source": "plain", "tree": Tree(plain(small.root))},
                   {"source": "gbt", "tree": Tree(small.root, {"reassembled": plain(small.root)})}):
        assert _record_line(record) is None
        out = io.StringIO()
        write_jsonl([record], out)
        assert out.getvalue() == _streamed(record) + "\n"
    both = {"source": "gbt", "tree": Tree(small.root, {"reassembled": small.root})}
    assert _record_line(both) == _streamed(both)


def test_lines_escape_exactly_what_escape_text_escapes():
    texts = ["plain ascii", "tab\there", "back\\slash", "esc \x1b[31m", "del \x7f", "naïve ×",
             "bidi \u202e", "nul \x00", ""]
    out = io.StringIO()
    line = Lines(out)
    for text in texts:
        line(text)
    assert out.getvalue() == "".join(escape_text(t) + "\n" for t in texts)


def _skipped_checks_find_nothing(data: bytes, keystore=None) -> int:
    """Run every check whose `applies` rules it out for the message's class: each must find
    nothing (the plan leaves them out). Returns how many were ruled out."""
    try:
        message = gbcs.decode(data)
    except gbcs.GbcsError:
        return 0
    integrity, _ = engine.integrity_of(data, message, keystore)
    ctx = engine.Context(data, message, None, integrity, keystore, specs())
    m = message.inner or message
    cls = engine.MessageClass(m.message_code, m.cra_flag, m.payload_type)
    ruled_out = 0
    for c in engine.checks():
        if c.applies is not None and not c.applies(cls, specs()):
            assert list(c.function(ctx)) == [], (c.name, data.hex())
            ruled_out += 1
    return ruled_out


def _mutations(messages: list[bytes], count: int, seed: int) -> list[bytes]:
    import random
    rnd = random.Random(seed)
    out = []
    for _ in range(count):
        data = bytearray(rnd.choice(messages))
        for _ in range(rnd.randint(1, 3)):
            at = rnd.randrange(len(data))
            if rnd.random() < 0.8:
                data[at] = rnd.randrange(256)
            else:
                del data[at:]
                data += bytes([rnd.randrange(256)])
        out.append(bytes(data))
    return out


def test_checks_left_out_of_a_class_plan_find_nothing(world, messages):
    built = messages + [world.precommand(ECS04A, adjust_balance()),
                        world.command(GCS24A, flow_threshold(), recipient=GSME),
                        world.from_device(2, ECS52, get_response())]
    ruled_out = sum(_skipped_checks_find_nothing(d, world.keystore) for d in built + _mutations(built, 150, 8))
    assert ruled_out > 0


def test_checks_left_out_find_nothing_on_the_corpus(rtds):
    corpus = [data for _, data in rtds]
    assert sum(_skipped_checks_find_nothing(d) for d in corpus + _mutations(corpus, 400, 8)) > 0


def test_class_plans_are_made_once_per_class_and_selector(world):
    data = world.command(ECS52, read_firmware())
    message = gbcs.decode(data)
    everything = engine._plan(None)
    plans: dict = {}
    first = engine._class_plan(everything, plans, message, specs())
    assert engine._class_plan(everything, plans, message, specs()) is first and len(plans) == 1
    names = {c.function.__name__ for c in first}
    assert "gbz_commands" not in names and "alert_codes" not in names      # a DLMS command
    assert {c.function for c in everything if c.applies is None} <= {c.function for c in first}
    chosen = engine.selector(["alert"])
    engine.check(data, message, None, selector=chosen)
    assert chosen._plan[3] and all(plan == () for plan in chosen._plan[3].values())


def test_json_lines_through_orjson_only_when_the_text_is_json_s():
    from gbcs.io.jsonout import _orjson_safe
    for value in ({"a": [1, (2, 3), {"b": None, "c": True}], "d": "x"}, [1 << 63, -(1 << 63)], (), {}):
        assert _orjson_safe(value)
    for value in ({"a": 1.5}, [[{"a": [0.0]}]], {1: "a"}, {"a": b"x"}, [Node("x", 0, 1, "u8", 1)]):
        assert not _orjson_safe(value)
    for record in ({"n": (1 << 64) - 1, "m": -(1 << 63)}, {"n": 1 << 64}, {"n": -(1 << 63) - 1},
                   {"f": [1, 2.5]}, {"k": {2: "two"}}, {"deep": [[[[1]]]]}):
        out = io.StringIO()
        write_jsonl([record], out)
        assert out.getvalue() == json.dumps(record, separators=(",", ":")) + "\n"


def test_finding_dicts_hold_every_field_in_order():
    import dataclasses
    from gbcs.findings import finding
    f = finding("GBCS-E111", "the counter is 0", 3, "grouping_header")
    assert list(f.to_dict().items()) == list(dataclasses.asdict(f).items())


def test_encrypted_parts_from_the_tape_equal_the_walk_on_the_corpus(rtds):
    """The tape's search for encrypted parts (groups holding a ciphertext) finds what the walk
    over Node objects finds, on the corpus messages that carry parts and mutations of them."""
    carrying = []
    for _, data in rtds:
        try:
            m = gbcs.decode(data)
        except gbcs.GbcsError:
            continue
        m = m.inner or m
        if locate.find_encrypted(m.root, m.payload_type):
            carrying.append(data)
    assert carrying
    compared = 0
    for data in carrying + _mutations(carrying, 300, 9):
        try:
            m = gbcs.decode(data)
        except gbcs.GbcsError:
            continue
        m = m.inner or m
        found = locate.find_encrypted(m.root, m.payload_type)
        assert found == locate.find_encrypted(plain(m.root), m.payload_type)
        compared += bool(found)
    assert compared > len(carrying)
