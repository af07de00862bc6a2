"""pytest plugin (entry point `pytest11: gbcs`): fixtures for testing a parser with gbcs.testing.

    def test_my_parser(gbcs_parties):
        @given(gbcs.testing.messages(use_case="ECS17b", parties=gbcs_parties))
        def check(data): my_parser(data, keys=gbcs_parties.keystore)
        check()

Fixtures: gbcs_parties (TEST keys for a supplier, a device and the ACB, and their keystore),
gbcs_use_cases (every use-case id of the spec tables). Imports stay lazy so the plugin costs
nothing in test runs that do not use it.
"""
from __future__ import annotations

import pytest


@pytest.fixture(scope="session")
def gbcs_parties():
    """A gbcs.testing.Parties: keys to sign and MAC generated messages, and the keystore to check them."""
    from gbcs.testing import Parties
    return Parties()


@pytest.fixture(scope="session")
def gbcs_use_cases() -> list[str]:
    """Every use-case id of specs/use_cases.gbspec."""
    from gbcs.testing import use_cases
    return use_cases()
