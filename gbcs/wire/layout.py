"""Walk a `struct` spec item over a Walker: one node per field, values back as plain Python.

Field types are those of gbcs/spec/types.py; gbcs/compile/structs.py compiles the same items
into construct Structs, and tests/compile/test_structs.py checks that the two agree.

Values have one shape in both implementations:
  integers, times, day_minutes         -> int
  bytes, rest, octstr, charstr, dlms   -> bytes (a string's content, without its length byte)
  struct(...), zcl_date                -> dict
  repeat, repeat_to_end                -> list of dicts (one per item)
  when*, if_remaining                  -> dict, or None when the block is absent
  zcl_value                            -> whatever its data type's layout gives

Tree shape: a leaf per scalar field; a group per struct, zcl_date, string (`length` + `value`
leaves), repeat (items named `field[i]`) and present conditional block.

Field references (repeat counts, bytes lengths, conditions, zcl_value's type field) look in
the current block first, then in the enclosing blocks; a struct(...) starts a fresh scope.
"""
from __future__ import annotations

import weakref
from typing import Any

from gbcs.errors import ConstraintError, SpecError, SpecReferenceError, UnknownCodeError
from gbcs.spec.ast import Call, Name
from gbcs.spec.load import SpecSet
from gbcs.spec.types import INT_TYPES, LAYOUT_TYPES
from gbcs.wire.timefmt import dlms_datetime_meaning, utc2000_meaning

__all__ = ["walk_struct", "walk_fields", "check_layouts", "resolve_table", "Scope", "Hooks",
           "utc2000_meaning", "zcl_date_meaning", "day_minutes_meaning", "octets_meaning",
           "BLOCK_TYPES", "CONDITIONAL_TYPES"]

BLOCK_TYPES = frozenset({"repeat", "repeat_to_end", "if_remaining", "when", "when_eq", "when_ne"})
CONDITIONAL_TYPES = frozenset({"if_remaining", "when", "when_eq", "when_ne"})
MAX_STRUCT_DEPTH = 32      # struct(...) inside struct(...): a cycle in the specs, not a layout

Hooks = dict  # field name -> Callable[[value, Scope], str | None]: a meaning that needs context


# -- meanings ---------------------------------------------------------------------------

_DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


def zcl_date_meaning(year: int, month: int, day: int, day_of_week: int) -> str:
    """ZCL Date as YYYY-MM-DD with * for FF wildcards (and the DST / last-weekday codes)."""
    y = "*" if year == 0xFF else f"{1900 + year:04d}"
    m = {0xFF: "*", 0xFE: "DST-start-month", 0xFD: "DST-end-month"}.get(month, f"{month:02d}")
    d = {0xFF: "*", 0xFE: "last", 0xFD: "second-last"}.get(day, f"{day:02d}")
    text = f"{y}-{m}-{d}"
    if 1 <= day_of_week <= 7:
        text += f" ({_DAYS[day_of_week - 1]})"
    return text


def day_minutes_meaning(minutes: int) -> str | None:
    if minutes >= 24 * 60:
        return None
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def octets_meaning(raw: bytes, text: bool = False) -> str | None:
    """Printable ASCII as text; a character string shows its non-printables as '.'."""
    if raw and all(0x20 <= b < 0x7F for b in raw):
        return raw.decode("ascii")
    if text:
        return "".join(chr(b) if 0x20 <= b < 0x7F else "." for b in raw)
    return None


# -- scopes -----------------------------------------------------------------------------

class Scope:
    """The values of one block, with the enclosing blocks behind it."""
    __slots__ = ("values", "parent")

    def __init__(self, values: dict, parent: "Scope | None" = None):
        self.values = values
        self.parent = parent

    def get(self, name: str, default: Any = None) -> Any:
        s: Scope | None = self
        while s is not None:
            if name in s.values:
                return s.values[name]
            s = s.parent
        return default

    def has(self, name: str) -> bool:
        s: Scope | None = self
        while s is not None:
            if name in s.values:
                return True
            s = s.parent
        return False


