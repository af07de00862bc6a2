"""The fuzzing machinery: targets, the mutation engine, corpus and dictionary, --exec, the CLI."""
from __future__ import annotations

import random
import sys
import textwrap

import pytest
from click.testing import CliRunner

import gbcs
import gbcs.testing as gt
from gbcs.cli import main
from gbcs.testing import corpus, engine, external, targets


@pytest.fixture(scope="module")
def seeds() -> list[bytes]:
    return corpus.sample(gt.messages(use_case="ECS52"), 3) + corpus.sample(gt.messages(use_case="GCS14"), 3)


def test_targets_accept_anything_and_report_behaviours(seeds):
    rnd = random.Random(3)
    for name in targets.TARGETS:
        check = targets.target(name)
        for data in seeds[:3] + [b"", b"\xdd", rnd.randbytes(40)]:
            assert isinstance(set(check(data)), set)
    assert targets.check_decode(seeds[0]) >= {"message", "message.grouping_header"}
    with pytest.raises(ValueError, match="unknown fuzz target"):
        targets.target("everything")


def test_decode_target_catches_a_broken_round_trip(monkeypatch, seeds):
    monkeypatch.setattr(gbcs, "encode", lambda message: b"not the input")
    with pytest.raises(targets.InvariantBroken, match="round-trip"):
        targets.check_decode(seeds[0])


def test_run_once_classifies_outcomes():
    def buggy(data: bytes):
        if data == b"boom":
            raise KeyError("boom")
        if data == b"bad":
            raise targets.InvariantBroken("broken")
        if data == b"spec":
            raise gbcs.DecodeError("fine", 0, "x")
        return {"ok"}
    assert engine.run_once(buggy, b"fine", 0)[:2] == ({"ok"}, None)
    assert engine.run_once(buggy, b"spec", 0)[1] is None
    assert engine.run_once(buggy, b"boom", 0)[1].kind == "exception"
    assert "KeyError" in engine.run_once(buggy, b"boom", 0)[1].message
    assert engine.run_once(buggy, b"bad", 0)[1].kind == "invariant"


def test_run_once_stops_a_hang():
    def spins(data: bytes):
        while True:
            pass
    features, failure, _ = engine.run_once(spins, b"x", 0.2)
    assert failure is not None and failure.kind == "hang"


def test_mutation_engine_grows_a_corpus_without_findings(seeds, tmp_path):
    report = engine.fuzz("decode", 30, seeds, max_executions=400, artifacts=tmp_path)
    assert report.executions == 400 and report.ok, [f.to_dict() for f in report.failures]
    assert report.features > 20 and report.corpus >= 1
    assert report.slowest < 0.25


def test_engine_saves_reproducers(seeds, tmp_path, monkeypatch):
    def crashes_on_short(data: bytes):
        if len(data) < 60:
            raise IndexError("short input")
        return {str(len(data))}
    monkeypatch.setitem(targets.TARGETS, "short", lambda: crashes_on_short)
    report = engine.fuzz("short", 30, seeds, max_executions=300, artifacts=tmp_path)
    assert not report.ok
    failure = report.failures[0]
    assert failure.kind == "exception" and "IndexError" in failure.message
    assert bytes.fromhex(failure.saved.read_text()) == failure.data


def test_dictionary_holds_tokens_from_the_tables(tmp_path):
    tokens = corpus.dictionary_tokens()
    assert tokens["apdu_general_signing"] == b"\xdf"
    assert tokens["message_code_0027"] == b"\x00\x27"
    assert tokens["alert_code_8F0A"] == b"\x8f\x0a"
    assert bytes.fromhex("0000010000ff") in tokens.values()          # the clock's OBIS code
    count = corpus.write_dictionary(tmp_path / "gbcs.dict")
    lines = [l for l in (tmp_path / "gbcs.dict").read_text().splitlines() if not l.startswith("#")]
    assert len(lines) == count and all(l.count('"') == 2 and "=" in l for l in lines)


def test_corpus_files_are_valid_messages(tmp_path):
    chosen = ["ECS17b", "GCS14", "CS03B", "ECS68"]
    count = corpus.write_corpus(tmp_path, 2, use_cases=chosen)
    files = list(tmp_path.iterdir())
    assert count == len(files) and len(files) >= len(chosen)
    assert {gbcs.decode(f.read_bytes()).use_case for f in files} == set(chosen)
    for f in files:
        data = f.read_bytes()
        assert gbcs.encode(gbcs.decode(data)) == data
    certs = corpus.certificate_seeds(3)
    assert len(certs) >= 3 and all(c[:1] == b"\x30" for c in certs)


VICTIM = """
    import os, sys
    data = open(sys.argv[1], "rb").read() if len(sys.argv) > 1 else sys.stdin.buffer.read()
    if bytes.fromhex("{code}") in data:
        os.abort()          # the planted bug: one alert code kills the parser
    sys.exit(3 if data[:1] == b"\\x00" else 0)
"""


def _victim(tmp_path, code: str = "8F0A"):
    path = tmp_path / "victim.py"
    path.write_text(textwrap.dedent(VICTIM.format(code=code)))
    return f"{sys.executable} {path}"


