"""libFuzzer (atheris) harness for the gbcs fuzz targets.

    python -c "$(python -m gbcs.testing.atheris_main --launcher)" --target decode [--slow 0.25] \\
        [--artifacts DIR] -- [libFuzzer flags, e.g. -max_total_time=60 -dict=gbcs.dict] CORPUS_DIR

The launcher imports gbcs inside atheris.instrument_imports so that gbcs modules, and only
they, are instrumented for coverage (instrumenting every loaded library takes minutes). An exception other than GbcsError, or a broken
invariant, is a libFuzzer crash (reproducer written with -artifact_prefix); an input taking more
CPU than --slow seconds is written to DIR/slow-<sha1>.hex and reported at the end by `gbcs fuzz`.
"""
from __future__ import annotations

import argparse
import sys
import time


def main(argv: list[str] | None = None) -> None:
    argv = list(sys.argv[1:] if argv is None else argv)
    rest: list[str] = []
    if "--" in argv:
        cut = argv.index("--")
        argv, rest = argv[:cut], argv[cut + 1:]
    parser = argparse.ArgumentParser(prog="python -m gbcs.testing.atheris_main")
    parser.add_argument("--target", default="decode", choices=("decode", "validate", "cert"))
    parser.add_argument("--slow", type=float, default=0.25, help="CPU seconds after which an input is slow")
    parser.add_argument("--artifacts", default=None, help="folder for slow inputs")
    args = parser.parse_args(argv)

    import atheris  # type: ignore[import-not-found]

    from gbcs.testing import targets
    from gbcs.testing.engine import save_artifact
    check = targets.target(args.target)
    from pathlib import Path
    folder = Path(args.artifacts) if args.artifacts else None
    slow = args.slow

    def one_input(data: bytes) -> None:
        start = time.process_time()
        check(bytes(data))
        spent = time.process_time() - start
        if spent > slow:
            save_artifact(folder, "slow", bytes(data))
            print(f"gbcs: slow input ({spent:.3f} s CPU) saved", file=sys.stderr, flush=True)

    atheris.Setup([sys.argv[0]] + rest, one_input)
    atheris.Fuzz()


# Run with `python -c`: gbcs and the modules the targets load lazily are imported (and so
# instrumented) inside instrument_imports, then main() runs.
LAUNCHER = """
import atheris, sys
with atheris.instrument_imports(include=["gbcs"]):
    import gbcs, gbcs.validate, gbcs.testing.targets as _t, gbcs.testing.atheris_main as _m
    for _name in ("decode", "validate", "cert"):
        for _warm in (b"", bytes.fromhex("DD00")):
            try:
                _t.target(_name)(_warm)
            except Exception:
                pass
    import gbcs.payload.dlms, gbcs.payload.gbz, gbcs.payload.asn1, gbcs.crypto
_m.main()
"""


if __name__ == "__main__":
    if sys.argv[1:] == ["--launcher"]:
        print(LAUNCHER)
    else:
        main()