# -- plans: struct rows resolved once per SpecSet -----------------------------------------

class _Op:
    __slots__ = ("name", "type", "size", "signed", "little", "arg", "arg2", "block", "meanings",
                 "choices", "where")

    def __init__(self, name: str, type_: str, where: str):
        self.name, self.type, self.where = name, type_, where
        self.size = self.signed = self.little = None
        self.arg = self.arg2 = None
        self.block: list[_Op] | None = None
        self.meanings: dict | None = None
        self.choices: dict | None = None


def resolve_table(specs: SpecSet, ref: str):
    """The table item a `table(...)` option names: `kind.name`, or a name unique across kinds."""
    if "." in ref:
        kind, _, name = ref.partition(".")
        item = specs.find(kind, name)
        if item is None:
            raise SpecReferenceError(f"table({ref}): no {kind} called {name!r} in specs/")
        return item
    found = [specs.find(s.name, ref) for s in specs.of_kind("schema")]
    found = [i for i in found if i is not None and i.kind not in ("schema", "enum")]
    if len(found) != 1:
        kinds = ", ".join(sorted(i.kind for i in found)) or "none"
        raise SpecReferenceError(f"table({ref}) must name exactly one table item (found: {kinds}); "
                                 "write table(kind.name)")
    return found[0]


def _row_label(row) -> Any:
    cells = row.cells
    return cells.get("title") or cells.get("name")


class _Plans:
    def __init__(self, specs: SpecSet):
        self.specs = specs
        self.structs: dict[str, list[_Op]] = {}
        self._building: set[str] = set()

    def struct(self, name: str) -> list[_Op]:
        ops = self.structs.get(name)
        if ops is None:
            item = self.specs.get("struct", name)
            if name in self._building:
                raise SpecReferenceError(f"struct {name!r} contains itself", item.pos.file, item.pos.line,
                                         item.pos.column)
            self._building.add(name)
            try:
                ops = self.structs[name] = self._rows(item.rows, f"struct {name}", [])
            finally:
                self._building.discard(name)
        return ops

    def _rows(self, rows, where: str, outer: list[list]) -> list[_Op]:
        seen: list = []              # rows of this block so far, for reference checks
        ops = []
        for row in rows:
            ops.append(self._row(row, where, outer + [seen]))
            seen.append(row)
        return ops

    def _ref_row(self, ref: str, scopes: list[list], row, what: str):
        for block in reversed(scopes):
            for r in block:
                if r.cells["field"] == ref:
                    return r
        p = row.pos
        raise SpecReferenceError(f"{what} {ref!r} is not a field before this one in scope", p.file, p.line,
                                 p.column)

    def _row(self, row, where: str, scopes: list[list]) -> _Op:
        c = row.cells
        return self._type(c["field"], c["type"], c["args"], c["options"], row.block, row, where, scopes)

    def _type(self, name, t, args, options, block, row, where, scopes) -> _Op:
        op = _Op(name, t, f"{where}.{name}")
        if t in INT_TYPES:
            op.size, op.signed, op.little = INT_TYPES[t]
        elif t not in LAYOUT_TYPES:
            raise SpecError(f"unknown field type {t!r} in {where}")
        if t in ("bytes", "repeat"):
            op.arg = args[0]
            if isinstance(op.arg, str):
                self._int_ref(op.arg, scopes, row, f"{t} count")
            elif not isinstance(op.arg, int) or op.arg < 0:
                raise SpecError(f"{t}(…) takes a field name or a number ≥ 0 ({where}.{name})")
        elif t in ("when", "when_eq", "when_ne"):
            op.arg, op.arg2 = args
            if not isinstance(op.arg, str) or not isinstance(op.arg2, int):
                raise SpecError(f"{t}(field, number) in {where}.{name}")
            self._int_ref(op.arg, scopes, row, "condition field")
        elif t == "struct":
            op.arg = args[0]
            op.block = self.struct(op.arg)
        elif t == "zcl_value":
            op.arg = args[0]
            type_row = self._ref_row(op.arg, scopes, row, "zcl_value type field")
            ref = type_row.cells["options"].get("table")
            if ref is None:
                raise SpecError(f"zcl_value({op.arg}) needs {op.arg} to carry table(…) naming the data "
                                f"type table ({where}.{name})")
            table = resolve_table(self.specs, ref)
            op.choices = {}
            for key, trow in _keyed(table).items():
                layout = trow.cells.get("layout")
                if layout is None:
                    continue
                tname, targs = _type_expr(layout)
                op.choices[key] = self._type(name, tname, targs, {}, None, trow, f"{where}.{name}", [])
        if block is not None and t in BLOCK_TYPES:
            op.block = self._rows(block, f"{where}.{name}", scopes)
        enum = options.get("enum")
        if enum is not None:
            op.meanings = {r.cells["value"]: _row_label(r) for r in self.specs.enum(enum).rows}
        ref = options.get("table")
        if ref is not None:
            op.meanings = {k: _row_label(r) for k, r in _keyed(resolve_table(self.specs, ref)).items()}
        return op

    def _int_ref(self, ref: str, scopes, row, what: str) -> None:
        r = self._ref_row(ref, scopes, row, what)
        if r.cells["type"] not in INT_TYPES:
            p = row.pos
            raise SpecError(f"{what} {ref!r} must be an integer field, not {r.cells['type']}", p.file, p.line,
                            p.column)


