"""Properties over messages we build: round trip, and mutated/truncated input only ever
raises GbcsError (a DecodeError with an offset inside the input)."""
from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import gbcs
from gbcs.builder import Envelope, general_signing, mac_wrap, precommand
from gbcs.errors import DecodeError, GbcsError

EUIS = st.binary(min_size=8, max_size=8)
# (content, CRA it belongs to or None for any, message code it needs or None for any)
CONTENTS = st.sampled_from([
    (bytes.fromhex("D9200003E800010100010000000201FF020100"), None, None),               # DLMS get
    (bytes.fromhex("DA200003E8000001090401 23ABCD010100".replace(" ", "")), None, None),  # DLMS get response
    (bytes.fromhex("0F200007D0000202128 10E090C07DF0101FF000000008000FF".replace(" ", "")), 3, 0x1001),
    (bytes.fromhex("010900810E1C374A80"), 3, 0x1001),                                   # GBZ alert
    (bytes.fromhex("0500"), None, 0x0129),                                              # ASN.1 NULL
    (bytes.fromhex("04080102030405060708"), None, 0x0010),                              # CS04B unjoin
    (bytes.fromhex("30113007020104030203083006020102020103"), 1, 0x0008),                # CS02a command
])


@st.composite
def messages(draw) -> bytes:
    content, cra, code = draw(CONTENTS)
    env = Envelope(cra=cra or draw(st.sampled_from([1, 2, 3])), counter=draw(st.integers(0, 2**64 - 1)),
                   originator=draw(EUIS), recipient=draw(EUIS),
                   message_code=code if code is not None else draw(st.sampled_from([0x0059, 0x0019, 0x0020])))
    if draw(st.booleans()):
        env.srp_id = draw(EUIS)
        if draw(st.booleans()):
            env.srp_counter = draw(st.integers(0, 2**64 - 1))
    form = draw(st.sampled_from(["precommand", "signed", "mac", "mac_signed"]))
    if form == "precommand" and env.cra == 1:
        env.cra = 1
        return precommand(env, content)
    sig = draw(st.binary(min_size=64, max_size=64)) if form.endswith("signed") else b""
    apdu = general_signing(env, content, sig)
    return mac_wrap(apdu, draw(st.binary(min_size=12, max_size=12))) if form.startswith("mac") else apdu


SETTINGS = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@SETTINGS
@given(messages())
def test_built_messages_round_trip(data):
    m = gbcs.decode(data)
    assert gbcs.encode(m) == data
    assert m.unparsed_bytes == 0


def _decode_or_clean_error(data: bytes) -> None:
    try:
        m = gbcs.decode(data)
    except DecodeError as exc:
        assert 0 <= exc.offset <= len(data), exc
        assert isinstance(exc.field, str) and exc.field
        assert exc.rule != "GBCS-D999", exc       # an internal error is a bug, whatever the input
    except GbcsError as exc:                       # pragma: no cover - other GbcsErrors are fine too
        assert str(exc)
    else:
        assert gbcs.encode(m) == data


@SETTINGS
@given(messages(), st.data())
def test_mutated_messages_raise_only_gbcs_errors(data, draw):
    buf = bytearray(data)
    for _ in range(draw.draw(st.integers(1, 4))):
        op = draw.draw(st.sampled_from(["flip", "set", "insert", "delete"]))
        i = draw.draw(st.integers(0, max(0, len(buf) - 1)))
        if op == "flip" and buf:
            buf[i] ^= 1 << draw.draw(st.integers(0, 7))
        elif op == "set" and buf:
            buf[i] = draw.draw(st.sampled_from([0x00, 0x7F, 0x80, 0x81, 0x82, 0x84, 0xFF]))
        elif op == "insert":
            buf[i:i] = draw.draw(st.binary(min_size=1, max_size=4))
        elif op == "delete" and buf:
            del buf[i]
    _decode_or_clean_error(bytes(buf))


@SETTINGS
@given(messages(), st.data())
def test_truncated_messages_raise_decode_errors(data, draw):
    cut = draw.draw(st.integers(0, len(data) - 1))
    try:
        m = gbcs.decode(data[:cut])
    except DecodeError as exc:
        assert 0 <= exc.offset <= cut
    else:
        # A signed command cut just before its signature field is a valid pre-command.
        assert m.kind == "precommand" and data[0] == 0xDF, "a truncated message decoded"


@settings(max_examples=500, deadline=None)
@given(st.binary(max_size=300))
def test_random_bytes_raise_only_gbcs_errors(data):
    _decode_or_clean_error(data)


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=200))
def test_random_payloads_in_a_valid_envelope(content):
    env = Envelope(cra=2, counter=5, originator=bytes(8), recipient=bytes(range(8)), message_code=0x0059)
    _decode_or_clean_error(mac_wrap(general_signing(env, content, b""), bytes(12)))
