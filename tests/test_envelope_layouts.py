"""The envelope, GBT and GBZ headers are struct items walked by gbcs/wire/layout.py: their
errors keep offset, field and rule, meanings come from the tables, and the builder writes
what the decoder reads (both from the same compiled layouts)."""
from __future__ import annotations

import pytest

import gbcs
from gbcs.builder import Envelope, gbt_blocks, general_signing, mac_header, mac_wrap
from gbcs.compile import parse_struct
from gbcs.errors import ConstraintError, UnknownCodeError
from gbcs.payload import gbz
from gbcs.spec import specs

SUPPLIER = bytes.fromhex("90B3D51F30010000")
DEVICE = bytes.fromhex("00DB1234567890A0")
DLMS_GET = bytes.fromhex("D9200003E8000101000100000002 01FF 02 01 00".replace(" ", ""))
MAC = bytes(range(100, 112))


def env(**kw) -> Envelope:
    base = dict(cra="response", counter=77, originator=DEVICE, recipient=SUPPLIER, message_code=0x0059)
    base.update(kw)
    return Envelope(**base)


def tag(name: str) -> int:
    return next(r.cells["value"] for r in specs().enum("apdu_tag").rows if r.cells["name"] == name)


def test_gbt_header_fields_meanings_and_unknown_tag():
    e = env()
    blocks = gbt_blocks(mac_wrap(general_signing(e, DLMS_GET, b""), MAC), e, block_size=30)
    m = gbcs.decode(b"".join(blocks))
    last = m.root.find(f"gbt.blocks[{len(blocks) - 1}].gbt_header.block_control")
    assert last.meaning == "last block, window 0"
    assert m.root.find("gbt.blocks[0].gbt_header.block_control").meaning == "window 0"
    first = m.root.find("gbt.blocks[0].gbt_header.general_block_transfer")
    assert first.value == tag("general_block_transfer")
    bad = bytearray(b"".join(blocks))
    bad[first.start] ^= 0x01
    with pytest.raises(UnknownCodeError) as info:
        gbcs.decode(bytes(bad))
    assert (info.value.offset, info.value.field) == (first.start, "gbt.blocks[0].gbt_header.general_block_transfer")


def test_gbt_key_info_must_be_absent():
    e = env()
    data = bytearray(gbt_blocks(mac_wrap(general_signing(e, DLMS_GET, b""), MAC), e)[0])
    m = gbcs.decode(bytes(data))
    key_info = m.root.find("gbt.blocks[0].routing_header.key_info")
    data[key_info.start] = 1
    with pytest.raises(ConstraintError) as info:
        gbcs.decode(bytes(data))
    assert (info.value.offset, info.value.field, info.value.rule) == (
        key_info.start, "gbt.blocks[0].routing_header.key_info", "GBCS-D003")
    assert "absent key-info" in str(info.value)


def test_envelope_meanings_come_from_the_tables():
    m = gbcs.decode(mac_wrap(general_signing(env(srp_id=SUPPLIER), DLMS_GET, b""), MAC))
    assert m.find("grouping_header.transaction_id.cra_flag").meaning == "response"
    assert m.find("grouping_header.originator.id").meaning == DEVICE.hex().upper()
    assert m.find("grouping_header.other_information.supplementary_remote_party_id").meaning == SUPPLIER.hex().upper()
    assert m.find("mac_header.security_header.security_control").meaning == "authenticated"
    assert m.find("grouping_header.other_information.message_code").meaning.startswith("ECS52")


def test_mac_header_builds_what_the_layout_reads():
    header = mac_header(100, invocation_counter=7)
    values = parse_struct(specs(), "mac_header", header[:-5])
    assert values["general_ciphering"] == tag("general_ciphering")
    assert values["ciphered_content_length"] == 5 + 100 + 12
    assert parse_struct(specs(), "security_header", header[-5:]) == {"security_control": 0x11, "invocation_counter": 7}


def _gbz_message() -> bytes:
    comp = gbz.build_component(0x0702, 0x00, gbz.build_read_attributes([0x0000]),
                               frame_control=gbz.build_frame_control(False, False), sequence=3,
                               from_date_time=86400)
    return general_signing(env(cra="command", originator=SUPPLIER, recipient=DEVICE, message_code=0x0019),
                           gbz.build_gbz([comp]), b"")


def test_gbz_headers_walk_from_their_layouts():
    m = gbcs.decode(_gbz_message())
    c = m.find("payload.components.components[0]")
    assert c.get("control").meaning == "last component, from-date-time present"
    assert c.get("cluster_id").meaning == "Metering"
    assert c.get("from_date_time").meaning == "2000-01-02T00:00:00Z"
    assert [n.name for n in c.get("zcl_header")] == ["frame_control", "sequence_number", "command_id"]
    assert gbcs.encode(m) == _gbz_message()


def test_gbz_unknown_profile_keeps_offset_and_field():
    # decode() routes only known profiles to GBZ, so walk a GBZ payload directly
    from gbcs.payload.context import PayloadContext
    from gbcs.wire.backend import Walker
    content = bytearray(gbz.build_gbz([]))
    content[1] ^= 0x02
    w = Walker(bytes(content))
    w.begin("payload")
    with pytest.raises(UnknownCodeError) as info:
        gbz.decode_gbz(w, PayloadContext(specs(), 0x0019, 1, 1, SUPPLIER, DEVICE))
    assert (info.value.offset, info.value.field) == (0, "payload.profile_id")
    assert "is not the GBZ profile id" in str(info.value)
