"""Alert rules (GBCS-A…): the alert code is in Table 16.2 and travels in a payload family and
with a message code that carry it (specs/alerts.gbspec)."""
from __future__ import annotations

from gbcs.validate.engine import Context, rule_check
from gbcs.validate.facts import alert_code, carried, cra_name, facts


def _is_alert(cls, spec_set) -> bool:
    return facts(spec_set).cra_names.get(cls.cra_flag) == "alert"


@rule_check("GBCS-A101", "GBCS-A102", "GBCS-A103", applies=_is_alert)
def alert_codes(ctx: Context):
    m = carried(ctx.message)
    f = facts(ctx.specs)
    if cra_name(m, f) != "alert":
        return
    found = alert_code(m)
    if found is None:
        return
    code, node = found
    row = f.alerts.get(code)
    if row is None:
        yield ctx.finding("GBCS-A101", f"alert code 0x{code:04X} is not in GBCS Table 16.2; `gbcs alerts` lists "
                          "the assigned codes", node.start, "payload.alert_code")
        return
    if row["payloads"] and m.payload_type and m.payload_type not in row["payloads"]:
        yield ctx.finding("GBCS-A102", f"alert 0x{code:04X} ({row['title']}) travels in "
                          f"{'/'.join(p.upper() for p in row['payloads'])} payloads, not {m.payload_type.upper()}",
                          node.start, "payload.alert_code")
    if row["carriers"] and m.message_code not in row["carriers"]:
        yield ctx.finding("GBCS-A103", f"alert 0x{code:04X} ({row['title']}) travels with message code "
                          f"{' or '.join(f'0x{c:04X}' for c in row['carriers'])}, not 0x{m.message_code:04X}",
                          node.start, "payload.alert_code")
