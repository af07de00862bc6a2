"""DLMS COSEM payloads: build -> decode -> names, meanings, exact tiling; errors; RTDS corpus."""
from __future__ import annotations

import datetime as dt
import time

import pytest
from support import assert_tiles, rtds_content, walk_rtds_content
from hypothesis import given, settings, strategies as st

import gbcs
from gbcs.errors import (ConstraintError, DecodeError, EncodeError, LengthError, TruncatedError,
                         UnknownCodeError)
from gbcs.message import Node
from gbcs.payload.context import PayloadContext
from gbcs.payload.dlms import (MAX_DEPTH, axdr_length, build_access_request, build_access_response, build_alert,
                               build_data_notification, datetime_text, decode_data, decode_dlms, dlms_datetime,
                               encode_data, obis_bytes, obis_text, protected_attributes_response,
                               protection_parameters)
from gbcs.spec import specs
from gbcs.wire.backend import Walker

COMMAND, RESPONSE, ALERT = 1, 2, 3
DEVICE = bytes.fromhex("00DB1234567890A0")
SUPPLIER = bytes.fromhex("90B3D51F30010000")
PREFIX = b"\xAA\xAA\xAA"


def decode(content: bytes, code: int | None = None, cra: int | None = COMMAND, walker=Walker):
    """Decode content placed after other bytes (offsets are absolute); check tiling and encode."""
    data = PREFIX + content + b"\xBB"
    w = walker(data, len(PREFIX), len(PREFIX) + len(content))
    w.begin("payload")
    ctx = PayloadContext(specs(), code, cra)
    decode_dlms(w, ctx)
    node = w.finish()
    assert_tiles(node, len(PREFIX), len(PREFIX) + len(content))
    assert gbcs.encode(node) == content
    return node, ctx.notes


def decode_error(content: bytes, code: int | None = None, cra: int | None = COMMAND) -> DecodeError:
    data = PREFIX + content
    w = Walker(data, len(PREFIX), len(data))
    w.begin("payload")
    with pytest.raises(DecodeError) as info:
        decode_dlms(w, PayloadContext(specs(), code, cra))
    return info.value


def at(node: Node, path: str) -> Node:
    found = node.find(path)
    assert found is not None, f"no {path} in {[c.name for c in node]}"
    return found


def data_value(raw: bytes, walker=Walker) -> Node:
    w = walker(raw)
    w.begin("payload")
    node = decode_data(w, PayloadContext(specs()), "value")
    assert w.pos == len(raw)
    w.finish()
    assert gbcs.encode(node) == raw
    assert_tiles(node, 0, len(raw))
    return node


# -- the spec ------------------------------------------------------------------------------

def test_spec_tables():
    s = specs()
    tags = {r.cells["tag"]: r.cells["name"] for r in s.get("dlms_data_type", "axdr").rows}
    assert set(tags) == {0, 1, 2, 3, 4, 5, 6, 9, 10, 12, 13, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 255}
    assert set(s.get("dlms_protected_response", "gbcs").by_key) == {
        0x0027, 0x0029, 0x002A, 0x002D, 0x002F, 0x0030, 0x0033, 0x0034, 0x0037, 0x0060}
    assert set(s.get("dlms_alert_body", "gbcs").by_key) >= {0x00CC, 0x00CE, 0x0061, 0x00D5, 0x00F0}
    assert s.enum_name("dlms_data_access_result", 250) == "other_reason"
    assert s.get("dlms_object", "gbcs").by_key["0-0:13.0.0.255"].cells["title"] == "Tariff Switching Table"


def test_obis_and_datetime_helpers():
    assert obis_text(obis_bytes("0-0:94.44.128.22")) == "0-0:94.44.128.22"
    with pytest.raises(EncodeError):
        obis_bytes("0-0:1.2.3")
    assert datetime_text(dlms_datetime("now")) == "now"
    assert datetime_text(dlms_datetime("never")) == "never"
    assert datetime_text(bytes.fromhex("07DF0101FF000000008000FF")) == "2015-01-01T00:00:00"
    assert datetime_text(bytes.fromhex("07DF0101FF0000000000FF")) is None          # 11 bytes
    assert datetime_text(bytes.fromhex("07DF0101FF0A1E0032FFC400")) == "2015-01-01T10:30:00.50+01:00"
    assert datetime_text(bytes.fromhex("FFFF0C19FF090000008000FF")) == "*-12-25T09:00:00"
    assert datetime_text(bytes.fromhex("FFFFFEFE07FFFFFFFF8000FF")) == "*-DST begin-last day (Sunday)T*:*:*"
    assert datetime_text(bytes.fromhex("07DF0101FF000000008000FF")[:11] + b"\x80") == \
        "2015-01-01T00:00:00 (clock status: daylight saving active)"
    assert datetime_text(bytes.fromhex("07DF0D01FF000000008000FF")) is None         # month 13
    aware = dt.datetime(2020, 6, 1, 12, 0, tzinfo=dt.timezone(dt.timedelta(hours=1)))
    assert datetime_text(dlms_datetime(aware)) == "2020-06-01T12:00:00+01:00"


