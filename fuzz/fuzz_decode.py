"""Fuzz target for gbcs.decode.

Invariant tested: whatever bytes arrive, gbcs.decode returns a Message that encodes back to
the same bytes, or raises a GbcsError (a DecodeError with an offset inside the input) —
never another exception, never a hang, never a huge allocation.

Run with atheris (pip install atheris):   python fuzz/fuzz_decode.py [corpus_dir] [-max_len=4096]
or without it, through hypothesis:        python fuzz/fuzz_decode.py --hypothesis [N]
"""
from __future__ import annotations

import sys

import gbcs
from gbcs.errors import DecodeError, GbcsError


def check(data: bytes) -> None:
    try:
        message = gbcs.decode(data)
    except DecodeError as exc:
        if not 0 <= exc.offset <= len(data) or exc.rule == "GBCS-D999":
            raise AssertionError(f"bad error for {data.hex()}: {exc}") from exc
        return
    except GbcsError:
        return
    if gbcs.encode(message) != data:
        raise AssertionError(f"round trip failed for {data.hex()}")


def main(argv: list[str]) -> None:
    if argv[1:2] == ["--hypothesis"]:
        from hypothesis import given, settings, strategies as st
        runs = int(argv[2]) if len(argv) > 2 else 10_000

        @settings(max_examples=runs, deadline=None, database=None)
        @given(st.binary(max_size=2048))
        def target(data):
            check(data)
        target()
        print(f"{runs} inputs, no failure")
        return
    import atheris  # type: ignore[import-not-found]
    atheris.Setup(argv, lambda data: check(bytes(data)))
    atheris.Fuzz()


if __name__ == "__main__":
    main(sys.argv)
