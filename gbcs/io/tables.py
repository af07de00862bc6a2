"""Text and JSON rendering of table look-ups (`gbcs codes`, `gbcs alerts`)."""
from __future__ import annotations

import json
from typing import TextIO


def _cell(value) -> str:
    if value is None:
        return "-"
    if isinstance(value, list):
        return "/".join(str(v) for v in value) if value else "-"
    return str(value)


def write_records_json(records: list[dict], out: TextIO) -> None:
    json.dump(records, out, indent=2, ensure_ascii=False)
    out.write("\n")


def write_records_text(records: list[dict], columns: list[tuple[str, str]], out: TextIO,
                       details: list[tuple[str, str]] = ()) -> None:
    """One aligned line per record (`columns`: (key, heading)), then indented `details` lines."""
    rows = [[_cell(r.get(k)) for k, _ in columns] for r in records]
    widths = [max([len(h)] + [len(row[i]) for row in rows]) for i, (_, h) in enumerate(columns)]
    out.write("  ".join(h.ljust(w) for (_, h), w in zip(columns, widths)).rstrip() + "\n")
    for record, row in zip(records, rows):
        out.write("  ".join(c.ljust(w) for c, w in zip(row, widths)).rstrip() + "\n")
        for key, heading in details:
            value = record.get(key)
            if value:
                out.write(f"      {heading}: {'; '.join(value) if isinstance(value, list) else value}\n")
