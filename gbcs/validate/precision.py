"""Precision rules (GBCS-N…): values carried with the unit, multiplier and divisor their use
case prescribes (specs/units.gbspec zse_scaled_value), no zero divisors, known units."""
from __future__ import annotations

from gbcs.validate.engine import Context, rule_check
from gbcs.validate.facts import carried, components, facts, nodes_named, path_of


def _gbz_with_scaled_values(cls, spec_set) -> bool:
    return cls.payload_type == "gbz" and any(key[0] == cls.message_code for key in facts(spec_set).scaled)


def _gbz(cls, spec_set) -> bool:
    return cls.payload_type == "gbz"


@rule_check("GBCS-N101", "GBCS-N102", applies=_gbz_with_scaled_values)
def prescribed_scaling(ctx: Context):
    m = carried(ctx.message)
    f = facts(ctx.specs)
    if m.payload_type != "gbz":
        return
    for comp, cluster, _, command, zcl in ctx.once(components):
        row = f.scaled.get((m.message_code, cluster, command))
        if row is None or zcl is None:
            continue
        where = f"payload.components.{comp.name}.zcl_payload"
        for field, want in ((row["multiplier_field"], row["multiplier"]), (row["divisor_field"], row["divisor"])):
            node = zcl.get(field)
            if node is not None and node.value != want:
                yield ctx.finding("GBCS-N101", f"{m.use_case or f'0x{m.message_code:04X}'} carries "
                                  f"{row['value']} with {field} {node.value}; it must be {want} "
                                  f"({row['decimals']} decimal places, {row['minimum']} to {row['maximum']}"
                                  f"{', DUIS ' + row['duis'] if row['duis'] else ''})", node.start, f"{where}.{field}")
        unit = zcl.get(row["unit_field"])
        want_unit = next(v for v, (name, _) in f.units.items() if name == row["unit"])
        if unit is not None and unit.value != want_unit:
            yield ctx.finding("GBCS-N102", f"{row['value']} is carried in unit {unit.value:#04x}; "
                              f"{m.use_case or 'this use case'} prescribes {f.units[want_unit][1]} ({want_unit:#04x})",
                              unit.start, f"{where}.{row['unit_field']}")


@rule_check("GBCS-N103", "GBCS-N104", applies=_gbz)
def scaling_fields(ctx: Context):
    m = carried(ctx.message)
    if m.payload_type != "gbz":            # components are GBZ's
        return
    f = facts(ctx.specs)
    for comp, _, _, _, zcl in ctx.once(components):
        if zcl is None:
            continue
        for node in nodes_named(zcl, _scaling_field):       # paths are made only for a finding
            if not node.is_leaf:
                continue
            name = node.name
            if name == "divisor" or name.endswith("_divisor"):
                value = node.value
                if isinstance(value, int) and value == 0:
                    yield ctx.finding("GBCS-N103", f"{name} is 0: the value it scales has no meaning; "
                                      "use 1 for an unscaled value", node.start, _where(comp, zcl, node))
            elif name == "unit_of_measure" or name.endswith("_unit_of_measure"):
                value = node.value
                if isinstance(value, int) and value not in f.units:
                    yield ctx.finding("GBCS-N104", f"unit of measure {value:#04x} is not in the ZSE "
                                      "enumeration", node.start, _where(comp, zcl, node))


def _scaling_field(name: str) -> bool:
    return (name == "divisor" or name.endswith("_divisor") or name == "unit_of_measure"
            or name.endswith("_unit_of_measure"))


def _where(component, zcl, node) -> str:
    return f"payload.components.{component.name}.{path_of(zcl, node)}"
