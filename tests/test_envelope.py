"""The envelope walk on messages built with our own encoder: fields, kinds, paths, round trip,
and the errors (offset + field) for truncation, wrong lengths, unknown tags and length bombs."""
from __future__ import annotations

import pytest

import gbcs
from gbcs.builder import Envelope, gbt_blocks, general_signing, mac_wrap, precommand
from gbcs.errors import ConstraintError, DecodeError, LengthError, TruncatedError, UnknownCodeError

SUPPLIER = bytes.fromhex("90B3D51F30010000")
DEVICE = bytes.fromhex("00DB1234567890A0")
ACB = bytes.fromhex("90B3D51F30000002")
NULL = bytes.fromhex("0500")                     # ASN.1 NULL: the CS07/CS08 command body
DLMS_GET = bytes.fromhex("D9200003E8000101000100000002 01FF 02 01 00".replace(" ", ""))
SIG = bytes(range(64))
MAC = bytes(range(100, 112))


def env(**kw) -> Envelope:
    base = dict(cra="command", counter=1000, originator=SUPPLIER, recipient=DEVICE, message_code=0x0059)
    base.update(kw)
    return Envelope(**base)


def tiles(message: gbcs.Message) -> bool:
    pos = 0
    for leaf in message.root.leaves():
        if leaf.start != pos:
            return False
        pos = leaf.end
    return pos == len(message.data)


def test_precommand_fields():
    data = precommand(env(), DLMS_GET)
    m = gbcs.decode(data)
    assert m.kind == "precommand" and m.cra_flag == 1
    assert (m.originator, m.recipient, m.originator_counter) == (SUPPLIER, DEVICE, 1000)
    assert m.message_code == 0x0059 and m.use_case == "ECS52"
    assert m.payload_type == "dlms" and m.date_time is None and m.unparsed_bytes == 0
    assert m.find("grouping_header.other_information.message_code").value == 0x0059
    assert gbcs.encode(m) == data and tiles(m)


@pytest.mark.parametrize("cra, kind", [("command", "command"), ("response", "response"), ("alert", "alert")])
def test_mac_wrapped_kinds(cra, kind):
    data = mac_wrap(general_signing(env(cra=cra), DLMS_GET, b""), MAC)
    m = gbcs.decode(data)
    assert m.kind == kind and m.extras["mac"] == MAC and m.extras["signature"] == b""
    assert m.find("mac_header.security_header.security_control").value == 0x11
    assert gbcs.encode(m) == data and tiles(m)


def test_signed_only_response_and_signed_command():
    data = general_signing(env(cra="response", date_time=bytes.fromhex("07DF0101FF000000008000FF")), DLMS_GET, SIG)
    m = gbcs.decode(data)
    assert m.kind == "response" and m.extras["signature"] == SIG
    assert m.date_time == "2015-01-01T00:00:00"
    assert m.find("signature.length").value == 0x40
    data = general_signing(env(), DLMS_GET, SIG)
    assert gbcs.decode(data).kind == "command"


def test_unsigned_df_command_is_a_precommand():
    m = gbcs.decode(general_signing(env(), DLMS_GET, b""))
    assert m.kind == "precommand" and m.find("signature.length").value == 0


@pytest.mark.parametrize("extra, names", [
    ({}, []),
    ({"srp_id": SUPPLIER}, ["supplementary_remote_party_id"]),
    ({"srp_id": SUPPLIER, "srp_counter": 7}, ["supplementary_remote_party_id", "supplementary_remote_party_counter"]),
    ({"srp_id": SUPPLIER, "srp_counter": 7, "supplementary_originator_counter": 9},
     ["supplementary_remote_party_id", "supplementary_remote_party_counter", "supplementary_originator_counter"]),
])
def test_other_information_forms(extra, names):
    data = mac_wrap(general_signing(env(originator=ACB, message_code=0x0129, **extra), NULL, b""), MAC)
    m = gbcs.decode(data)
    other = m.find("grouping_header.other_information")
    assert [c.name for c in other.children] == ["length", "message_code"] + names
    assert gbcs.encode(m) == data


def test_large_content_uses_long_lengths():
    content = bytes.fromhex("04820400") + bytes(0x400)        # OCTET STRING of 1024 bytes
    data = mac_wrap(general_signing(env(message_code=0x000F), content, b""), MAC)
    m = gbcs.decode(data)
    assert m.find("mac_header.ciphered_content_length").end - m.find("mac_header.ciphered_content_length").start == 3
    assert gbcs.encode(m) == data and tiles(m)


def test_encode_follows_edited_values():
    data = precommand(env(), DLMS_GET)
    m = gbcs.decode(data)
    m.find("grouping_header.transaction_id.originator_counter").value = 0x1234
    again = gbcs.decode(gbcs.encode(m))
    assert again.originator_counter == 0x1234


# -- errors ---------------------------------------------------------------------------------

def test_every_truncation_is_a_decode_error_within_the_input():
    data = mac_wrap(general_signing(env(srp_id=SUPPLIER, srp_counter=1), DLMS_GET, SIG), MAC)
    for cut in range(len(data)):
        with pytest.raises(DecodeError) as info:
            gbcs.decode(data[:cut])
        assert 0 <= info.value.offset <= cut, (cut, info.value)
        assert info.value.field


