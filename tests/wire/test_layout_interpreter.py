"""The layout interpreter's ways of giving meanings and skipping values (gbcs/wire/layout.py):
dict hooks, Program.read, the fields a struct refers to, remembered texts and item names."""
from __future__ import annotations

import pytest

from gbcs.spec.load import SpecSet, parse_text
from gbcs.wire import layout
from gbcs.wire.backend import Walker
from gbcs.wire.layout import compiled, walk_struct
from support import core_schema_items

SPEC = """
enum colour {
 1 red "Red"
 2 blue "Blue"
}
enum flag_bit {
 0x01 first "First"
 0x02 second "Second"
}
struct inner {
 a u8
 b u8
}
struct many {
 n u16
 items repeat(n) {
  code u8
 }
}
struct z {
 kind u8 enum(colour)
 plain u8
 id bytes(3) show(hex)
 flags u8 enum(flag_bit) show(bits)
 n u8
 items repeat(n) {
  code u8
  extra when(code, 0x80) {
   size u8
   body bytes(size)
  }
 }
 pair struct(inner)
}
"""


def spec_set() -> SpecSet:
    return SpecSet(core_schema_items() + parse_text(SPEC, "t.gbspec"))


# kind red, plain 9, id, flags 0x03, two items (the second with an extra block), pair 7 8
DATA = bytes([1, 9, 0xAB, 0xCD, 0xEF, 0x03, 2, 0x01, 0x81, 2, 0x55, 0x66, 7, 8])


def meanings(node) -> dict:
    return {path.removeprefix("message."): n.meaning for path, n in node.walk()}


def rows(w: Walker) -> list:
    return [(path, n.start, n.end, n.value, n.meaning) for path, n in w.root.walk()]


def test_a_dict_hook_gives_a_scalar_fields_meaning_and_falls_back_to_its_enum():
    s = spec_set()
    w = Walker(DATA)
    values = walk_struct(w, s, "z", hooks={"plain": {9: "nine"}, "kind": {2: "not this one"},
                                           "code": {0x81: "with extra"}})
    assert values["plain"] == 9
    m = meanings(w.root)
    assert m["z.plain"] == "nine"
    assert m["z.kind"] == "Red"                        # missing from the dict: the enum's meaning
    assert m["z.items.items[1].code"] == "with extra"
    assert m["z.items.items[0].code"] is None


def test_a_dict_hook_and_the_same_callable_give_the_same_tree():
    s = spec_set()
    table = {9: "nine", 1: "one"}
    by_dict, by_call = Walker(DATA), Walker(DATA)
    walk_struct(by_dict, s, "z", hooks={"plain": table, "kind": table})
    walk_struct(by_call, s, "z", hooks={"plain": lambda v, scope: table.get(v),
                                        "kind": lambda v, scope: table.get(v)})
    assert rows(by_dict) == rows(by_call)


def test_a_struct_fields_hook_must_be_a_callable():
    with pytest.raises(TypeError, match="callable"):
        walk_struct(Walker(DATA), spec_set(), "z", hooks={"pair": {}})


def test_read_makes_the_tree_of_walk_group_without_the_values():
    s = spec_set()
    program = compiled(s, "z")
    grouped, read = Walker(DATA), Walker(DATA)
    values = program.walk_group(grouped, "z", "a z")
    assert program.read(read, "z", "a z") is None
    assert rows(read) == rows(grouped)
    assert values["items"][1]["extra"] == {"size": 2, "body": b"\x55\x66"}


def test_read_keeps_the_values_a_callable_hook_may_look_at():
    seen = []

    def body(raw, scope):
        seen.append((scope.get("code"), scope.get("n"), scope.get("plain")))
        return None
    compiled(spec_set(), "z").read(Walker(DATA), hooks={"body": body})
    assert seen == [(0x81, 2, 9)]


def test_only_referred_fields_are_kept_when_reading():
    ops = {op.name: op for op in layout.program(spec_set(), "z")}
    assert ops["n"].kept                               # repeat(n)
    assert not ops["plain"].kept and not ops["items"].kept and not ops["pair"].kept
    block = {op.name: op for op in ops["items"].block}
    assert block["code"].kept and not block["extra"].kept
    extra = {op.name: op for op in block["extra"].block}
    assert extra["size"].kept and not extra["body"].kept


def test_remembered_texts_and_item_names_stay_right_past_their_limit():
    s = spec_set()
    limit = 256                                        # layout.MAX_REMEMBERED_TEXTS
    seen = set()
    for i in range(limit + 20):
        ident = i.to_bytes(3, "big")
        flags = i & 0xFF
        data = bytes([1, 9]) + ident + bytes([flags, 0, 7, 8])
        w = Walker(data)
        walk_struct(w, s, "z")
        m = meanings(w.root)
        assert m["z.id"] == ident.hex().upper()
        assert m["z.flags"] == layout.bits_text(flags, ((1, "First"), (2, "Second")))
        seen.add(m["z.id"])
    assert len(seen) == limit + 20
    count = limit + 5
    data = count.to_bytes(2, "big") + bytes(count)
    for _ in range(2):
        w = Walker(data)
        values = walk_struct(w, s, "many")
        assert len(values["items"]) == count
        names = [n.name for n in w.root.find("many.items").children]
        assert names == [f"items[{i}]" for i in range(count)]


def test_meaning_helpers_keep_their_texts():
    assert layout.octets_meaning(b"AB c") == "AB c"
    assert layout.octets_meaning(b"A\x00") is None
    assert layout.octets_meaning(b"A\x00\xff.", True) == "A..."
    assert layout.octets_meaning(b"") is None and layout.octets_meaning(b"", True) == ""
    assert layout.zcl_date_meaning(0xFF, 0xFE, 0xFD, 3) == "*-DST-start-month-second-last (Wednesday)"
    assert layout.day_minutes_meaning(61) == "01:01" and layout.day_minutes_meaning(1440) is None
    assert layout.bits_text(0x05, ((1, "First"), (2, "Second"))) == "First, unknown bits 0x04"
