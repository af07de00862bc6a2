"""Property tests: protection holds for any message, and any single flipped bit breaks it."""
from __future__ import annotations

from hypothesis import HealthCheck, assume, given, settings, strategies as st

from gbcs import builder
from gbcs.crypto import check_integrity, generate_keypair, sign_precommand
from gbcs.crypto import envelope
from gbcs.errors import DecodeError

from crypto_world import ASN1_NULL, DLMS_GET, READ_FIRMWARE, world  # noqa: F401 (fixtures)

KINDS = ("signed_command", "command", "response", "alert", "signed_response")
CONTENTS = (DLMS_GET, ASN1_NULL, bytes.fromhex("0109010007000008080001170600185000"))


def build(world, kind: str, counter: int, content: bytes) -> bytes:
    if kind == "signed_command":
        return world.command(content, counter=counter, signed=True)
    if kind == "command":
        return world.command(content, counter=counter)
    if kind == "response":
        return world.response(content, counter=counter)
    if kind == "alert":
        return world.alert(content, counter=counter)
    return world.signed_response(content, counter=counter, code=READ_FIRMWARE)


def identity_bytes(f: envelope.Facts) -> set[int]:
    """CRA flag, originator and recipient ids: a flip there names other parties, whose keys may be absent."""
    s = f.apdu_start
    return {s + 2} | set(range(s + 12, s + 20)) | set(range(s + 21, s + 29))


messages = st.tuples(st.sampled_from(KINDS), st.integers(0, 2**64 - 1), st.sampled_from(CONTENTS))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(messages)
def test_protected_messages_verify(world, m):
    kind, counter, content = m
    r = check_integrity(build(world, kind, counter, content), world.keystore)
    expected_sig = "valid" if kind.startswith("signed") else "absent"
    expected_mac = "absent" if kind == "signed_response" else "valid"
    assert (r.signature, r.mac) == (expected_sig, expected_mac)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(messages, st.data())
def test_any_flipped_bit_is_caught(world, m, data):
    kind, counter, content = m
    msg = build(world, kind, counter, content)
    f = envelope.from_bytes(msg)
    bit = data.draw(st.integers(0, len(msg) * 8 - 1), label="bit")
    flipped = bytearray(msg)
    flipped[bit // 8] ^= 1 << (bit % 8)
    try:
        r = check_integrity(bytes(flipped), world.keystore)
    except DecodeError:
        return
    found = (r.signature, r.mac)
    assert "valid" not in found or _outside_of(f, bit // 8, r)
    if bit // 8 in identity_bytes(f):
        assert "invalid" in found or "no-key" in found
    else:
        assert "invalid" in found


def _outside_of(f: envelope.Facts, byte: int, r) -> bool:
    """A check may stay valid only when the flip is outside what it covers."""
    signed = range(f.apdu_start + 1, f.content_end)
    if r.signature == "valid" and byte in signed:
        return False
    if r.mac == "valid" and f.mac is not None:
        return False                     # the MAC covers every byte after the MAC header stub
    return True


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.integers(0, 2**64 - 1), st.sampled_from(CONTENTS))
def test_signed_precommand_verifies_and_other_key_fails(world, counter, content):
    env = builder.Envelope("command", counter, "90B3D51F30010000", "00DB1234567890A0", 0x0059)
    pre = builder.precommand(env, content)
    assert check_integrity(sign_precommand(pre, world.priv(bytes.fromhex("90B3D51F30010000"), "ds")),
                           world.keystore).signature == "valid"
    assert check_integrity(sign_precommand(pre, generate_keypair()), world.keystore).signature == "invalid"


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.integers(0, 2**64 - 1), st.integers(1, 500))
def test_bigger_contents_keep_their_protection(world, counter, size):
    # long contents use 81/82 BER lengths in both headers
    content = bytes.fromhex("0109") + bytes([1]) + b"\x00\x07\x00" + (size + 3).to_bytes(2, "big") \
        + b"\x08\x00\x01" + bytes(size)
    assume(len(content) < 60000)
    r = check_integrity(world.command(content, counter=counter, signed=True), world.keystore)
    assert (r.signature, r.mac) == ("valid", "valid")


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(messages, st.data())
def test_mutated_messages_give_statuses_or_decode_errors_only(world, m, data):
    from gbcs.errors import GbcsError
    msg = bytearray(build(world, *m))
    cut = data.draw(st.integers(0, len(msg)), label="cut")
    junk = data.draw(st.binary(max_size=6), label="junk")
    mutated = bytes(msg[:cut]) + junk + bytes(msg[cut + data.draw(st.integers(0, 6), label="drop"):])
    try:
        r = check_integrity(mutated, world.keystore)
    except GbcsError:
        return
    r.to_dict()
    r.findings()
