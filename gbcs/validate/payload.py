"""Payload rules (GBCS-P…): the payload family the message code uses, the APDU / GBZ form /
ASN.1 type of each kind, and the DLMS targets and ZCL commands of each use case, from
specs/use_cases.gbspec, specs/payload_shapes.gbspec and asn1_dispatch (specs/asn1.gbspec)."""
from __future__ import annotations

from gbcs.payload.dlms import obis_text
from gbcs.validate.engine import Context, rule_check
from gbcs.validate.facts import carried, components, cra_name, facts, non_minimal_lengths

_FAMILIES_OF = {"dlms_or_gbz": ("dlms", "gbz")}


def _family_known(cls, spec_set) -> bool:
    row = facts(spec_set).codes.get(cls.message_code)
    return row is not None and row["payload"] is not None and cls.payload_type is not None


@rule_check("GBCS-P101", applies=_family_known)
def payload_family(ctx: Context):
    m = carried(ctx.message)
    row = facts(ctx.specs).codes.get(m.message_code)
    if row is None or row["payload"] is None or m.payload_type is None:
        return
    allowed = _FAMILIES_OF.get(row["payload"], (row["payload"],))
    if m.payload_type not in allowed:
        node = m.root.get("payload")
        yield ctx.finding("GBCS-P101", f"{row['use_case'] or f'message code 0x{m.message_code:04X}'} "
                          f"({row['title']}) uses a {' or '.join(a.upper() for a in allowed)} payload, "
                          f"but this one is {m.payload_type.upper()}", node.start if node else None, "payload")


def _form_known(cls, spec_set) -> bool:
    return (facts(spec_set).cra_names.get(cls.cra_flag) is not None
            and cls.payload_type in ("dlms", "gbz", "asn1"))


@rule_check("GBCS-P102", applies=_form_known)
def payload_form(ctx: Context):
    m = carried(ctx.message)
    f = facts(ctx.specs)
    cra = cra_name(m, f)
    if cra is None:
        return
    payload = m.root.get("payload")
    if payload is None or not payload.children:
        return
    if m.payload_type == "dlms":
        tag = payload.get("apdu_tag")
        want = f.apdu_form.get(("dlms", cra))
        got = f.dlms_apdu.get(tag.value) if tag is not None else None
        if tag is not None and want and got != want:
            yield ctx.finding("GBCS-P102", f"a DLMS {cra} is a {want.replace('_', '-')}, not "
                              f"{(got or f'APDU 0x{tag.value:02X}').replace('_', '-')}", tag.start, "payload.apdu_tag")
    elif m.payload_type == "gbz":
        is_alert = payload.get("alert_code") is not None
        if is_alert != (cra == "alert"):
            carries = "an alert header" if is_alert else "use-case components"
            should = ("alerts carry an alert code and timestamp" if cra == "alert"
                      else "commands and responses carry components")
            yield ctx.finding("GBCS-P102", f"a GBZ {cra} carries {carries}; {should}", payload.start, "payload")
    elif m.payload_type == "asn1":
        types = f.asn1_types.get(m.message_code)
        if types is not None and cra not in types:
            yield ctx.finding("GBCS-P102", f"message code 0x{m.message_code:04X} has no ASN.1 {cra} "
                              f"(it has {', '.join(f'{k}: {v}' for k, v in types.items())})", payload.start, "payload")


def _dlms_command_with_targets(cls, spec_set) -> bool:
    f = facts(spec_set)
    return (cls.payload_type == "dlms" and bool(f.dlms_targets.get(cls.message_code))
            and f.cra_names.get(cls.cra_flag) == "command")


@rule_check("GBCS-P103", applies=_dlms_command_with_targets)
def dlms_targets(ctx: Context):
    m = carried(ctx.message)
    f = facts(ctx.specs)
    known = f.dlms_targets.get(m.message_code)
    if m.payload_type != "dlms" or not known or cra_name(m, f) != "command":
        return
    choices = f.dlms_request_choices
    for node in m.root.get("payload").children or ():
        if not node.name.startswith("request_specs["):
            continue
        choice, cls, inst = node.get("choice"), node.get("class_id"), node.get("instance_id")
        member = node.get("attribute_id") or node.get("method_id")
        if None in (choice, cls, inst, member):
            continue
        obis = inst.value if isinstance(inst.value, str) else obis_text(inst.value)
        target = (choices.get(choice.value), cls.value, obis, member.value)
        if target not in known:
            yield ctx.finding("GBCS-P103", f"{target[0]} of class {cls.value} {obis} member {member.value} is not "
                              f"among the targets {m.use_case or 'this use case'} is known to address "
                              "(observed shapes: a warning, not a breach)", node.start, f"payload.{node.name}")


def _gbz_with_commands(cls, spec_set) -> bool:
    f = facts(spec_set)
    return cls.payload_type == "gbz" and bool(f.gbz_commands.get((cls.message_code, f.cra_names.get(cls.cra_flag))))


@rule_check("GBCS-P104", applies=_gbz_with_commands)
def gbz_commands(ctx: Context):
    m = carried(ctx.message)
    f = facts(ctx.specs)
    cra = cra_name(m, f)
    known = f.gbz_commands.get((m.message_code, cra))
    if m.payload_type != "gbz" or not known:
        return
    to_client = f.zcl_server_to_client
    for comp, cluster, fc, command, _ in ctx.once(components):
        direction = f.zcl_directions[1 if fc & to_client else 0]
        shape = (cluster, f.zcl_frame_types.get(fc & f.zcl_frame_type_mask), direction, command)
        if shape not in known:
            yield ctx.finding("GBCS-P104", f"cluster 0x{cluster:04X} {shape[1]} command 0x{command:02X} "
                              f"({shape[2].replace('_', ' ')}) is not among the {cra} commands "
                              f"{m.use_case or 'this use case'} is known to use (observed shapes: a warning)",
                              comp.start, f"payload.components.{comp.name}")


@rule_check("GBCS-P105")
def payload_length_forms(ctx: Context):
    for path, node, used, needed in non_minimal_lengths(ctx.message.root, ctx.scan):
        if path.split(".", 1)[0] == "payload":
            yield ctx.finding("GBCS-P105", f"length {node.value} is written in {used} bytes; DER needs {needed}",
                              node.start, path)