# -- Access-Request ------------------------------------------------------------------------

def test_access_request_get_set_action_selection():
    selection = ("structure", [
        ("structure", [("long_unsigned", 8), ("octet_string", obis_bytes("0-0:1.0.0.255")), ("integer", 2),
                       ("long_unsigned", 0)]),
        ("octet_string", dlms_datetime(dt.datetime(2015, 1, 1))), ("octet_string", dlms_datetime("now")),
        ("array", [])])
    content = build_access_request([
        ("get", "data", "0-0:0.2.1.255", "value"),
        ("set", 0x14, "0-0:13.0.0.255", 7),
        ("action", "charge", "0-0:19.20.4.255", "activate_passive_unit_charge"),
        ("get_with_selection", "profile_generic", "0-0:99.98.0.255", 2, 1, selection),
    ], [None, ("array", [("structure", [("octet_string", b"winter"), ("octet_string", dlms_datetime("never"))])]),
        ("integer", 0), None], invoke_id=0x3E8)
    node, notes = decode(content)
    assert notes == []
    assert at(node, "apdu_tag").meaning == "Access-Request"
    assert at(node, "long_invoke_id_and_priority").value == 0x200003E8
    assert at(node, "long_invoke_id_and_priority").meaning == "invoke id 1000; break on error"
    assert at(node, "date_time_length").value == 0
    assert at(node, "request_spec_count").value == 4
    get = at(node, "request_specs[0]")
    assert [c.name for c in get] == ["choice", "class_id", "instance_id", "attribute_id"]
    assert get.get("choice").meaning == "get"
    assert get.get("class_id").meaning == "Data"
    assert get.get("instance_id").meaning == "0-0:0.2.1.255"
    assert get.get("attribute_id").meaning == "Value"
    s1 = at(node, "request_specs[1]")
    assert s1.get("instance_id").meaning == "0-0:13.0.0.255 (Tariff Switching Table)"
    assert s1.get("attribute_id").meaning == "Season Profile Passive"
    s2 = at(node, "request_specs[2]")
    assert s2.get("choice").meaning == "action" and s2.get("method_id").meaning == "Activate Passive Unit Charge"
    assert s2.meaning == "action Activate Passive Unit Charge of 0-0:19.20.4.255 (Standing Charge)"
    s3 = at(node, "request_specs[3]")
    assert s3.get("access_selector").value == 1
    assert at(s3, "range_descriptor.restricting_object.class_id.value").meaning == "Clock"
    assert at(s3, "range_descriptor.restricting_object.logical_name.value").meaning == "0-0:1.0.0.255 (Clock)"
    assert at(s3, "range_descriptor.to_value.value").meaning == "now"
    assert at(node, "data_count").value == 4
    assert at(node, "data[0]").meaning == "null-data"
    season = at(node, "data[1].elements[0]")
    assert at(season, "elements[0].value").meaning == '"winter"'
    assert at(season, "elements[1].value").meaning == "never"


def test_get_protected_attributes_request_parameters_are_named():
    params = ("structure", [
        ("array", [("structure", [("long_unsigned", 1), ("octet_string", obis_bytes("0-0:94.44.34.10")),
                                  ("integer", 2), ("long_unsigned", 0), ("structure", [("enum", 0), None])])]),
        protection_parameters(1000, SUPPLIER, DEVICE)])
    content = build_access_request([("action", "data_protection", "0-0:43.2.8.255", "get_protected_attributes")],
                                   [params])
    node, notes = decode(content, 0x0027)
    assert notes == []
    item = at(node, "data[0]")
    assert item.meaning == "get_protected_attributes_request: structure of 2"
    element = at(item, "object_list.elements[0]")
    assert at(element, "class_id.value").meaning == "Data"
    assert at(element, "logical_name.value").meaning == "0-0:94.44.34.10"
    assert at(element, "restriction.restriction_type.value").meaning == "none"
    assert at(item, "protection_parameters.elements[0].protection_options.originator_system_title.value").value \
        == SUPPLIER
    # a set of the same object is not a method call: plain names
    content = build_access_request([("set", 30, "0-0:43.2.8.255", 2)], [params])
    node, notes = decode(content, 0x0027)
    assert node.find("data[0].object_list") is None and notes == []


def test_request_specs_are_named():
    content = build_access_request([("get", 3, "1-0:2.8.0.255", 3)])
    node, _ = decode(content)
    assert at(node, "request_specs[0].instance_id").meaning == "1-0:2.8.0.255 (Active Export Register)"
    assert at(node, "request_specs[0].attribute_id").meaning == "Scaler Unit"


def test_class_mismatch_and_unknown_class_are_noted_not_fatal():
    node, notes = decode(build_access_request([("get", 3, "0-0:13.0.0.255", 2), ("get", 0x0999, "1-2:3.4.5.6", 9)]))
    assert any("addressed as class 3" in n for n in notes)
    assert at(node, "request_specs[1].class_id").meaning == "class 2457 (not in specs)"
    assert at(node, "request_specs[1].attribute_id").meaning == "attribute 9"


