"""The in-process mutation fuzzer `gbcs fuzz` uses when atheris is not installed.

Seeds are valid messages from the spec tables; each round takes a corpus entry, applies a
few mutations at the field boundaries of its decoded tree (gbcs.testing.mutate) and runs the
target. Inputs that show a behaviour not seen before (a field path, an error rule and field)
join the corpus, so the search is guided by what the decoder does. Exceptions other than
GbcsError, broken invariants, inputs slower than the limit (CPU time) and hangs are findings.
"""
from __future__ import annotations

import hashlib
import os
import random
import signal
import time
import traceback
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable

from gbcs.errors import GbcsError
from gbcs.testing.mutate import boundaries, mutate_once
from gbcs.testing.targets import InvariantBroken, target as target_named


@dataclass
class Failure:
    """One input that broke the target's contract."""
    kind: str                     # exception | invariant | slow | hang
    message: str
    data: bytes
    seconds: float = 0.0
    saved: Path | None = None

    def to_dict(self) -> dict:
        return {"kind": self.kind, "message": self.message, "input": self.data.hex().upper(),
                "seconds": round(self.seconds, 4), "saved": str(self.saved) if self.saved else None}


@dataclass
class FuzzReport:
    target: str
    engine: str
    seconds: float = 0.0
    executions: int = 0
    features: int = 0             # distinct behaviours seen (coverage signal)
    corpus: int = 0
    slowest: float = 0.0          # CPU seconds of the slowest input
    rss_warm_kb: int = 0          # resident memory after warm-up and at the end
    rss_end_kb: int = 0
    failures: list[Failure] = field(default_factory=list)
    extra: dict = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.failures

    def to_dict(self) -> dict:
        return {"target": self.target, "engine": self.engine, "seconds": round(self.seconds, 2),
                "executions": self.executions, "features": self.features, "corpus": self.corpus,
                "slowest_seconds": round(self.slowest, 4), "rss_warm_kb": self.rss_warm_kb,
                "rss_end_kb": self.rss_end_kb, "failures": [f.to_dict() for f in self.failures], **self.extra}


def rss_kb() -> int:
    """Current resident set size (Linux /proc), 0 where unknown."""
    try:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * (os.sysconf("SC_PAGE_SIZE") // 1024)
    except (OSError, ValueError, IndexError):
        return 0


class _Hang(Exception):
    pass


def _on_alarm(signum, frame):
    raise _Hang()


def save_artifact(folder: Path | None, kind: str, data: bytes) -> Path | None:
    """The input as hex in folder/<kind>-<sha1>.hex (the reproducer CI prints)."""
    if folder is None:
        return None
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{kind}-{hashlib.sha1(data).hexdigest()[:16]}.hex"
    path.write_text(data.hex().upper() + "\n")
    return path


def run_once(check: Callable[[bytes], Iterable[str]], data: bytes, hang_seconds: float) -> tuple[set, Failure | None, float]:
    """Run the target on one input: (features, failure or None, CPU seconds)."""
    use_alarm = hang_seconds > 0 and hasattr(signal, "setitimer")
    previous = None
    if use_alarm:
        if signal.getsignal(signal.SIGALRM) is not _on_alarm:     # fuzz() installs it once for all runs
            previous = signal.signal(signal.SIGALRM, _on_alarm)
        signal.setitimer(signal.ITIMER_REAL, hang_seconds)
    start = time.process_time()
    try:
        features = set(check(data) or ())
        failure = None
    except _Hang:
        features, failure = set(), Failure("hang", f"no answer within {hang_seconds} s", data)
    except InvariantBroken as exc:
        features, failure = set(), Failure("invariant", str(exc), data)
    except GbcsError as exc:                    # targets catch these; one escaping is still fine
        features, failure = {type(exc).__name__}, None
    except RecursionError as exc:
        features, failure = set(), Failure("exception", f"RecursionError: {exc}", data)
    except Exception as exc:                    # noqa: BLE001 - any other exception is the finding
        where = traceback.extract_tb(exc.__traceback__)[-1]
        features, failure = set(), Failure("exception", f"{type(exc).__name__}: {exc} "
                                           f"(at {Path(where.filename).name}:{where.lineno})", data)
    finally:
        if use_alarm:
            signal.setitimer(signal.ITIMER_REAL, 0)
            if previous is not None:
                signal.signal(signal.SIGALRM, previous)
    return features, failure, time.process_time() - start


def fuzz(target: str, seconds: float, seeds: list[bytes], *, max_executions: int | None = None,
         slow_seconds: float = 0.25, hang_seconds: float = 10.0, max_len: int = 4096, random_seed: int = 0,
         artifacts: str | Path | None = None, max_failures: int = 10,
         progress: Callable[[FuzzReport], None] | None = None) -> FuzzReport:
    """Mutation-fuzz `target` (decode, validate, cert) for `seconds` (or max_executions)."""
    check = target_named(target)
    folder = Path(artifacts) if artifacts is not None else None
    rnd = random.Random(random_seed)
    report = FuzzReport(target, "mutation")
    previous = signal.signal(signal.SIGALRM, _on_alarm) if hasattr(signal, "SIGALRM") else None
    seen: set[str] = set()
    failures: dict[tuple[str, str], Failure] = {}
    corpus: list[bytes] = []
    spans: dict[int, list] = {}
    started = time.monotonic()

    def record(data: bytes, features: set, failure: Failure | None, cpu: float) -> None:
        report.executions += 1
        if failure is None and cpu > slow_seconds:   # timed again: one-off warm-up costs are not the input's
            cpu = min(cpu, run_once(check, data, hang_seconds)[2])
        if cpu > report.slowest:
            report.slowest = cpu
        if failure is None and cpu > slow_seconds:
            failure = Failure("slow", f"{cpu:.3f} s of CPU (limit {slow_seconds} s)", data)
        if failure is not None:
            failure.seconds = cpu
            key = (failure.kind, failure.message.split(" (at ")[0][:120])
            if key not in failures or len(data) < len(failures[key].data):
                failure.saved = save_artifact(folder, failure.kind, data)
                failures[key] = failure
        new = features - seen
        if new:
            seen.update(new)
            if len(data) <= max_len and len(corpus) < 20000:
                corpus.append(data)

    try:
        for data in seeds:                       # warm-up: every seed once, caches filled
            record(data, *run_once(check, data, hang_seconds))
        report.rss_warm_kb = rss_kb()
        if not corpus:
            corpus.extend(seeds or [b"\x00"])
        last_progress = time.monotonic()
        while time.monotonic() - started < seconds and len(failures) < max_failures:
            if max_executions is not None and report.executions >= max_executions:
                break
            i = rnd.randrange(len(corpus))
            parent = corpus[i]
            if i not in spans:
                spans[i] = boundaries(parent)
            data = parent
            for _ in range(rnd.randint(1, 4)):
                other = corpus[rnd.randrange(len(corpus))]
                data = mutate_once(data, rnd, spans[i] if data is parent else None, other)
            if rnd.random() < 0.02:
                data = rnd.randbytes(rnd.randint(0, 64))
            data = data[:max_len]
            record(data, *run_once(check, data, hang_seconds))
            if progress is not None and time.monotonic() - last_progress > 5:
                last_progress = time.monotonic()
                report.features, report.corpus, report.seconds = len(seen), len(corpus), time.monotonic() - started
                progress(report)
    finally:
        if previous is not None:
            signal.signal(signal.SIGALRM, previous)
    report.seconds = time.monotonic() - started
    report.features, report.corpus = len(seen), len(corpus)
    report.rss_end_kb = rss_kb()
    report.failures = list(failures.values())
    return report