def _keyed(table) -> dict:
    if not table.by_key and table.rows:
        raise SpecError(f"table({table.kind}.{table.name}): its schema has no key column to look values up by")
    return table.by_key


def _type_expr(value) -> tuple[str, tuple]:
    """A type written as a table cell: `u16le` or `bytes(8)`."""
    if isinstance(value, Call):
        return value.name, tuple(a.text if isinstance(a, Name) else a for a in value.args)
    return str(value), ()


_PLANS: "weakref.WeakKeyDictionary[SpecSet, _Plans]" = weakref.WeakKeyDictionary()


def _plans(specs: SpecSet) -> _Plans:
    p = _PLANS.get(specs)
    if p is None:
        p = _PLANS[specs] = _Plans(specs)
    return p


def check_layouts(specs: SpecSet) -> int:
    """Resolve every struct item (references, tables, enums); returns how many. Raises SpecError."""
    plans = _plans(specs)
    items = specs.of_kind("struct")
    for item in items:
        plans.struct(item.name)
    return len(items)


# -- walking ----------------------------------------------------------------------------

def walk_struct(w, specs: SpecSet, struct: str, name: str | None = None, *, meaning: str | None = None,
                hooks: Hooks | None = None) -> dict:
    """Walk struct item `struct` as a group node `name` (default: the struct's name)."""
    ops = _plans(specs).struct(struct)
    node = w.begin(name or struct)
    values: dict = {}
    _walk(w, ops, Scope(values), hooks or {}, 0)
    w.finish()
    if meaning is not None:
        node.meaning = meaning
    return values


def walk_fields(w, specs: SpecSet, struct: str, *, hooks: Hooks | None = None) -> dict:
    """Walk struct item `struct`'s fields into the walker's current group."""
    values: dict = {}
    _walk(w, _plans(specs).struct(struct), Scope(values), hooks or {}, 0)
    return values


def _walk(w, ops: list[_Op], scope: Scope, hooks: Hooks, depth: int) -> None:
    values = scope.values
    for op in ops:
        values[op.name] = _one(w, op, op.name, scope, hooks, depth)


def _ref(w, op: _Op, scope: Scope, ref: str) -> int:
    value = scope.get(ref)
    if not isinstance(value, int):
        raise SpecReferenceError(f"{op.where}: field {ref!r} has no integer value here "
                                 f"(at offset {w.pos}, {w.path(op.name)})")
    return value


def _meaning(w, op: _Op, value, scope: Scope, hooks: Hooks) -> None:
    hook = hooks.get(op.name)
    text = hook(value, scope) if hook is not None else None
    if text is None and op.meanings is not None:
        text = op.meanings.get(value)
    if text is not None:
        w.last.meaning = text


