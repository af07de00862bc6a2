"""The signature, mac and decryption topics that replaced `crypto`: their rules are declared,
bound to the integrity check, and the retired ids stay retired."""
from __future__ import annotations

from gbcs.rules import rules, topics
from gbcs.validate import checks

INTEGRITY_TOPICS = ("signature", "mac", "decryption")


def test_crypto_topic_is_retired_and_its_ids_not_reused():
    assert "crypto" not in topics()
    assert set(INTEGRITY_TOPICS) <= set(topics())
    assert {"GBCS-C001", "GBCS-C002", "GBCS-C004"}.isdisjoint(rules())


def test_every_integrity_rule_is_bound_and_letters_match_topics():
    bound = {rule for c in checks() for rule in c.rules}
    letters = {"signature": "S", "mac": "M", "decryption": "C"}
    for r in rules().values():
        if r.topic in INTEGRITY_TOPICS:
            assert r.id in bound, r.id
            assert r.id.startswith(f"GBCS-{letters[r.topic]}"), r.id
            assert r.reference, r.id


def test_not_verified_rules_are_warnings_and_failures_errors():
    severity = {r.name: r.severity for r in rules().values() if r.topic in INTEGRITY_TOPICS}
    assert {n for n, s in severity.items() if s == "warning"} == {
        "signature-not-verified", "mac-not-verified", "decryption-not-verified"}
