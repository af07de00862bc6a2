"""Scaled values with their units, for node meanings: `61680 / 10000 = 6.1680 m³/h`.

ZSE: quantity = value × multiplier / divisor in the unit of measure; DLMS: value × 10^scaler
in the scaler_unit's unit. The unit names and which fields scale which value come from
specs/units.gbspec."""
from __future__ import annotations

from decimal import Decimal, InvalidOperation

from gbcs.message import Node
from gbcs.spec.at_hand import AtHand
from gbcs.spec.load import SpecSet


class _Units:
    def __init__(self, s: SpecSet):
        self.zse = {r.cells["value"]: r.cells["title"] for r in s.enum("zse_unit_of_measure").rows}
        self.zse_names = {r.cells["value"]: r.cells["name"] for r in s.enum("zse_unit_of_measure").rows}
        self.scaled = {}
        for r in s.get("zse_scaled_value", "gbcs").rows:
            self.scaled.setdefault((r.cells["cluster"], r.cells["command"]), r.cells)


_UNITS = AtHand(_Units)


def _units(s: SpecSet) -> _Units:
    return _UNITS.of(s)


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


def has_zse_scaling(s: SpecSet, cluster: int, command: int) -> bool:
    """Whether a ZSE payload of this command carries a scaled value (see annotate_zse)."""
    return (cluster, command) in _units(s).scaled


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



class _DlmsUnits:
    """The A-XDR type names by tag, the DLMS unit titles and the numeric type names, once per SpecSet."""

    def __init__(self, s: SpecSet):
        self.types = {code: row.cells["name"] for code, row in s.get("dlms_data_type", "axdr").by_key.items()}
        self.units = {r.cells["value"]: r.cells["title"] for r in s.enum("dlms_unit").rows}
        self.numbers = frozenset(r.cells["name"] for r in s.get("dlms_data_type", "axdr").rows
                                 if r.cells["read"] in ("int", "uint"))


_DLMS_UNITS = AtHand(_DlmsUnits)


def _typed(tape, row: int, types: dict) -> tuple:
    """(A-XDR type name, value) of the DLMS typed-data group at tape row `row`."""
    tag, value = tape.child_named(row, "tag"), tape.child_named(row, "value")
    return (types.get(tape.value(tag)) if tag >= 0 else None), (tape.value(value) if value >= 0 else None)


def annotate_dlms_scaler_units(tape, rows, s: SpecSet) -> None:
    """Name the scaler_unit structures {integer scaler, enum unit} among Access-Response data
    items (their tape rows), and give the number just before each (the value it scales, as
    registers are read value then scaler_unit) its scaled quantity: `147 × 10^-3 = 0.147 Wh`."""
    tables = _DLMS_UNITS.of(s)
    types, units, numbers = tables.types, tables.units, tables.numbers
    for i in range(len(rows)):
        row = rows[i]
        if not tape.is_group(row):
            continue
        kids = [k for k in tape.child_rows(row) if tape.is_group(k)]
        if len(kids) != 2 or _typed(tape, row, types)[0] != "structure":
            continue
        (scaler_type, scaler), (unit_type, unit) = _typed(tape, kids[0], types), _typed(tape, kids[1], types)
        if scaler_type != "integer" or unit_type != "enum" or unit not in units:
            continue
        tape.set_meaning(row, f"scaler_unit: × 10^{scaler} {units[unit]}")
        if i == 0:
            continue
        kind, value = _typed(tape, rows[i - 1], types)
        target = tape.child_named(rows[i - 1], "value")
        if kind in numbers and kind != "enum" and isinstance(value, int) and tape.meaning(target) is None:
            quantity = Decimal(value).scaleb(scaler)
            tape.set_meaning(target, f"{value} × 10^{scaler} = {quantity:f} {units[unit]}")
