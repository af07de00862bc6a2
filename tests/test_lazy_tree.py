"""The lazy tree: a decoded message is rows on a tape (gbcs.wire.walker.Tape) and Nodes are views
made when someone looks. The views give the same answers as a tree of Node objects holding the
same fields (built here from the views, field by field), assignments write back to the tape,
pickles round-trip, and memory stays a small multiple of the input."""
from __future__ import annotations

import sys
import io
import pickle
import tracemalloc

import pytest
from hypothesis import HealthCheck, given, settings

import gbcs
from gbcs.builder import Envelope, general_signing
from gbcs.io.jsonout import iter_json
from gbcs.io.records import Tree
from gbcs.io.text import render_tree
from gbcs.message import Children, Node
from gbcs.wire.backend import CompiledWalker, PythonWalker
from gbcs.wire.walker import Tape, Walker
from test_properties import messages

ALERT = Envelope(cra="alert", counter=1, originator="90B3D51F30010000", recipient="00DB1234567890A0",
                 message_code=0x00CC)


def big_alert(elements: int) -> bytes:
    """A DLMS alert whose body is a structure of `elements` null-data items (2 nodes each)."""
    body = bytes.fromhex("0F00000001" "00" "02" "83") + elements.to_bytes(3, "big") + bytes(elements)
    return general_signing(ALERT, body, b"")


def materialised(node: Node) -> Node:
    """A tree of plain Node objects with the fields the view reports (no recursion)."""
    top = Node(node.name, node.start, node.end, node.codec, node.value, node.meaning,
               None if node.children is None else [])
    stack = [(node, top)]
    while stack:
        view, plain = stack.pop()
        for child in view.children or ():
            copy = Node(child.name, child.start, child.end, child.codec, child.value, child.meaning,
                        None if child.children is None else [])
            plain.children.append(copy)
            stack.append((child, copy))
    return top


def fields(root: Node) -> list:
    return [(path, n.start, n.end, n.codec, n.value, n.meaning, n.is_leaf) for path, n in root.walk()]


def assert_same_tree(message: gbcs.Message) -> None:
    for root in (message.root,) + ((message.inner.root,) if message.inner is not None else ()):
        assert root.tape is not None, "a decoded tree is a tape view"
        plain = materialised(root)
        assert root.to_dict() == plain.to_dict()
        assert fields(root) == fields(plain)
        assert [n.to_dict() for n in root.descendants()] == [n.to_dict() for _, n in plain.walk()]
        assert [n.to_dict() for n in plain.descendants()] == [n.to_dict() for _, n in plain.walk()]
        assert [n.to_dict() for n in root.leaves()] == [n.to_dict() for n in plain.leaves()]
        assert gbcs.encode(root) == gbcs.encode(plain)
        for path, node in plain.walk():
            relative = path.partition(".")[2]
            if relative:
                assert root.find(relative).to_dict() == node.to_dict(), path
        for indent in (None, 2):
            assert "".join(iter_json(Tree(root), indent)) == "".join(iter_json(Tree(plain), indent))
        a, b = io.StringIO(), io.StringIO()
        render_tree(root, message.data if root is message.root else message.inner.data, a)
        render_tree(plain, message.data if root is message.root else message.inner.data, b)
        assert a.getvalue() == b.getvalue()
        again = pickle.loads(pickle.dumps(root))
        assert again.tape is not None and again.to_dict() == plain.to_dict()
    assert gbcs.encode(message) == message.data if message.inner is None else True


def test_every_rtds_message_gives_the_same_tree_as_node_objects(rtds):
    for path, data in rtds:
        try:
            message = gbcs.decode(data)
        except gbcs.GbcsError:
            continue
        assert_same_tree(message)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(messages())
def test_generated_messages_give_the_same_tree_as_node_objects(data):
    try:
        message = gbcs.decode(data)
    except gbcs.GbcsError:
        return
    assert_same_tree(message)


def test_meanings_values_and_ends_assigned_through_a_view_are_kept():
    message = gbcs.decode(big_alert(3))
    node = message.find("payload")
    assert node is not None and node.tape is not None
    node.meaning = "a new meaning"
    leaf = message.find("grouping_header.other_information.message_code")
    leaf.meaning = "é \x1b escaped"
    leaf.value = 0x1234
    assert message.find("payload").meaning == "a new meaning"
    again = message.find("grouping_header.other_information.message_code")
    assert (again.meaning, again.value) == ("é \x1b escaped", 0x1234)
    assert again == leaf and hash(again) == hash(leaf) and again is not leaf
    assert message.root.to_dict()["children"][1]["meaning"] == "a new meaning"
    text = "".join(iter_json(message.root))
    assert '"meaning":"a new meaning"' in text and r'"meaning":"\u00e9 \u001b escaped"' in text
    node.meaning = None
    assert "meaning" not in message.find("payload").to_dict()
    message.root.end = 5
    assert message.root.end == 5
    with pytest.raises(AttributeError):
        node.children = []