def test_date_time_present():
    content = build_access_request([("get", 1, "0-0:0.2.1.255", 2)], date_time=dt.datetime(2015, 1, 1, 9))
    node, _ = decode(content)
    assert at(node, "date_time_length").value == 12
    assert at(node, "date_time").meaning == "2015-01-01T09:00:00"


# -- Access-Response -----------------------------------------------------------------------

def test_access_response_results():
    content = build_access_response([("octet_string", bytes.fromhex("0123ABCD")), None, None],
                                    [("get", "success"), ("set", "read_write_denied"), ("action", 15)])
    node, notes = decode(content, 0x0059, RESPONSE)
    assert notes == []
    assert at(node, "request_spec_echo").value == 0
    assert at(node, "data[0].value").value == bytes.fromhex("0123ABCD")
    assert at(node, "response_spec_count").value == 3
    assert at(node, "response_specs[0].result").meaning == "Success"
    assert at(node, "response_specs[1].result").meaning == "Read Write Denied"
    assert at(node, "response_specs[2].choice").meaning == "action"
    assert at(node, "response_specs[2].result").meaning == "Long Action Aborted"


def test_access_response_with_request_spec_echo():
    content = build_access_response([None], [("get", 4)], request_specs=[("get", 1, "0-0:0.2.1.255", 2)])
    node, _ = decode(content, 0x0059, RESPONSE)
    assert at(node, "request_spec_echo").meaning == "access-request-specification present"
    assert at(node, "request_specs[0].class_id").meaning == "Data"
    assert at(node, "response_specs[0].result").meaning == "Object Undefined"


def test_protected_response_parts_are_named():
    params = protection_parameters(1000, DEVICE, SUPPLIER)
    item = protected_attributes_response(params, bytes(26), bytes(range(12)), invocation_counter=7)
    content = build_access_response([item, ("enum", 3)], [("action", 0), ("action", 0)])
    node, notes = decode(content, 0x0027, RESPONSE)
    assert notes == []
    r = at(node, "data[0]")
    assert r.meaning == "get_protected_attributes_response: structure of 2"
    assert at(r, "protection_parameters.elements[0].protection_type.value").meaning == "authenticated encryption"
    opts = at(r, "protection_parameters.elements[0].protection_options")
    assert at(opts, "transaction_id.value.mode").value == 4
    assert at(opts, "transaction_id.value.originator_counter").value == 1000
    assert at(opts, "originator_system_title.value").value == DEVICE
    assert at(opts, "recipient_system_title.value").value == SUPPLIER
    assert at(opts, "key_info.key_info_type.value").meaning == "agreed key"
    assert at(opts, "key_info.agreed_key_info_options.key_parameters.value.scheme").value == 2
    c = at(r, "protected_attributes.value")
    assert at(c, "security_header.security_control").value == 0x31
    assert at(c, "security_header.invocation_counter").value == 7
    assert c.get("ciphertext").value == bytes(26)
    assert c.get("tag").value == bytes(range(12))
    # an ordinary (error) data item in the same response stays generic
    assert at(node, "data[1].value").value == 3
    # the same bytes under another message code are plain data
    node, _ = decode(content, 0x0059, RESPONSE)
    assert node.find("data[0].protected_attributes") is None
    assert at(node, "data[0].elements[1].value").value[0] == 0x31


# -- alerts --------------------------------------------------------------------------------

def test_generic_alert():
    content = build_alert(0x810E, dt.datetime(2015, 1, 1))
    assert content == bytes.fromhex("0F200007D000020212810E090C07DF0101FF000000008000FF")[:5] + content[5:]
    node, notes = decode(content, 0x1001, ALERT)
    assert notes == []
    assert at(node, "alert.alert_code.value").meaning == "Credit Added Locally"
    assert at(node, "alert.timestamp.value").meaning == "2015-01-01T00:00:00"
    node, _ = decode(build_alert(0x8F12, None, ("octet_string", b"\x00\x01")), 0x0018, ALERT)
    assert at(node, "alert.elements[2].value").value == b"\x00\x01"
    node, _ = decode(build_alert(0x1234), 0x1000, ALERT)
    assert "not in alert_codes" in at(node, "alert.alert_code.value").meaning


