"""Inputs to results (gbcs.io.stream): GBT reassembly is linear and bounded (issue 7 item 2)."""
from __future__ import annotations

import time

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

import gbcs
import gbcs.io.stream as stream
from gbcs.builder import Envelope, gbt_blocks, general_signing, mac_wrap
from gbcs.errors import DecodeError
from gbcs.io.stream import decode_inputs

ENV = Envelope(cra="command", counter=1000, originator="90B3D51F30010000", recipient="00DB1234567890A0",
               message_code=0x0059)
GET = bytes.fromhex("D9200003E800010100010000000201FF020100")
COMMAND = mac_wrap(general_signing(ENV, GET, b""), bytes(12))
# One block of a message that never ends: routing header of an ECS52 response, block `n`, 8 data bytes
HEADLESS = Envelope(cra="response", counter=1, originator="00DB1234567890A0", recipient="90B3D51F30010000",
                    message_code=0x0019)


def _endless_blocks(count: int) -> list[bytes]:
    """`count` blocks numbered 1.. of one message, none with the last-block flag."""
    blocks = gbt_blocks(b"\xAA" * 8 * (count + 1), HEADLESS, block_size=8)
    return blocks[:count]


def _write(tmp_path, name: str, blocks: list[bytes]) -> str:
    path = tmp_path / name
    path.write_text("".join(b.hex().upper() + "\n" for b in blocks))
    return str(path)


def _cpu_time(path: str) -> float:
    start = time.process_time()          # CPU time: other processes on the machine do not count
    results = list(decode_inputs([path]))
    took = time.process_time() - start
    assert len(results) == 1 and results[0].error.rule == "GBCS-D010"
    return took


def test_reassembly_time_is_linear_in_the_blocks(tmp_path):
    small = _write(tmp_path, "2000.txt", _endless_blocks(2000))
    large = _write(tmp_path, "4000.txt", _endless_blocks(4000))
    _cpu_time(small)                                       # warm the spec tables
    times = [(_cpu_time(small), _cpu_time(large)) for _ in range(3)]
    ratio = min(t[1] for t in times) / min(t[0] for t in times)
    assert ratio <= 2.5, times                             # re-decoding every block held would be ~4x


def test_each_block_is_read_once_and_the_message_decoded_once(tmp_path, monkeypatch):
    blocks = gbt_blocks(COMMAND, ENV, block_size=4)
    read, decoded = [], []
    real_read, real_decode = stream.read_gbt_blocks, stream.decode
    monkeypatch.setattr(stream, "read_gbt_blocks", lambda data: read.append(data) or real_read(data))
    monkeypatch.setattr(stream, "decode", lambda data: decoded.append(data) or real_decode(data))
    (result,) = decode_inputs([_write(tmp_path, "gbt.txt", blocks)])
    assert result.ok and result.message.inner.data == COMMAND
    assert read == blocks and decoded == [b"".join(blocks)]


def test_blocks_out_of_order_with_repeats_complete_when_the_last_missing_arrives(tmp_path):
    blocks = gbt_blocks(COMMAND, ENV, block_size=20)
    assert len(blocks) >= 3
    order = [blocks[-1], blocks[0], blocks[0], *blocks[1:-1]]
    results = list(decode_inputs([_write(tmp_path, "shuffled.txt", order + [COMMAND])]))
    assert [r.ok for r in results] == [True, True]
    assert results[0].message.inner.data == COMMAND and results[0].source.endswith(f":1..{len(order)}")
    assert results[1].message.data == COMMAND


def test_missing_block_is_reported_when_the_run_of_blocks_ends(tmp_path):
    blocks = gbt_blocks(COMMAND, ENV, block_size=10)
    (result,) = decode_inputs([_write(tmp_path, "gap.txt", blocks[:1] + blocks[2:])])
    assert result.error.rule == "GBCS-D010" and "GBT block 2 missing" in result.error.message


def test_bound_on_blocks_held_gives_a_finding_and_starts_again(tmp_path):
    path = _write(tmp_path, "endless.txt", _endless_blocks(25))
    results = list(decode_inputs([path], max_blocks=10))
    assert [r.error.rule for r in results] == ["GBCS-D011", "GBCS-D011", "GBCS-D010"]
    assert [r.source.rsplit(":", 1)[1] for r in results] == ["1..10", "11..20", "21..25"]
    assert "10 GBT blocks held without completing a message" in results[0].error.message


def test_blocks_of_two_messages_in_one_run_are_an_error(tmp_path):
    other = Envelope(cra="command", counter=1001, originator=ENV.originator, recipient=ENV.recipient,
                     message_code=ENV.message_code)
    mixed = gbt_blocks(COMMAND, ENV, block_size=30)[:1] + gbt_blocks(COMMAND, other, block_size=30)[:1]
    (result,) = decode_inputs([_write(tmp_path, "mixed.txt", mixed)])
    assert result.error is not None and "blocks of different messages" in result.error.message


@pytest.mark.parametrize("bad", ["DD09", "DD0902"])
def test_a_broken_block_ends_the_run_with_its_decode_error(tmp_path, bad):
    blocks = gbt_blocks(COMMAND, ENV, block_size=30)
    path = tmp_path / "broken.txt"
    path.write_text(blocks[0].hex() + "\n" + bad + "\n" + COMMAND.hex() + "\n")
    results = list(decode_inputs([str(path)]))
    assert results[0].error is not None and results[0].error.rule.startswith("GBCS-D")
    assert results[-1].ok and results[-1].message.data == COMMAND


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(picks=st.lists(st.integers(0, 4), min_size=1, max_size=12))
def test_incremental_reassembly_agrees_with_decoding_every_prefix(tmp_path, picks):
    """Oracle: the old way, decoding the blocks held so far after each one, until it succeeds."""
    blocks = gbt_blocks(COMMAND, ENV, block_size=-(-len(COMMAND) // 5))
    assert len(blocks) == 5
    sequence = [blocks[i] for i in picks]
    expected, start = [], 0
    for end in range(1, len(sequence) + 1):
        try:
            gbcs.decode(b"".join(sequence[start:end]))
        except DecodeError as exc:
            assert exc.rule == "GBCS-D010"
            continue
        expected.append((True, start, end))
        start = end
    if start < len(sequence):
        expected.append((False, start, len(sequence)))
    got = [(r.ok, r.data) for r in decode_inputs([_write(tmp_path, "picks.txt", sequence)])]
    assert got == [(ok, b"".join(sequence[a:b])) for ok, a, b in expected]
