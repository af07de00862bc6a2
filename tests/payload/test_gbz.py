"""GBZ payloads: build -> decode -> names and values; malformed inputs; the RTDS corpus."""
from __future__ import annotations

import pytest
from support import assert_tiles, rtds_content, walk_rtds_content
from hypothesis import given, settings, strategies as st

import gbcs
from gbcs.compile.structs import example_values
from gbcs.errors import DecodeError, EncodeError, LengthError, TruncatedError, UnknownCodeError
from gbcs.message import Node
from gbcs.payload.context import PayloadContext
from gbcs.payload.gbz import (NOT_IN_SPEC, build_alert_body, build_component, build_default_response,
                              build_encrypted_component, build_frame_control, build_gbz, build_gbz_alert,
                              build_read_attributes, build_read_attributes_response, build_zcl_frame,
                              build_zcl_payload, command_for, decode_gbz, decode_zcl_payload, zcl_commands)
from gbcs.spec import specs
from gbcs.wire.backend import Walker

COMMAND, RESPONSE, ALERT = 1, 2, 3
PRICE, METERING, PREPAYMENT, CALENDAR, EVENTS = 0x0700, 0x0702, 0x0705, 0x0707, 0x0709
GENERAL_C2S = build_frame_control(False, False)                      # 0x00
GENERAL_S2C = build_frame_control(False, True)                       # 0x08
SPECIFIC_C2S = build_frame_control(True, False)                      # 0x01
SPECIFIC_S2C = build_frame_control(True, True, disable_default_response=True)   # 0x19
JAN_2015 = 473385600          # 2015-01-01T00:00:00Z in seconds since 2000


def decode(content: bytes, code: int | None = 0x0075, cra: int | None = RESPONSE, prefix: bytes = b"\xAA\xAB"):
    data = prefix + content + b"\xBB"
    w = Walker(data, len(prefix), len(prefix) + len(content))
    w.begin("payload")
    ctx = PayloadContext(specs(), code, cra)
    decode_gbz(w, ctx)
    node = w.finish()
    assert_tiles(node, len(prefix), len(prefix) + len(content))
    assert gbcs.encode(node) == content
    return node, ctx.notes


def values(node: Node) -> dict:
    """Leaf values of a group by dotted path below it (for compact assertions)."""
    out = {}
    for path, n in node.walk():
        if n.is_leaf:
            out[path.split(".", 1)[1] if "." in path else path] = n.value
    return out


# -- components -------------------------------------------------------------------------

def test_read_attributes_command_and_response():
    cmd = build_gbz([build_component(PRICE, 0x00, build_read_attributes([0x0617, 0x0616]),
                                     frame_control=GENERAL_C2S)])
    assert cmd.hex().upper() == "01090101070000070000001706" + "1606"
    node, notes = decode(cmd, cra=COMMAND)
    comp = node.find("components.components[0]")
    assert comp.get("control").meaning == "last component"
    assert comp.get("cluster_id").meaning == "Price"
    assert comp.find("zcl_header.command_id").meaning == "Read Attributes"
    ids = comp.find("zcl_payload.attributes")
    assert [n.find("attribute_id").value for n in ids] == [0x0617, 0x0616]
    assert [n.find("attribute_id").meaning for n in ids] == ["Price Trailing Digits", "Currency"]
    assert notes == []

    payload = build_read_attributes_response([(0x0617, 0, "bitmap8", 0x50), (0x0616, 0, "uint16", 826),
                                              (0x0301, 0x86)])
    resp = build_gbz([build_component(PRICE, 0x01, payload, frame_control=GENERAL_S2C)])
    node, _ = decode(resp)
    recs = node.find("components.components[0].zcl_payload.records")
    assert recs.find("records[1].attribute.data_type").meaning == "UINT16"
    assert recs.find("records[1].attribute.value").value == 826
    assert recs.find("records[1].attribute.value").codec == "u16le"
    assert recs.find("records[2].status").meaning == "Unsupported Attribute"
    assert recs.find("records[2].attribute") is None


