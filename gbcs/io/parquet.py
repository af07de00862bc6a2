"""Results as two tables — one row per message, one per finding — in Parquet.

A run writes a dataset folder: `PATH/messages/part-00000.parquet …` and
`PATH/findings/part-00000.parquet …`, one part per batch of records (or per Dask partition),
so memory stays bounded by the batch. `gbcs validate` writes MESSAGE_COLUMNS and
FINDING_COLUMNS; `gbcs capture analyse` writes FLOW_MESSAGE_COLUMNS and FLOW_FINDING_COLUMNS
(README: "Parquet output"). pyarrow is an optional dependency (`pip install 'gbcs[parquet]'`).
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


# capture analysis: every message analysed, and every flow finding (about a message or a device)
FLOW_MESSAGE_COLUMNS = (
    ("source", "string", "where the message was read: path, path:N, path#frame N"),
    ("frame", "int64", "frame number in a capture (1-based)"),
    ("time", "timestamp", "capture time, else the grouping header's date-time (UTC)"),
    ("kind", "string", "command, response, alert or precommand; null when it did not decode"),
    ("device", "string", "the device it is about: a command's recipient, else its originator"),
    ("originator", "string", "originator EUI-64, hex"),
    ("recipient", "string", "recipient EUI-64, hex"),
    ("originator_counter", "uint64", "originator counter"),
    ("message_code", "int32", "GBCS message code"),
    ("use_case", "string", "use case of the message code"),
    ("alert_code", "int32", "an alert's alert code"),
    ("decoded", "bool", "false when the message could not be decoded (its finding says why)"),
)
FLOW_FINDING_COLUMNS = (
    ("source", "string", "the message's source (for a storm, its first alert's)"),
    ("frame", "int64", "frame number in a capture"),
    ("time", "timestamp", "time of the message (for a storm, its start)"),
    ("device", "string", "the device the finding is about"),
    ("rule", "string", "rule id, e.g. GBCS-F001"),
    ("topic", "string", "flow (or decode, for messages that did not decode)"),
    ("severity", "string", "error, warning or info"),
    ("offset", "int64", "byte offset in the message, when the finding has one"),
    ("field", "string", "dotted field path, when the finding has one"),
    ("message", "string", "what is wrong and what to do"),
)


def flow_message_row(obs) -> dict:
    """A row of FLOW_MESSAGE_COLUMNS from a gbcs.flow.analyse.Observation."""
    f = obs.facts
    return {"source": obs.source, "frame": obs.frame, "time": _utc(obs.t), "kind": f and f.kind,
            "device": obs.device, "originator": f and f.originator, "recipient": f and f.recipient,
            "originator_counter": f and f.counter, "message_code": f and f.message_code,
            "use_case": f and f.use_case, "alert_code": f and f.alert_code, "decoded": f is not None}


def flow_finding_rows(record: dict) -> list[dict]:
    """Rows of FLOW_FINDING_COLUMNS from a `record: flow` record of capture analysis."""
    head = {"source": record.get("source"), "frame": record.get("frame"), "time": _utc(record.get("timestamp")),
            "device": record.get("device")}
    return [{**head, **{name: f.get(name) for name, _, _ in FLOW_FINDING_COLUMNS[4:]}}
            for f in record.get("findings") or ()]


def check_new_dataset(path: str | os.PathLike) -> None:
    """Refuse a folder that already holds parts: stale parts would join the new tables."""
    for table in ("messages", "findings"):
        folder = Path(path) / table
        if folder.is_dir() and any(folder.glob("part-*.parquet")):
            raise InputError(f"{folder} already holds Parquet parts; give -o a new or empty folder")


def _utc(t: float | None):
    from datetime import datetime, timezone
    return None if t is None else datetime.fromtimestamp(t, timezone.utc)


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


def _arrow_type(pa, kind: str):
    if kind == "bool":
        return pa.bool_()
    if kind == "timestamp":
        return pa.timestamp("us", tz="UTC")
    return getattr(pa, kind)()


def arrow_schema(columns) -> "object":
    pa = _pyarrow()
    return pa.schema([(name, _arrow_type(pa, kind)) for name, kind, _ in columns])


class PartWriter:
    """One table of a dataset folder, written part by part: `FOLDER/part-NNNNN.parquet`."""

    def __init__(self, folder: str | os.PathLike, columns, batch: int = 50_000, first_part: int = 0) -> None:
        self.pa = _pyarrow()
        self.folder = Path(folder)
        self.folder.mkdir(parents=True, exist_ok=True)
        self.schema = arrow_schema(columns)
        self.batch = batch
        self.part = first_part
        self.rows: list[dict] = []
        self.written = 0

    def add(self, rows: Iterable[dict]) -> None:
        self.rows.extend(rows)
        if len(self.rows) >= self.batch:
            self.flush()

    def write(self, rows: list[dict]) -> None:
        """Exactly one part holding `rows` (a Dask partition's)."""
        self.rows = rows
        self.flush()

    def flush(self) -> None:
        table = self.pa.Table.from_pylist(self.rows, schema=self.schema)
        try:
            self.pa.parquet.write_table(table, self.folder / f"part-{self.part:05d}.parquet")
        except OSError as exc:
            raise InputError(f"cannot write {self.folder}: {exc}; give -o a folder you can write") from None
        self.written += 1
        self.part += 1
        self.rows = []

    def close(self) -> None:
        if self.rows or not self.written:
            self.flush()


def write_parquet(records: Iterable[dict], path: str | os.PathLike, batch: int = 50_000) -> Iterator[dict]:
    """Write records as a Parquet dataset folder, `batch` records a part; yields each record on."""
    root = Path(path)
    messages = PartWriter(root / "messages", MESSAGE_COLUMNS, batch=1 << 62)
    findings = PartWriter(root / "findings", FINDING_COLUMNS, batch=1 << 62)
    for record in records:
        messages.add([message_row(record)])
        findings.add(finding_rows(record))
        yield record
        if len(messages.rows) >= batch:
            messages.flush()
            findings.flush()
    messages.close()
    findings.close()
