"""Shared start-up of the atheris harnesses in this folder (not a gbcs module).

gbcs is imported inside atheris.instrument_imports so that its modules, and only they, carry
coverage instrumentation; the target functions themselves live in gbcs.testing.targets (the
same ones `gbcs fuzz` runs).
"""
from __future__ import annotations

import sys


def run(target: str) -> None:
    import atheris  # type: ignore[import-not-found]
    with atheris.instrument_imports(include=["gbcs"]):
        import gbcs  # noqa: F401
        import gbcs.validate  # noqa: F401
        from gbcs.testing import atheris_main, targets
        for name in targets.TARGETS:                 # load what the targets import lazily
            for warm in (b"", bytes.fromhex("DD00")):
                try:
                    targets.target(name)(warm)
                except Exception:  # noqa: BLE001 - warm-up only
                    pass
    atheris_main.main(["--target", target, "--"] + sys.argv[1:])
