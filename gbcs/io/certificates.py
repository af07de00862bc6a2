"""Render certificate lint results: text for people, JSON / JSON Lines / SARIF for machines."""
from __future__ import annotations

import json
from typing import Iterable, TextIO

from gbcs.io.sarif import write_sarif


def safe_text(text: object) -> str:
    """Text with control and non-printable characters escaped (sources and messages quote inputs)."""
    return "".join(ch if ch.isprintable() else ch.encode("unicode_escape").decode("ascii") for ch in str(text))


def write_text(records: Iterable[dict], out: TextIO) -> None:
    total = {"error": 0, "warning": 0, "info": 0}
    count = 0
    for r in records:
        count += 1
        who = ", ".join(filter(None, (r.get("profile") or "no profile", r.get("eui") and f"EUI {r['eui']}",
                                      r.get("role") and f"role {r['role']}")))
        worst = "ok" if not r["findings"] else \
            next(s for s in ("error", "warning", "info") if any(f["severity"] == s for f in r["findings"]))
        out.write(f"{safe_text(r['source'])}: {safe_text(who)}: {worst.upper() if worst != 'ok' else 'ok'}\n")
        for f in r["findings"]:
            total[f["severity"]] = total.get(f["severity"], 0) + 1
            where = f" [{safe_text(f['field'])}@{f['offset']}]" if f.get("field") else ""
            out.write(f"  {f['severity']:<7} {f['rule']} {safe_text(f['message'])}{where}\n")
    out.write(f"{count} certificate input(s): {total['error']} error(s), {total['warning']} warning(s), "
              f"{total['info']} info\n")


def write_jsonl(records: Iterable[dict], out: TextIO) -> None:
    for r in records:
        out.write(json.dumps(r) + "\n")


def write_json(records: Iterable[dict], out: TextIO) -> None:
    json.dump(list(records), out, indent=2)
    out.write("\n")


FORMATS = {"text": write_text, "json": write_json, "jsonl": write_jsonl, "sarif": write_sarif}