def test_future_dated_alert():
    payload = (0x0019).to_bytes(2, "big") + (1008).to_bytes(8, "big") + (9000).to_bytes(2, "big") \
        + obis_bytes("0-0:94.44.2.0") + b"\x06"
    node, notes = decode(build_alert(0x8F66, dt.datetime(2030, 1, 15, 9), ("octet_string", payload)), 0x00CC, ALERT)
    assert notes == []
    f = at(node, "alert.future_dated_command.value")
    assert f.get("message_code").value == 0x0019
    assert f.get("message_code").meaning == "Set Tariff and Price on ESME"
    assert f.get("originator_counter").value == 1008
    assert at(f, "attribute.class_id").meaning == "GBCS Extended Data"
    assert at(f, "attribute.instance_id").meaning == "0-0:94.44.2.0 (Currency Unit)"
    assert at(f, "attribute.attribute_id").meaning == "Activate Passive Value Time"
    # a payload of the wrong size stays an octet-string, with a note
    node, notes = decode(build_alert(0x8F66, None, ("octet_string", payload[:-1])), 0x00CC, ALERT)
    assert at(node, "alert.future_dated_command.value").value == payload[:-1]
    assert len(notes) == 1 and "dlms_future_dated_alert" in notes[0]


def test_layout_reads_keep_dlms_meanings():
    """Octet-string contents walked by the layout interpreter keep DLMS's own meanings: the
    descriptor group says which attribute of which object, an enum miss is named, and an
    object addressed under another class than the specs list it with gets a note."""
    payload = (0x0019).to_bytes(2, "big") + (1008).to_bytes(8, "big") + (9000).to_bytes(2, "big") \
        + obis_bytes("0-0:94.44.2.0") + b"\x06"
    node, _ = decode(build_alert(0x8F66, None, ("octet_string", payload)), 0x00CC, ALERT)
    group = at(node, "alert.future_dated_command.value.attribute")
    assert group.meaning == "Activate Passive Value Time of 0-0:94.44.2.0 (Currency Unit)"
    wrong_class = payload[:10] + (8).to_bytes(2, "big") + payload[12:]
    node, notes = decode(build_alert(0x8F66, None, ("octet_string", wrong_class)), 0x00CC, ALERT)
    assert at(node, "alert.future_dated_command.value.attribute.class_id").meaning == "Clock"
    assert len(notes) == 1 and "is addressed as class 8" in notes[0] and "attribute.class_id" in notes[0]
    node, _ = decode(build_alert(0x81A0, None, ("octet_string", b"\xFF\xFE")), 0x00F0, ALERT)
    assert at(node, "alert.integrity_issue.value.reason").meaning == "65534 (not in dlms_meter_integrity_reason)"


def test_firmware_receipt_and_meter_integrity_alerts():
    node, _ = decode(build_alert(0x8F72, None, ("octet_string", bytes(32))), 0x00CE, ALERT)
    assert at(node, "alert.calculated_manufacturer_hash.value").value == bytes(32)
    node, notes = decode(build_alert(0x81A0, None, ("octet_string", b"\x00\x04")), 0x00F0, ALERT)
    assert notes == []
    assert at(node, "alert.integrity_issue.value.reason").meaning == "Error RAM"


def test_billing_data_log_alert():
    params = protection_parameters(2000, DEVICE, SUPPLIER)
    ciphered = b"\x31" + bytes(4) + bytes(100) + bytes(12)
    node, notes = decode(build_alert(0x8F0A, None, params, ("octet_string", ciphered)), 0x0061, ALERT)
    assert notes == []
    assert at(node, "alert.protection_parameters.elements[0].protection_options.transaction_id.value"
                    ".originator_counter").value == 2000
    assert len(at(node, "alert.protected_attributes.value.ciphertext").value) == 100


def test_failure_to_deliver_alert_der_header():
    identity = SUPPLIER + DEVICE + b"\x01" + (1000).to_bytes(8, "big")
    der = b"\x30" + bytes([len(identity)]) + identity
    node, notes = decode(build_alert(0x8F84, None, ("raw", der)), 0x00D5, ALERT)
    assert notes == []
    m = at(node, "alert.remote_party_message")
    assert m.get("tag").value == 0x30 and m.get("length").value == 25
    assert m.get("business_originator_id").value == SUPPLIER
    assert m.get("cra_flag").meaning == "Command"
    assert m.get("originator_counter").value == 1000
    # a header of another size keeps its bytes, with a note
    node, notes = decode(build_alert(0x8F84, None, ("raw", b"\x30\x03abc")), 0x00D5, ALERT)
    assert at(node, "alert.remote_party_message.value").value == b"abc"
    assert len(notes) == 1 and "layout dlms_remote_party_message_id takes 25" in notes[0]
    # 0x30 is no A-XDR tag anywhere else
    err = decode_error(build_alert(0x8F84, None, ("raw", der)), 0x1000, ALERT)
    assert isinstance(err, UnknownCodeError) and err.field == "payload.alert.elements[2].tag"


def test_alert_shape_mismatch_is_a_note():
    node, notes = decode(build_alert(0x8F66, None, ("long_unsigned", 5)), 0x00CC, ALERT)
    assert at(node, "alert.elements[2].value").value == 5
    assert len(notes) == 1 and "expected octet_string, found long_unsigned" in notes[0]
    node, notes = decode(build_data_notification(("long_unsigned", 5)), 0x1000, ALERT)
    assert at(node, "notification_body.value").value == 5 and notes == []


# -- Data types ----------------------------------------------------------------------------

