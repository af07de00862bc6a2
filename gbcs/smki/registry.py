"""Certificate rule checks: each bound to the rule ids it reports and the profile families it
applies to. A check reads a LintContext and yields Findings; one that raises becomes a finding
of its first rule (gbcs.smki.lint runs them)."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Iterable

from gbcs.findings import Finding, finding
from gbcs.rules import rule as declared_rule
from gbcs.smki.facts import Environment
from gbcs.smki.parse import Certificate, Element

ALL_FAMILIES = ("device", "organisation", "ca", None)     # None: the profile is unknown


@dataclass
class LintContext:
    cert: Certificate
    profile: str | None
    family: str | None
    usage: str | None                    # ds | ka | ca
    environment: Environment
    expected_eui: bytes | None = None
    expected_usage: str | None = None
    issuer: Certificate | None = None    # the issuing CA certificate, when found
    issuer_how: str | None = None        # how it was found: "key identifier", "name", "self"
    offset: int = 0                      # where the certificate starts in the enclosing input
    field_prefix: str | None = None      # dotted path of the certificate in the enclosing input
    expected_role: int | None = None     # the Remote Party Role a keystore files it under

    def finding(self, rule: str, message: str, at: Element | None = None) -> Finding:
        offset = field_path = None
        if at is not None:
            offset = self.offset + at.start
            field_path = at.path if not self.field_prefix else f"{self.field_prefix}{at.path[len('certificate'):]}"
        return finding(rule, message, offset, field_path)


CheckFn = Callable[[LintContext], Iterable[Finding]]


@dataclass(frozen=True)
class CertCheck:
    rules: tuple[str, ...]
    function: CheckFn
    families: tuple
    needs_issuer: bool

    @property
    def name(self) -> str:
        return f"{self.function.__module__}.{self.function.__qualname__}"


CHECKS: list[CertCheck] = []


def cert_check(*rule_ids: str, families: Iterable = ALL_FAMILIES,
               needs_issuer: bool = False) -> Callable[[CheckFn], CheckFn]:
    for rule_id in rule_ids:
        declared_rule(rule_id)            # an undeclared id fails at import
    def register(function: CheckFn) -> CheckFn:
        CHECKS.append(CertCheck(tuple(rule_ids), function, tuple(families), needs_issuer))
        return function
    return register
