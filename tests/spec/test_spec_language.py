"""The spec language: good documents load, bad ones fail with file:line:col and what was expected."""
from __future__ import annotations

import pytest

from gbcs.errors import SpecError, SpecReferenceError, SpecSyntaxError
from gbcs.spec.load import SpecSet, load_specs, parse_text
from support import core_schema_items

SCHEMAS = """
schema codes {
    code u16 key
    kind enum(colour)
    note text optional
}
"""


def load(text: str) -> SpecSet:
    return SpecSet(core_schema_items() + parse_text(SCHEMAS, "schemas.gbspec") + parse_text(text, "t.gbspec"))


def test_project_specs_load_without_cache():
    s = load_specs(use_cache=False)
    assert s.enum_name("cra_flag", 1) == "command"
    assert s.get("message_codes", "gbcs").by_key[0x0059].cells["use_case"] == "ECS52"


def test_rows_are_typed_and_keyed():
    s = load('enum colour { 1 red "Red"\n 2 blue }\ncodes c "Codes" ref "X 1.2" (p = 3) {\n'
             ' 0x0102 red "first"\n 0x0103 blue -\n}\n')
    item = s.get("codes", "c")
    assert item.title == "Codes" and item.ref == "X 1.2" and item.props == {"p": 3}
    assert item.by_key[0x0102].cells == {"code": 0x0102, "kind": "red", "note": "first"}
    assert item.by_key[0x0103].cells["note"] is None
    assert s.enum_name("colour", 2) == "blue"


@pytest.mark.parametrize("text, line, column, words", [
    ("enum colour { 1 red\n", 1, 20, "'}'"),                         # unclosed block
    ("enum colour { 1 red \"x\" @ }\n", 1, 25, "character"),        # stray character
    ("enum colour 1 red }\n", 1, 13, "'{'"),                          # missing brace
])
def test_syntax_errors_name_position_and_expectation(text, line, column, words):
    with pytest.raises(SpecSyntaxError) as info:
        parse_text(text, "bad.gbspec")
    err = info.value
    assert (err.file, err.line) == ("bad.gbspec", line)
    assert err.column == column
    assert str(err).startswith(f"bad.gbspec:{err.line}:{err.column}: ")
    assert words in str(err)


def test_wrong_value_type_is_reported_at_the_value():
    with pytest.raises(SpecError) as info:
        load('enum colour { 1 red }\ncodes c {\n  0x10000 red\n}\n')
    assert (info.value.line, info.value.column) == (3, 3)
    assert "from 0 to 0xffff, got 65536" in str(info.value)


def test_unknown_enum_member_is_a_reference_error():
    with pytest.raises(SpecReferenceError) as info:
        load('enum colour { 1 red }\ncodes c {\n  0x0001 green\n}\n')
    assert info.value.line == 3 and "not a member of enum colour" in str(info.value)


def test_duplicate_keys_and_items_are_rejected():
    with pytest.raises(SpecReferenceError, match="appears twice"):
        load('enum colour {\n 1 red\n 1 blue\n}\n')
    with pytest.raises(SpecReferenceError, match="defined twice"):
        load('enum colour { 1 red }\nenum colour { 2 blue }\n')


def test_unknown_kind_lists_the_known_ones():
    with pytest.raises(SpecReferenceError, match="unknown kind 'widgets'.*codes"):
        load("widgets w { 1 }\n")


def test_struct_rows_are_checked():
    with pytest.raises(SpecReferenceError, match="unknown field type 'u7'"):
        load("struct s { a u7 }\n")
    with pytest.raises(SpecError, match="needs nested"):
        load("struct s { n u8\n items repeat(n)\n}\n")
    s = load('struct s "S" {\n n u8\n items repeat(n) {\n  x u16le "X"\n }\n}\n')
    row = s.get("struct", "s").rows[1]
    assert row.cells["type"] == "repeat" and row.cells["args"] == ("n",)
    assert row.block[0].cells == {"field": "x", "type": "u16le", "args": (), "options": {}, "title": "X"}
