"""Compile `struct` spec items into programs and walk them over a Walker: one node per field,
values back as plain Python. The one interpreter of struct layouts (envelope, GBT, GBZ, ZCL).

Field types and options are those of gbcs/spec/types.py. Each struct item is compiled once
per SpecSet into ops (op codes of gbcs/wire/ops.py, constants resolved); gbcs/compile/structs.py
builds construct Structs and example values from the same ops, and
tests/compile/test_structs.py checks that construct and this walker agree. The compiled twin
runs the ops with C types (layout.pxd).

Values have one shape in both implementations:
  integers, times, day_minutes,
  ber_length                           -> int
  a field under if(...) not present    -> None (and no node)
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

import sys

from typing import Any

from gbcs.errors import ConstraintError, SpecError, SpecReferenceError, UnknownCodeError
from gbcs.spec.ast import Call, Name
from gbcs.spec.at_hand import AtHand
from gbcs.spec.load import SpecSet
from gbcs.spec.types import INT_TYPES, LAYOUT_TYPES, SHOW_FORMATS
from gbcs.wire.ops import (OP_BER_LENGTH, OP_BYTES, OP_CHARSTR, OP_CODES, OP_DAY_MINUTES, OP_DLMS_DATETIME,
                           OP_IF_REMAINING, OP_OCTSTR, OP_REPEAT, OP_REPEAT_TO_END, OP_REST, OP_SINT, OP_STRUCT,
                           OP_UINT, OP_UINT_LE, OP_UTC2000, OP_UTC2000_LE, OP_WHEN, OP_WHEN_EQ, OP_WHEN_NE,
                           OP_ZCL_DATE, OP_ZCL_VALUE, SHOW_BITS, SHOW_DEFAULT, SHOW_HEX, SHOW_DLMS_DATETIME)
from gbcs.wire.timefmt import dlms_datetime_meaning, utc2000_meaning

__all__ = ["walk_struct", "walk_fields", "compiled", "Program", "check_layouts", "resolve_table",
           "resolve_constant", "program",
           "fixed_size", "struct_size", "bits_text", "Scope", "Hooks",
           "utc2000_meaning", "zcl_date_meaning", "day_minutes_meaning", "octets_meaning",
           "BLOCK_TYPES", "CONDITIONAL_TYPES"]

BLOCK_TYPES = frozenset({"repeat", "repeat_to_end", "if_remaining", "when", "when_eq", "when_ne"})
CONDITIONAL_TYPES = frozenset({"if_remaining", "when", "when_eq", "when_ne"})
MAX_STRUCT_DEPTH = 32      # struct(...) inside struct(...): a cycle in the specs, not a layout
MAX_REMEMBERED_TEXTS = 256  # show(hex/bits) texts and repeat item names kept per field

Hooks = dict  # field name -> Callable[[value, Scope], str | None]: a meaning that needs context
#               (a struct(...) field's hook gets its values dict and gives its group's meaning),
#               or, for a scalar field, a dict of value -> meaning (None / missing: the field's own)


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


# each byte as itself when printable ASCII, else "."
_DOTTED = bytes(b if 0x20 <= b < 0x7F else 0x2E for b in range(256))


def octets_meaning(raw: bytes, text: bool = False) -> str | None:
    """Printable ASCII as text; a character string shows its non-printables as '.'."""
    dotted = raw.translate(_DOTTED)
    if raw and dotted == raw:
        return raw.decode("ascii")
    if text:
        return dotted.decode("ascii")
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


def _scope(values: dict, parent: "Scope | None") -> Scope:
    """A Scope made without the generic constructor call (the compiled twin allocates it directly)."""
    scope = Scope.__new__(Scope)
    scope.values = values
    scope.parent = parent
    return scope


# -- the program: struct rows compiled once per SpecSet ----------------------------------
#
# Each row becomes an _Op: an op code (below) plus its constants, resolved once (sizes,
# references, enum/table meanings, allowed values). The walker here runs the ops; the
# construct compiler and the example generator (gbcs/compile/structs.py) read the same ops.

ZCL_DATE_PARTS = ("year", "month", "day", "day_of_week")


# The commonest fields, which the walk loop reads itself (without a call per field) when no
# hook names them.
FAST_NONE = 0
FAST_UINT = 1          # a big-endian unsigned integer
FAST_EXPECT = 2        # one with expect(...) / known(...)
FAST_BYTES = 3         # bytes(n) / bytes(field)
FAST_STRUCT = 4        # struct(...)


class _Op:
    __slots__ = ("fast", "code", "name", "type", "where", "size", "signed", "little", "count", "ref", "ref_up",
                 "mask", "block", "struct", "meanings", "choices", "allowed", "what", "unknown_code",
                 "if_ref", "if_mask", "if_up", "show", "bits", "members", "title", "annotated", "template",
                 "texts", "kept", "item_names")

    def __init__(self, name: str, type_: str, where: str):
        # interned: the tape finds a name it has seen by identity first
        self.name, self.type, self.where = sys.intern(name) if type(name) is str else name, type_, where
        self.code = self.fast = 0
        self.size = self.count = -1          # -1: not fixed / taken from field `ref`
        self.signed = self.little = False
        self.ref = self.if_ref = None
        self.ref_up = self.if_up = 0         # how many blocks outwards `ref` / `if_ref` live
        self.mask = self.if_mask = 0
        self.block: list[_Op] | None = None
        self.struct: str | None = None
        self.meanings: dict | None = None
        self.choices: dict | None = None
        self.allowed: frozenset | None = None
        self.what = ""
        self.unknown_code = False
        self.show = SHOW_DEFAULT
        self.bits: tuple = ()
        self.members: tuple = ()             # the values the enum/table/expect names
        self.title: str | None = None
        self.annotated = False               # has a meaning of its own (enum, table or show)
        self.template: dict | None = None    # struct: its field names, copied as the values dict
        self.texts: dict = {}                # show(hex/bits) texts made so far, by value
        self.kept = True                     # a field of its struct refers to this one's value
        self.item_names: list = []           # repeat: "name[i]" made so far


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


def resolve_constant(specs: SpecSet, ref, where: str = "specs"):
    """A constant written in a struct row: a number, `enum.member`, or `kind.item.key` (the first
    integer cell of that row besides its key, e.g. envelope_size.gbcs.mac -> 12)."""
    if isinstance(ref, int):
        return ref
    parts = str(ref).split(".")
    if len(parts) == 2:
        enum = specs.find("enum", parts[0])
        if enum is not None:
            for r in enum.rows:
                if r.cells["name"] == parts[1]:
                    return r.cells["value"]
        raise SpecReferenceError(f"{where}: {ref!r} is not a member of an enum")
    if len(parts) == 3:
        item = specs.find(parts[0], parts[1])
        row = item.by_key.get(parts[2]) if item is not None else None
        for cell in (row.cells.values() if row is not None else ()):
            if isinstance(cell, int) and not isinstance(cell, bool):
                return cell
        raise SpecReferenceError(f"{where}: {ref!r} names no row with a number (kind.item.key)")
    raise SpecReferenceError(f"{where}: {ref!r} is not a number, enum.member or kind.item.key")


def _row_label(row) -> Any:
    cells = row.cells
    return cells.get("title") or cells.get("name")


class _Plans:
    def __init__(self, specs: SpecSet):
        self.specs = specs
        self.structs: dict[str, list[_Op]] = {}
        self.programs: dict[str, Program] = {}
        self._building: set[str] = set()

    def program(self, name: str) -> "Program":
        p = self.programs.get(name)
        if p is None:
            p = self.programs[name] = Program(name, self.struct(name))
        return p

    def struct(self, name: str) -> list[_Op]:
        ops = self.structs.get(name)
        if ops is None:
            item = self.specs.get("struct", name)
            if name in self._building:
                raise SpecReferenceError(f"struct {name!r} contains itself", item.pos.file, item.pos.line,
                                         item.pos.column)
            self._building.add(name)
            try:
                ops = self._rows(item.rows, f"struct {name}", [])
                _mark_kept(ops, _referred(ops, set()))
                self.structs[name] = ops
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
        for up, block in enumerate(reversed(scopes)):
            for r in block:
                if r.cells["field"] == ref:
                    return r, up
        p = row.pos
        raise SpecReferenceError(f"{what} {ref!r} is not a field before this one in scope", p.file, p.line,
                                 p.column)

    def _row(self, row, where: str, scopes: list[list]) -> _Op:
        c = row.cells
        op = self._type(c["field"], c["type"], c["args"], c["options"], row.block, row, where, scopes)
        op.title = c.get("title")
        return op

    def _count_arg(self, op: _Op, arg, t: str, scopes, row, where: str) -> None:
        if isinstance(arg, str) and "." not in arg:
            op.ref, op.ref_up = self._int_ref(arg, scopes, row, f"{t} count")
            return
        value = resolve_constant(self.specs, arg, f"{where}.{op.name}")
        if not isinstance(value, int) or value < 0:
            raise SpecError(f"{t}(…) takes a field name or a number ≥ 0 ({where}.{op.name})")
        op.count = value

    def _type(self, name, t, args, options, block, row, where, scopes) -> _Op:
        op = _Op(name, t, f"{where}.{name}")
        if t in INT_TYPES:
            op.size, op.signed, op.little = INT_TYPES[t]
            op.code = OP_SINT if op.signed else OP_UINT_LE if op.little and op.size > 1 else OP_UINT
        elif t not in LAYOUT_TYPES or t not in OP_CODES:
            raise SpecError(f"unknown field type {t!r} in {where}")
        else:
            op.code = OP_CODES[t]
        if t in ("bytes", "repeat"):
            self._count_arg(op, args[0], t, scopes, row, where)
        elif t in ("when", "when_eq", "when_ne"):
            ref, mask = args
            if not isinstance(ref, str):
                raise SpecError(f"{t}(field, number) in {where}.{name}")
            op.ref, op.ref_up = self._int_ref(ref, scopes, row, "condition field")
            op.mask = resolve_constant(self.specs, mask, f"{where}.{name}")
        elif t == "struct":
            op.struct = args[0]
            op.block = self.struct(op.struct)
            op.template = _template(op.block)
        elif t == "zcl_value":
            type_row, op.ref_up = self._ref_row(args[0], scopes, row, "zcl_value type field")
            op.ref = args[0]
            ref = type_row.cells["options"].get("table")
            if ref is None:
                raise SpecError(f"zcl_value({op.ref}) needs {op.ref} to carry table(…) naming the data "
                                f"type table ({where}.{name})")
            table = resolve_table(self.specs, ref)
            op.choices = {}
            for key, trow in _keyed(table).items():
                layout = trow.cells.get("layout")
                if layout is None:
                    continue
                tname, targs = _type_expr(layout)
                op.choices[key] = self._type(name, tname, targs, {}, None, trow, f"{where}.{name}", [])
        elif t == "utc2000" or t == "utc2000le" or t == "day_minutes":
            op.size = 2 if t == "day_minutes" else 4
        elif t == "dlms_datetime":
            op.size = self._dlms_datetime_size(row, f"{where}.{name}")
        if block is not None and t in BLOCK_TYPES:
            op.block = self._rows(block, f"{where}.{name}", scopes)
        self._options(op, options, row, where, scopes)
        return op

    def _dlms_datetime_size(self, row, where: str) -> int:
        """A dlms_datetime field is as wide as struct dlms_datetime (specs/envelope.gbspec)."""
        if self.specs.find("struct", "dlms_datetime") is None:
            p = row.pos
            raise SpecReferenceError(f"{where}: field type dlms_datetime takes its size from struct "
                                     "dlms_datetime, which these specs lack", p.file, p.line, p.column)
        size = fixed_size(self.struct("dlms_datetime"))
        if size is None:
            p = row.pos
            raise SpecError(f"{where}: struct dlms_datetime must have a fixed size", p.file, p.line, p.column)
        return size

    def _options(self, op: _Op, options: dict, row, where: str, scopes) -> None:
        show = options.get("show")
        enum = options.get("enum")
        if enum is not None:
            rows = self.specs.enum(enum).rows
            label = (lambda r: r.cells["name"]) if show == "name" else _row_label
            op.meanings = {r.cells["value"]: label(r) for r in rows}
            op.members = tuple(op.meanings)
            if show == "bits":
                op.bits = tuple((r.cells["value"], _row_label(r)) for r in rows)
        ref = options.get("table")
        if ref is not None:
            op.meanings = {k: _row_label(r) for k, r in _keyed(resolve_table(self.specs, ref)).items()}
            op.members = tuple(op.meanings)
        for option in ("expect", "known"):
            allowed = options.get(option)
            if allowed is None:
                continue
            if op.code not in (OP_UINT, OP_BER_LENGTH) or (op.code == OP_UINT and op.little):
                raise SpecError(f"{option}(…) needs a big-endian unsigned integer field ({op.where})")
            if isinstance(allowed, str) and "." not in allowed:
                op.allowed = frozenset(r.cells["value"] for r in self.specs.enum(allowed).rows)
            else:
                op.allowed = frozenset((resolve_constant(self.specs, allowed, op.where),))
            op.unknown_code = option == "known"
            op.what = row.cells.get("title") or f"an allowed {op.name}"
            op.members = tuple(sorted(op.allowed))
        cond = options.get("if")
        if cond is not None:
            op.if_ref, op.if_up = self._int_ref(cond[0], scopes, row, "if(…) field")
            op.if_mask = resolve_constant(self.specs, cond[1], op.where) if len(cond) > 1 else 0
        if show is not None:
            if show not in SHOW_FORMATS:
                raise SpecError(f"show({show}) is not one of {', '.join(SHOW_FORMATS)} ({op.where})")
            if show == "bits" and not op.bits:
                raise SpecError(f"show(bits) needs enum(…) naming the bits ({op.where})")
            op.show = {"hex": SHOW_HEX, "bits": SHOW_BITS, "dlms_datetime": SHOW_DLMS_DATETIME}.get(show,
                                                                                                 SHOW_DEFAULT)
        op.annotated = op.meanings is not None or op.show != SHOW_DEFAULT
        if op.code == OP_UINT:
            op.fast = FAST_EXPECT if op.allowed is not None else FAST_UINT
        elif op.code == OP_BYTES:
            op.fast = FAST_BYTES
        elif op.code == OP_STRUCT:
            op.fast = FAST_STRUCT

    def _int_ref(self, ref: str, scopes, row, what: str) -> tuple[Any, int]:
        r, up = self._ref_row(ref, scopes, row, what)
        if r.cells["type"] not in INT_TYPES and r.cells["type"] != "ber_length":
            p = row.pos
            raise SpecError(f"{what} {ref!r} must be an integer field, not {r.cells['type']}", p.file, p.line,
                            p.column)
        return ref, up


def _referred(ops: list, names: set) -> set:
    """The names the fields of a struct (its blocks included) refer to."""
    for op in ops:
        for ref in (op.ref, op.if_ref):
            if ref is not None:
                names.add(ref)
        if op.block is not None and op.code != OP_STRUCT:       # struct(...) is a scope of its own
            _referred(op.block, names)
    return names


def _mark_kept(ops: list, names: set) -> None:
    for op in ops:
        op.kept = op.name in names
        if op.block is not None and op.code != OP_STRUCT:
            _mark_kept(op.block, names)


def _keyed(table) -> dict:
    if not table.by_key and table.rows:
        raise SpecError(f"table({table.kind}.{table.name}): its schema has no key column to look values up by")
    return table.by_key


def _type_expr(value) -> tuple[str, tuple]:
    """A type written as a table cell: `u16le` or `bytes(8)`."""
    if isinstance(value, Call):
        return value.name, tuple(a.text if isinstance(a, Name) else a for a in value.args)
    return str(value), ()


_PLANS = AtHand(_Plans)


def _plans(specs: SpecSet) -> _Plans:
    return _PLANS.of(specs)


def program(specs: SpecSet, struct: str) -> list[_Op]:
    """The compiled ops of struct item `struct` (made once per SpecSet)."""
    return _plans(specs).struct(struct)


def fixed_size(ops: list[_Op]) -> int | None:
    """How many bytes the ops always take, or None when that depends on the bytes."""
    total = 0
    for op in ops:
        if op.if_ref is not None:
            return None
        if op.code == OP_BYTES and op.ref is None:
            total += op.count
        elif op.code == OP_STRUCT:
            inner = fixed_size(op.block)
            if inner is None:
                return None
            total += inner
        elif op.code == OP_REPEAT and op.ref is None:
            inner = fixed_size(op.block)
            if inner is None:
                return None
            total += op.count * inner
        elif op.code == OP_ZCL_DATE:
            total += len(ZCL_DATE_PARTS)
        elif op.size >= 0:
            total += op.size
        else:
            return None
    return total


def struct_size(specs: SpecSet, struct: str) -> int | None:
    """The fixed size of struct item `struct` in bytes (None if it varies)."""
    return fixed_size(program(specs, struct))


def check_layouts(specs: SpecSet) -> int:
    """Resolve every struct item (references, tables, enums); returns how many. Raises SpecError."""
    plans = _plans(specs)
    items = specs.of_kind("struct")
    for item in items:
        plans.struct(item.name)
    return len(items)


# -- walking: the one interpreter of the program ------------------------------------------

def _template(ops: list) -> dict:
    """A struct's values dict with every field name in place: copying it makes a dict that
    never grows while the fields are filled in (a struct starts a fresh scope, so a name
    present before its field is read can shadow nothing)."""
    return dict.fromkeys(op.name for op in ops)


class Program:
    """The compiled ops of one struct item, ready to walk."""
    __slots__ = ("name", "ops", "template")

    def __init__(self, name: str, ops: list):
        self.name = name
        self.ops = ops
        self.template = _template(ops)

    def walk(self, w, hooks: dict | None = None) -> dict:
        """The fields, into the walker's current group; returns their values."""
        values = self.template.copy()
        _walk(w, self.ops, values, None, hooks if hooks is not None else _NO_HOOKS, 0, True)
        return values

    def walk_group(self, w, name: str | None = None, meaning: str | None = None,
                   hooks: dict | None = None) -> dict:
        """The fields as a group node `name` (default: the struct's name); returns their values."""
        row = w.open_group(name if name is not None else self.name)
        values = self.template.copy()
        _walk(w, self.ops, values, None, hooks if hooks is not None else _NO_HOOKS, 0, True)
        w.close_group()
        if meaning is not None:
            w.set_meaning(row, meaning)
        return values


    def read(self, w, name: str | None = None, meaning: str | None = None, hooks: dict | None = None) -> None:
        """walk_group for a caller that needs the tree, not the values: a value is kept only
        where the struct refers to it (all of them when a hook is a callable, which may look)."""
        keep = False
        if hooks is None:
            hooks = _NO_HOOKS
        else:
            for hook in hooks.values():
                if type(hook) is not dict:
                    keep = True
        row = w.open_group(name if name is not None else self.name)
        _walk(w, self.ops, self.template.copy(), None, hooks, 0, keep)
        w.close_group()
        if meaning is not None:
            w.set_meaning(row, meaning)


