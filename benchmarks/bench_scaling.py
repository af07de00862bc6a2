"""Decode time against message size: the walk must stay linear in the input.

    python benchmarks/bench_scaling.py

Builds DLMS responses carrying arrays of 1k … 64k elements (and a hostile one of zero-width
compact-array items) with gbcs's own encoder and prints µs per input byte for each size.
"""
from __future__ import annotations

import time

import gbcs
from gbcs.builder import Envelope, general_signing, mac_wrap
from gbcs.payload import dlms

ENV = Envelope("response", 1, bytes(8), bytes(range(8)), 0x0059)


def message(n: int) -> bytes:
    content = dlms.build_access_response([("array", [("long_unsigned", i & 0xFFFF) for i in range(n)])], [("get", 0)])
    return mac_wrap(general_signing(ENV, content, b""), bytes(12))


def timed(data: bytes) -> float:
    t0 = time.perf_counter()
    try:
        gbcs.decode(data)
    except gbcs.GbcsError:
        pass
    return time.perf_counter() - t0


def main() -> None:
    gbcs.decode(message(1))
    for n in (1_000, 4_000, 16_000, 64_000):
        data = message(n)
        t = min(timed(data) for _ in range(3))
        print(f"array of {n:>6} long-unsigned: {len(data):>7} bytes {t * 1e3:8.1f} ms {t / len(data) * 1e6:6.2f} µs/byte")
    # A compact array announcing 65535 elements of an empty structure: rejected, not looped over.
    hostile = mac_wrap(general_signing(ENV, bytes.fromhex("DA0000000100000101 13 01FFFF0200 00 0100"
                                                           .replace(" ", "")), b""), bytes(12))
    print(f"hostile zero-width compact array: {timed(hostile) * 1e3:.2f} ms")


if __name__ == "__main__":
    main()
