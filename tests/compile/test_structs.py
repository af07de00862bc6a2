"""Every struct item: values built by construct are read back the same by the layout walker.

For each `struct` in specs/ (and a synthetic spec that uses every field type), example values
are generated, built with the compiled construct Struct, walked with gbcs/wire/layout.py and
parsed again by construct: the three must agree, and the walker's leaves must tile the bytes.
"""
from __future__ import annotations

import pytest
from hypothesis import given, settings, strategies as st

import gbcs
from gbcs.compile import build_struct, compile_struct, parse_struct
from gbcs.compile.structs import COMPILED_TYPES, example_values
from gbcs.errors import ConstraintError, DecodeError, SpecError, SpecReferenceError, TruncatedError, \
    UnknownCodeError
from gbcs.spec import specs
from gbcs.spec.load import SpecSet, parse_text
from support import core_schema_items
from gbcs.spec.types import INT_TYPES, LAYOUT_TYPES
from gbcs.wire.backend import Walker
from gbcs.wire.layout import check_layouts, resolve_table, walk_struct

SCHEMAS = """
schema dtype {
 code u8 key
 name name unique
 layout any optional
}
"""

INTS = "\n".join(f"    f_{t} {t}" for t in INT_TYPES)
ALL_TYPES = f"""
enum colour {{
 1 red "Red"
 2 blue
}}
dtype dtypes {{
 0x01 small u8
 0x02 wide i24le
 0x03 text charstr
 0x04 day zcl_date
 0x05 raw bytes(3)
 0x06 stamp utc2000le
 0x07 none
}}
struct inner "Inner" {{
 a u16 enum(colour)
 b i8
}}
struct dlms_datetime "the width of a dlms_datetime field" {{
 year u16
 rest bytes(10)
}}
struct all_types {{
{INTS}
    fixed bytes(3)
    n u8
    sized bytes(n)
    o octstr
    c charstr
    t1 utc2000
    t2 utc2000le
    d zcl_date
    dt dlms_datetime
    m day_minutes
    s struct(inner)
    selector u8
    bl ber_length
    tag u8 known(colour) enum(colour) show(name) "a colour"
    maybe u16le if(selector, 0x02)
    id bytes(2) show(hex) if(selector)
    count u8
    items repeat(count) {{
        x u16le
        flag u8
        low when(flag, 0x01) {{
            y u8
        }}
        two when_eq(flag, 2) {{
            z u8
        }}
        other when_ne(selector, 7) {{
            w u8 enum(colour)
        }}
    }}
    three repeat(3) {{
        v u8
    }}
    kind u8 table(dtypes)
    value zcl_value(kind)
    tail repeat_to_end {{
        e u8
    }}
}}
struct with_rest {{
 a u8
 r rest
}}
struct with_if {{
 a u8
 more if_remaining {{
  b u16
 }}
}}
"""


def synthetic(text: str = ALL_TYPES) -> SpecSet:
    return SpecSet(core_schema_items() + parse_text(SCHEMAS, "schemas.gbspec") + parse_text(text, "t.gbspec"))


def used_types(s: SpecSet) -> set[str]:
    out = set()

    def rows(rs):
        for r in rs:
            out.add(r.cells["type"])
            if r.block:
                rows(r.block)
    for item in s.of_kind("struct"):
        rows(item.rows)
    return out


def walk(s: SpecSet, name: str, data: bytes, prefix: bytes = b"\xEE\xEE"):
    """Walk `data` placed after some other bytes, so offsets are absolute."""
    buf = prefix + data + b"\xFF"
    w = Walker(buf, len(prefix), len(prefix) + len(data))
    w.begin("payload")
    values = walk_struct(w, s, name)
    node = w.finish()
    assert w.pos == len(prefix) + len(data), f"{name}: walker stopped at {w.pos - len(prefix)} of {len(data)}"
    pos = len(prefix)
    for leaf in node.leaves():
        assert leaf.start == pos, f"{name}: gap or overlap at {leaf.name}"
        assert leaf.codec != "unparsed"
        pos = leaf.end
    assert pos == len(prefix) + len(data)
    assert gbcs.encode(node) == data
    return values, node


def roundtrip(s: SpecSet, name: str, seed: int) -> None:
    values = example_values(s, name, seed)
    data = build_struct(s, name, values)
    got, _ = walk(s, name, data)
    assert got == values, f"{name} seed {seed}: walker read {got!r}, built from {values!r}"
    assert parse_struct(s, name, data) == values


def test_every_field_type_has_both_implementations():
    assert COMPILED_TYPES == set(LAYOUT_TYPES)
    assert used_types(synthetic()) == set(LAYOUT_TYPES), "the synthetic spec must use every field type"


def test_project_struct_items_resolve():
    assert check_layouts(specs()) == len(specs().of_kind("struct")) > 60


