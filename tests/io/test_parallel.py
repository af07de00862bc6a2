"""--jobs: the same records in the same order as a serial run, GBT runs kept whole, memory bounded."""
from __future__ import annotations

import io
import json
import pickle

import pytest
from click.testing import CliRunner

from gbcs.builder import Envelope, gbt_blocks, general_signing, mac_wrap, precommand
from gbcs.cli import main
from gbcs.decoding import decode, is_gbt_block
from gbcs.errors import DecodeError, GbcsError, TruncatedError
from gbcs.io import parallel
from gbcs.io.inputs import InputMessage
from gbcs.message import Node

GET = bytes.fromhex("D9200003E800010100010000000201FF020100")


def envelope(counter: int) -> Envelope:
    return Envelope(cra="command", counter=counter, originator="90B3D51F30010000",
                    recipient="00DB1234567890A0", message_code=0x0059)


def capture_lines(n: int) -> list[str]:
    """`n` messages: MAC'd commands, pre-commands, broken ones and GBT runs between them."""
    lines = []
    for i in range(n):
        env = envelope(1000 + i)
        command = mac_wrap(general_signing(env, GET, b""), bytes(12))
        if i % 7 == 3:
            lines += [b.hex() for b in gbt_blocks(command, env, block_size=12)]
        elif i % 5 == 1:
            lines.append(command[: 10 + i % 20].hex())
        elif i % 2:
            lines.append(precommand(env, GET).hex())
        else:
            lines.append(command.hex())
    return lines


def run(*args):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


@pytest.fixture(scope="module")
def capture(tmp_path_factory):
    f = tmp_path_factory.mktemp("cap") / "many.txt"
    f.write_text("\n".join(capture_lines(170)) + "\n")
    return f


@pytest.mark.parametrize("command, fmt", [("decode", "jsonl"), ("validate", "json"), ("decode", "text")])
def test_jobs_give_the_serial_output(capture, command, fmt):
    serial = run(command, "--format", fmt, str(capture))
    parallel_run = run(command, "--format", fmt, "--jobs", "2", str(capture))
    assert parallel_run.exit_code == serial.exit_code == 1          # some messages are broken
    assert parallel_run.output == serial.output
    if fmt == "jsonl":
        records = [json.loads(line) for line in serial.output.splitlines()]
        assert len(records) == 170 and sum(r.get("gbt_blocks") is not None for r in records) == 24
        assert len(records) > parallel.CHUNK_MESSAGES * 2            # several chunks were used


def item(data: bytes, n: int) -> InputMessage:
    return InputMessage(f"f:{n}", data, "hex")


def test_chunks_never_cut_a_gbt_run():
    data = [bytes.fromhex(line) for line in capture_lines(60)]
    items = [item(d, i) for i, d in enumerate(data)]
    cut = list(parallel.chunks(items, max_messages=2))
    assert [i for c in cut for i in c] == items and len(cut) > 10
    for before, after in zip(cut, cut[1:]):
        # a chunk starts with a message that is not the continuation of a GBT run
        assert not (is_gbt_block(before[-1].data) and is_gbt_block(after[0].data))


def _count_pipeline():
    return lambda items: [len(i.data) for i in items]


def test_memory_is_bounded_by_the_window():
    pulled = 0

    def source():
        nonlocal pulled
        for n in range(2000):
            pulled += 1
            yield item(bytes([0xDF, n % 256]), n)

    results = parallel.ordered_results(source(), _count_pipeline, jobs=2, window=2)
    first = next(results)
    assert first == 2
    assert pulled <= 3 * parallel.CHUNK_MESSAGES + 1        # window chunks, plus the one being cut
    assert sum(1 for _ in results) == 1999
    assert pulled == 2000


