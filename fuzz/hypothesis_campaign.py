"""A long hypothesis run of the decode and validate targets over gbcs.testing strategies:
valid messages of every use case, their mutations, alerts, certificates and raw bytes.

    python fuzz/hypothesis_campaign.py [--examples 10000] [--slow 0.25]

Prints examples run, the slowest input (CPU seconds; an input over the limit is timed again,
so one-off warm-up costs do not count) and memory: hypothesis keeps its own records of every
example, so growth is measured by replaying all inputs through the targets twice more and
comparing resident memory between the two passes. Exits 1 with the reproducer as hex when an
input breaks a target's contract or is slower than --slow.
"""
from __future__ import annotations

import argparse
import sys
import time

from hypothesis import HealthCheck, given, settings, strategies as st

import gbcs.testing as gt
from gbcs.testing.engine import rss_kb, run_once
from gbcs.testing.targets import check_decode, check_validate


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--examples", type=int, default=10_000)
    parser.add_argument("--slow", type=float, default=0.25)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    inputs = st.one_of(gt.messages(), gt.mutated(gt.messages()), gt.alerts(), gt.mutated(gt.alerts()),
                       gt.certificates(), st.binary(max_size=512))
    stats = {"n": 0, "slowest": 0.0, "slowest_input": b""}
    problems: list[str] = []
    seen: list[bytes] = []
    for warm in (b"", bytes.fromhex("DD00")):         # spec tables and caches, once
        for check in (check_decode, check_validate):
            run_once(check, warm, 10.0)

    @settings(max_examples=args.examples, deadline=None, database=None, derandomize=False,
              suppress_health_check=list(HealthCheck))
    @given(inputs)
    def campaign(data: bytes) -> None:
        seen.append(data)
        for check in (check_decode, check_validate):
            _, failure, cpu = run_once(check, data, 10.0)
            if failure is not None:
                problems.append(f"{check.__name__}: {failure.kind}: {failure.message}: {data.hex().upper()}")
            if cpu > args.slow:                    # a real slow input stays slow when timed again
                cpu = min(cpu, run_once(check, data, 10.0)[2], run_once(check, data, 10.0)[2])
            if cpu > stats["slowest"]:
                stats["slowest"], stats["slowest_input"] = cpu, data
        stats["n"] += 1

    started = time.monotonic()
    campaign = __import__("hypothesis").seed(args.seed)(campaign)
    campaign()
    print(f"examples: {stats['n']} in {time.monotonic() - started:.0f} s")
    slowest = stats["slowest_input"]
    again = min(sum(run_once(c, slowest, 10.0)[2] for c in (check_decode, check_validate)) for _ in range(3))
    print(f"slowest input: {stats['slowest']:.4f} s CPU ({len(slowest)} bytes; {again:.4f} s when timed again, "
          f"decode and validate together): {slowest.hex().upper()}")
    after_hypothesis = rss_kb()
    passes = []
    for _ in range(2):
        for data in seen:
            for check in (check_decode, check_validate):
                run_once(check, data, 10.0)
        passes.append(rss_kb())
    print(f"memory: {after_hypothesis // 1024} MB after the hypothesis run (its own records included); "
          f"replaying the {len(seen)} inputs: {passes[0] // 1024} MB after one pass, {passes[1] // 1024} MB after two")
    if passes[1] - passes[0] > 8 * 1024:
        problems.append(f"memory grew by {(passes[1] - passes[0]) // 1024} MB over a replay of the same inputs")
    if stats["slowest"] > args.slow:
        problems.append(f"slow input ({stats['slowest']:.3f} s): {stats['slowest_input'].hex().upper()}")
    for p in problems:
        print(p)
    print("findings: none" if not problems else f"findings: {len(problems)}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
