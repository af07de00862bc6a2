"""Writers for DUIS records (plain dicts: source, service_reference_variant, schema, signature,
signer, findings). JSON, JSON lines, JUnit and SARIF are gbcs.io's shared writers; the text
form adds the DUIS statuses and escapes everything taken from the input."""
from __future__ import annotations

from typing import Iterable, TextIO

from gbcs.io.escape import escape_text

_HEAD_KEYS = ("kind", "service_reference_variant", "request_id", "schema", "signature", "signer", "signer_role")


def write_text(records: Iterable[dict], out: TextIO) -> None:
    for record in records:
        out.write(f"{escape_text(record['source'])}: {escape_text(record.get('status', '?'))}\n")
        for key in _HEAD_KEYS:
            if record.get(key) is not None:
                out.write(f"  {key}: {escape_text(record[key])}\n")
        for f in record.get("findings", ()):
            field = f" in {escape_text(f['field'])}" if f.get("field") else ""
            out.write(f"  {f['severity'].upper()} {f['rule']}{field}: {escape_text(f['message'])}\n")


def writer(fmt: str, strict: bool = False):
    """The writer function for an output format name (`strict`: JUnit fails on warnings too)."""
    if fmt == "text":
        return write_text
    if fmt == "junit":
        from gbcs.io.junit import write_junit
        fail_on = ("error", "warning") if strict else ("error",)
        return lambda records, out: write_junit(records, out, suite="gbcs duis", fail_on=fail_on)
    if fmt == "sarif":
        from gbcs.io.sarif import write_sarif
        return write_sarif
    from gbcs.io.jsonout import write_json, write_jsonl
    return {"json": write_json, "jsonl": write_jsonl}[fmt]
