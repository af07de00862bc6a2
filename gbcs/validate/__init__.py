"""Validation: every rule of specs/rules.gbspec checked against a message.

    >>> result = gbcs.validate(data, keystore)
    >>> result.ok, result.status, result.findings, result.signature, result.mac
"""
from gbcs.validate.engine import (FAILED, UNVERIFIED, VERIFIED, Check, Context, RuleSelector, Validation, check,
                                  checks, rule_check, selector, validate, validate_many)

__all__ = ["Check", "Context", "FAILED", "RuleSelector", "UNVERIFIED", "VERIFIED", "Validation", "check", "checks",
           "rule_check", "selector", "validate", "validate_many"]