WALKERS = [PythonWalker] + ([CompiledWalker] if CompiledWalker is not None else [])


@pytest.mark.parametrize("walker", WALKERS, ids=lambda c: c.__module__)
def test_the_walker_contract_for_decoders(walker):
    w = walker(bytes.fromhex("0102030405"), root=Node("plaintext", 0, 0, children=[]))
    group = w.begin("group")
    w.uint("a", 1, "first")
    w.last.meaning = "changed"
    assert w.current == group and w.current.children[-1].meaning == "changed"
    w.bytes("elements[7]", 2)
    w.uint_le("c", 2)
    group.meaning = "set while open"
    assert [c.name for c in w.current.children] == ["a", "elements[7]", "c"]
    assert w.path("x") == "group.x"
    finished = w.finish()
    assert finished.meaning == "set while open" and finished.end == 5
    assert w.root.name == "plaintext" and w.root.find("group.elements[7]").value == b"\x02\x03"
    assert w.root.find("group.c").value == 0x0504 and w.root.find("group.elements[07]") is None
    assert w.root.get("group").get("elements[8]") is None


@pytest.mark.parametrize("walker", WALKERS, ids=lambda c: c.__module__)
def test_names_and_codecs_read_back_whatever_object_carries_them(walker):
    """The compiled tape finds names and codecs by hash slot and identity first: equal names
    made afresh (f-strings, spec tables), indexed names, more names than slots (collisions)
    and codecs all read back as written."""
    count = 3000                                   # more than the walker's LOOKUP_SLOTS
    data = bytes(range(256)) * 24
    w = walker(data)
    expected = []
    for k in range(count):
        name = f"field_{k % 1500}" if k % 3 else "".join(["len", "gth"])   # fresh, equal objects
        if k % 7 == 0:
            name = f"elements[{k}]"
        if k % 2:
            w.uint(name, 1)
            expected.append((name, "u8", data[k]))
        else:
            w.bytes(name, 1)
            expected.append((name, "bytes", data[k:k + 1]))
    got = [(n.name, n.codec, n.value) for n in w.root.children]
    assert got == expected
    again = walker(data)
    again.uint("".join(["len", "gth"]), 2)
    assert [(n.name, n.codec) for n in again.root.children] == [("length", "u16")]


@pytest.mark.parametrize("walker", WALKERS, ids=lambda c: c.__module__)
def test_leaf_offsets_set_out_of_range_read_as_slices_do(walker):
    """Values are cut from the input straight from its buffer in the compiled twin; offsets a
    user set outside the input (or the wrong way round) still read as Python slices do."""
    data = bytes.fromhex("0102030405060708090A")
    w = walker(data)
    w.bytes("raw", 4)
    w.uint("number", 2)
    w.bytes("empty", 0)
    raw, number, empty = w.root.children
    assert (raw.value, number.value, empty.value) == (data[:4], 0x0506, b"")
    for start, end in [(2, 40), (8, 3), (-3, 2), (12, 30), (0, 10)]:
        raw.start, raw.end = start, end
        assert raw.value == data[start:end]
    number.start, number.end = 8, 40
    assert number.value == int.from_bytes(data[8:40], "big")


@pytest.mark.parametrize("walker", WALKERS, ids=lambda c: c.__module__)
def test_integers_of_every_size_sign_and_byte_order_read_as_int_from_bytes(walker):
    """The compiled twin reads integers of up to 8 bytes by C arithmetic (sign extension
    included); they must equal int.from_bytes, and their codecs name size and order."""
    import random
    rnd = random.Random(5)
    samples = [bytes([0x80] + [0] * 8), bytes([0x7F] + [0xFF] * 8), bytes([0xFF] * 9), bytes(9)]
    samples += [bytes(rnd.randrange(256) for _ in range(9)) for _ in range(40)]
    for raw in samples:
        for size in range(1, 10):
            for little in (False, True):
                w = walker(raw)
                got = w.sint("s", size, little)
                order = "little" if little else "big"
                assert got == int.from_bytes(raw[:size], order, signed=True), (raw.hex(), size, little)
                w2 = walker(raw)
                unsigned = w2.uint_le("u", size) if little else w2.uint("u", size)
                assert unsigned == int.from_bytes(raw[:size], order)
                leaf, uleaf = w.root.children[0], w2.root.children[0]
                assert (leaf.value, uleaf.value) == (got, unsigned)
                suffix = "le" if little and size > 1 else ""
                assert (leaf.codec, uleaf.codec) == (f"i{8 * size}{suffix}", f"u{8 * size}{suffix}")


