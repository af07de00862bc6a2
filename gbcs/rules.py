"""The rule registry: every rule gbcs reports, as declared once in specs/rules.gbspec.

A rule is data (id, name, topic, severity, summary, reference); the code that checks it is
bound to its id in gbcs/validate/ (topic modules), gbcs/smki/, gbcs/duis/ and gbcs/flow/.
`tests/test_rules.py` proves both directions: every id used in code is declared, and every
declared rule is checked somewhere.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from gbcs.spec import specs


@dataclass(frozen=True, slots=True)
class Rule:
    id: str
    name: str
    topic: str
    severity: str          # error | warning | info
    summary: str
    reference: str | None

    def to_dict(self) -> dict:
        return {"id": self.id, "name": self.name, "topic": self.topic, "severity": self.severity,
                "summary": self.summary, "reference": self.reference}


@lru_cache(maxsize=1)
def rules() -> dict[str, Rule]:
    """Every declared rule by id, in declaration order."""
    table = specs().get("rules", "gbcs")
    return {row.cells["id"]: Rule(row.cells["id"], row.cells["name"], row.cells["topic"],
                                  row.cells["severity"], row.cells["summary"], row.cells["ref"])
            for row in table.rows}


def rule(rule_id: str) -> Rule:
    try:
        return rules()[rule_id]
    except KeyError:
        raise KeyError(f"rule {rule_id} is not declared in specs/rules.gbspec") from None


def topics() -> list[str]:
    return [row.cells["name"] for row in specs().enum("rule_topic").rows]