@pytest.mark.parametrize("value, tag, check", [
    (None, 0x00, lambda n: len(n.children) == 1),
    (("dont_care", None), 0xFF, lambda n: len(n.children) == 1),
    (True, 0x03, lambda n: n.get("value").meaning == "true"),
    (("bit_string", "1010000011"), 0x04, lambda n: n.get("length").value == 10
     and n.get("value").meaning == "1010000011"),
    (("double_long", -5), 0x05, lambda n: n.get("value").value == -5),
    (("double_long_unsigned", 0xFFFFFFFF), 0x06, lambda n: n.get("value").value == 0xFFFFFFFF),
    (b"\x01\x02", 0x09, lambda n: n.get("value").value == b"\x01\x02"),
    ("E-ON", 0x0A, lambda n: n.get("value").meaning == "E-ON"),
    (("utf8_string", "Grüße"), 0x0C, lambda n: n.get("value").meaning == "Grüße"),
    (("bcd", 0x42), 0x0D, lambda n: n.get("value").meaning == "BCD 42"),
    (("integer", -128), 0x0F, lambda n: n.get("value").value == -128),
    (("long", -2), 0x10, lambda n: n.get("value").value == -2 and n.get("value").codec == "i16"),
    (("unsigned", 255), 0x11, lambda n: n.get("value").value == 255),
    (("long_unsigned", 513), 0x12, lambda n: n.get("value").value == 513),
    (("long64", -(2 ** 63)), 0x14, lambda n: n.get("value").value == -(2 ** 63)),
    (("long64_unsigned", 2 ** 64 - 1), 0x15, lambda n: n.get("value").value == 2 ** 64 - 1),
    (("enum", 7), 0x16, lambda n: n.get("value").value == 7),
    (("float32", 1.5), 0x17, lambda n: n.get("value").value == 1.5),
    (("float64", -0.25), 0x18, lambda n: n.get("value").value == -0.25),
    (("date_time", dlms_datetime(dt.datetime(2015, 1, 1))), 0x19,
     lambda n: n.get("value").meaning == "2015-01-01T00:00:00"),
    (("date", bytes.fromhex("07DF0C19FF")), 0x1A, lambda n: n.get("value").meaning == "2015-12-25"),
    (("time", bytes.fromhex("17000000")), 0x1B, lambda n: n.get("value").meaning == "23:00:00"),
    (("array", [("unsigned", 1), ("unsigned", 2)]), 0x01, lambda n: n.get("count").value == 2
     and n.find("elements[1].value").value == 2),
    (("structure", []), 0x02, lambda n: n.get("count").value == 0),
])
def test_every_data_type(value, tag, check):
    raw = encode_data(value)
    assert raw[0] == tag
    node = data_value(raw)
    assert node.get("tag").value == tag
    assert check(node)


def test_compact_array():
    desc = ("structure", ["double_long_unsigned", "octet_string", ("array", 2, "long")])
    values = [[10, b"ab", [1, -1]], [20, b"", [2, -2]]]
    raw = encode_data(("compact_array", (desc, values)))
    node = data_value(raw)
    td = node.get("type_description")
    assert td.meaning == "structure of 3"
    assert at(td, "member_types[2].count").value == 2
    assert at(td, "member_types[2].element_type.tag").meaning == "long"
    assert node.get("contents_length").value == len(raw) - 1 - 8 - 1
    c = node.get("contents")
    assert c.meaning == "2 elements"
    assert at(c, "elements[0].elements[0]").value == 10
    assert at(c, "elements[0].elements[1].value").value == b"ab"
    assert at(c, "elements[1].elements[2].elements[1]").value == -2
    # the RTDS form: array of structure(2) of double-long-unsigned
    raw = encode_data(("compact_array", (("structure", ["double_long_unsigned"] * 2), [[1, 2], [3, 4]])))
    assert raw.hex().upper() == "13020206061000000001000000020000000300000004"
    assert data_value(raw).get("contents").meaning == "2 elements"


def test_long_form_counts_and_lengths():
    raw = encode_data(("array", [("unsigned", i) for i in range(200)]))
    assert raw[:3] == b"\x01\x81\xC8"
    node = data_value(raw)
    assert node.get("count").value == 200 and node.find("elements[199].value").value == 199
    assert data_value(b"\x01\x82\x00\x01\x00").get("count").value == 1           # non-minimal form survives
    big = bytes(300)
    node = data_value(encode_data(big))
    assert node.get("length").value == 300 and node.get("length").end - node.get("length").start == 3
    assert axdr_length(0x7F) == b"\x7F" and axdr_length(0x80) == b"\x81\x80" and axdr_length(0x1234) == b"\x82\x12\x34"


def test_cosem_pairs_in_data():
    node = data_value(encode_data(("structure", [("long_unsigned", 3), ("octet_string", obis_bytes("1-0:2.8.0.255")),
                                                 ("integer", 2)])))
    assert at(node, "elements[0].value").meaning == "Register"
    assert at(node, "elements[1].value").meaning == "1-0:2.8.0.255 (Active Export Register)"
    # a known object alone, and the usual A-B:C.D.E.255 form
    assert data_value(encode_data(obis_bytes("0-0:19.10.0.255"))).get("value").meaning == \
        "0-0:19.10.0.255 (Meter Balance)"
    assert data_value(encode_data(obis_bytes("1-0:1.8.0.255"))).get("value").meaning == "1-0:1.8.0.255"