@pytest.mark.parametrize("via_file", [False, True])
def test_exec_finds_the_planted_crash_and_saves_it_minimised(tmp_path, via_file):
    command = _victim(tmp_path) + (" {}" if via_file else "")
    # A generous --timeout: a Python victim can take seconds to start on a loaded CI machine,
    # and a slow start must not be reported as a hang.
    result = CliRunner().invoke(main, ["fuzz", "--exec", command, "--seconds", "60", "--timeout", "30",
                                       "--alert-code", "0x8F0A",
                                       "--artifacts", str(tmp_path / "out")])
    assert result.exit_code == 1, result.output
    assert "crash: signal 6 (SIGABRT)" in result.output
    saved = [p for p in (tmp_path / "out").glob("crash-*.hex") if ".original" not in p.name]
    assert len(saved) == 1
    assert saved[0].read_text().strip() == "8F0A"            # minimised to the trigger
    assert "reproducer (hex, minimised" in result.output and "8F0A" in result.output
    original = bytes.fromhex(next((tmp_path / "out").glob("*.original.hex")).read_text())
    assert gbcs.decode(original).kind == "alert"


def test_exec_runner_classifies_exit_statuses_and_hangs(tmp_path):
    victim = _victim(tmp_path)
    assert external.Runner(victim, 30).run(b"\x01").kind == "ok"
    assert external.Runner(victim, 30, crash_exits=(3,)).run(b"\x00").detail == "exit status 3"
    spin = tmp_path / "spin.py"
    spin.write_text("while True:\n    pass\n")
    assert external.Runner(f"{sys.executable} {spin}", 0.3).run(b"").kind == "hang"
    with pytest.raises(ValueError):
        external.Runner("", 1)


def test_minimise_keeps_the_outcome():
    class Fake:
        def run(self, data):
            return external.Outcome("crash", "signal 6 (SIGABRT)") if b"\x8f\x0a" in data else \
                external.Outcome("ok", "exit status 0")
    small = external.minimise(Fake(), bytes(range(50)) + b"\x8f\x0a" + bytes(30), external.Outcome("crash", "signal 6 (SIGABRT)"))
    assert small == b"\x8f\x0a"


def test_fuzz_command_with_the_mutation_engine(tmp_path):
    result = CliRunner().invoke(main, ["fuzz", "--engine", "mutation", "--seconds", "60", "--runs", "150",
                                       "--use-case", "ECS52", "--artifacts", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert "engine mutation" in result.output and "executions: 150" in result.output
    assert "findings: none" in result.output


def test_libfuzzer_output_is_read():
    from gbcs.testing.runner import parse_libfuzzer
    out = ("#2\tINITED cov: 10 ft: 20 corp: 3/30b exec/s: 0 rss: 80Mb\n"
           "#900\tNEW    cov: 12 ft: 25 corp: 4/40b lim: 9 exec/s: 300 rss: 81Mb L: 1/9 MS: 1 ChangeBit-\n"
           "Done 1000 runs in 3 second(s)\nstat::number_of_executed_units: 1000\n")
    report = parse_libfuzzer(out, "decode")
    assert (report.executions, report.features, report.corpus) == (1000, 25, 4)
    assert report.extra["coverage_edges"] == 12 and report.rss_end_kb == 81 * 1024


def test_libfuzzer_crash_report_names_the_exception():
    from gbcs.testing.runner import crash_message as _crash_message
    out = ("INFO: seed corpus\n\n === Uncaught Python exception: ===\nKeyError: 'x'\nTraceback (most recent call last):\n"
           '  File "/a/atheris_main.py", line 41, in one_input\n    check(bytes(data))\n'
           '  File "/a/gbcs/payload/dlms.py", line 77, in read\n    raise KeyError\nKeyError: \'x\'\n'
           "==1== ERROR: libFuzzer: fuzz target exited\n")
    assert _crash_message(out) == "KeyError: 'x' (at dlms.py:77)"
    assert _crash_message("==1== ERROR: libFuzzer: deadly signal\n") == "deadly signal"


def test_generate_writes_valid_messages(tmp_path):
    runner = CliRunner()
    result = runner.invoke(main, ["generate", "ECS17b", "-n", "3", "--seed", "5"])
    assert result.exit_code == 0, result.output
    lines = result.output.split()
    assert len(lines) == 3
    assert all(gbcs.decode(bytes.fromhex(l)).message_code == 0x0027 for l in lines)
    result = runner.invoke(main, ["generate", "GCS14", "-n", "2", "--encoding", "binary", "-o", str(tmp_path)])
    assert result.exit_code == 0, result.output
    files = sorted(tmp_path.glob("GCS14-*.bin"))
    assert len(files) == 2 and all(gbcs.decode(f.read_bytes()).use_case == "GCS14" for f in files)
    result = runner.invoke(main, ["generate", "ECS68", "--mutate", "--encoding", "base64", "-n", "2"])
    assert result.exit_code == 0 and len(result.output.split()) == 2


def test_generate_refuses_bad_requests():
    runner = CliRunner()
    assert runner.invoke(main, ["generate", "NOPE1"]).exit_code == 2
    assert runner.invoke(main, ["generate", "ECS17b", "-n", "2", "--encoding", "binary"]).exit_code == 2
    assert runner.invoke(main, ["generate", "--alert-code", "zz"]).exit_code == 2