def test_rtds_example_from_the_notes_decodes():
    # 4.3_GCS14 SUCCESS RELIABLE GSME RESPONSE (format notes §7.4)
    content = bytes.fromhex(
        "010902" "000700000E" "080001" "1706001850" "160600213A03"
        "0307050048" "0000" "080101" "0041" "3100000000"
        "480AE4CF2B25BBBD1BC6C63CA70DF214E87A66BBCEA49897ACE58643A701768B81C15A529952FE1D11ADB3B90854D19A"
        "30DFC8F3A59BB734E319C51B")
    node, _ = decode(content)
    enc = node.find("components.components[1]")
    assert enc.get("control").meaning == "last component, encrypted"
    assert values(enc.get("additional_header")) == {"control": 0, "frame_counter": 0}
    ci = enc.get("ciphered_information")
    assert ci.get("length").value == 65 and len(ci.get("ciphertext").value) == 48
    assert ci.find("security_header.security_control").value == 0x31
    assert ci.get("ciphertext").meaning == "encrypted Read Attributes Response"


def test_cluster_specific_commands_from_field_dicts():
    matrix = {"provider_id": 1, "issuer_event_id": JAN_2015, "start_time": 0, "issuer_tariff_id": 7,
              "command_index": 0, "number_of_commands": 1, "sub_payload_control": 1,
              "prices": [{"tier_block_id": 1, "price": 1000}, {"tier_block_id": 2, "price": 2000}]}
    day = {"provider_id": 0, "issuer_event_id": JAN_2015, "issuer_calendar_id": 9, "day_id": 1,
           "number_of_schedule_entries": 2, "command_index": 0, "number_of_commands": 1, "calendar_type": 3,
           "schedule_entries": [{"start_time": 0, "tier": None, "friendly_credit": {"friendly_credit_enable": 1}},
                                {"start_time": 1350, "tier": None, "friendly_credit": {"friendly_credit_enable": 0}}]}
    content = build_gbz([
        build_component(PRICE, 0x05, matrix, frame_control=SPECIFIC_S2C, sequence=3),
        build_component(CALENDAR, 0x01, day, frame_control=SPECIFIC_S2C, sequence=4, from_date_time=JAN_2015),
    ])
    node, _ = decode(content, code=0x006B, cra=COMMAND)
    first, second = node.find("components.components[0]"), node.find("components.components[1]")
    assert first.get("control").value == 0 and second.get("control").value == 0x11
    assert first.find("zcl_header.frame_control").meaning == "cluster-specific, server to client, " \
                                                            "default response disabled"
    pm = first.get("zcl_payload")
    assert pm.meaning == "Publish Price Matrix"
    assert pm.find("sub_payload_control").meaning == "TOU"
    assert pm.find("issuer_event_id").meaning == "2015-01-01T00:00:00Z"
    assert pm.find("start_time").meaning == "0 (now / not set)"
    assert [p.find("price").value for p in pm.get("prices")] == [1000, 2000]
    assert second.get("from_date_time").meaning == "2015-01-01T00:00:00Z"
    dp = second.get("zcl_payload")
    assert dp.find("schedule_entries.schedule_entries[1].start_time").meaning == "22:30"
    assert dp.find("schedule_entries.schedule_entries[1].friendly_credit.friendly_credit_enable").value == 0
    assert dp.find("schedule_entries.schedule_entries[0].tier") is None


@pytest.mark.parametrize("key", [(c.cluster, c.direction, c.id) for c in zcl_commands()
                                 if c.layout and c.cluster is not None])
def test_every_cluster_command_roundtrips(key):
    cluster, direction, cid = key
    fc = build_frame_control(True, bool(direction))
    cmd = command_for(cluster, fc, cid)
    for seed in range(4):
        fields = example_values(specs(), cmd.layout, seed)
        content = build_gbz([build_component(cluster, cid, fields, frame_control=fc, sequence=seed)])
        node, notes = decode(content, cra=COMMAND)
        payload = node.find("components.components[0].zcl_payload")
        assert payload.meaning == cmd.title and notes == []