@pytest.mark.parametrize("name", sorted(i.name for i in specs().of_kind("struct")))
def test_project_structs_roundtrip(name):
    compile_struct(specs(), name)
    for seed in range(12):
        roundtrip(specs(), name, seed)


@pytest.mark.parametrize("name", ["all_types", "inner", "with_rest", "with_if"])
def test_synthetic_structs_roundtrip(name):
    s = synthetic()
    check_layouts(s)
    for seed in range(40):
        roundtrip(s, name, seed)


@settings(max_examples=150, deadline=None)
@given(seed=st.integers(0, 2**32 - 1))
def test_all_types_roundtrip_property(seed):
    roundtrip(synthetic_cached(), "all_types", seed)


_SYNTH: list[SpecSet] = []


def synthetic_cached() -> SpecSet:
    if not _SYNTH:
        _SYNTH.append(synthetic())
    return _SYNTH[0]


def test_walker_tree_shape_and_meanings():
    s = synthetic_cached()
    values = example_values(s, "all_types", 3)
    values["s"]["a"] = 1
    values["t2"] = 473385600
    values["m"] = 90
    values["d"] = {"year": 115, "month": 1, "day": 0xFF, "day_of_week": 4}
    values["c"] = b"hi\x01"
    data = build_struct(s, "all_types", values)
    _, node = walk(s, "all_types", data)
    top = node.get("all_types")
    assert top.find("s.a").meaning == "Red"
    assert top.get("t2").meaning == "2015-01-01T00:00:00Z" and top.get("t2").codec == "u32le"
    assert top.get("m").meaning == "01:30"
    assert top.get("d").meaning == "2015-01-* (Thursday)"
    assert top.get("c").meaning == "hi." and top.find("c.length").value == 3
    items = top.get("items")
    assert [c.name for c in items] == [f"items[{i}]" for i in range(len(values["items"]))]


def test_zcl_value_with_unknown_type_is_an_unknown_code():
    s = synthetic_cached()
    data = build_struct(s, "all_types", example_values(s, "all_types", 1))
    _, node = walk(s, "all_types", data, prefix=b"")
    kind = node.find("all_types.kind")
    bad = data[:kind.start] + b"\x07" + data[kind.end:]            # 0x07 has no layout
    with pytest.raises(UnknownCodeError) as info:
        walk(s, "all_types", bad, prefix=b"")
    assert info.value.offset == kind.end and "value" in info.value.field


def test_truncated_fixed_struct_raises_with_offset():
    s = specs()
    data = build_struct(s, "zse_publish_calendar", example_values(s, "zse_publish_calendar", 0))
    for cut in range(len(data)):
        w = Walker(data[:cut])
        with pytest.raises(TruncatedError) as info:
            walk_struct(w, s, "zse_publish_calendar")
        assert 0 <= info.value.offset <= cut


def test_refs_reach_enclosing_blocks_and_hooks_see_them():
    """A field reference resolves in the block the compiler found it in (here two blocks out);
    hooks get that context as a Scope, and a struct field's hook gives its group's meaning."""
    s = synthetic("struct inner {\n a u8\n b u8\n}\n"
                  "struct z {\n n u8\n items repeat(n) {\n  flag u8\n  extra when(flag, 1) {\n"
                  "   body bytes(n)\n  }\n }\n pair struct(inner)\n}\n")
    seen = []

    def body(raw, scope):
        seen.append((scope.get("flag"), scope.get("n"), scope.has("nothing")))
        return f"{len(raw)} bytes"
    w = Walker(bytes([2, 1, 0xAA, 0xBB, 0, 7, 8]))
    values = walk_struct(w, s, "z", hooks={"body": body, "pair": lambda v, scope: f"{v['a']}+{v['b']}"})
    assert values["items"] == [{"flag": 1, "extra": {"body": b"\xAA\xBB"}}, {"flag": 0, "extra": None}]
    assert values["pair"] == {"a": 7, "b": 8}
    assert seen == [(1, 2, False)]
    assert w.root.find("z.items.items[0].extra.body").meaning == "2 bytes"
    assert w.root.find("z.pair").meaning == "7+8"


def test_repeat_to_end_with_zero_width_items_is_refused():
    s = synthetic("struct z {\n n u8\n items repeat_to_end {\n  e bytes(n)\n }\n}\n")
    w = Walker(b"\x00\x01")
    with pytest.raises(ConstraintError):
        walk_struct(w, s, "z")


def test_huge_counts_fail_on_bytes_not_memory():
    s = synthetic("struct z {\n n u16\n items repeat(n) {\n  e u8\n }\n}\n")
    with pytest.raises(TruncatedError):
        walk_struct(Walker(b"\xFF\xFF\x01"), s, "z")
    s = synthetic("struct z {\n n u16\n items repeat(n) {\n  e bytes(0)\n }\n}\n")
    with pytest.raises(DecodeError):                  # zero-width items: the node budget stops it
        walk_struct(Walker(b"\xFF\xFF"), s, "z")