def compiled(specs: SpecSet, struct: str) -> Program:
    """The Program of struct item `struct` (compiled once per SpecSet)."""
    return _plans(specs).program(struct)


def walk_struct(w, specs: SpecSet, struct: str, name: str | None = None, *, meaning: str | None = None,
                hooks: Hooks | None = None) -> dict:
    """Walk struct item `struct` as a group node `name` (default: the struct's name)."""
    return _plans(specs).program(struct).walk_group(w, name, meaning, hooks)


def walk_fields(w, specs: SpecSet, struct: str, *, hooks: Hooks | None = None) -> dict:
    """Walk struct item `struct`'s fields into the walker's current group."""
    return _plans(specs).program(struct).walk(w, hooks)


_NO_HOOKS: dict = {}


def bits_text(value: int, bits) -> str:
    """The titles of the (bit, title) pairs set in value, and any bits no title names."""
    parts = []
    known = 0
    for bit, title in bits:
        known |= bit
        if value & bit:
            parts.append(title)
    unknown = value & ~known
    if unknown:
        parts.append(f"unknown bits 0x{unknown:02X}")
    return ", ".join(parts) or "none"


# A block's values are a dict; the enclosing blocks' values (`outer`, a Scope chain) are only
# linked when a block nests inside another. A Scope for the current block is made only for a hook.