def _block(w, op: _Op, name: str, scope: Scope, hooks: Hooks, depth: int) -> dict:
    w.begin(name)
    values: dict = {}
    _walk(w, op.block, Scope(values, scope), hooks, depth)
    w.finish()
    return values


def _one(w, op: _Op, name: str, scope: Scope, hooks: Hooks, depth: int):
    t = op.type
    if op.size is not None:                       # integers
        if op.signed:
            value = w.sint(name, op.size, little=op.little)
        elif op.little:
            value = w.uint_le(name, op.size)
        else:
            value = w.uint(name, op.size)
        _meaning(w, op, value, scope, hooks)
        return value
    if t == "utc2000" or t == "utc2000le":
        value = w.uint_le(name, 4) if t == "utc2000le" else w.uint(name, 4)
        w.last.meaning = utc2000_meaning(value)
        _meaning(w, op, value, scope, hooks)
        return value
    if t == "octstr" or t == "charstr":
        node = w.begin(name)
        n = w.uint("length", 1)
        raw = w.bytes("value", n)
        w.last.meaning = node.meaning = octets_meaning(raw, t == "charstr")
        w.finish()
        return raw
    if t == "bytes":
        n = op.arg if isinstance(op.arg, int) else _ref(w, op, scope, op.arg)
        raw = w.bytes(name, n)
        _meaning(w, op, raw, scope, hooks)
        return raw
    if t == "rest":
        return w.rest(name)
    if t == "day_minutes":
        value = w.uint_le(name, 2)
        w.last.meaning = day_minutes_meaning(value)
        _meaning(w, op, value, scope, hooks)
        return value
    if t == "zcl_date":
        node = w.begin(name)
        parts = {}
        for part in ("year", "month", "day", "day_of_week"):
            parts[part] = w.uint(part, 1)
        node.meaning = zcl_date_meaning(parts["year"], parts["month"], parts["day"], parts["day_of_week"])
        w.finish()
        return parts
    if t == "dlms_datetime":
        raw = w.bytes(name, 12)
        w.last.meaning = dlms_datetime_meaning(raw)
        return raw
    if t == "struct":
        if depth >= MAX_STRUCT_DEPTH:
            raise SpecError(f"{op.where}: structs nested more than {MAX_STRUCT_DEPTH} deep")
        w.begin(name)
        values: dict = {}
        _walk(w, op.block, Scope(values), hooks, depth + 1)
        w.finish()
        return values
    if t == "repeat":
        count = op.arg if isinstance(op.arg, int) else _ref(w, op, scope, op.arg)
        w.begin(name)
        items = []
        for i in range(count):
            items.append(_block(w, op, f"{name}[{i}]", scope, hooks, depth))
        w.finish()
        return items
    if t == "repeat_to_end":
        w.begin(name)
        items = []
        while w.pos < w.end:
            start = w.pos
            items.append(_block(w, op, f"{name}[{len(items)}]", scope, hooks, depth))
            if w.pos == start:
                raise ConstraintError("an item of this list takes no bytes, so the list would never end",
                                      start, w.path(name), rule="GBCS-D006")
        w.finish()
        return items
    if t == "if_remaining":
        return _block(w, op, name, scope, hooks, depth) if w.pos < w.end else None
    if t == "when" or t == "when_eq" or t == "when_ne":
        v = _ref(w, op, scope, op.arg)
        present = (v & op.arg2) if t == "when" else (v == op.arg2) if t == "when_eq" else (v != op.arg2)
        return _block(w, op, name, scope, hooks, depth) if present else None
    if t == "zcl_value":
        code = _ref(w, op, scope, op.arg)
        choice = op.choices.get(code)
        if choice is None:
            raise UnknownCodeError(f"data type 0x{code:02X} is not in the ZCL data type table, so the size "
                                   "of this value is unknown", w.pos, w.path(name), actual=code)
        return _one(w, choice, name, scope, hooks, depth)
    raise SpecError(f"{op.where}: field type {t!r} has no walker")      # types.py grew a type
