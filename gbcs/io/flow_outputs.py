"""Render flow records (`gbcs cts run`, `gbcs capture analyse`) as text, JSON or JSON Lines.

Records are plain dicts: a scenario record has `scenario`, `verdict`, `steps` and `findings`;
capture analysis writes `record: flow` (findings about a message or device), `record: device`
(the per-device summary) and one `record: summary`. Text escapes everything it did not write.
"""
from __future__ import annotations

import json
import re
from typing import Iterable, TextIO

_UNSAFE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


def safe(text: object) -> str:
    """Text from inputs with control and bidi characters shown as escapes."""
    return _UNSAFE.sub(lambda m: f"\\x{ord(m.group()):02x}" if ord(m.group()) < 0x100 else f"\\u{ord(m.group()):04x}",
                       str(text)).replace("\n", "\\n")


def write_jsonl(records: Iterable[dict], out: TextIO) -> None:
    for r in records:
        out.write(json.dumps(r, separators=(",", ":")) + "\n")


def write_json(records: Iterable[dict], out: TextIO) -> None:
    out.write("[")
    for i, r in enumerate(records):
        out.write(",\n" if i else "\n")
        out.write(json.dumps(r, indent=2))
    out.write("\n]\n")


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"


def _finding_line(f: dict, indent: str) -> str:
    where = f" at offset {f['offset']}" if f.get("offset") is not None else ""
    field = f" in {safe(f['field'])}" if f.get("field") else ""
    return f"{indent}{f['severity'].upper()} {f['rule']}{where}{field}: {safe(f['message'])}\n"


def write_scenarios_text(records: Iterable[dict], out: TextIO) -> None:
    passed = failed = 0
    for r in records:
        ok = r["verdict"] == "pass"
        passed, failed = passed + ok, failed + (not ok)
        out.write(f"{'PASS' if ok else 'FAIL'} {safe(r['scenario'])} ({len(r['steps'])} steps)\n")
        for f in r["findings"]:
            out.write(_finding_line(f, "  "))
        for s in r["steps"]:
            shown = [f for f in s["findings"] if f["severity"] != "info"]
            if s["verdict"] == "fail" or shown:
                out.write(f"  {s['kind']} {safe(s['source'])}: {s['verdict']}\n")
                for f in shown:
                    out.write(_finding_line(f, "    "))
    out.write(f"\n{_count(passed + failed, 'scenario')}: {passed} passed, {failed} failed\n")


def write_capture_text(records: Iterable[dict], out: TextIO) -> None:
    for r in records:
        kind = r.get("record")
        if kind == "flow":
            when = f" {r['time']}" if r.get("time") else ""
            frame = f" frame {r['frame']}" if r.get("frame") is not None and "#" not in r["source"] else ""
            out.write(f"{safe(r['source'])}{frame}{when}:\n")
            for f in r["findings"]:
                out.write(_finding_line(f, "  "))
        elif kind == "device":
            codes = ", ".join(f"{c}×{n}" for c, n in list(r["alert_codes"].items())[:6])
            out.write(f"device {safe(r['device'])}: {r['commands']} commands, {r['responses']} responses, "
                      f"{r['alerts']} alerts{' (' + codes + ')' if codes else ''}, "
                      f"{r['unanswered_commands']} unanswered, {len(r['storms'])} storms; "
                      f"{r['first'] or '?'} .. {r['last'] or '?'}\n")
            for s in r["storms"]:
                out.write(f"  storm {s['start_time']} .. {s['end_time']}: {s['count']} alerts "
                          f"({', '.join(f'{c}×{n}' for c, n in s['codes'].items())})\n")
        elif kind == "summary":
            counts = ", ".join(f"{rule}×{n}" for rule, n in r["rules"].items()) or "no findings"
            out.write(f"\n{_count(r['messages'], 'message')}, {_count(r['devices'], 'device')}: {counts}\n")