@pytest.mark.parametrize("text, message", [
    ("struct z {\n items repeat(n) {\n  e u8\n }\n}\n", "not a field before"),
    ("struct z {\n e bytes(later)\n later u8\n}\n", "not a field before"),
    ("struct z {\n o octstr\n items repeat(o) {\n  e u8\n }\n}\n", "must be an integer"),
    ("struct z {\n k u8\n v zcl_value(k)\n}\n", "needs k to carry table"),
    ("struct z {\n k u8 table(nothing)\n}\n", "exactly one table item"),
    ("struct z {\n a struct(y)\n}\nstruct y {\n b struct(z)\n}\n", "contains itself"),
    ("struct z {\n when dlms_datetime\n}\n", "takes its size from struct dlms_datetime"),
    ("struct z {\n when dlms_datetime\n}\nstruct dlms_datetime {\n n u8\n b bytes(n)\n}\n", "fixed size"),
])
def test_bad_layouts_are_spec_errors(text, message):
    s = synthetic(text)
    with pytest.raises(SpecError, match=message):
        check_layouts(s)


def test_references_reach_enclosing_blocks_in_both_implementations():
    s = synthetic("struct z {\n mode u8\n n u8\n items repeat(n) {\n  tier when_eq(mode, 0) {\n   t u8\n  }\n }\n}\n")
    data = bytes([0, 2, 7, 8])
    assert walk(s, "z", data)[0] == parse_struct(s, "z", data) == {
        "mode": 0, "n": 2, "items": [{"tier": {"t": 7}}, {"tier": {"t": 8}}]}
    data = bytes([1, 2])
    assert walk(s, "z", data)[0] == parse_struct(s, "z", data) == {
        "mode": 1, "n": 2, "items": [{"tier": None}, {"tier": None}]}


def test_table_option_accepts_kind_dot_name():
    s = specs()
    with pytest.raises(SpecReferenceError):
        resolve_table(s, "gbcs")          # message_codes gbcs and alert_codes gbcs: ambiguous
    assert resolve_table(s, "alert_codes.gbcs").kind == "alert_codes"


# -- the compiled program and the field options ---------------------------------------------

OPTIONS = """
enum colour {
 1 red "Red"
 2 blue "Blue"
}
enum flags {
 0x01 first "first"
 0x04 third "third"
}
envelope_size sizes {
 id 3
}
struct opts {
 tag u8 expect(colour.blue) "the blue tag"
 kind u8 known(colour) enum(colour) show(name) "a colour"
 bits u8 enum(flags) show(bits)
 n u8 expect(envelope_size.sizes.id) "the id length"
 id bytes(n) show(hex)
 extra u16 if(bits, flags.third)
 more u8 if(kind, 0x01)
 len ber_length
}
"""
ENVELOPE_SIZE_SCHEMA = """
schema envelope_size {
 name name key
 bytes u8
}
"""


def options_specs(text: str = OPTIONS) -> SpecSet:
    return SpecSet(core_schema_items() + parse_text(SCHEMAS + ENVELOPE_SIZE_SCHEMA, "schemas.gbspec")
                   + parse_text(text, "t.gbspec"))


def test_every_field_type_has_an_op_code():
    from gbcs.wire.ops import OP_CODES
    assert set(OP_CODES) | set(INT_TYPES) == set(LAYOUT_TYPES)
    assert len(set(OP_CODES.values())) == len(OP_CODES)


def test_options_walk_check_and_show():
    s = options_specs()
    data = bytes([2, 1, 0x05, 3, 0xAB, 0xCD, 0xEF, 0x12, 0x34, 9, 0x81, 0x80])
    values, node = walk(s, "opts", data)
    assert values == {"tag": 2, "kind": 1, "bits": 5, "n": 3, "id": b"\xab\xcd\xef", "extra": 0x1234,
                      "more": 9, "len": 0x80}
    top = node.get("opts")
    assert top.get("kind").meaning == "red"                        # show(name): the member name
    assert top.get("bits").meaning == "first, third"
    assert top.get("id").meaning == "ABCDEF"
    assert top.get("len").codec == "ber_len"
    assert parse_struct(s, "opts", data) == values
    # fields under if(...) are absent (no node, value None) when the condition is not met
    data = bytes([2, 2, 0x01, 3, 1, 2, 3, 5])
    values, node = walk(s, "opts", data)
    assert values["extra"] is None and values["more"] is None and values["len"] == 5
    assert node.find("opts.extra") is None and node.find("opts.more") is None
    assert parse_struct(s, "opts", data) == values
    assert node.get("opts").get("bits").meaning == "first"


