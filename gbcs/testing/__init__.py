"""gbcs.testing: hypothesis strategies for GBCS traffic, generated from the spec tables.

    >>> from hypothesis import given
    >>> import gbcs.testing as gt
    >>> @given(gt.messages(use_case="ECS17b", kind="response"))
    ... def test_my_parser(data: bytes): my_parser(data)          # a structurally valid message
    >>> @given(gt.mutated(gt.messages()))
    ... def test_my_parser_survives(data: bytes): my_parser(data)  # hostile variants

use_cases() lists the use-case ids of specs/use_cases.gbspec; messages() builds whole
messages (real signatures and MACs with `parties=Parties()` or explicit keys, random bytes of
the right size otherwise); alerts(code=...) alerts carrying one event code; payloads() bare
content of a family; certificates(profile="device-ds") SMKI certificates issued by the TEST
CAs of test_pki() (lint clean with test_pki().issuers); mutated(strategy) bit flips, truncations, length lies and splices at the
field boundaries of the decoded tree. Needs hypothesis (pip install 'gbcs[testing]').
The pytest plugin (gbcs.testing.plugin) adds fixtures `gbcs_parties` and `gbcs_use_case`.
"""
from gbcs.testing.certs import TestPki, certificates, test_pki
from gbcs.testing.mutate import MUTATIONS, boundaries, mutate_once, mutated
from gbcs.testing.strategies import Parties, alerts, messages, payloads
from gbcs.testing.tables import CodeFacts, code_facts, codes_of, use_cases

__all__ = ["use_cases", "codes_of", "code_facts", "CodeFacts", "messages", "alerts", "payloads", "mutated",
           "mutate_once", "boundaries", "MUTATIONS", "Parties", "certificates", "test_pki", "TestPki"]
