"""Decode throughput over a folder of captures (default: the RTDS corpus from GBCS_RTDS).

    python benchmarks/bench_decode.py [FOLDER] [--repeat N]

Prints messages/s and MB/s for the active backend; run with GBCS_PURE_PYTHON=1 to compare.
"""
from __future__ import annotations

import argparse
import os
import time
import tracemalloc
from pathlib import Path

import gbcs
from gbcs.wire.backend import BACKEND


def load(folder: Path) -> list[bytes]:
    out = []
    for f in sorted(folder.rglob("*")):
        if f.is_file() and f.suffix.upper() in (".HEX", ".TXT"):
            for line in f.read_text().split():
                try:
                    out.append(bytes.fromhex(line))
                except ValueError:
                    pass
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("folder", nargs="?", default=os.environ.get("GBCS_RTDS", "examples/captures"))
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()
    messages = load(Path(args.folder))
    total = sum(map(len, messages))
    gbcs.decode(messages[0])                       # load specs outside the timing
    best = float("inf")
    for _ in range(args.repeat):
        t0 = time.perf_counter()
        for m in messages:
            try:
                gbcs.decode(m)
            except gbcs.GbcsError:
                pass
        best = min(best, time.perf_counter() - t0)
    tracemalloc.start()
    for m in messages:
        try:
            gbcs.decode(m)
        except gbcs.GbcsError:
            pass
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    print(f"backend={BACKEND} messages={len(messages)} bytes={total} best={best:.3f}s "
          f"{len(messages) / best:,.0f} msg/s {total / best / 1e6:.2f} MB/s peak_alloc={peak / 1e6:.1f} MB")


if __name__ == "__main__":
    main()
