"""Linting one certificate: parse, pick the profile, find the issuer, run every bound check."""
from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from typing import Iterable

from gbcs.errors import CertificateError
from gbcs.findings import Finding, finding
from gbcs.smki.chain import IssuerPool, find_issuer
from gbcs.smki.facts import Environment, profiles, role_text
from gbcs.smki.parse import Certificate, parse_certificate, parse_der
from gbcs.smki.profile import check_profile_name, detect_profile
from gbcs.smki.registry import CHECKS, CertCheck, LintContext

# The modules that hold certificate checks; importing one registers its checks.
CHECK_MODULES = ("checks", "chain")


def checks() -> list[CertCheck]:
    for name in CHECK_MODULES:
        importlib.import_module(f"gbcs.smki.{name}")
    return list(CHECKS)


@dataclass
class CertificateLint:
    """The outcome of linting one certificate (or one input that is not a certificate)."""
    source: str | None
    profile: str | None = None
    eui: str | None = None
    role: str | None = None
    findings: list[Finding] = field(default_factory=list)
    certificate: Certificate | None = None
    issuer: str | None = None            # how the issuing CA was found, when it was

    @property
    def ok(self) -> bool:
        return not any(f.severity == "error" for f in self.findings)

    def to_dict(self) -> dict:
        return {"source": self.source, "profile": self.profile, "eui": self.eui, "role": self.role,
                "findings": [f.to_dict() for f in self.findings]}


def as_certificate(value, source: str | None = None) -> Certificate:
    """A parsed Certificate from DER/PEM bytes or text, a cryptography certificate, or itself."""
    if isinstance(value, Certificate):
        return value
    if hasattr(value, "public_bytes") and hasattr(value, "tbs_certificate_bytes"):
        from cryptography.hazmat.primitives import serialization
        return parse_der(value.public_bytes(serialization.Encoding.DER), source)
    return parse_certificate(value, source)


def lint_certificate(der_or_pem, profile: str | None = None, *, environment: Environment | str | None = None,
                     issuers: Iterable = (), expected_eui: bytes | str | None = None,
                     expected_usage: str | None = None, expected_role: int | None = None,
                     source: str | None = None, offset: int = 0, field_prefix: str | None = None) -> CertificateLint:
    """Lint one SMKI certificate against its profile (detected, or forced with `profile`).

    `issuers`: CA certificates to chain to (DER/PEM, cryptography or parsed certificates, or an
    IssuerPool); the issuer is picked by key identifier, else by name.
    `expected_eui` / `expected_usage` ('ds' | 'ka') / `expected_role`: what the certificate is
    filed as (keystore name or entry, message field), checked against its content. Never raises for bad input: a blob that
    is not a certificate gives a GBCS-X000 finding.
    """
    if profile is not None:
        check_profile_name(profile)
    env = environment if isinstance(environment, Environment) else Environment.named(environment or "test")
    if expected_eui is not None:
        from gbcs.crypto.keystore import normalise_eui
        expected_eui = normalise_eui(expected_eui)
    try:
        cert = as_certificate(der_or_pem, source)
    except CertificateError as exc:
        at = None if exc.offset is None else offset + exc.offset
        return CertificateLint(source, findings=[finding("GBCS-X000", exc.message, at, field_prefix or exc.field)])
    if isinstance(issuers, IssuerPool):
        pool = issuers
    else:
        parsed = []
        for candidate in issuers:
            try:
                parsed.append(as_certificate(candidate))
            except CertificateError:
                continue                 # a bad CA input is reported where it is linted itself
        pool = IssuerPool(parsed)
    return lint_parsed(cert, profile, environment=env, issuers=pool, expected_eui=expected_eui,
                       expected_usage=expected_usage, expected_role=expected_role, source=source, offset=offset,
                       field_prefix=field_prefix)


def lint_parsed(cert: Certificate, profile: str | None = None, *, environment: Environment,
                issuers: "Iterable[Certificate] | IssuerPool" = (), expected_eui: bytes | None = None,
                expected_usage: str | None = None, expected_role: int | None = None, source: str | None = None,
                offset: int = 0, field_prefix: str | None = None) -> CertificateLint:
    chosen = profile or detect_profile(cert, expected_usage)
    p = profiles().get(chosen) if chosen else None
    family = p["family"] if p else None
    usage = p["usage"] if p else None
    issuer, how = find_issuer(cert, issuers)
    ctx = LintContext(cert, chosen, family, usage, environment, expected_eui, expected_usage, issuer, how,
                      offset, field_prefix, expected_role)
    found: list[Finding] = []
    for check in checks():
        if family not in check.families or (check.needs_issuer and issuer is None):
            continue
        try:
            found.extend(list(check.function(ctx)))
        except Exception as exc:  # noqa: BLE001 - a broken check is reported under its rule, never raised
            found.append(finding(check.rules[0], f"the check {check.name} failed ({type(exc).__name__}: {exc}); "
                                 "the rule could not be evaluated — please report this with the certificate",
                                 offset, field_prefix))
    found.sort(key=lambda f: f.rule)
    eui = cert.eui.hex().upper() if cert.eui else None
    return CertificateLint(source, chosen, eui, role_text(cert.role) if family == "organisation" or
                           (family == "ca" and cert.role is not None) else None, found, cert, how)


__all__ = ["CertificateLint", "lint_certificate", "lint_parsed", "as_certificate", "checks"]
