"""Every rule id the code reports is declared in specs/rules.gbspec, and every declared
decode rule is reported somewhere (ids are stable: a rule is never silently dropped)."""
from __future__ import annotations

import re
from pathlib import Path

from gbcs.errors import DecodeError
from gbcs.spec import specs

ROOT = Path(__file__).resolve().parent.parent
RULE_RE = re.compile(r"GBCS-[A-Z]\d{3}")


def used_rule_ids() -> set[str]:
    ids = set()
    for path in (ROOT / "gbcs").rglob("*.py"):
        ids |= set(RULE_RE.findall(path.read_text(encoding="utf-8")))
    return ids


def test_used_rules_are_declared():
    declared = set(specs().get("rules", "gbcs").by_key)
    missing = used_rule_ids() - declared
    assert not missing, f"rule ids used in code but not in specs/rules.gbspec: {sorted(missing)}"


def test_declared_decode_rules_are_used():
    declared = {r for r in specs().get("rules", "gbcs").by_key if r.startswith("GBCS-D")}
    unused = declared - used_rule_ids()
    assert not unused, f"decode rules declared but never reported: {sorted(unused)}"


def test_rule_ids_and_names_are_well_formed():
    for rule_id, row in specs().get("rules", "gbcs").by_key.items():
        assert RULE_RE.fullmatch(rule_id)
        assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", row.cells["name"])
        assert row.cells["summary"]


def test_error_classes_default_to_declared_rules():
    declared = set(specs().get("rules", "gbcs").by_key)
    classes = [DecodeError, *DecodeError.__subclasses__()]
    for cls in classes:
        assert cls.rule in declared, cls


MESSAGE_TOPIC_LETTERS = ("E", "P", "A", "N")      # envelope, payload, alert, precision


def test_declared_message_rules_are_checked_and_tested():
    declared = {r for r in specs().get("rules", "gbcs").by_key if r[5] in MESSAGE_TOPIC_LETTERS}
    assert not declared - used_rule_ids(), f"declared but never checked: {sorted(declared - used_rule_ids())}"
    tested = set()
    for path in (ROOT / "tests" / "validate").glob("test_*.py"):
        tested |= set(RULE_RE.findall(path.read_text(encoding="utf-8")))
    assert not declared - tested, f"declared but without a test: {sorted(declared - tested)}"


def test_message_rule_checks_are_bound_in_their_topic_modules():
    from gbcs.rules import rule
    from gbcs.validate.engine import checks
    for check in checks():
        module = check.function.__module__.rsplit(".", 1)[-1]
        for rule_id in check.rules:
            if rule_id[5] in MESSAGE_TOPIC_LETTERS:
                assert rule(rule_id).topic == module, (rule_id, check.name)