def test_truncated_error_names_offset_and_field():
    data = precommand(env(), DLMS_GET)
    with pytest.raises(TruncatedError) as info:
        gbcs.decode(data[:15])
    assert (info.value.offset, info.value.field) == (12, "grouping_header.originator.id")
    assert (info.value.needed, info.value.available) == (8, 3)


def test_content_length_larger_than_the_message():
    data = bytearray(precommand(env(), DLMS_GET))
    at = len(data) - len(DLMS_GET) - 1
    data[at] = 0x7F
    with pytest.raises(LengthError) as info:
        gbcs.decode(bytes(data))
    assert (info.value.offset, info.value.field) == (at, "grouping_header.content_length")


@pytest.mark.parametrize("where", ["mac", "content"])
def test_length_bomb(where):
    if where == "mac":
        data = bytes.fromhex("DD000000000000" + "84FFFFFFFF" + "1100000000") + b"\xdf" * 20
        field, offset = "mac_header.ciphered_content_length", 7
    else:
        head = precommand(env(), b"")[:-1]
        data = head + bytes.fromhex("84FFFFFFFF") + DLMS_GET
        field, offset = "grouping_header.content_length", len(head)
    with pytest.raises(LengthError) as info:
        gbcs.decode(data)
    assert (info.value.offset, info.value.field) == (offset, field)
    assert info.value.expected == 0xFFFFFFFF


def test_other_information_length_bomb():
    data = bytearray(precommand(env(), DLMS_GET))
    # other-information length sits after DF 09 + 9 + 9 + 9 + date-time byte
    at = 1 + 1 + 9 + 9 + 9 + 1
    data[at:at + 1] = bytes.fromhex("83FFFFFF")
    with pytest.raises(LengthError) as info:
        gbcs.decode(bytes(data))
    assert (info.value.offset, info.value.field) == (at, "grouping_header.other_information.length")


@pytest.mark.parametrize("mutate, offset, field, error", [
    (lambda d: b"\xab" + d[1:], 0, "tag", UnknownCodeError),
    (lambda d: d[:2] + b"\x07" + d[3:], 2, "grouping_header.transaction_id.cra_flag", UnknownCodeError),
    (lambda d: d[:11] + b"\x07" + d[12:], 11, "grouping_header.originator.length", ConstraintError),
    (lambda d: d[:29] + b"\x05" + d[30:], 29, "grouping_header.date_time.length", ConstraintError),
    (lambda d: d[:30] + b"\x80" + d[31:], 30, "grouping_header.other_information.length", ConstraintError),
    (lambda d: d + b"\x00\x01", None, "message", LengthError),
])
def test_bad_fields(mutate, offset, field, error):
    data = mutate(precommand(env(), DLMS_GET) + b"\x40" + SIG)
    with pytest.raises(error) as info:
        gbcs.decode(data)
    assert info.value.field == field
    if offset is not None:
        assert info.value.offset == offset


def test_bad_signature_length_byte():
    data = precommand(env(), DLMS_GET) + b"\x20" + bytes(32)
    with pytest.raises(ConstraintError) as info:
        gbcs.decode(data)
    assert info.value.field == "signature.length"


def test_mac_header_must_be_empty():
    data = bytearray(mac_wrap(general_signing(env(), DLMS_GET, b""), MAC))
    data[3] = 0x08
    with pytest.raises(ConstraintError) as info:
        gbcs.decode(bytes(data))
    assert (info.value.offset, info.value.field) == (3, "mac_header.recipient_system_title_length")


def test_non_bytes_input_is_a_type_error():
    with pytest.raises(TypeError):
        gbcs.decode("DF09")


# -- GBT ------------------------------------------------------------------------------------

def test_gbt_blocks_reassemble():
    e = env(cra="response", originator=DEVICE, recipient=SUPPLIER)
    whole = mac_wrap(general_signing(e, DLMS_GET + b"", b""), MAC)
    blocks = gbt_blocks(whole, e, block_size=20)
    assert len(blocks) > 2
    m = gbcs.decode(b"".join(blocks))
    assert m.inner is not None and m.inner.data == whole
    assert m.kind == "response" and m.message_code == 0x0059
    assert gbcs.encode(m) == b"".join(blocks)
    assert [c.name for c in m.root.find("gbt").children][:2] == ["blocks[0]", "blocks[1]"]
    # blocks given out of order still reassemble by number
    assert gbcs.decode(b"".join(reversed(blocks))).inner.data == whole


def test_gbt_missing_block_is_named():
    e = env()
    blocks = gbt_blocks(mac_wrap(general_signing(e, DLMS_GET, b""), MAC), e, block_size=10)
    with pytest.raises(TruncatedError) as info:
        gbcs.decode(b"".join(blocks[:1] + blocks[2:]))
    assert info.value.rule == "GBCS-D010" and "2" in info.value.message
    with pytest.raises(TruncatedError):
        gbcs.decode(b"".join(blocks[:-1]))