def _walk(w, ops: list, values: dict, outer: "Scope | None", hooks: dict, depth: int, keep: bool) -> None:
    """Walk ops into the current group, their values into `values` (only those the struct
    refers to unless `keep`)."""
    for op in ops:
        name = op.name
        if op.if_ref is not None:
            v = _ref(w, op, values, outer, op.if_ref, op.if_up)
            if not (v & op.if_mask if op.if_mask else v):
                if keep or op.kept:
                    values[name] = None
                continue
        fast = op.fast
        hook = hooks.get(name) if hooks else None
        # a dict hook (value -> meaning) keeps a scalar field on the fast path
        if fast == FAST_NONE or (hook is not None and (fast == FAST_STRUCT or type(hook) is not dict)):
            value = _one(w, op, name, values, outer, hooks, hook, depth, keep)
            if keep or op.kept:
                values[name] = value
            continue
        if fast == FAST_STRUCT:
            if depth >= MAX_STRUCT_DEPTH:
                raise SpecError(f"{op.where}: structs nested more than {MAX_STRUCT_DEPTH} deep")
            w.open_group(name)
            fields = op.template.copy()
            _walk(w, op.block, fields, None, hooks, depth + 1, keep)
            w.close_group()
            if keep or op.kept:
                values[name] = fields
            continue
        if fast == FAST_UINT:
            value = w.uint(name, op.size)
        elif fast == FAST_EXPECT:
            value = w.expect(name, op.size, op.allowed, op.what, None, op.unknown_code)
        elif op.ref is None:
            value = w.bytes(name, op.count)
        else:
            n = values.get(op.ref) if op.ref_up == 0 else None
            value = w.bytes(name, n if type(n) is int else _ref(w, op, values, outer, op.ref, op.ref_up))
        if keep or op.kept:
            values[name] = value
        if hook is not None:
            table = hook                 # a dict here (a callable went to _one)
            text = table.get(value)
            if text is not None:
                w.set_last_meaning(text)
                continue
        if op.annotated:
            if op.show == SHOW_DEFAULT:          # an enum or table meaning
                text = op.meanings.get(value)
                if text is not None:
                    w.set_last_meaning(text)
            else:
                _meaning(w, op, value, values, outer, None)


