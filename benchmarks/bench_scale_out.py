"""Scale-out: validation and capture-analysis throughput in one process and on local Dask
clusters of 1, 2 and N workers.

    python benchmarks/bench_scale_out.py [--messages 1000000] [--files 100] [--workers 1,2,4]
                                         [--runs validate,analyse]

validate: a capture of MESSAGES messages (the shipped example captures repeated, one message per
line, spread over FILES files) validated with the example keystore, records without trees as a
fleet run writing Parquet would. analyse: a pcap capture of MESSAGES messages over FILES files
(benchmarks/bench_flows.py's traffic: commands, responses, alerts over 1000 devices) analysed as
one capture. Each prints messages/s in one process and on each cluster size, and the scaling
efficiency (speed-up over one process / workers). The load average is printed, as the machine
may be shared.
"""
from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
KEYS = str(ROOT / "examples" / "keys")
ACB = "AB00000000000002"


def message_lines() -> list[str]:
    lines = []
    for f in sorted((ROOT / "examples" / "captures").glob("*.txt")):
        if f.name == "gbt-blocks.txt":
            continue
        lines += [x for x in f.read_text().splitlines() if x.strip() and not x.startswith("#")]
    return lines


def generate(folder: Path, messages: int, files: int) -> None:
    folder.mkdir(exist_ok=True)
    lines = message_lines()
    per_file = -(-messages // files)
    written = 0
    for i in range(files):
        n = min(per_file, messages - written)
        if n <= 0:
            break
        text = "\n".join(lines[(written + j) % len(lines)] for j in range(n))
        (folder / f"part-{i:05d}.txt").write_text(text + "\n")
        written += n


def single(folder: Path) -> int:
    from gbcs.crypto import Keystore
    from gbcs.io.inputs import iter_inputs
    from gbcs.io.records import validation_records
    ks = Keystore.load([KEYS])
    return sum(1 for _ in validation_records(iter_inputs([str(folder)]), ks, acb=ACB, with_tree=False))


def clustered(folder: Path, workers: int) -> int:
    import gbcs.dask
    with gbcs.dask.connect(f"local:{workers}") as client:
        return sum(1 for _ in gbcs.dask.stream(client, [str(folder)], keystore=KEYS, acb=ACB, with_tree=False))


def analyse_single(files: list[str]) -> int:
    from gbcs.flow.analyse import Analyser
    from gbcs.flow.stream import flow_messages
    analyser = Analyser()
    for _ in analyser.run(flow_messages(files, payloads="alerts")):
        pass
    return analyser.count


def analyse_clustered(files: list[str], workers: int) -> int:
    import gbcs.dask
    with gbcs.dask.connect(f"local:{workers}") as client:
        return gbcs.dask.analyse(files, client=client).count


def measure(name: str, one, many, workers: list[int]) -> None:
    load = os.getloadavg()[0]
    t = time.perf_counter()
    n = one()
    base = n / (time.perf_counter() - t)
    print(f"{name}, one process: {n:,} messages, {base:,.0f} msg/s (load {load:.1f})", flush=True)
    for w in workers:
        load = os.getloadavg()[0]
        t = time.perf_counter()
        n = many(w)
        rate = n / (time.perf_counter() - t)
        print(f"{name}, local:{w}: {n:,} messages, {rate:,.0f} msg/s, speed-up {rate / base:.2f}, "
              f"efficiency {rate / base / w:.0%} (load {load:.1f})", flush=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--messages", type=int, default=1_000_000)
    ap.add_argument("--files", type=int, default=100)
    ap.add_argument("--workers", default="1,2")
    ap.add_argument("--runs", default="validate,analyse")
    args = ap.parse_args()
    workers = [int(x) for x in args.workers.split(",")]
    runs = args.runs.split(",")
    print(f"{os.cpu_count()} CPUs; load average {os.getloadavg()[0]:.1f}", flush=True)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        if "validate" in runs:
            generate(folder / "lines", args.messages, args.files)
            measure("validate", lambda: single(folder / "lines"), lambda w: clustered(folder / "lines", w), workers)
        if "analyse" in runs:
            sys.path.insert(0, str(ROOT / "benchmarks"))
            from bench_flows import generate as generate_capture
            (folder / "capture").mkdir()
            files = generate_capture(str(folder / "capture" / "cap"), args.messages, 1000, files=args.files)
            measure("analyse", lambda: analyse_single(files), lambda w: analyse_clustered(files, w), workers)


if __name__ == "__main__":
    main()