def test_default_response_names_the_answered_command():
    content = build_gbz([build_component(PRICE, 0x0B, build_default_response(0x05, 0x00), frame_control=GENERAL_C2S),
                         build_component(PREPAYMENT, 0x0B, build_default_response(0x07, 0x8B),
                                         frame_control=GENERAL_S2C)])
    node, _ = decode(content)
    a = node.find("components.components[0].zcl_payload")
    b = node.find("components.components[1].zcl_payload")
    assert a.get("command_id").meaning == "Publish Price Matrix" and a.get("status").meaning == "Success"
    assert b.get("command_id").meaning == "Get Prepay Snapshot" and b.get("status").meaning == "Not Found"


def test_manufacturer_specific_frames_carry_the_code_and_stay_unparsed():
    fc = build_frame_control(True, False, manufacturer_specific=True)
    content = build_gbz([build_component(PRICE, 0x00, b"\x01\x02", frame_control=fc, manufacturer_code=0x1234)])
    data = b"\x00" + content
    w = Walker(data, 1, len(data))
    w.begin("payload")
    ctx = PayloadContext(specs(), 0x0075, COMMAND)
    decode_gbz(w, ctx)
    node = w.finish()
    assert_tiles(node, 1, len(data), unparsed_ok=True)
    header = node.find("components.components[0].zcl_header")
    assert header.get("manufacturer_code").value == 0x1234 and header.get("manufacturer_code").codec == "u16le"
    assert "manufacturer-specific" in header.get("frame_control").meaning
    with pytest.raises(EncodeError):
        build_zcl_frame(PRICE, 0, b"", frame_control=fc)


def test_unknown_commands_keep_their_payload_as_one_unparsed_leaf():
    content = build_gbz([build_component(PRICE, 0x7E, b"\x01\x02\x03", frame_control=SPECIFIC_S2C),
                         build_component(0xFC00, 0x00, build_read_attributes([1]), frame_control=GENERAL_C2S),
                         build_component(0xFC00, 0x01, b"\x09", frame_control=SPECIFIC_C2S)])
    data = content
    w = Walker(data)
    w.begin("payload")
    ctx = PayloadContext(specs(), 0x0075, COMMAND)
    decode_gbz(w, ctx)
    node = w.finish()
    assert_tiles(node, 0, len(data), unparsed_ok=True)
    assert gbcs.encode(node) == data
    first = node.find("components.components[0]")
    leaf = first.get("zcl_payload")
    assert leaf.is_leaf and leaf.codec == "unparsed" and leaf.value == b"\x01\x02\x03"
    assert NOT_IN_SPEC in leaf.meaning and first.find("zcl_header.command_id").meaning is None
    second = node.find("components.components[1]")
    assert second.get("cluster_id").meaning is None                     # unknown cluster …
    assert second.find("zcl_payload.attributes.attributes[0].attribute_id").value == 1   # … general command read
    assert node.find("components.components[2].zcl_payload").codec == "unparsed"
    assert len(ctx.notes) == 2


def test_command_entries_are_worked_out_once_and_only_for_header_values():
    """decode_zcl_payload finds a command's program and meanings by one look-up, remembered per
    (cluster, frame control, command id); values no header can hold are decoded, not remembered."""
    from gbcs.payload import gbz
    f = gbz._facts(specs())
    first = f.entry(PRICE, GENERAL_C2S, 0x00)
    assert f.entry(PRICE, GENERAL_C2S, 0x00) is first
    assert first.title == "Read Attributes" and first.program is not None and first.what is None
    assert f.entry(PRICE, SPECIFIC_S2C, 0x7E).program is None
    before = len(f.entries)
    for cluster, frame_control, command_id, parsed in ((0x10000, SPECIFIC_C2S, 0, False), (PRICE, 0, -1, False),
                                                       (PRICE, 0x100 | GENERAL_C2S, 0, True)):
        w = Walker(b"\x01\x02")
        w.begin("payload")
        ctx = PayloadContext(specs(), None, COMMAND)
        decode_zcl_payload(w, ctx, cluster=cluster, frame_control=frame_control, command_id=command_id)
        payload = w.finish().get("zcl_payload")
        if parsed:        # frame type bits 0-1 say general: Read Attributes
            assert payload.find("attributes.attributes[0].attribute_id").value == 0x0201 and not ctx.notes
        else:
            assert payload.codec == "unparsed" and NOT_IN_SPEC in payload.meaning and len(ctx.notes) == 1
    assert len(f.entries) == before