def _ref(w, op: _Op, values: dict, outer: "Scope | None", ref: str, up: int) -> int:
    """Field `ref`'s value, `up` blocks outwards (where the compiler found it)."""
    if up == 0:
        value = values.get(ref)
    else:
        s = outer
        while up > 1 and s is not None:
            s = s.parent
            up -= 1
        value = s.values.get(ref) if s is not None else None
    if not isinstance(value, int):
        raise SpecReferenceError(f"{op.where}: field {ref!r} has no integer value here "
                                 f"(at offset {w.pos}, {w.path(op.name)})")
    return value


def _meaning(w, op: _Op, value, values: dict, outer: "Scope | None", hook) -> None:
    """The meaning of the leaf just read: its hook's (a callable, or a dict of value -> meaning),
    else its enum/table's, else its show(...) format's."""
    text = None
    if hook is not None:
        if type(hook) is dict:
            table = hook
            text = table.get(value)
        else:
            text = hook(value, _scope(values, outer))
    if text is None:
        show = op.show
        if show == SHOW_DEFAULT:
            if op.meanings is None:
                return
            text = op.meanings.get(value)
        elif show == SHOW_HEX or show == SHOW_BITS:      # the same ids and flags recur
            text = op.texts.get(value)
            if text is None:
                text = value.hex().upper() if show == SHOW_HEX else bits_text(value, op.bits)
                if len(op.texts) < MAX_REMEMBERED_TEXTS:
                    op.texts[value] = text
        else:
            text = dlms_datetime_meaning(value)
    if text is not None:
        w.set_last_meaning(text)