@pytest.mark.parametrize("at, byte, error, field, words", [
    (0, 1, ConstraintError, "opts.tag", "is not the blue tag (expected 0x02)"),
    (1, 7, UnknownCodeError, "opts.kind", "is not a colour (expected 0x01, 0x02)"),
    (3, 4, ConstraintError, "opts.n", "is not the id length (expected 0x03)"),
])
def test_expected_values_are_checked_with_offset_and_field(at, byte, error, field, words):
    s = options_specs()
    data = bytearray([2, 1, 0x00, 3, 1, 2, 3, 9, 0])
    data[at] = byte
    with pytest.raises(error) as info:
        walk(s, "opts", bytes(data), prefix=b"")
    assert (info.value.offset, info.value.field) == (at, f"payload.{field}")
    assert words in str(info.value) and info.value.rule


def test_unknown_bits_are_named():
    s = options_specs()
    values, node = walk(s, "opts", bytes([2, 2, 0x82, 3, 1, 2, 3, 0]))
    assert node.find("opts.bits").meaning == "unknown bits 0x82"


def test_build_fills_single_valued_fields_and_examples_respect_them():
    s = options_specs()
    data = build_struct(s, "opts", {"kind": 2, "bits": 0, "id": b"xyz", "extra": None, "more": None, "len": 300})
    assert data == bytes([2, 2, 0, 3]) + b"xyz" + bytes([0x82, 0x01, 0x2C])
    for seed in range(30):
        values = example_values(s, "opts", seed)
        assert values["tag"] == 2 and values["n"] == 3 and values["kind"] in (1, 2)
        roundtrip(s, "opts", seed)


@pytest.mark.parametrize("text, message", [
    ("struct z {\n a u16le expect(1) \"one\"\n}\n", "big-endian unsigned"),
    ("struct z {\n a u8 show(sideways)\n}\n", "is not one of"),
    ("struct z {\n a u8 show(bits)\n}\n", "needs enum"),
    ("struct z {\n a octstr\n b u8 if(a)\n}\n", "must be an integer"),
    ("struct z {\n a u8 expect(colour.green)\n}\nenum colour {\n 1 red\n}\n", "not a member"),
    ("struct z {\n a u8 expect(envelope_size.sizes.nothing)\n}\n", "names no row"),
    ("struct z {\n a bytes(later.x)\n}\n", "not a member"),
])
def test_bad_options_are_spec_errors(text, message):
    s = options_specs(text)
    with pytest.raises(SpecError, match=message):
        check_layouts(s)


def test_option_argument_counts_are_checked_when_loading():
    with pytest.raises(SpecError, match="takes 1-2 argument"):
        options_specs("struct z {\n a u8\n b u8 if(a, 1, 2)\n}\n")


def test_constants_and_fixed_sizes_come_from_the_program():
    from gbcs.wire.layout import resolve_constant, struct_size
    s = specs()
    assert resolve_constant(s, "envelope_size.gbcs.mac") == s.get("envelope_size", "gbcs").by_key["mac"].cells["bytes"]
    assert resolve_constant(s, "apdu_tag.general_signing") == next(
        r.cells["value"] for r in s.enum("apdu_tag").rows if r.cells["name"] == "general_signing")
    assert struct_size(s, "security_header") == s.get("envelope_size", "gbcs").by_key["security_header"].cells["bytes"]
    sizes = s.get("envelope_size", "gbcs").by_key
    assert struct_size(s, "transaction_id") == 1 + sizes["transaction_id"].cells["bytes"]
    assert struct_size(s, "date_time") is None and struct_size(s, "mac_header") is None


ENVELOPE_STRUCTS = ["mac_header", "security_header", "transaction_id", "system_title", "date_time",
                    "grouping_header", "other_information_code", "other_information_srp_id",
                    "other_information_srp_counter", "other_information_soc", "content_length", "signature",
                    "mac", "gbt_routing_header", "gbt_routing_tail", "gbt_header", "gbz_header", "gbz_alert_header",
                    "gbz_component_header", "gbz_from_date_time", "gbz_additional_header", "gbz_ciphered_length",
                    "gbz_security_header", "zcl_header"]


@pytest.mark.parametrize("name", ENVELOPE_STRUCTS)
def test_envelope_and_gbz_layouts_roundtrip_and_refuse_truncation(name):
    s = specs()
    for seed in range(8):
        values = example_values(s, name, seed)
        data = build_struct(s, name, values)
        assert walk(s, name, data)[0] == values == parse_struct(s, name, data)
        for cut in range(len(data)):
            with pytest.raises(DecodeError) as info:
                walk_struct(Walker(data[:cut]), s, name)
            assert 0 <= info.value.offset <= cut and info.value.field.startswith(name)