def test_command_entries_stay_bounded_under_mutated_headers():
    from gbcs.payload import gbz
    f = gbz._facts(specs())
    for cluster in range(5000):                      # general commands are found in any cluster
        assert f.entry(cluster, GENERAL_C2S, 0x00).title == "Read Attributes"
    assert 0 < len(f.entries) <= 4096 and len(f.zcl_payload_hooks) <= 4096
    assert f.entry(PRICE, GENERAL_C2S, 0x00) is f.entry(PRICE, GENERAL_C2S, 0x00)


def test_frame_control_texts_cover_every_byte():
    from gbcs.payload.gbz import frame_control_text
    texts = [frame_control_text(fc) for fc in range(0x100)]
    assert texts[GENERAL_C2S] == "general, client to server"
    assert all(t for t in texts) and "reserved bits 0xE0" in texts[0xE0]


def test_commands_named_without_a_layout_stay_unparsed():
    fc = build_frame_control(True, False)
    assert command_for(0x0704, fc, 0x00).title == "Request Tunnel"
    content = build_gbz([build_component(0x0704, 0x00, b"\xAA", frame_control=fc)])
    w = Walker(content)
    w.begin("payload")
    decode_gbz(w, PayloadContext(specs(), None, COMMAND))
    leaf = w.finish().find("components.components[0].zcl_payload")
    assert leaf.codec == "unparsed" and "Request Tunnel" in leaf.meaning


def test_encrypted_component_builder_and_decode_zcl_payload_on_plaintext():
    plaintext = build_read_attributes_response([(0x0005, 0, "int32", 2500000), (0x0002, 0, "int32", -5)])
    comp = build_encrypted_component(PREPAYMENT, 0x01, b"\x11" * len(plaintext), b"\x22" * 12,
                                     frame_control=GENERAL_S2C, sequence=1, frame_counter=2, invocation_counter=9)
    node, _ = decode(build_gbz([comp]))
    c = node.find("components.components[0]")
    assert c.find("additional_header.frame_counter").value == 2
    assert c.find("ciphered_information.length").value == 5 + len(plaintext) + 12
    assert c.find("ciphered_information.security_header.invocation_counter").value == 9
    # a later issue decrypts; the plaintext decodes on its own walker
    w = Walker(plaintext, root=Node("plaintext", 0, 0, children=[]))
    decode_zcl_payload(w, PayloadContext(specs()), cluster=PREPAYMENT, frame_control=GENERAL_S2C, command_id=0x01)
    assert w.pos == len(plaintext)
    rec = w.root.find("zcl_payload.records.records[1]")
    assert rec.get("attribute_id").meaning == "Emergency Credit Remaining"
    assert rec.find("attribute.value").value == -5


def test_last_component_bit_is_decoded_not_enforced():
    a = build_component(PRICE, 0x00, build_read_attributes([1]), frame_control=GENERAL_C2S, control=0x01)
    b = build_component(PRICE, 0x00, build_read_attributes([2]), frame_control=GENERAL_C2S)
    node, _ = decode(build_gbz([a, b], mark_last=False), cra=COMMAND)
    assert node.find("components.components[0].control").meaning == "last component"
    assert node.find("components.components[1].control").meaning == "none"


