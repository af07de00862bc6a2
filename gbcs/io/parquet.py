"""Validation results as two tables — one row per message, one per finding — in Parquet.

A run writes a dataset folder: `PATH/messages/part-00000.parquet …` and
`PATH/findings/part-00000.parquet …`, one part per batch of records, so memory stays bounded
by the batch. The columns and their types are MESSAGE_COLUMNS and FINDING_COLUMNS (README:
"Parquet output"). pyarrow is an optional dependency (`pip install 'gbcs[parquet]'`).
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Iterable, Iterator

from gbcs.errors import InputError

# (column, arrow type name, record key, description)
MESSAGE_COLUMNS = (
    ("source", "string", "where the message was read: path, path:N, path:N..M for GBT blocks"),
    ("ok", "bool", "true when no finding is an error"),
    ("status", "string", "verified, unverified or failed (as gbcs validate says)"),
    ("kind", "string", "command, response, alert or precommand; null when it did not decode"),
    ("message_code", "int32", "GBCS message code"),
    ("use_case", "string", "use case of the message code, e.g. ECS17b"),
    ("cra_flag", "int8", "1 command, 2 response, 3 alert"),
    ("originator", "string", "originator EUI-64, hex"),
    ("recipient", "string", "recipient EUI-64, hex"),
    ("originator_counter", "uint64", "originator counter"),
    ("date_time", "string", "grouping-header date-time, ISO 8601, when present"),
    ("payload_type", "string", "dlms, gbz or asn1"),
    ("signature", "string", "valid, invalid, absent, no-key or unchecked"),
    ("mac", "string", "valid, invalid, absent, no-key or unchecked"),
    ("decryption", "string", "valid, invalid, absent, no-key or unchecked"),
    ("errors", "int32", "error findings"),
    ("warnings", "int32", "warning findings"),
)
FINDING_COLUMNS = (
    ("source", "string", "the message's source, as in the messages table"),
    ("rule", "string", "rule id, e.g. GBCS-E101 (gbcs rules lists them)"),
    ("topic", "string", "envelope, payload, alert, precision, signature, mac, decryption, …"),
    ("severity", "string", "error, warning or info"),
    ("offset", "int64", "byte offset in the message, when the finding has one"),
    ("field", "string", "dotted field path, when the finding has one"),
    ("message", "string", "what is wrong and what to do"),
)


def message_row(record: dict) -> dict:
    findings = record.get("findings") or ()
    row = {name: record.get(name) for name, _, _ in MESSAGE_COLUMNS}
    row["ok"] = bool(record.get("valid", record.get("ok")))
    row["errors"] = sum(1 for f in findings if f.get("severity") == "error")
    row["warnings"] = sum(1 for f in findings if f.get("severity") == "warning")
    return row


def finding_rows(record: dict) -> list[dict]:
    return [{"source": record.get("source"), **{name: f.get(name) for name, _, _ in FINDING_COLUMNS[1:]}}
            for f in record.get("findings") or ()]


def _pyarrow():
    try:
        import pyarrow
        import pyarrow.parquet
    except ImportError:
        raise InputError("Parquet output needs pyarrow: pip install 'gbcs[parquet]'") from None
    return pyarrow


def arrow_schema(columns) -> "object":
    pa = _pyarrow()
    return pa.schema([(name, pa.bool_() if kind == "bool" else getattr(pa, kind)()) for name, kind, _ in columns])


def write_parquet(records: Iterable[dict], path: str | os.PathLike, batch: int = 50_000) -> Iterator[dict]:
    """Write records as a Parquet dataset folder, `batch` records a part; yields each record on."""
    pa = _pyarrow()
    root = Path(path)
    (root / "messages").mkdir(parents=True, exist_ok=True)
    (root / "findings").mkdir(parents=True, exist_ok=True)
    schemas = arrow_schema(MESSAGE_COLUMNS), arrow_schema(FINDING_COLUMNS)
    messages: list[dict] = []
    findings: list[dict] = []
    part = 0

    def flush() -> None:
        nonlocal part
        for folder, rows, schema in (("messages", messages, schemas[0]), ("findings", findings, schemas[1])):
            table = pa.Table.from_pylist(rows, schema=schema)
            pa.parquet.write_table(table, root / folder / f"part-{part:05d}.parquet")
            rows.clear()
        part += 1

    for record in records:
        messages.append(message_row(record))
        findings.extend(finding_rows(record))
        yield record
        if len(messages) >= batch:
            flush()
    if messages or part == 0:
        flush()