def test_cosem_pairs_follow_the_element_tags():
    """Only a long-unsigned known class id directly followed by a 6-byte octet-string, both
    elements of one structure, are read as class + logical name."""
    name = bytes([100, 0, 1, 2, 3, 4])                # no object in specs, not the usual form
    pair = [("long_unsigned", 3), ("octet_string", name)]
    node = data_value(encode_data(("structure", [("structure", [("unsigned", 1)]), *pair, ("long_unsigned", 3)])))
    assert at(node, "elements[1].value").meaning == "Register"
    assert at(node, "elements[2].value").meaning == "100-0:1.2.3.4"
    assert at(node, "elements[3].value").meaning is None
    for other in (("array", pair),                                           # not a structure
                  ("structure", [("long_unsigned", 3), ("structure", []), ("octet_string", name)]),
                  ("structure", [("long_unsigned", 9999), ("octet_string", name)]),   # not a class
                  ("structure", [("unsigned", 3), ("octet_string", name)])):
        node = data_value(encode_data(other))
        assert [n.meaning for _, n in node.walk() if n.name == "value" and n.codec == "bytes"] == [None]


@pytest.mark.parametrize("flags, text", [(0x00, "invoke id 7"), (0x20, "invoke id 7; break on error"),
                                         (0xE0, "invoke id 7; break on error, confirmed, high priority"),
                                         (0x25, "invoke id 7; break on error, reserved bits 0x05000000 set"),
                                         (0x20, "invoke id 7; break on error")])
def test_invoke_id_flag_words(flags, text):
    node, _ = decode(build_data_notification(("unsigned", 1), invoke_id=7, flags=flags))
    assert at(node, "long_invoke_id_and_priority").meaning == text


def test_builder_errors():
    with pytest.raises(EncodeError):
        encode_data(5)
    with pytest.raises(EncodeError):
        encode_data(("unsigned", 256))
    with pytest.raises(EncodeError):
        encode_data(("nonsense", 1))
    with pytest.raises(EncodeError):
        build_access_request([("get", "no_such_class", "0-0:1.0.0.255", 2)])
    with pytest.raises(EncodeError):
        encode_data(("compact_array", (("array", 2, "long"), [[1]])))


# -- errors --------------------------------------------------------------------------------

SAMPLES = {
    "request": (build_access_request([
        ("get", 1, "0-0:0.2.1.255", 2),
        ("set", 20, "0-0:13.0.0.255", 10),
        ("get_with_selection", 7, "0-0:99.98.0.255", 2, 1, ("structure", [
            ("structure", [("long_unsigned", 8), b"\x00\x00\x01\x00\x00\xff", ("integer", 2), ("long_unsigned", 0)]),
            ("double_long_unsigned", 1), ("double_long_unsigned", 2), ("array", [])])),
    ], [None, dlms_datetime("never"), None]), None, COMMAND),
    "response": (build_access_response([("compact_array", (("structure", ["double_long_unsigned", "bit_string"]),
                                                           [[1, "101"], [2, "1"]])), "text"],
                                       [("get", 0), ("get", 0)]), 0x002E, RESPONSE),
    "protected": (build_access_response([protected_attributes_response(protection_parameters(1, DEVICE, SUPPLIER),
                                                                       bytes(5), bytes(12))], [("action", 0)]),
                  0x0027, RESPONSE),
    "alert": (build_alert(0x8F66, None, ("octet_string", bytes(19))), 0x00CC, ALERT),
    "der": (build_alert(0x8F84, None, ("raw", b"\x30\x19" + bytes(25))), 0x00D5, ALERT),
}


@pytest.mark.parametrize("sample", sorted(SAMPLES))
def test_truncation_at_every_prefix(sample):
    content, code, cra = SAMPLES[sample]
    decode(content, code, cra)
    for cut in range(len(content)):
        err = decode_error(content[:cut], code, cra)
        assert isinstance(err, (TruncatedError, LengthError)), (cut, err)
        assert len(PREFIX) <= err.offset <= len(PREFIX) + cut, (cut, err)
        assert err.field.startswith("payload"), err.field


