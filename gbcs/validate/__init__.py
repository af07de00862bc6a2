"""Validation: every rule of specs/rules.gbspec checked against a message.

    >>> result = gbcs.validate(data, keystore)
    >>> result.ok, result.findings, result.signature, result.mac
"""
from gbcs.validate.engine import (Check, Context, RuleSelector, Validation, check, checks, rule_check,
                                  validate, validate_many)

__all__ = ["Check", "Context", "RuleSelector", "Validation", "check", "checks", "rule_check", "validate",
           "validate_many"]