def test_from_date_time_and_encrypted_together_read_the_date_first():
    comp = build_encrypted_component(METERING, 0x06, b"\x00" * 4, b"\x00" * 12, frame_control=SPECIFIC_S2C,
                                     from_date_time=0xFFFFFFFF)
    node, _ = decode(build_gbz([comp]))
    c = node.find("components.components[0]")
    assert [n.name for n in c][:5] == ["control", "cluster_id", "length", "from_date_time", "additional_header"]
    assert c.get("from_date_time").meaning == "FFFFFFFF (not set / never)"
    assert c.get("control").meaning == "last component, encrypted, from-date-time present"


# -- alerts -----------------------------------------------------------------------------

def test_generic_alert_from_the_notes():
    content = build_gbz_alert(0x810E, JAN_2015, message_code=0x1001)
    assert content.hex().upper() == "010900810E1C374A80"
    node, notes = decode(content, code=0x1001, cra=ALERT)
    assert node.get("alert_code").meaning == "Credit Added Locally"
    assert node.get("timestamp").meaning == "2015-01-01T00:00:00Z"
    assert [n.name for n in node] == ["profile_id", "component_count", "alert_code", "timestamp"]
    assert notes == []


def test_struct_alert_bodies():
    node, _ = decode(build_gbz_alert(0x81A0, JAN_2015, {"reason": 7}, message_code=0x00F2), 0x00F2, ALERT)
    assert node.find("alert_body.reason").meaning == "Error Metrology Firmware Verification Failure"
    assert node.get("component_count").value == 1
    h = bytes(range(32))
    node, _ = decode(build_gbz_alert(0x8F72, JAN_2015, {"octet_string_tag": 9, "hash_length": 32,
                                                         "calculated_hash": h}, message_code=0x00CF), 0x00CF, ALERT)
    assert node.find("alert_body.calculated_hash").value == h
    # the future-dated example of the notes (§7.5)
    content = bytes.fromhex("0109018F66388188900E006B00000000000003ED07070900")
    assert build_gbz_alert(0x8F66, 0x38818890, {"length": 14, "message_code": 0x006B, "originator_counter": 0x3ED,
                                                "cluster_id": CALENDAR, "frame_control": 9, "command_id": 0},
                           message_code=0x00CD) == content
    node, _ = decode(content, 0x00CD, ALERT)
    body = node.get("alert_body")
    assert node.get("timestamp").meaning == "2030-01-15T09:00:00Z"
    assert body.get("cluster_id").meaning == "Calendar"
    assert body.get("frame_control").meaning == "cluster-specific, server to client"
    assert body.get("command_id").meaning == "Publish Calendar"
    assert body.get("message_code").meaning == "Set Tariff and Price on GSME"


def test_gcs53_alert_carries_one_component():
    comp = build_encrypted_component(METERING, 0x06, b"\x01" * 72, b"\x02" * 12, frame_control=SPECIFIC_S2C,
                                     control=0x01)
    node, _ = decode(build_gbz_alert(0x8F0A, JAN_2015, comp, message_code=0x008B), 0x008B, ALERT)
    c = node.find("components.components[0]")
    assert c.find("zcl_header.command_id").meaning == "Publish Snapshot"
    assert c.find("ciphered_information.ciphertext").meaning == "encrypted Publish Snapshot"


def test_alert_body_of_unknown_form_is_unparsed_and_noted():
    content = build_gbz_alert(0x8F30, JAN_2015, b"\x01\x02", message_code=0x0999)
    w = Walker(content)
    w.begin("payload")
    ctx = PayloadContext(specs(), 0x0999, ALERT)
    decode_gbz(w, ctx)
    leaf = w.finish().get("alert_body")
    assert leaf.codec == "unparsed" and leaf.value == b"\x01\x02" and ctx.notes


def test_alert_body_builder_refuses_codes_without_a_struct_form():
    with pytest.raises(EncodeError):
        build_alert_body(0x1000, {})
    with pytest.raises(EncodeError):
        build_gbz_alert(0x8F30, 0, {"reason": 1})


