"""Signature, MAC and decryption rules: the statuses of gbcs.crypto.check_integrity as findings."""
from __future__ import annotations

from gbcs.validate.engine import Context, rule_check


@rule_check("GBCS-S001", "GBCS-S002", "GBCS-M001", "GBCS-M002", "GBCS-C003", "GBCS-C005", "GBCS-C006",
            needs="integrity")
def integrity_statuses(ctx: Context):
    return ctx.integrity.findings()
