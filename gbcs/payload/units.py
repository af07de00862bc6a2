"""Scaled values with their units, for node meanings: `61680 / 10000 = 6.1680 m³/h`.

ZSE: quantity = value × multiplier / divisor in the unit of measure; DLMS: value × 10^scaler
in the scaler_unit's unit. The unit names and which fields scale which value come from
specs/units.gbspec."""
from __future__ import annotations

from decimal import Decimal, InvalidOperation

from gbcs.message import Node
from gbcs.spec.load import SpecSet


class _Units:
    def __init__(self, s: SpecSet):
        self.zse = {r.cells["value"]: r.cells["title"] for r in s.enum("zse_unit_of_measure").rows}
        self.zse_names = {r.cells["value"]: r.cells["name"] for r in s.enum("zse_unit_of_measure").rows}
        self.scaled = {}
        for r in s.get("zse_scaled_value", "gbcs").rows:
            self.scaled.setdefault((r.cells["cluster"], r.cells["command"]), r.cells)


def _units(s: SpecSet) -> _Units:
    return s.derived(_Units)


def zse_unit_text(unit: int, s: SpecSet) -> str | None:
    """`m³` for a ZSE unit of measure (the title before its parenthesis); None when unknown."""
    title = _units(s).zse.get(unit)
    return None if title is None else title.removesuffix(", BCD").partition(" (")[0]


def scaled_text(value: int, multiplier: int, divisor: int, unit: str | None) -> str:
    """`61680 / 10000 = 6.1680 m³/h`; the decimal places follow a power-of-ten divisor."""
    if divisor == 0:
        return f"{value} / 0: undefined (divisor 0)"
    try:
        quantity = Decimal(value) * multiplier / Decimal(divisor)
        places = len(str(divisor)) - 1 if str(divisor).strip("0") == "1" else None
        shown = f"{quantity:.{places}f}" if places is not None else f"{quantity.normalize():f}"
    except (InvalidOperation, ValueError):
        return f"{value}"
    factor = f" × {multiplier}" if multiplier != 1 else ""
    return f"{value}{factor} / {divisor} = {shown}{' ' + unit if unit else ''}"


def annotate_zse(node: Node, s: SpecSet, cluster: int, command: int) -> None:
    """Give a ZSE payload's scaled value field its quantity and unit as meaning."""
    row = _units(s).scaled.get((cluster, command))
    if row is None:
        return
    fields = {c.name: c for c in node.children or () if c.is_leaf}
    value, unit = fields.get(row["value"]), fields.get(row["unit_field"])
    mult, div = fields.get(row["multiplier_field"]), fields.get(row["divisor_field"])
    if None in (value, unit, mult, div):
        return
    # the prescribed unit reads as the table says (m³/h for a flow rate); any other by its name
    prescribed = _units(s).zse_names.get(unit.value) == row["unit"]
    shown = row["shown_as"] if prescribed and row["shown_as"] else zse_unit_text(unit.value, s)
    value.meaning = scaled_text(value.value, mult.value, div.value, shown)