# -- malformed input --------------------------------------------------------------------

SAMPLES = {
    "plain": (build_gbz([build_component(PRICE, 0x00, build_read_attributes([0x0617, 0x0616]),
                                         frame_control=GENERAL_C2S),
                         build_component(PREPAYMENT, 0x04, {"originating_device": 0, "top_up_code": b"1" * 20},
                                         frame_control=SPECIFIC_C2S, from_date_time=5)]), 0x0097, COMMAND),
    "encrypted": (build_gbz([build_encrypted_component(METERING, 0x06, b"\x01" * 20, b"\x02" * 12,
                                                       frame_control=SPECIFIC_S2C)]), 0x0077, RESPONSE),
    "alert": (bytes.fromhex("0109018F66388188900E006B00000000000003ED07070900"), 0x00CD, ALERT),
    "gcs53": (build_gbz_alert(0x8F0A, 1, build_encrypted_component(METERING, 0x06, b"\x01" * 8, b"\x02" * 12,
                                                                   frame_control=SPECIFIC_S2C, control=1),
                              message_code=0x008B), 0x008B, ALERT),
}


@pytest.mark.parametrize("sample", sorted(SAMPLES))
def test_truncation_at_every_prefix_raises_with_an_offset(sample):
    content, code, cra = SAMPLES[sample]
    decode(content, code, cra)                                   # whole: fine
    for cut in range(len(content)):
        data = b"\xAA" + content[:cut]
        w = Walker(data, 1, len(data))
        w.begin("payload")
        with pytest.raises((TruncatedError, LengthError, UnknownCodeError)) as info:
            decode_gbz(w, PayloadContext(specs(), code, cra))
        assert 1 <= info.value.offset <= len(data), (cut, info.value)
        assert info.value.field.startswith("payload")
        if cut >= 2:
            assert not isinstance(info.value, UnknownCodeError)


def _set_length(content: bytes, delta: int) -> bytes:
    """Change the first component's length field (bytes 6..7 of a one-component GBZ)."""
    length = int.from_bytes(content[6:8], "big") + delta
    return content[:6] + length.to_bytes(2, "big") + content[8:]


def test_wrong_component_lengths():
    one = build_gbz([build_component(PRICE, 0x00, build_read_attributes([1, 2]), frame_control=GENERAL_C2S)])
    with pytest.raises(LengthError) as info:                    # longer than the content
        decode(_set_length(one, +1), cra=COMMAND)
    assert info.value.offset == 2 + 6 and info.value.field == "payload.components.components[0].length"
    with pytest.raises(TruncatedError):                         # one byte short: the last id is cut
        decode(_set_length(one, -1), cra=COMMAND)
    message = {"message_id": 1, "message_control": 0, "start_time": 0, "duration_in_minutes": 60,
               "message": b"Hello", "extended": {"extended_message_control": 1}}
    display = build_gbz([build_component(0x0703, 0x00, message, frame_control=SPECIFIC_S2C)])
    node, _ = decode(_set_length(display, -1)[:-1], cra=COMMAND)     # optional last field left out: fine
    assert node.find("components.components[0].zcl_payload.extended") is None
    with pytest.raises(LengthError) as info:                    # one byte short: a byte after the count's components
        decode(_set_length(display, -1), cra=COMMAND)
    assert "component count" in str(info.value)
    fixed = build_gbz([build_component(PREPAYMENT, 0x09, {"low_credit_warning_level": 5}, frame_control=SPECIFIC_C2S)])
    with pytest.raises(TruncatedError):                         # short: the fixed payload no longer fits
        decode(_set_length(fixed, -1), cra=COMMAND)
    with pytest.raises(LengthError) as info:                    # long on a fixed payload: bytes left over
        decode(_set_length(fixed + b"\x00", +1), cra=COMMAND)
    assert info.value.rule == "GBCS-D005"


