"""Envelope rules (GBCS-E…): message code, CRA flag, the protection a message class demands,
other-information, date-times, counters and length forms. The facts come from
specs/use_cases.gbspec (message codes, message_type_class, protection)."""
from __future__ import annotations

from gbcs.validate.engine import Context, rule_check
from gbcs.validate.facts import carried, code_node, cra_name, facts, has_mac, node_at, non_minimal_lengths

_DLMS_INVOKE_ID_BITS = 24          # Long-Invoke-Id-And-Priority: bits 0-23 are the invoke id


@rule_check("GBCS-E101", "GBCS-E102")
def message_code_and_cra(ctx: Context):
    m = carried(ctx.message)
    f = facts(ctx.specs)
    row = f.codes.get(m.message_code)
    if row is None:
        node = code_node(m)
        yield ctx.finding("GBCS-E101", f"message code 0x{m.message_code:04X} is in no GBCS use-case table; "
                          "check the code, or `gbcs codes` for the known ones",
                          node.start if node else None, "grouping_header.other_information.message_code")
        return
    cra = cra_name(m, f)
    allowed = row["cra"]
    if cra is not None and allowed and cra not in allowed:
        what = f"{row['use_case'] or 'an alert-only code'} ({row['title']})"
        flag = node_at(m.root, "grouping_header", "transaction_id", "cra_flag")
        yield ctx.finding("GBCS-E102", f"CRA flag says {cra}, but message code 0x{m.message_code:04X} is "
                          f"{what}, which is carried only as {' or '.join(allowed)}",
                          flag.start if flag else None, "grouping_header.transaction_id.cra_flag")


@rule_check("GBCS-E103", "GBCS-E104", "GBCS-E105", "GBCS-E106", "GBCS-E107")
def protection(ctx: Context):
    m = carried(ctx.message)
    f = facts(ctx.specs)
    row = f.codes.get(m.message_code)
    criticality = f.criticality.get(row["message_type"]) if row is not None else None
    cra = cra_name(m, f)
    if m.kind == "precommand":
        if criticality == "non_critical":
            yield ctx.finding("GBCS-E107", f"a command with neither MAC nor signature (a pre-command) for "
                              f"0x{m.message_code:04X}, whose class {row['message_type']} is not critical: "
                              "only critical commands are handed out as pre-commands; send it MAC'd", 0, "message")
        return
    if cra is None:
        return
    sig_node = m.root.get("signature")
    length = sig_node.get("length") if sig_node is not None else None
    sig = None if length is None else length.value       # 0x40 signed, 0 unsigned, None: no field
    mac, signed = has_mac(m), bool(sig)
    label = f"{row['message_type']} " if row is not None else ""
    need = f.protection.get((criticality, cra)) if criticality else None
    if need is None:                      # unknown code: at least some protection
        need = {"mac": "either", "signature": "either"}
    if need["mac"] == "required" and not mac:
        yield ctx.finding("GBCS-E104", f"this {label}{cra} must be MAC'd but has no MAC header (DD …): "
                          "a bare grouping-header message cannot be authenticated", 0, "mac_header")
    sig_at = sig_node.start if sig_node is not None else None
    if need["signature"] == "required" and not signed:
        yield ctx.finding("GBCS-E103", f"this {label}{cra} must carry a {f.signature_size}-byte signature, but "
                          f"its signature field is {'00 (unsigned)' if sig == 0 else 'absent'}; sign it with the "
                          "originator's DS key", sig_at, "signature")
    if need["signature"] == "forbidden" and signed:
        yield ctx.finding("GBCS-E106", f"this {label}{cra} is non-critical and should not be signed "
                          "(signature length 00)", sig_at, "signature")
    if need == {"mac": "either", "signature": "either"} and not mac and not signed:
        yield ctx.finding("GBCS-E105", f"this {cra} carries neither a MAC nor a signature: nothing "
                          "authenticates it", 0, "message")


@rule_check("GBCS-E108")
def other_information(ctx: Context):
    m = carried(ctx.message)
    other = node_at(m.root, "grouping_header", "other_information")
    if other is None:
        return
    srp = other.get("supplementary_remote_party_id")
    if srp is not None and srp.value in (m.originator, m.recipient):
        yield ctx.finding("GBCS-E108", "the supplementary remote party id repeats the originator or recipient; "
                          "it names the party behind an Access Control Broker", srp.start,
                          "grouping_header.other_information.supplementary_remote_party_id")
    cert = other.get("certificate")
    if cert is not None and m.kind not in ("command", "precommand"):
        yield ctx.finding("GBCS-E108", f"a certificate in the other-information of a {m.kind}: only commands "
                          "carry the supplementary remote party's certificate", cert.start,
                          "grouping_header.other_information.certificate")


@rule_check("GBCS-E109", "GBCS-E110")
def date_times(ctx: Context):
    m = carried(ctx.message)
    f = facts(ctx.specs)
    cra = cra_name(m, f)
    if m.date_time is not None and cra in ("command", "alert"):
        node = node_at(m.root, "grouping_header", "date_time")
        yield ctx.finding("GBCS-E109", f"a grouping-header date-time ({m.date_time}) in a {cra}; "
                          "only responses carry one", node.start if node else None, "grouping_header.date_time")
    if cra != "command" or m.payload_type != "dlms":
        return
    row = f.codes.get(m.message_code)
    if row is None or row["future_dated"] not in ("no", "dsp"):
        return
    apdu_dt = node_at(m.root, "payload", "date_time_length")
    if apdu_dt is not None and apdu_dt.value:
        how = "not future dated" if row["future_dated"] == "no" else "future dated by the DCC, not on the device"
        yield ctx.finding("GBCS-E110", f"the DLMS Access-Request carries an execution date-time, but "
                          f"{row['use_case']} is {how}; send it without one", apdu_dt.start, "payload.date_time")


@rule_check("GBCS-E111", "GBCS-E112")
def counters(ctx: Context):
    m = carried(ctx.message)
    if m.originator_counter == 0:
        node = node_at(m.root, "grouping_header", "transaction_id", "originator_counter")
        yield ctx.finding("GBCS-E111", "the originator counter is 0; counters must exceed the last one the "
                          "recipient accepted", node.start if node else None,
                          "grouping_header.transaction_id.originator_counter")
    if m.payload_type != "dlms" or m.originator_counter is None:
        return
    invoke = node_at(m.root, "payload", "long_invoke_id_and_priority")
    if invoke is not None:
        mask = (1 << _DLMS_INVOKE_ID_BITS) - 1
        if (invoke.value & mask) != (m.originator_counter & mask):
            yield ctx.finding("GBCS-E112", f"the DLMS invoke id is {invoke.value & mask}, but the originator "
                              f"counter's low 24 bits are {m.originator_counter & mask}", invoke.start,
                              "payload.long_invoke_id_and_priority")


@rule_check("GBCS-E113")
def length_forms(ctx: Context):
    for path, node, used, needed in non_minimal_lengths(ctx.message.root, ctx.scan):
        if path.split(".", 1)[0] != "payload":          # payload lengths: GBCS-P105
            yield ctx.finding("GBCS-E113", f"length {node.value} is written in {used} bytes; DER needs {needed}",
                              node.start, path)
