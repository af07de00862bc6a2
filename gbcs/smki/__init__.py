"""SMKI certificate policy lint: every certificate that signs GB smart-metering traffic, checked
against the SMKI Device / Organisation / CA profiles of specs/smki.gbspec.

    >>> from gbcs.smki import lint_certificate
    >>> result = lint_certificate(pem_or_der, issuers=[ca_pem])
    >>> [f.rule for f in result.findings]
"""
from gbcs.smki.facts import Environment
from gbcs.smki.lint import CertificateLint, as_certificate, lint_certificate, lint_parsed
from gbcs.smki.parse import Certificate, parse_certificate, parse_der
from gbcs.smki.profile import detect_profile

__all__ = ["lint_certificate", "lint_parsed", "CertificateLint", "Environment", "Certificate",
           "parse_certificate", "parse_der", "detect_profile", "as_certificate"]
