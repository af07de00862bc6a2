"""ASN.1 numbers too large for decimal text (issue 7 item 3): big INTEGERs and huge OID arcs
decode, are shown in hex with their size, never give GBCS-D999, and OIDs decode in linear time."""
from __future__ import annotations

import time

import gbcs
from gbcs.builder import Envelope, general_signing
from gbcs.payload.asn1 import _oid_text, der_integer, der_sequence, der_tlv
from gbcs.validate import validate

ORIGINATOR, RECIPIENT = "00DB1234567890A0", "90B3D51F30010000"


def _response(content: bytes) -> bytes:
    """A response to a CS11 (ASN.1 payload) carrying `content`, with an empty signature field."""
    env = Envelope(cra="response", counter=0x0100000000000000, originator=ORIGINATOR, recipient=RECIPIENT,
                   message_code=0x0012)
    return general_signing(env, content, b"")


def _oid(arc_bytes: int) -> bytes:
    """An OID 1.2.<one arc of `arc_bytes` base-128 digits>."""
    return der_tlv(0x06, b"\x2a" + b"\xff" * (arc_bytes - 1) + b"\x01")


def _values(message) -> list[str]:
    return [leaf.meaning for path, leaf in message.root.walk() if path.endswith(".value") and leaf.meaning]


def test_integer_too_large_for_decimal_text_is_shown_in_hex_with_its_size():
    big = 1 << (8 * 1999)                         # 2,000 content bytes: beyond Python's int->str limit
    data = _response(der_sequence(der_integer(big)))
    shown = _values(gbcs.decode(data))
    assert shown == [f"0x{big:X} ({big.bit_length()}-bit number, shown in hex)"]
    assert "GBCS-D999" not in {f.rule for f in validate(data).findings}


def test_negative_and_ordinary_integers_keep_decimal():
    data = _response(der_sequence(der_integer(-(1 << 2000)), der_integer(-(10 ** 30))))
    shown = _values(gbcs.decode(data))
    assert shown[0].startswith("-0x1") and shown[0].endswith("(2001-bit number, shown in hex)")
    assert shown[1] == str(-(10 ** 30))


def test_huge_oid_arc_is_shown_in_hex_and_never_an_internal_error():
    data = _response(der_sequence(_oid(19_999)))
    (shown,) = _values(gbcs.decode(data))
    arc = ((1 << (7 * 19_998)) - 1) << 7 | 1     # 19,998 digits 7F then 01
    assert shown == f"1.2.0x{arc:X} ({arc.bit_length()}-bit number, shown in hex)"
    assert "GBCS-D999" not in {f.rule for f in validate(data).findings}
    assert _oid_text(bytes.fromhex("2A864886F70D")) == "1.2.840.113549"   # small arcs stay decimal


def _best_time(data: bytes) -> float:
    best = float("inf")
    for _ in range(3):
        start = time.process_time()
        gbcs.decode(data)
        best = min(best, time.process_time() - start)
    return best


def test_oid_decoding_is_linear():
    gbcs.decode(_response(der_sequence(_oid(1000))))   # warm the spec tables
    small = _best_time(_response(der_sequence(_oid(40_000))))
    large = _best_time(_response(der_sequence(_oid(160_000))))
    assert large / small < 8, (small, large)             # 4x the bytes; quadratic would be ~16x


def test_named_bits_text_stays_small_for_a_huge_bit_string():
    from gbcs.payload.asn1 import BITS_LISTED, _bits_text
    names = {0: "digitalSignature", 4: "keyAgreement"}
    assert _bits_text(names, b"\xff" * 1_000_000, 0) == "digitalSignature, keyAgreement, 7999998 other bits set"
    assert _bits_text(names, bytes(1_000_000) + b"\x01", 0) == "bit 8000007"
    assert _bits_text(names, b"\x88\x40", 0) == "digitalSignature, keyAgreement, bit 9"
    few = bytes([0x00, 0xFF, 0xFF, 0x01])                     # 17 unnamed bits: one more than listed
    assert BITS_LISTED == 16 and _bits_text(names, few, 0) == "17 other bits set"
    assert _bits_text(names, b"\x00", 0) == "no bits set"