def _block(w, op: _Op, name: str, values: dict, outer: "Scope | None", hooks: dict, depth: int,
           keep: bool) -> dict:
    w.open_group(name)
    inner: dict = {}
    _walk(w, op.block, inner, _scope(values, outer), hooks, depth, keep)
    w.close_group()
    return inner


def _item_name(op: _Op, name: str, i: int) -> str:
    """`name[i]`, the i-th item of a repeat (the same string each time: the tape knows it)."""
    names = op.item_names
    if i < len(names) and name is op.name:
        return names[i]
    text = f"{name}[{i}]"
    if i == len(names) and i < MAX_REMEMBERED_TEXTS and name is op.name:
        names.append(text)
    return text


def _one(w, op: _Op, name: str, values: dict, outer: "Scope | None", hooks: dict, hook, depth: int, keep: bool):
    """One field of any type; `hook` is hooks' entry for it (or None)."""
    code = op.code
    if code == OP_UINT:
        if op.allowed is not None:
            value = w.expect(name, op.size, op.allowed, op.what, None, op.unknown_code)
        else:
            value = w.uint(name, op.size)
        if op.annotated or hook is not None:
            _meaning(w, op, value, values, outer, hook)
        return value
    if code == OP_BYTES:
        n = op.count if op.ref is None else _ref(w, op, values, outer, op.ref, op.ref_up)
        raw = w.bytes(name, n)
        if op.annotated or hook is not None:
            _meaning(w, op, raw, values, outer, hook)
        return raw
    if code == OP_STRUCT:
        if depth >= MAX_STRUCT_DEPTH:
            raise SpecError(f"{op.where}: structs nested more than {MAX_STRUCT_DEPTH} deep")
        row = w.open_group(name)
        fields = op.template.copy()
        _walk(w, op.block, fields, None, hooks, depth + 1, keep)
        w.close_group()
        if hook is not None:
            if type(hook) is dict:
                raise TypeError(f"{op.where}: a struct field's hook must be a callable, not a dict")
            text = hook(fields, _scope(values, outer))
            if text is not None:
                w.set_meaning(row, text)
        return fields
    if code == OP_UINT_LE:
        value = w.uint_le(name, op.size)
        if op.annotated or hook is not None:
            _meaning(w, op, value, values, outer, hook)
        return value
    if code == OP_SINT:
        value = w.sint(name, op.size, little=op.little)
        if op.annotated or hook is not None:
            _meaning(w, op, value, values, outer, hook)
        return value
    if code == OP_BER_LENGTH:
        at = w.pos
        value = w.ber_length(name)
        if op.allowed is not None and value not in op.allowed:
            shown = ", ".join(str(v) for v in sorted(op.allowed))
            cls = UnknownCodeError if op.unknown_code else ConstraintError
            raise cls(f"{value} is not {op.what} (expected {shown})", at, w.path(name),
                      expected=sorted(op.allowed), actual=value)
        if op.annotated or hook is not None:
            _meaning(w, op, value, values, outer, hook)
        return value
    if code == OP_UTC2000 or code == OP_UTC2000_LE:
        value = w.uint_le(name, 4) if code == OP_UTC2000_LE else w.uint(name, 4)
        w.set_last_meaning(utc2000_meaning(value))
        if op.annotated or hook is not None:
            _meaning(w, op, value, values, outer, hook)
        return value
    if code == OP_OCTSTR or code == OP_CHARSTR:
        row = w.open_group(name)
        n = w.uint("length", 1)
        raw = w.bytes("value", n)
        text = octets_meaning(raw, code == OP_CHARSTR)
        w.set_last_meaning(text)
        w.set_meaning(row, text)
        w.close_group()
        return raw
    if code == OP_REST:
        return w.rest(name)
    if code == OP_DAY_MINUTES:
        value = w.uint_le(name, 2)
        w.set_last_meaning(day_minutes_meaning(value))
        if op.annotated or hook is not None:
            _meaning(w, op, value, values, outer, hook)
        return value
    if code == OP_ZCL_DATE:
        row = w.open_group(name)
        parts = {}
        for part in ZCL_DATE_PARTS:
            parts[part] = w.uint(part, 1)
        w.set_meaning(row, zcl_date_meaning(parts["year"], parts["month"], parts["day"], parts["day_of_week"]))
        w.close_group()
        return parts
    if code == OP_DLMS_DATETIME:
        raw = w.bytes(name, op.size)
        w.set_last_meaning(dlms_datetime_meaning(raw))
        return raw
    if code == OP_REPEAT:
        count = op.count if op.ref is None else _ref(w, op, values, outer, op.ref, op.ref_up)
        w.open_group(name)
        items = []
        for i in range(count):
            items.append(_block(w, op, _item_name(op, name, i), values, outer, hooks, depth, keep))
        w.close_group()
        return items
    if code == OP_REPEAT_TO_END:
        w.open_group(name)
        items = []
        while w.remaining > 0:
            start = w.pos
            items.append(_block(w, op, _item_name(op, name, len(items)), values, outer, hooks, depth, keep))
            if w.pos == start:
                raise ConstraintError("an item of this list takes no bytes, so the list would never end",
                                      start, w.path(name), rule="GBCS-D006")
        w.close_group()
        return items
    if code == OP_IF_REMAINING:
        return _block(w, op, name, values, outer, hooks, depth, keep) if w.remaining > 0 else None
    if code == OP_WHEN or code == OP_WHEN_EQ or code == OP_WHEN_NE:
        v = _ref(w, op, values, outer, op.ref, op.ref_up)
        present = (v & op.mask) if code == OP_WHEN else (v == op.mask) if code == OP_WHEN_EQ else (v != op.mask)
        return _block(w, op, name, values, outer, hooks, depth, keep) if present else None
    if code == OP_ZCL_VALUE:
        type_code = _ref(w, op, values, outer, op.ref, op.ref_up)
        choice = op.choices.get(type_code)
        if choice is None:
            raise UnknownCodeError(f"data type 0x{type_code:02X} is not in the ZCL data type table, so the size "
                                   "of this value is unknown", w.pos, w.path(name), actual=type_code)
        return _one(w, choice, name, values, outer, hooks, hook, depth, keep)
    raise SpecError(f"{op.where}: field type {op.type!r} has no walker")      # types.py grew a type
