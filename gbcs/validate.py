"""Validation of one message: decode findings plus the integrity checks of gbcs.crypto.

Later topics (envelope, payload, alert, precision, flow rules) add their findings here; a
decode failure is recorded as a finding and the checks that need the tree are skipped.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from gbcs.decoding import decode
from gbcs.errors import DecodeError, GbcsError
from gbcs.findings import Finding, from_error
from gbcs.message import Message


@dataclass
class Validation:
    data: bytes
    message: Message | None
    error: GbcsError | None
    integrity: object | None = None           # gbcs.crypto.Integrity
    findings: list[Finding] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not any(f.severity == "error" for f in self.findings)


def check(data: bytes, message: Message | None, error: GbcsError | None, keystore=None, *,
          acb: bytes | str | None = None) -> Validation:
    """Integrity and findings for bytes already decoded (or not) by the caller."""
    from gbcs.crypto import check_integrity
    result = Validation(data, message, error)
    if error is not None:
        result.findings.append(from_error(error))
    try:
        result.integrity = check_integrity(message if message is not None else data, keystore, acb=acb)
    except DecodeError:
        return result                         # no envelope to check: the decode finding says why
    result.findings.extend(result.integrity.findings())
    return result


def validate(data: bytes, keystore=None, *, acb: bytes | str | None = None) -> Validation:
    """Decode `data` and check it. Never raises for bad messages: everything is a finding."""
    try:
        message, error = decode(data), None
    except GbcsError as exc:
        message, error = None, exc
    return check(data, message, error, keystore, acb=acb)
