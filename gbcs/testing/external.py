"""Fuzz another program: feed it generated and mutated GBCS messages, one per run, and catch
the runs that crash (killed by a signal, or a chosen exit status) or hang.

The message goes to the program's stdin, or, when the command contains `{}`, into a temporary
file whose path replaces `{}`. A crash is minimised (chunks removed while the same crash
persists) and saved as hex, so it can be replayed with `gbcs decode` or the program itself.
"""
from __future__ import annotations

import hashlib
import os
import random
import shlex
import signal
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator

from gbcs.testing.mutate import boundaries, mutate_once


@dataclass
class Outcome:
    kind: str                     # ok | crash | hang
    detail: str                   # "signal 6 (SIGABRT)", "exit status 3", "no exit within 2.0 s"

    @property
    def bad(self) -> bool:
        return self.kind != "ok"


@dataclass
class ExecCrash:
    outcome: Outcome
    data: bytes                   # the minimised input
    original: bytes
    saved: Path | None = None

    def to_dict(self) -> dict:
        return {"kind": self.outcome.kind, "detail": self.outcome.detail, "input": self.data.hex().upper(),
                "original": self.original.hex().upper(), "saved": str(self.saved) if self.saved else None}


@dataclass
class ExecReport:
    command: str
    seconds: float = 0.0
    executions: int = 0
    valid_inputs: int = 0
    crashes: list[ExecCrash] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.crashes

    def to_dict(self) -> dict:
        return {"command": self.command, "seconds": round(self.seconds, 2), "executions": self.executions,
                "valid_inputs": self.valid_inputs, "crashes": [c.to_dict() for c in self.crashes]}


class Runner:
    """Runs the command on one input and classifies what happened."""

    def __init__(self, command: str, timeout: float, crash_exits: tuple[int, ...] = ()):
        self.argv = shlex.split(command)
        if not self.argv:
            raise ValueError("the command to fuzz is empty")
        self.uses_file = any("{}" in a for a in self.argv)
        self.timeout = timeout
        self.crash_exits = set(crash_exits)
        self.runs = 0

    def run(self, data: bytes) -> Outcome:
        self.runs += 1
        path = None
        try:
            if self.uses_file:
                fd, path = tempfile.mkstemp(prefix="gbcs-fuzz-", suffix=".bin")
                with os.fdopen(fd, "wb") as f:
                    f.write(data)
                argv = [a.replace("{}", path) for a in self.argv]
                stdin = b""
            else:
                argv, stdin = self.argv, data
            proc = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL,
                                    stderr=subprocess.DEVNULL, start_new_session=True)
            try:
                proc.communicate(stdin, timeout=self.timeout)
            except subprocess.TimeoutExpired:
                _kill_group(proc)
                return Outcome("hang", f"no exit within {self.timeout} s")
            except BrokenPipeError:
                proc.wait()
            code = proc.returncode
        finally:
            if path is not None:
                Path(path).unlink(missing_ok=True)
        if code < 0:
            try:
                name = signal.Signals(-code).name
            except ValueError:
                name = "unknown"
            return Outcome("crash", f"signal {-code} ({name})")
        if code in self.crash_exits:
            return Outcome("crash", f"exit status {code}")
        return Outcome("ok", f"exit status {code}")


def _kill_group(proc: subprocess.Popen) -> None:
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        proc.kill()
    proc.wait()


def minimise(runner: Runner, data: bytes, outcome: Outcome, *, max_runs: int = 400,
             deadline: float | None = None) -> bytes:
    """The shortest input found that gives the same outcome: chunks removed, halving the chunk
    size down to single bytes (delta debugging), within max_runs runs / the deadline."""
    best = data
    runs = 0
    chunk = max(1, len(best) // 2)
    while chunk >= 1 and runs < max_runs:
        i = 0
        removed_any = False
        while i < len(best) and runs < max_runs:
            if deadline is not None and time.monotonic() > deadline:
                return best
            candidate = best[:i] + best[i + chunk:]
            runs += 1
            got = runner.run(candidate)
            if got.kind == outcome.kind and got.detail == outcome.detail:
                best, removed_any = candidate, True
            else:
                i += chunk
        if not removed_any:
            chunk //= 2
    return best


def fuzz_command(command: str, seconds: float, inputs: Iterator[bytes], *, timeout: float = 2.0,
                 crash_exits: tuple[int, ...] = (), artifacts: str | Path = "gbcs-fuzz-artifacts",
                 max_crashes: int = 1, minimise_seconds: float = 30.0, random_seed: int = 0,
                 mutate_ratio: float = 0.5) -> ExecReport:
    """Run `command` on generated messages (valid ones from `inputs`, and mutations of them)
    until `seconds` pass or max_crashes distinct crashes are found."""
    runner = Runner(command, timeout, crash_exits)
    report = ExecReport(command)
    folder = Path(artifacts)
    rnd = random.Random(random_seed)
    pool: list[bytes] = []
    seen_outcomes: set[tuple[str, str]] = set()
    started = time.monotonic()
    spans: dict[int, list] = {}
    exhausted = False
    while time.monotonic() - started < seconds and len(report.crashes) < max_crashes:
        if pool and (exhausted or rnd.random() < mutate_ratio):
            i = rnd.randrange(len(pool))
            if i not in spans:
                spans[i] = boundaries(pool[i])
            data = mutate_once(pool[i], rnd, spans[i], rnd.choice(pool))
        else:
            fresh = next(inputs, None)
            if fresh is None:
                exhausted = True
                if not pool:
                    break
                continue
            data = fresh
            pool.append(data)
            report.valid_inputs += 1
        outcome = runner.run(data)
        report.executions += 1
        if not outcome.bad or (outcome.kind, outcome.detail) in seen_outcomes:
            continue
        seen_outcomes.add((outcome.kind, outcome.detail))
        small = minimise(runner, data, outcome, deadline=time.monotonic() + minimise_seconds)
        crash = ExecCrash(outcome, small, data)
        folder.mkdir(parents=True, exist_ok=True)
        stem = f"{outcome.kind}-{hashlib.sha1(small).hexdigest()[:16]}"
        crash.saved = folder / f"{stem}.hex"
        crash.saved.write_text(small.hex().upper() + "\n")
        (folder / f"{stem}.original.hex").write_text(data.hex().upper() + "\n")
        report.crashes.append(crash)
    report.seconds = time.monotonic() - started
    return report
