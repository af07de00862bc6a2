"""Fuzz target for decode and validate together, with the examples keystore.

Invariants: gbcs.decode either round-trips or raises a GbcsError (never GBCS-D999);
gbcs.validate never raises, never reports GBCS-D999 or a check that crashed; the JSON and
text renderings of the result never raise. A broken invariant is saved under OUT/crashes and
counted, and the run goes on; inputs taking more than SLOW seconds of CPU are saved under OUT/slow.

    python fuzz/fuzz_validate.py OUT [atheris/libFuzzer options, e.g. -max_total_time=1800]

OUT/seeds is filled from examples/captures and builder-made messages on first use;
OUT/stats.json holds the counts (executions, crashes, slow inputs, slowest, max RSS).
"""
from __future__ import annotations

import hashlib
import io
import json
import resource
import sys
import time
import traceback
from pathlib import Path

import atheris  # type: ignore[import-not-found]

with atheris.instrument_imports():
    import gbcs
    from gbcs.errors import GbcsError
    from gbcs.io.outputs import Result, write_jsonl, write_text
    from gbcs.validate import validate

ROOT = Path(__file__).resolve().parent.parent
SLOW = 0.25
STATS_EVERY = 2000


def seeds() -> list[bytes]:
    """Every message of examples/captures, their GBT blocks joined, and builder payloads."""
    from gbcs.builder import Envelope, general_signing
    from gbcs.io.inputs import iter_inputs
    from gbcs.payload import asn1
    found = [m.data for m in iter_inputs([str(ROOT / "examples" / "captures")]) if m.data]
    found.append(b"".join(m.data for m in iter_inputs([str(ROOT / "examples" / "captures" / "gbt-blocks.txt")])))
    env = Envelope("command", 1, "AB00000000010000", "AB000000000000E1", 0x0012)
    for content in (asn1.build_unjoin_command(bytes(8)),
                    asn1.build_set_time_command("2026-01-01T00:00:00Z", "2026-01-02T00:00:00Z"),
                    asn1.build_join_response(0)):
        found.append(general_signing(env, content, b""))
    return found


class Harness:
    def __init__(self, out: Path) -> None:
        from gbcs.crypto import Keystore
        self.out = out
        self.keystore = Keystore.load([str(ROOT / "examples" / "keys")])
        self.stats = {"executions": 0, "crashes": 0, "slow_inputs": 0, "slowest_seconds": 0.0,
                      "max_rss_mb": 0, "started": time.time()}

    def _save(self, kind: str, data: bytes, note: str) -> None:
        folder = self.out / kind
        folder.mkdir(exist_ok=True)
        name = hashlib.sha1(data).hexdigest()
        (folder / name).write_bytes(data)
        (folder / f"{name}.txt").write_text(note)

    def one(self, data: bytes) -> None:
        start = time.process_time()      # CPU time: a busy machine does not make inputs "slow"
        try:
            self._check(data)
        except Exception:   # noqa: BLE001 - every escape is a finding of this run, saved and counted
            self.stats["crashes"] += 1
            self._save("crashes", data, traceback.format_exc())
        took = time.process_time() - start
        self.stats["executions"] += 1
        self.stats["slowest_seconds"] = max(self.stats["slowest_seconds"], took)
        if took > SLOW:
            self.stats["slow_inputs"] += 1
            self._save("slow", data, f"{took:.3f} s for {len(data)} bytes")
        if self.stats["executions"] % STATS_EVERY == 0:
            self.write_stats()

    def write_stats(self) -> None:
        self.stats["max_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024
        self.stats["elapsed_seconds"] = round(time.time() - self.stats["started"])
        (self.out / "stats.json").write_text(json.dumps(self.stats, indent=1))

    def _check(self, data: bytes) -> None:
        try:
            message = gbcs.decode(data)
        except GbcsError as exc:
            assert getattr(exc, "rule", None) != "GBCS-D999", f"internal error: {exc}"
            message = None
        if message is not None:
            assert gbcs.encode(message) == data, "round trip failed"
        result = validate(data, self.keystore)
        for f in result.findings:
            assert f.rule != "GBCS-D999", f"internal error finding: {f.message}"
            assert "could not be evaluated" not in f.message, f"a check crashed: {f.message}"
        record = Result("fuzz", message=message, data=data, extra={
            "findings": [f.to_dict() for f in result.findings], "valid": result.ok})
        write_jsonl([record], io.StringIO())
        write_text([record], io.StringIO())


def main(argv: list[str]) -> None:
    out = Path(argv[1])
    corpus = out / "corpus"
    corpus.mkdir(parents=True, exist_ok=True)
    if not any(corpus.iterdir()):
        for data in seeds():
            (corpus / hashlib.sha1(data).hexdigest()).write_bytes(data)
    harness = Harness(out)
    import atexit
    atexit.register(harness.write_stats)
    atheris.Setup([argv[0], str(corpus), *argv[2:]], lambda data: harness.one(bytes(data)))
    atheris.Fuzz()


if __name__ == "__main__":
    main(sys.argv)
