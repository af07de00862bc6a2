"""Findings: what validation reports, each bound to a rule declared in specs/rules.gbspec."""
from __future__ import annotations

from dataclasses import asdict, dataclass

from gbcs.errors import GbcsError
from gbcs.spec import specs


@dataclass(frozen=True, slots=True)
class Finding:
    rule: str
    topic: str
    severity: str           # error | warning | info
    message: str
    offset: int | None = None
    field: str | None = None

    def to_dict(self) -> dict:
        return asdict(self)


def finding(rule: str, message: str, offset: int | None = None, field: str | None = None) -> Finding:
    """A Finding for a declared rule; topic and severity come from the rule table."""
    row = specs().get("rules", "gbcs").by_key.get(rule)
    if row is None:
        raise KeyError(f"rule {rule} is not declared in specs/rules.gbspec")
    return Finding(rule, row.cells["topic"], row.cells["severity"], message, offset, field)


def from_error(error: GbcsError) -> Finding:
    """A decode failure as a finding (the rule the error names, or the generic decode rule)."""
    rule = getattr(error, "rule", None) or "GBCS-D000"
    return finding(rule, error.message, getattr(error, "offset", None), getattr(error, "field", None))
