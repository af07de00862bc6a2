"""Findings: what validation reports, each bound to a rule declared in specs/rules.gbspec."""
from __future__ import annotations

from dataclasses import dataclass

from gbcs.errors import GbcsError
from gbcs.rules import rule as _rule


@dataclass(frozen=True, slots=True)
class Finding:
    rule: str
    topic: str
    severity: str           # error | warning | info
    message: str
    offset: int | None = None
    field: str | None = None
    reference: str | None = None

    def to_dict(self) -> dict:
        # asdict() would copy each field deeply: a few microseconds a finding, for plain values
        return {"rule": self.rule, "topic": self.topic, "severity": self.severity, "message": self.message,
                "offset": self.offset, "field": self.field, "reference": self.reference}


def finding(rule: str, message: str, offset: int | None = None, field: str | None = None) -> Finding:
    """A Finding for a declared rule; topic, severity and reference come from the rule table."""
    r = _rule(rule)
    return Finding(rule, r.topic, r.severity, message, offset, field, r.reference)


def from_error(error: GbcsError) -> Finding:
    """A decode failure as a finding (the rule the error names, or the generic decode rule)."""
    rule = getattr(error, "rule", None) or "GBCS-D000"
    return finding(rule, error.message, getattr(error, "offset", None), getattr(error, "field", None))
