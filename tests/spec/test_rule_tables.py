"""The normalised tables validation rules are generated from (use cases, alerts, shapes, units)."""
from gbcs.spec import specs


def test_every_message_code_and_the_seven_rtds_codes():
    codes = specs().get("message_codes", "gbcs").by_key
    assert len(codes) == 240
    for code, use_case in ((0x011A, "ECS46d"), (0x011C, "ECS61d"), (0x0123, "ECS200"), (0x0124, "CS02g"),
                           (0x0125, "CS02g"), (0x0126, "CS02g"), (0x012A, "GCS60a")):
        assert codes[code].cells["use_case"] == use_case
    assert 0x8F88 in specs().get("alert_codes", "gbcs").by_key


def test_message_types_are_normalised_and_notes_kept():
    codes = specs().get("message_codes", "gbcs").by_key
    cs01a = codes[0x0007].cells
    assert cs01a["message_type"] == "SME.C.NC" and "14.3.4" in cs01a["note"]
    assert codes[0x00CC].cells["cra"] == ("alert",) and codes[0x0059].cells["cra"] == ("command", "response")
    # the newer mapping-table title wins, the older one stays as an alias
    gcs24a = codes[0x00FC].cells
    assert "greater resolution" in gcs24a["title"] and "SMETS4" in gcs24a["alias"]


def test_every_message_type_has_a_protection_class_and_every_class_a_row_per_kind():
    classes = specs().get("message_type_class", "gbcs").by_key
    assert set(classes) == {r.cells["name"] for r in specs().enum("message_type").rows}
    rows = {(r.cells["criticality"], r.cells["cra"]) for r in specs().get("protection", "gbcs").rows}
    kinds = {r.cells["name"] for r in specs().enum("cra_flag").rows}
    assert rows == {(c, k) for c in {r.cells["name"] for r in specs().enum("criticality").rows} for k in kinds}


def test_alert_configuration_entries_name_a_device_a_role_and_settings():
    devices = {r.cells["name"] for r in specs().enum("device_type").rows}
    roles = {r.cells["name"] for r in specs().enum("alert_role").rows}
    settings = {r.cells["name"] for r in specs().enum("alert_setting").rows}
    configurable = 0
    for row in specs().get("alert_codes", "gbcs").rows:
        for entry in row.cells["configurable"] or ():
            device, role, *chosen = entry.split(".")
            assert device in devices and role in roles and chosen and set(chosen) <= settings, entry
            configurable += 1
    assert configurable > 100


def test_payload_shapes_name_known_codes():
    codes = specs().get("message_codes", "gbcs").by_key
    for table in ("dlms_access_shape", "gbz_command_shape"):
        for row in specs().get(table, "gbcs").rows:
            assert row.cells["code"] in codes, (table, hex(row.cells["code"]))


def test_list_columns_split_check_members_and_read_hex():
    import pytest
    from gbcs.errors import SpecError, SpecReferenceError
    from gbcs.spec.load import SpecSet, parse_text
    from support import core_schema_items
    schema = ('schema tagged {\n code u16 key\n colours list(colour) optional\n refs list optional\n'
              ' codes list(hex) optional\n}\nenum colour { 1 red\n 2 blue }\n')

    def load(rows):
        return SpecSet(core_schema_items() + parse_text(schema + "tagged t {\n" + rows + "\n}\n", "t.gbspec"))
    cells = load('1 red/blue "1.1 6.15.2" "00CC 1000"\n 2 -').get("tagged", "t").by_key
    assert cells[1].cells == {"code": 1, "colours": ("red", "blue"), "refs": ("1.1", "6.15.2"),
                              "codes": (0x00CC, 0x1000)}
    assert cells[2].cells["colours"] is None
    with pytest.raises(SpecReferenceError, match="not a member of enum colour"):
        load("1 red/green")
    with pytest.raises(SpecError, match="hex"):
        load('1 red - "XYZ"')
