"""Scaled values with their units, for node meanings: `61680 / 10000 = 6.1680 m³/h`.

ZSE: quantity = value × multiplier / divisor in the unit of measure; DLMS: value × 10^scaler
in the scaler_unit's unit. The unit names and which fields scale which value come from
specs/units.gbspec."""
from __future__ import annotations

from decimal import Decimal, InvalidOperation

from gbcs.message import Node
from gbcs.spec.load import SpecSet

_BCD_FLAG = 0x80                 # ZSE unit of measure: BCD forms set bit 7


class _Units:
    def __init__(self, s: SpecSet):
        self.zse = {r.cells["value"]: r.cells["title"] for r in s.enum("zse_unit_of_measure").rows}
        self.dlms = {r.cells["value"]: r.cells["title"] for r in s.enum("dlms_unit").rows}
        self.scaled = {}
        for r in s.get("zse_scaled_value", "gbcs").rows:
            self.scaled.setdefault((r.cells["cluster"], r.cells["command"]), r.cells)


def _units(s: SpecSet) -> _Units:
    return s.derived(_Units)


def zse_unit_text(unit: int, s: SpecSet, rate: bool = False) -> str | None:
    """`m³` (or `m³/h` for rates) for a ZSE unit of measure; None when unknown."""
    title = _units(s).zse.get(unit) or _units(s).zse.get(unit & ~_BCD_FLAG)
    if title is None:
        return None
    main, _, alt = title.partition(" (")
    if rate and alt:
        return alt.rstrip(")").split(" for ")[0]
    return main.removesuffix(", BCD")


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
    value.meaning = scaled_text(value.value, mult.value, div.value,
                                zse_unit_text(unit.value, s, rate="flow" in row["value"]))


def dlms_scaler_unit_text(scaler: int, unit: int, s: SpecSet) -> str:
    """`10^-3 Wh` for a DLMS scaler_unit."""
    name = _units(s).dlms.get(unit, f"unit {unit}")
    return f"× 10^{scaler} {name}"
