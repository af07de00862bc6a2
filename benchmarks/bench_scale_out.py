"""Scale-out: validation throughput in one process and on local Dask clusters of 1, 2 and N workers.

    python benchmarks/bench_scale_out.py [--messages 1000000] [--files 100] [--workers 1,2,4]

Generates a capture of MESSAGES messages (the shipped example captures repeated, one message
per line, spread over FILES files), validates it with the example keystore in one process and
on each cluster size, and prints messages/s and scaling efficiency (speed-up / workers).
Records are computed without trees, as a fleet run writing Parquet would.
"""
from __future__ import annotations

import argparse
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


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--messages", type=int, default=1_000_000)
    ap.add_argument("--files", type=int, default=100)
    ap.add_argument("--workers", default="1,2")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        generate(folder, args.messages, args.files)
        t = time.perf_counter()
        n = single(folder)
        base = n / (time.perf_counter() - t)
        print(f"one process: {n} messages, {base:,.0f} msg/s")
        for w in (int(x) for x in args.workers.split(",")):
            t = time.perf_counter()
            n = clustered(folder, w)
            rate = n / (time.perf_counter() - t)
            print(f"local:{w}: {n} messages, {rate:,.0f} msg/s, speed-up {rate / base:.2f}, "
                  f"efficiency {rate / base / w:.0%}")


if __name__ == "__main__":
    main()