def test_component_count_must_match():
    comp = build_component(PRICE, 0x00, build_read_attributes([1]), frame_control=GENERAL_C2S)
    two = build_gbz([comp, comp])
    with pytest.raises(LengthError, match="component count"):
        decode(two[:2] + b"\x01" + two[3:], cra=COMMAND)
    with pytest.raises(TruncatedError):
        decode(two[:2] + b"\x03" + two[3:], cra=COMMAND)


def test_ciphered_length_must_fit():
    comp = build_encrypted_component(METERING, 0x06, b"\x01" * 4, b"\x02" * 12, frame_control=SPECIFIC_S2C)
    content = build_gbz([comp])
    at = len(content) - (5 + 4 + 12) - 2                        # the ciphered-information length
    for bad in (16, 5 + 4 + 12 - 1, 5 + 4 + 12 + 1):
        broken = content[:at] + bad.to_bytes(2, "big") + content[at + 2:]
        with pytest.raises(LengthError):
            decode(broken)


def test_unknown_data_type_and_profile_are_unknown_codes():
    payload = bytes.fromhex("0500" "00" "FE" "01")             # attribute 5, success, type FE
    content = build_gbz([build_component(PREPAYMENT, 0x01, payload, frame_control=GENERAL_S2C)])
    with pytest.raises(UnknownCodeError) as info:
        decode(content, prefix=b"")
    assert info.value.offset == len(content) - 1 and info.value.field.endswith("attribute.value")
    with pytest.raises(UnknownCodeError) as info:
        decode(b"\x01\x0A\x00", prefix=b"")
    assert info.value.offset == 0


def test_builders_check_their_inputs():
    with pytest.raises(EncodeError):
        build_zcl_payload(PRICE, SPECIFIC_S2C, 0x7E, {})
    with pytest.raises(EncodeError):
        build_zcl_payload(PRICE, SPECIFIC_S2C, 0x05, {"provider_id": 1})        # fields missing
    with pytest.raises(EncodeError):
        build_encrypted_component(PRICE, 0, b"", b"short", frame_control=0)
    with pytest.raises(EncodeError):
        build_read_attributes_response([(1, 0, "no_such_type", 1)])


def test_command_table_has_unique_keys_and_known_layouts():
    s = specs()
    seen = set()
    for item in s.of_kind("zcl_command"):
        for row in item.rows:
            key = (row.cells["cluster"], row.cells["direction"], row.cells["id"])
            assert key not in seen, key
            seen.add(key)
            if row.cells["layout"] is not None:
                assert s.find("struct", row.cells["layout"]) is not None, row.cells["layout"]
    names = {r.cells["name"] for i in s.of_kind("zcl_data_type") for r in i.rows}
    for item in s.of_kind("zcl_attribute"):
        for row in item.rows:
            assert row.cells["data_type"] is None or row.cells["data_type"] in names
    for item in s.of_kind("gbz_alert_body"):
        for row in item.rows:
            assert (row.cells["layout"] is not None) == (row.cells["form"] == "struct")


# -- the RTDS corpus ----------------------------------------------------------------------

@pytest.mark.corpus
def test_rtds_gbz_contents(rtds):
    seen, problems, commands = 0, [], set()
    for path, data in rtds:
        code, cra, start, end = rtds_content(data)
        if data[start:start + 2] != b"\x01\x09":
            continue
        seen += 1
        node, ctx, found = walk_rtds_content(decode_gbz, data)
        problems += [f"{path.name}: {p}" for p in found]
        if node is None:
            continue
        if ctx.notes:
            problems.append(f"{path.name}: {ctx.notes}")
        for p, n in node.walk():
            if n.name == "command_id" and p.endswith("zcl_header.command_id"):
                assert n.meaning, f"{path.name}: {p} has no command name"
                commands.add(n.meaning)
    assert not problems, "\n".join(problems)
    assert seen == 265
    assert len(commands) == 56