def test_unknown_tags_and_choices():
    err = decode_error(build_access_request([("get", 1, "0-0:0.2.1.255", 2)], [("raw", b"\x07")]))
    assert isinstance(err, UnknownCodeError) and err.rule == "GBCS-D004"
    assert err.field == "payload.data[0].tag" and err.offset == len(PREFIX) + 18
    err = decode_error(encode_data(("structure", [None, ("raw", b"\x1C\x00")])))      # not an APDU tag
    assert isinstance(err, UnknownCodeError) and err.field == "payload.apdu_tag"
    content = bytearray(build_access_request([("get", 1, "0-0:0.2.1.255", 2)]))
    content[7] = 0x09
    err = decode_error(bytes(content))
    assert isinstance(err, UnknownCodeError) and err.field == "payload.request_specs[0].choice"
    content = build_access_response([None], [("get", 0)])
    err = decode_error(content[:-2] + b"\x07\x00", 0x0059, RESPONSE)
    assert isinstance(err, UnknownCodeError) and err.field == "payload.response_specs[0].choice"
    err = decode_error(build_data_notification(("raw", b"\x13\x01\x00\x01\x13\x00")), 0x1000, ALERT)
    assert isinstance(err, ConstraintError)                       # compact-array inside a type description
    err = decode_error(build_data_notification(("raw", b"\x13\x02\x01\x08\x00")), 0x1000, ALERT)
    assert isinstance(err, UnknownCodeError)
    assert err.field == "payload.notification_body.type_description.member_types[0].tag"


def test_bad_header_fields():
    content = bytearray(build_access_request([("get", 1, "0-0:0.2.1.255", 2)]))
    content[5] = 0x05
    err = decode_error(bytes(content))
    assert isinstance(err, ConstraintError) and err.field == "payload.date_time_length"
    content = build_access_response([None], [("get", 0)])
    err = decode_error(content[:6] + b"\x02" + content[7:], 0x0059, RESPONSE)
    assert isinstance(err, ConstraintError) and err.field == "payload.request_spec_echo"
    err = decode_error(build_data_notification(("raw", b"\x01\x80")), 0x1000, ALERT)
    assert isinstance(err, ConstraintError) and err.rule == "GBCS-D007"
    err = decode_error(build_alert(0x8F30) + b"\x00", 0x1000, ALERT)
    assert isinstance(err, LengthError) and err.rule == "GBCS-D005"


@pytest.mark.parametrize("body", [
    b"\x09\x84\xFF\xFF\xFF\xFF",                  # octet-string length bomb
    b"\x0A\x84\xFF\xFF\xFF\xFF",
    b"\x04\x84\xFF\xFF\xFF\xFF",                  # bit-string of 4 Gbit
    b"\x01\x84\xFF\xFF\xFF\xFF\x00",              # array count bomb
    b"\x02\x84\x7F\xFF\xFF\xFF\x00",
    b"\x13\x02\x84\xFF\xFF\xFF\xFF\x11",          # type description member count bomb
    b"\x13\x11\x84\xFF\xFF\xFF\xFF\x01",          # compact contents length bomb
])
def test_length_bombs(body):
    start = time.perf_counter()
    err = decode_error(build_data_notification(("raw", body)), 0x1000, ALERT)
    assert isinstance(err, LengthError), err
    assert time.perf_counter() - start < 1


def test_deep_nesting():
    body = b"\x02\x01" * (MAX_DEPTH + 10) + b"\x00"
    err = decode_error(build_data_notification(("raw", body)), 0x1000, ALERT)
    assert isinstance(err, ConstraintError) and err.rule == "GBCS-D006"
    ok = b"\x01\x01" * (MAX_DEPTH - 1) + b"\x00"
    decode(build_data_notification(("raw", ok)), 0x1000, ALERT)
    desc = b"\x01\x00\x01" * (MAX_DEPTH + 10) + b"\x11"
    err = decode_error(build_data_notification(("raw", b"\x13" + desc + b"\x00")), 0x1000, ALERT)
    assert isinstance(err, ConstraintError) and err.rule == "GBCS-D006"


def test_zero_width_compact_items_stay_linear():
    start = time.perf_counter()
    # 0xFFFF x 0xFFFF x 0xFFFF nulls per element: the node budget stops it at once
    body = b"\x13\x01\xFF\xFF\x01\xFF\xFF\x01\xFF\xFF\x00\x01\x00"
    err = decode_error(build_data_notification(("raw", body)), 0x1000, ALERT)
    assert isinstance(err, ConstraintError) and err.rule == "GBCS-D006"
    # elements that take no bytes cannot fill non-empty contents
    err = decode_error(build_data_notification(("raw", b"\x13\x00\x01\x00")), 0x1000, ALERT)
    assert isinstance(err, ConstraintError)
    # zero contents of zero-width elements is fine
    decode(build_data_notification(("raw", b"\x13\x01\xFF\xFF\x00\x00")), 0x1000, ALERT)
    assert time.perf_counter() - start < 2


# -- properties ----------------------------------------------------------------------------

_SIMPLE = st.one_of(
    st.none(), st.booleans(), st.binary(max_size=140), st.text("abcXYZ 09", max_size=20),
    st.tuples(st.just("long_unsigned"), st.integers(0, 0xFFFF)),
    st.tuples(st.just("double_long"), st.integers(-2 ** 31, 2 ** 31 - 1)),
    st.tuples(st.just("enum"), st.integers(0, 255)),
    st.tuples(st.just("long64"), st.integers(-2 ** 63, 2 ** 63 - 1)),
    st.tuples(st.just("bit_string"), st.text("01", max_size=20)),
    st.tuples(st.just("utf8_string"), st.text(max_size=10)),
    st.tuples(st.just("float64"), st.floats(allow_nan=False)),
)
_VALUES = st.recursive(_SIMPLE, lambda inner: st.tuples(st.sampled_from(["array", "structure"]),
                                                        st.lists(inner, max_size=5)), max_leaves=30)


