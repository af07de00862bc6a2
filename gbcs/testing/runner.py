"""Running a fuzz campaign: seeds, the atheris child process and its report, message streams.

The `gbcs fuzz` and `gbcs generate` commands call these; they hold no GBCS facts.
"""
from __future__ import annotations

import hashlib
import re
import shutil
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Iterator

from gbcs.errors import GbcsError
from gbcs.testing.engine import Failure, FuzzReport


class FuzzRunError(GbcsError):
    """The fuzzer itself could not run (not a finding about the target)."""


def atheris_available() -> bool:
    try:
        import atheris  # noqa: F401
    except ImportError:
        return False
    return True


def stream(strategy, seed: int, batch: int = 25) -> Iterator[bytes]:
    """Examples of a strategy, batch after batch (a new seed each), for as long as asked."""
    from gbcs.testing.corpus import sample
    while True:
        got = sample(strategy, batch, seed=seed)
        if not got:
            return
        yield from got
        seed += 1


def seeds(corpus: str | None, strategy, seed: int, target: str) -> list[bytes]:
    """Seeds: the corpus folder's files, else examples of `strategy`, else messages (or
    certificates) of every use case; written into the corpus folder when one is given, so later
    runs reuse them."""
    from gbcs.testing.corpus import certificate_seeds, corpus_messages, sample
    folder = Path(corpus) if corpus is not None else None
    if folder is not None and folder.is_dir():
        found = [p.read_bytes() for p in sorted(folder.iterdir()) if p.is_file()]
        if found:
            return found
    if target == "cert":
        found_seeds = certificate_seeds(seed=seed)
    elif strategy is not None:
        found_seeds = sample(strategy, 50, seed=seed)
    else:
        found_seeds = list(corpus_messages(1, seed=seed))
    if folder is not None:
        folder.mkdir(parents=True, exist_ok=True)
        for data in found_seeds:
            (folder / hashlib.sha1(data).hexdigest()).write_bytes(data)
    return found_seeds


def run_atheris(target: str, seconds: float, hang: float, seeds: list[bytes], corpus: str | None,
                artifacts: str) -> FuzzReport:
    """Run the atheris harness in a child process (libFuzzer exits when done) and read its report."""
    from gbcs.testing import atheris_main
    from gbcs.testing.corpus import write_dictionary
    art = Path(artifacts)
    art.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="gbcs-fuzz-"))
    try:
        folder = Path(corpus) if corpus is not None else work / "corpus"
        folder.mkdir(parents=True, exist_ok=True)
        for data in seeds:
            (folder / hashlib.sha1(data).hexdigest()).write_bytes(data)
        dictionary = work / "gbcs.dict"
        write_dictionary(dictionary)
        before = {p.name for p in art.iterdir()}
        argv = [sys.executable, "-c", atheris_main.LAUNCHER, "--target", target, "--artifacts", str(art), "--",
                f"-max_total_time={max(1, round(seconds))}", f"-timeout={max(1, round(hang))}",
                f"-dict={dictionary}", f"-artifact_prefix={art}/", "-print_final_stats=1", str(folder)]
        # atheris instruments Python bytecode only: the compiled twins would hide the decode path
        env = dict(os.environ, GBCS_PURE_PYTHON="1")
        proc = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, errors="replace",
                              env=env)
        report = parse_libfuzzer(proc.stdout, target)
        for path in sorted(art.iterdir()):
            if path.name in before or not path.is_file():
                continue
            kind = path.name.split("-", 1)[0]
            data = bytes.fromhex(path.read_text().strip()) if path.suffix == ".hex" else path.read_bytes()
            if path.suffix != ".hex":             # libFuzzer's raw crash-/timeout-/oom- files: add hex
                path = path.with_name(path.name + ".hex")
                path.write_text(data.hex().upper() + "\n")
            message = crash_message(proc.stdout) if kind in ("crash", "oom", "timeout", "leak") else "slow input"
            report.failures.append(Failure({"crash": "exception", "timeout": "hang"}.get(kind, kind), message,
                                           data, saved=path))
        if proc.returncode != 0 and not report.failures:
            tail = "\n".join(proc.stdout.splitlines()[-15:])
            raise FuzzRunError(f"the atheris run failed (exit {proc.returncode}):\n{tail}")
        return report
    finally:
        shutil.rmtree(work, ignore_errors=True)


def parse_libfuzzer(output: str, target: str) -> FuzzReport:
    """Executions, coverage, corpus and memory from libFuzzer's status lines."""
    report = FuzzReport(target, "atheris")
    status = re.compile(r"^#(\d+)\s+\S+\s+cov: (\d+) ft: (\d+) corp: (\d+)/\S+.*?rss: (\d+)Mb")
    first_rss = None
    for line in output.splitlines():
        m = status.match(line)
        if m:
            report.executions, cov, report.features, report.corpus, rss = (int(g) for g in m.groups())
            report.extra["coverage_edges"] = cov
            first_rss = rss if first_rss is None else first_rss
            report.rss_warm_kb, report.rss_end_kb = first_rss * 1024, rss * 1024
        done = re.match(r"Done (\d+) runs in (\d+) second", line)
        if done:
            report.executions, report.seconds = int(done.group(1)), float(done.group(2))
        stat = re.match(r"stat::number_of_executed_units: (\d+)", line)
        if stat:
            report.executions = int(stat.group(1))
    return report


def crash_message(output: str) -> str:
    lines = output.splitlines()
    for i, line in enumerate(lines):
        if "Uncaught Python exception" in line:
            error = next((l.strip() for l in lines[i + 1:i + 5] if l.strip()), "uncaught exception")
            frames = [l.strip() for l in lines[i + 1:i + 80] if l.startswith("  File ")]
            where = re.search(r'File "([^"]+)", line (\d+)', frames[-1]) if frames else None
            return f"{error} (at {Path(where.group(1)).name}:{where.group(2)})" if where else error
        if "ERROR: libFuzzer" in line:
            return line.split("ERROR: libFuzzer:", 1)[-1].strip()
    return "crash"