def test_errors_and_trees_survive_the_hand_over():
    env = envelope(5)
    command = mac_wrap(general_signing(env, GET, b""), bytes(12))
    message = decode(command)
    back = pickle.loads(pickle.dumps(message))
    assert back.root.to_dict() == message.root.to_dict() and back.summary() == message.summary()
    with pytest.raises(DecodeError) as caught:
        decode(command[:20])
    error = pickle.loads(pickle.dumps(caught.value))
    assert type(error) is type(caught.value) and error.__dict__ == caught.value.__dict__
    assert str(error) == str(caught.value)
    t = pickle.loads(pickle.dumps(TruncatedError("short", 3, "f", needed=4, available=1, rule="GBCS-D001")))
    assert (t.needed, t.available, t.rule, t.offset) == (4, 1, "GBCS-D001", 3) and isinstance(t, GbcsError)


def test_deep_trees_pickle_without_recursion():
    root = node = Node("n0", 0, 1, children=[])
    for depth in range(1, 20000):
        child = Node(f"n{depth}", 0, 1, children=[])
        node.children.append(child)
        node = child
    node.children.append(Node("leaf", 0, 1, "u8", 7, "seven"))
    back = pickle.loads(pickle.dumps(root))
    for depth in range(20000):
        assert back.name == f"n{depth}"
        back = back.children[0]
    assert (back.name, back.codec, back.value, back.meaning, back.children) == ("leaf", "u8", 7, "seven", None)


class FakeTty(io.StringIO):
    def isatty(self):
        return True


def test_progress_only_when_the_bar_has_the_terminal(monkeypatch):
    monkeypatch.delenv("GBCS_PROGRESS", raising=False)
    assert parallel.progress_wanted(FakeTty(), io.StringIO())
    assert not parallel.progress_wanted(FakeTty(), FakeTty())          # text output on the terminal
    assert not parallel.progress_wanted(io.StringIO(), io.StringIO())  # piped or captured
    monkeypatch.setenv("GBCS_PROGRESS", "0")
    assert not parallel.progress_wanted(FakeTty(), io.StringIO())
    monkeypatch.delenv("GBCS_PROGRESS")
    assert list(parallel.with_progress(iter(range(5)), stream=FakeTty(), out=io.StringIO())) == list(range(5))


def test_jobs_with_keys_check_the_same_macs(tmp_path):
    from gbcs.crypto import Keystore, generate_keypair, make_certificate, mac_wrap_with_keystore, write_keystore
    supplier, acb, device = (bytes.fromhex(x) for x in ("AB00000000010000", "AB00000000000002", "AB000000000000E1"))
    keys = {}
    for eui, is_device in ((supplier, False), (acb, False), (device, True)):
        for usage in ("ds", "ka"):
            k = generate_keypair()
            keys[(eui, usage, False)] = (k, make_certificate(k, eui, usage, device=is_device, role=2))
    write_keystore(tmp_path / "keys", keys)
    ks = Keystore.load([str(tmp_path / "keys")])
    lines = []
    for i in range(150):
        good = mac_wrap_with_keystore(general_signing(Envelope("command", 0x1000 + i, supplier, device, 0x0059),
                                                      GET, b""), ks, acb=acb)
        lines.append((good if i % 3 else good[:-1] + bytes([good[-1] ^ 1])).hex())
    f = tmp_path / "c.txt"
    f.write_text("\n".join(lines) + "\n")
    args = ["validate", "--format", "jsonl", "--keys", str(tmp_path / "keys"), "--acb", acb.hex(), str(f)]
    serial, parallel_run = run(*args), run(*args, "--jobs", "2")
    assert parallel_run.output == serial.output and parallel_run.exit_code == serial.exit_code == 1
    macs = [json.loads(line)["mac"] for line in serial.output.splitlines()]
    assert macs.count("valid") == 100 and macs.count("invalid") == 50


def _dying_pipeline():
    import os

    def pipeline(items):
        if any(i.data[1] == 7 for i in items):
            os._exit(3)               # as if the OOM killer took the worker
        return [len(i.data) for i in items]
    return pipeline


def test_a_dead_worker_is_a_clear_error():
    items = (item(bytes([0xDF, n % 256]), n) for n in range(50))
    with pytest.raises(parallel.WorkerError, match="fewer --jobs"):
        list(parallel.ordered_results(items, _dying_pipeline, jobs=2))
