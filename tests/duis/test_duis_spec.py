"""specs/duis.gbspec: the 129 DUIS V5.4 variants and what the validator reads from them."""
from __future__ import annotations

import re
from decimal import Decimal

from gbcs.duis.variants import duis_facts
from gbcs.spec import specs


def test_every_variant_once_with_its_own_body_element():
    facts = duis_facts()
    assert len(facts.variants) == 129
    assert len(facts.by_body) == 129
    assert len({v.service_reference for v in facts.variants.values()}) == 95
    for key, v in facts.variants.items():
        assert re.fullmatch(r"\d+\.\d+(\.\d+)?", key)
        assert re.fullmatch(r"[A-Z][A-Za-z0-9]+", v.body)


def test_command_variants_follow_criticality_and_target():
    for v in duis_facts().variants.values():
        if v.non_device:
            assert v.command_variants == {8}, v.variant
            assert not v.message_codes or v.variant == "5.1"
        elif v.critical:
            assert v.command_variants in ({4, 5, 6, 7}, {4, 5}), v.variant
        else:
            assert v.command_variants <= {1, 2, 3} and v.command_variants, v.variant
    assert duis_facts().variants["8.1.1"].command_variants == {4, 5}
    assert duis_facts().variants["8.5"].command_variants == {1}


def test_message_codes_are_known_and_device_variants_have_some():
    codes = specs().get("message_codes", "gbcs").by_key
    for v in duis_facts().variants.values():
        for code in v.message_codes:
            assert code in codes, f"{v.variant}: 0x{code:04X} is not in specs/use_cases.gbspec"
        if not v.non_device:
            assert v.message_codes, v.variant


def test_roles_known_and_the_three_unlisted_variants():
    facts = duis_facts()
    empty = sorted(k for k, v in facts.variants.items() if not v.roles)
    assert empty == ["7.16", "8.5", "8.6"]
    counts = {r: sum(r in v.roles for v in facts.variants.values()) for r in facts.user_roles}
    assert counts == {"IS": 111, "GS": 83, "ED": 38, "OU": 25, "GT": 21, "RSA": 18, "ES": 16}


def test_decimals_scale_to_device_registers():
    decimals = duis_facts().decimals
    gas = decimals["UncontrolledGasFlowRateDecimal"]
    assert gas.maximum * 10 ** gas.fraction_digits == 2**16 - 1
    cv = decimals["CalorificValue"]
    assert cv.maximum * 10 ** cv.fraction_digits == 2**32 - 1
    assert decimals["LimitedCriticalDutyCycleThreshold"].exclusive
    assert all(isinstance(d.minimum, Decimal) for d in decimals.values())


def test_value_links_name_known_variants_and_decimals():
    facts = duis_facts()
    for variant, links in facts.value_links.items():
        assert variant in facts.variants
        for link in links:
            if link.divisor:
                assert link.element in facts.decimals


def test_every_duis_rule_is_reported_and_tested():
    from pathlib import Path
    root = Path(__file__).resolve().parents[2]
    declared = {r for r in specs().get("rules", "gbcs").by_key if r.startswith("GBCS-U")}
    code = "".join(p.read_text() for p in (root / "gbcs").rglob("*.py"))
    tests = "".join(p.read_text() for p in (root / "tests" / "duis").glob("test_*.py")
                    if p.name != "test_duis_spec.py")
    assert sorted(r for r in declared if r not in code) == []
    assert sorted(r for r in declared if r not in tests) == []


def test_variant_codes_agree_with_the_message_code_table():
    """Where the message-code table names a DUIS service reference, it covers the variant."""
    table = specs().get("message_codes", "gbcs").by_key
    for v in duis_facts().variants.values():
        for code in v.message_codes:
            cells = table[code].cells
            refs = cells.get("service_refs", cells.get("service_reference")) or ()
            refs = refs.replace(",", " ").split() if isinstance(refs, str) else [str(r) for r in refs]
            numeric = [r for r in refs if re.fullmatch(r"\d+(\.\d+)+", r)]
            if numeric:
                assert any(v.variant == r or v.variant.startswith(r + ".") for r in numeric), (v.variant, code)