def test_tapes_are_reused_only_when_nothing_of_their_tree_is_alive():
    """A tape nothing holds is emptied for the next tree; whatever a caller keeps (a message, a
    node, a child list, a tape array) reads the same however many decodes follow, also while
    threads decode at once."""
    import threading
    msgs = [general_signing(Envelope(cra="alert", counter=k, originator="90B3D51F30010000",
                                     recipient="00DB1234567890A0", message_code=0x00CC),
                            bytes.fromhex("0F00000001" "00" "02" "83") + (k % 9 + 1).to_bytes(3, "big")
                            + bytes(k % 9 + 1), b"") for k in range(60)]
    expected = [gbcs.decode(m).root.to_dict() for m in msgs]
    kept_message = gbcs.decode(msgs[3])
    kept_node = gbcs.decode(msgs[4]).find("payload")
    kept_children = gbcs.decode(msgs[5]).root.children
    kept_names = gbcs.decode(msgs[6]).root.tape.a_name
    names_before = kept_names.tobytes()
    last = None
    for _ in range(3):
        for m, want in zip(msgs, expected):
            assert gbcs.decode(m).root.to_dict() == want            # dropped at once: reusable
            last = gbcs.decode(m)                                    # the previous one kept
            assert last.root.to_dict() == want
    assert kept_message.root.to_dict() == expected[3]
    assert kept_node.to_dict() == expected[4]["children"][1]
    assert [c.to_dict() for c in kept_children] == expected[5]["children"]
    assert kept_names.tobytes() == names_before

    failures = []

    def work(offset: int) -> None:
        held = []
        for k in range(300):
            i = (offset + 7 * k) % len(msgs)
            message = gbcs.decode(msgs[i])
            if k % 5 == 0:
                held.append((i, message))
            if message.root.to_dict() != expected[i]:
                failures.append(i)
        failures.extend(i for i, message in held if message.root.to_dict() != expected[i])

    threads = [threading.Thread(target=work, args=(t,)) for t in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert failures == []


@pytest.mark.parametrize("walker", WALKERS, ids=lambda c: c.__module__)
def test_the_row_level_walker_steps(walker):
    """open_group/close_group/set_meaning/set_last_meaning/last_start: begin/finish without views."""
    w = walker(bytes.fromhex("AA0102030405"), 1)
    row = w.open_group("group")
    w.uint("a", 1)
    w.set_last_meaning("first")
    assert w.last_start == 1
    w.bytes("elements[7]", 2)
    assert w.last_start == 2
    w.set_meaning(row, "the group")
    assert w.close_group() == row
    root = w.root
    assert root.find("group").meaning == "the group" and root.find("group").end == 4
    assert root.find("group.a").meaning == "first" and root.find("group.elements[7]").value == b"\x02\x03"
    fresh = walker(b"\x01")
    with pytest.raises(ValueError):
        fresh.set_last_meaning("nothing read yet")


def test_children_are_a_lazy_read_only_sequence():
    message = gbcs.decode(big_alert(1000))
    body = message.find("payload.alert")
    kids = body.children
    assert isinstance(kids, Children) and len(kids) == 1002 and kids
    assert kids[0].name == "tag" and kids[-1].name == "elements[999]" and kids[-1] == kids[1001]
    tail = kids[2:]
    assert len(tail) == 1000 and tail[0].name == "elements[0]"
    assert [c.name for c in reversed(kids)][:2] == ["elements[999]", "elements[998]"]
    assert kids == list(kids) and kids[5] in kids and kids.index(kids[5]) == 5
    assert [c.name for c in kids[0:3]] == ["tag", "count", "elements[0]"]
    assert kids[3].children[0].children is None        # a leaf has no children


def test_pickles_of_whole_trees_and_subtrees_round_trip():
    message = gbcs.decode(big_alert(10))
    again = pickle.loads(pickle.dumps(message))
    assert again.root.to_dict() == message.root.to_dict() and again.summary() == message.summary()
    sub = message.find("payload.alert.elements[4]")
    copy = pickle.loads(pickle.dumps(sub))
    assert copy.to_dict() == sub.to_dict() and copy.tape is not sub.tape
    # a tree pickled while a group is still open (as a decoder sees it)
    w = Walker(b"\x01\x02")
    w.begin("open")
    w.uint("x", 1)
    assert pickle.loads(pickle.dumps(w.root)).to_dict() == w.root.to_dict()
    plain = Node("n", 0, 1, children=[Node("leaf", 0, 1, "u8", 7, "seven")])
    assert pickle.loads(pickle.dumps(plain)).to_dict() == plain.to_dict()


def test_a_tape_refuses_nothing_it_was_given_and_states_are_versioned():
    tape = Tape(b"")
    with pytest.raises(ValueError):
        Tape.from_state((99,) + (None,) * 7)
    assert tape.n == 0


def test_decode_memory_is_a_small_multiple_of_the_input():
    data = big_alert(100_000)
    gbcs.decode(big_alert(10))          # tables loaded before measuring
    tracemalloc.start()
    try:
        message = gbcs.decode(data)
        held, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert message.find("payload.alert.elements[99999]") is not None
    # 200,000 nodes: 24 bytes a row on the tape (a Node object tree took ~490 per input byte)
    assert peak / len(data) < 100, f"{peak / len(data):.0f} bytes per input byte at the peak"
    assert held / len(data) < 80, f"{held / len(data):.0f} bytes per input byte held"


def test_whole_tree_checks_hold_one_view_at_a_time():
    """The scans every decode runs (integrity, tree facts) stay flat on a huge flat group."""
    from gbcs.crypto import locate
    from gbcs.validate.engine import integrity_of
    from gbcs.validate.facts import scan_tree
    data = big_alert(100_000)
    message = gbcs.decode(data)
    tracemalloc.start()
    try:
        integrity_of(data, message, None)
        assert locate.find_encrypted(message.root, message.payload_type) == []
        scan_tree(message.root)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    # naming every child of the 100,000-element structure took ~70 bytes per input byte; a
    # list of the child rows (8 bytes each) is allowed
    assert peak / len(data) < 20, f"{peak / len(data):.1f} bytes per input byte at the peak"


@pytest.mark.parametrize("walker", WALKERS, ids=lambda c: c.__module__)
def test_the_tape_pool_comes_to_fit_the_trees_decoded(walker):
    """A free pooled tape too small for a tree gives way to a new one that fits, so once a few
    dozen such trees were made the next one reuses a pooled tape (its capacity is an earlier tree's)."""
    reusable_tape = sys.modules[walker.__module__]._reusable_tape
    data = bytes(100)
    held = [reusable_tape(data, 10) for _ in range(60)]     # the pool full of small tapes...
    del held                                                # ...then free
    for _ in range(100):
        assert reusable_tape(data, 1000).cap >= 1000
    tape = reusable_tape(data, 900)
    assert tape.cap >= 1000 and tape.n == 0 and tape.data is data     # a new one would have 900


@pytest.mark.parametrize("walker", WALKERS, ids=lambda c: c.__module__)
@pytest.mark.parametrize("n", [6, 2**31, 2**63, 2**70])
def test_a_byte_string_longer_than_the_input_is_a_truncation_whatever_its_length(walker, n):
    """Lengths past what a C integer holds are read like any other too-long length."""
    from gbcs.errors import TruncatedError
    w = walker(bytes(5))
    with pytest.raises(TruncatedError, match=f"needs {n} bytes, 5 remain"):
        w.bytes("x", n)
    assert w.bytes("x", 5) == bytes(5) and w.pos == 5


@pytest.mark.parametrize("walker", WALKERS, ids=lambda c: c.__module__)
def test_a_walker_is_confined_to_the_bytes_it_was_given(walker):
    """Its reads skip bounds checks, so the bounds it starts with must lie within the data, and
    a tape's current group must be a row it has."""
    for pos, end in ((0, 6), (3, 2), (-1, 4)):
        with pytest.raises(ValueError, match="not within the 5 bytes"):
            walker(bytes(5), pos, end)
    w = walker(bytes(5), 1, 4)
    assert (w.uint("a", 3), w.pos, w.end) == (0, 4, 4)
    tape = w.tape
    tape.cur = tape.n
    with pytest.raises(ValueError, match="without a matching begin"):
        tape.close(4)