@settings(max_examples=150, deadline=None)
@given(_VALUES)
def test_built_values_decode_and_reencode(value):
    raw = encode_data(value)
    data_value(raw)


@settings(max_examples=300, deadline=None)
@given(st.sampled_from([b"\xD9\x20\x00\x03\xE8\x00", b"\xDA\x20\x00\x03\xE8\x00\x00", b"\x0F\x20\x00\x07\xD0\x00"]),
       st.binary(max_size=60), st.sampled_from([None, 0x0027, 0x00CC, 0x0061, 0x00D5, 0x00F0]))
def test_random_bytes_only_raise_decode_errors(head, tail, code):
    content = head + tail
    w = Walker(content)
    w.begin("payload")
    try:
        decode_dlms(w, PayloadContext(specs(), code, ALERT))
    except DecodeError as exc:
        assert 0 <= exc.offset <= len(content)
        return
    node = w.finish()
    assert_tiles(node, 0, len(content))
    assert gbcs.encode(node) == content


def test_decode_data_for_decrypted_plaintext():
    plain = encode_data(("structure", [("array", [("double_long_unsigned", 5)]), ("octet_string", b"x")]))
    w = Walker(plain)
    node = decode_data(w, None, "data")
    assert node.name == "data" and w.pos == len(plain)
    assert node.find("elements[0].elements[0].value").value == 5


# -- the RTDS corpus -----------------------------------------------------------------------

@pytest.mark.corpus
def test_rtds_dlms_contents_decode_completely(rtds):
    done, failures, names = 0, [], set()
    for path, data in rtds:
        code, cra, start, end = rtds_content(data)
        if data[start] not in (0xD9, 0xDA, 0x0F):
            continue
        done += 1
        node, ctx, problems = walk_rtds_content(decode_dlms, data)
        failures += [f"{path.name}: {p}" for p in problems]
        if node is None:
            continue
        if ctx.notes:
            failures.append(f"{path.name}: notes {ctx.notes}")
        names.update(n for n, _ in node.walk())
        if code == 0x00CC:
            assert node.find("alert.future_dated_command.value.attribute.class_id") is not None, path.name
        if code == 0x0061:
            assert node.find("alert.protected_attributes.value.ciphertext") is not None, path.name
        if code in (0x0027, 0x002D, 0x0060) and "SUCCESS_RESPONSE" in path.name:
            assert node.find("data[0].protected_attributes.value.tag") is not None
    assert not failures, f"{len(failures)} failed:\n" + "\n".join(failures[:30])
    assert done == 595
    assert {"payload.alert.calculated_manufacturer_hash", "payload.alert.discarded_message"} <= names


def test_scaler_unit_names_the_value_it_scales():
    import gbcs
    from gbcs import builder
    from gbcs.payload import dlms
    content = dlms.build_access_response(
        [("double_long_unsigned", 147), ("structure", [("integer", -3), ("enum", 30)]),
         ("structure", [("integer", 1), ("enum", 200)])],
        [("get", 0), ("get", 0), ("get", 0)], invoke_id=5)
    env = builder.Envelope("response", 5, "00DB1234567890A0", "90B3D51F30010000", 0x0028)
    data = builder.general_signing(env, content, b"")
    message = gbcs.decode(data)
    value = message.find("payload.data[0].value")
    assert value.meaning == "147 × 10^-3 = 0.147 Wh"
    assert message.find("payload.data[1]").meaning == "scaler_unit: × 10^-3 Wh"
    assert "scaler_unit" not in (message.find("payload.data[2]").meaning or "")   # 200 is no Blue Book unit
    assert gbcs.encode(message) == data


def test_attribute_and_method_of_one_index_keep_their_own_names():
    # members are looked up by one integer key per (class, attribute or method, index): an
    # attribute must never take the name of the method with its index, nor the other way round
    from gbcs.payload import dlms
    t = dlms._t(None)
    objects = {cid: raw for raw, (cid, _, _) in sorted(t.objects.items())}
    both = sorted((cid, idx) for cid, kind, idx in t.members
                  if kind == "attribute" and (cid, "method", idx) in t.members and cid in objects)
    assert both, "specs list no class with an attribute and a method of the same index"
    for cid, idx in both:
        content = build_access_request([("set", cid, objects[cid], idx), ("action", cid, objects[cid], idx)])
        node, _ = decode(content)
        assert at(node, "request_specs[0].attribute_id").meaning == t.members[(cid, "attribute", idx)][1]
        assert at(node, "request_specs[1].method_id").meaning == t.members[(cid, "method", idx)][1]
