"""Writers for DUIS records (plain dicts: source, service_reference_variant, signature, signer,
findings). Text output escapes everything taken from the input; JSON is one array or one
object per line. JUnit and SARIF come from gbcs.io's shared writers when they are present."""
from __future__ import annotations

import json
from typing import Iterable, TextIO


def escape(text: object) -> str:
    """Control characters (from input documents or library messages) shown as \\xNN escapes."""
    out = []
    for ch in str(text):
        code = ord(ch)
        if code < 0x20 or 0x7F <= code < 0xA0 or code in (0x2028, 0x2029):
            out.append(f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}")
        else:
            out.append(ch)
    return "".join(out)


_HEAD_KEYS = ("kind", "service_reference_variant", "request_id", "schema", "signature", "signer", "signer_role")


def write_text(records: Iterable[dict], out: TextIO) -> None:
    for record in records:
        errors = sum(1 for f in record.get("findings", ()) if f["severity"] == "error")
        verdict = "FAIL" if errors else "ok"
        out.write(f"{escape(record['source'])}: {verdict}\n")
        for key in _HEAD_KEYS:
            if record.get(key) is not None:
                out.write(f"  {key}: {escape(record[key])}\n")
        for f in record.get("findings", ()):
            field = f" in {escape(f['field'])}" if f.get("field") else ""
            out.write(f"  {f['severity'].upper()} {f['rule']}{field}: {escape(f['message'])}\n")


def write_jsonl(records: Iterable[dict], out: TextIO) -> None:
    for record in records:
        out.write(json.dumps(record, ensure_ascii=True) + "\n")


def write_json(records: Iterable[dict], out: TextIO) -> None:
    out.write("[")
    for i, record in enumerate(records):
        out.write(("," if i else "") + "\n  " + json.dumps(record, ensure_ascii=True))
    out.write("\n]\n")


def writer(fmt: str):
    """The writer for a format name; junit/sarif need gbcs.io's shared writers (ImportError if absent)."""
    if fmt == "junit":
        from gbcs.io.junit import write_junit
        return lambda records, out: write_junit(records, out, suite="gbcs duis")
    if fmt == "sarif":
        from gbcs.io.sarif import write_sarif
        return write_sarif
    return {"text": write_text, "json": write_json, "jsonl": write_jsonl}[fmt]