@pytest.mark.corpus
def test_rtds_gbz_messages_decode_whole(rtds):
    checked = 0
    for path, data in rtds:
        _, _, start, _ = rtds_content(data)
        if data[start:start + 2] != b"\x01\x09":
            continue
        message = gbcs.decode(data)
        assert message.payload_type == "gbz" and message.unparsed_bytes == 0, path.name
        assert gbcs.encode(message) == data
        checked += 1
    assert checked == 265


@pytest.mark.corpus
def test_rtds_decrypted_gbz_plaintexts_are_fully_structured(rtds):
    import os
    from pathlib import Path
    crypto = pytest.importorskip("gbcs.crypto")
    if not hasattr(crypto, "check_integrity"):
        pytest.skip("gbcs.crypto has no check_integrity")
    ks = crypto.Keystore.load([Path(os.environ["GBCS_RTDS"]) / "keystore"])
    parts = 0
    for path, data in rtds:
        _, _, start, _ = rtds_content(data)
        if data[start:start + 2] != b"\x01\x09" or b"\x31\x00\x00\x00\x00" not in data[start:]:
            continue
        for part in crypto.check_integrity(data, ks).decrypted:
            if part.family != "gbz" or part.plaintext is None:
                continue
            assert part.error is None, (path.name, part.error)
            assert all(leaf.codec != "unparsed" for leaf in part.tree.leaves()), path.name
            assert gbcs.encode(part.tree) == part.plaintext
            parts += 1
    assert parts == 33


# -- robustness -------------------------------------------------------------------------

_MUTABLE = [SAMPLES[k][0] for k in sorted(SAMPLES)] + [
    build_gbz([build_component(c.cluster, c.id, example_values(specs(), c.layout, 1),
                               frame_control=build_frame_control(True, bool(c.direction)))
               for c in zcl_commands() if c.layout and c.cluster is not None][:40])]


def _decode_or_decode_error(content: bytes, code, cra) -> None:
    w = Walker(content)
    w.begin("payload")
    try:
        decode_gbz(w, PayloadContext(specs(), code, cra))
    except DecodeError as exc:
        assert 0 <= exc.offset <= len(content) and exc.field.startswith("payload")
        return
    node = w.finish()
    assert_tiles(node, 0, len(content), unparsed_ok=True)
    assert gbcs.encode(node) == content


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(_MUTABLE), st.data(), st.sampled_from([(0x0075, 1), (0x0075, 2), (0x00CD, 3), (0x008B, 3),
                                                              (0x00F2, 3), (0x1000, 3), (None, None)]))
def test_mutated_gbz_content_raises_only_decode_errors(content, data, where):
    buf = bytearray(content)
    for _ in range(data.draw(st.integers(1, 4))):
        i = data.draw(st.integers(0, len(buf) - 1))
        op = data.draw(st.sampled_from(["flip", "set", "insert", "delete"]))
        if op == "flip":
            buf[i] ^= 1 << data.draw(st.integers(0, 7))
        elif op == "set":
            buf[i] = data.draw(st.sampled_from([0x00, 0x01, 0x02, 0x10, 0x13, 0x7F, 0xFF]))
        elif op == "insert":
            buf[i:i] = data.draw(st.binary(min_size=1, max_size=3))
        elif len(buf) > 3:
            del buf[i]
    _decode_or_decode_error(bytes(buf), *where)


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=120), st.sampled_from([(0x0075, 2), (0x00CD, 3), (0x008B, 3), (None, None)]))
def test_random_gbz_bytes_raise_only_decode_errors(tail, where):
    _decode_or_decode_error(b"\x01\x09" + tail, *where)


def test_scaled_flow_rate_meaning_shows_quantity_and_unit():
    from gbcs.payload.units import scaled_text
    assert scaled_text(61680, 1, 10000, "m³/h") == "61680 / 10000 = 6.1680 m³/h"
    assert scaled_text(61680, 1, 1, "m³/h") == "61680 / 1 = 61680 m³/h"
    assert scaled_text(5, 2, 1000, None) == "5 × 2 / 1000 = 0.010"
    assert "undefined" in scaled_text(5, 1, 0, "kWh")
