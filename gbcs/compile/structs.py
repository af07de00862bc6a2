"""Compile a `struct` spec item into a construct Struct that parses AND builds.

The only module that imports construct. It mirrors gbcs/wire/layout.py type by type (the
value shapes are listed there); tests/compile/test_structs.py builds values with these Structs
and walks the bytes with the layout walker to check that both read the same thing.
Builders (gbcs.payload.gbz and tests) use it to turn field dicts into payload bytes.
"""
from __future__ import annotations

from typing import Any

import construct as cs
from construct.core import stream_size, stream_tell

from gbcs.errors import EncodeError, SpecError, SpecReferenceError
from gbcs.spec.ast import Call, Name
from gbcs.spec.load import SpecSet
from gbcs.spec.types import INT_TYPES, LAYOUT_TYPES

__all__ = ["compile_struct", "build_struct", "parse_struct", "to_python", "example_values", "COMPILED_TYPES"]

_FIXED_INTS = {(1, False): cs.Int8ub, (1, True): cs.Int8sb,
               (2, False): cs.Int16ub, (2, True): cs.Int16sb, (4, False): cs.Int32ub, (4, True): cs.Int32sb,
               (8, False): cs.Int64ub, (8, True): cs.Int64sb}
_FIXED_INTS_LE = {(2, False): cs.Int16ul, (2, True): cs.Int16sl, (4, False): cs.Int32ul, (4, True): cs.Int32sl,
                  (8, False): cs.Int64ul, (8, True): cs.Int64sl}


class _ToEnd(cs.Subconstruct):
    """repeat_to_end: items until the stream (frame) ends."""

    def _parse(self, stream, context, path):
        items = cs.ListContainer()
        end = stream_size(stream)
        while stream_tell(stream, path) < end:
            start = stream_tell(stream, path)
            items.append(self.subcon._parsereport(stream, context, path))
            if stream_tell(stream, path) == start:
                raise cs.ExplicitError("zero-width item in repeat_to_end", path=path)
        return items

    def _build(self, obj, stream, context, path):
        for item in obj:
            self.subcon._build(item, stream, context, path)
        return obj

    def _sizeof(self, context, path):
        raise cs.SizeofError("repeat_to_end has no fixed size", path=path)


class _IfRemaining(cs.Subconstruct):
    """if_remaining: the block is there only when bytes remain in the frame."""

    def _parse(self, stream, context, path):
        if stream_tell(stream, path) < stream_size(stream):
            return self.subcon._parsereport(stream, context, path)
        return None

    def _build(self, obj, stream, context, path):
        if obj is None:
            return None
        return self.subcon._build(obj, stream, context, path)

    def _sizeof(self, context, path):
        raise cs.SizeofError("if_remaining has no fixed size", path=path)


def _int(size: int, signed: bool, little: bool):
    if size == 1:
        return _FIXED_INTS[(1, signed)]
    table = _FIXED_INTS_LE if little else _FIXED_INTS
    fixed = table.get((size, signed))
    return fixed if fixed is not None else cs.BytesInteger(size, signed=signed, swapped=little)


def _getter(name: str, up: int):
    """A context lambda reading field `name` from `up` blocks outwards."""
    def get(ctx):
        for _ in range(up):
            ctx = ctx._
        return ctx[name]
    return get


class _Compiler:
    def __init__(self, specs: SpecSet):
        self.specs = specs
        self.structs: dict[str, cs.Construct] = {}
        self._building: set[str] = set()

    def struct(self, name: str) -> cs.Construct:
        done = self.structs.get(name)
        if done is not None:
            return done
        item = self.specs.get("struct", name)
        if name in self._building:
            raise SpecReferenceError(f"struct {name!r} contains itself", item.pos.file, item.pos.line,
                                     item.pos.column)
        self._building.add(name)
        try:
            result = self.structs[name] = self._block(item.rows, [], f"struct {name}")
        finally:
            self._building.discard(name)
        return result

    def _block(self, rows, outer: list[list], where: str) -> cs.Construct:
        seen: list = []
        fields = []
        scopes = outer + [seen]
        for row in rows:
            c = row.cells
            fields.append(c["field"] / self._type(c["type"], c["args"], c["options"], row.block, scopes,
                                                   f"{where}.{c['field']}"))
            seen.append(row)
        return cs.Struct(*fields)

    def _ref(self, ref: str, scopes: list[list], where: str):
        for up, block in enumerate(reversed(scopes)):
            for row in block:
                if row.cells["field"] == ref:
                    return _getter(ref, up), row
        raise SpecReferenceError(f"{where}: {ref!r} is not a field before this one in scope")

    def _type(self, t, args, options, block, scopes, where) -> cs.Construct:
        if t in INT_TYPES:
            return _int(*INT_TYPES[t])
        if t not in LAYOUT_TYPES:
            raise SpecError(f"{where}: unknown field type {t!r}")
        if t == "bytes":
            n = args[0]
            return cs.Bytes(n if isinstance(n, int) else self._ref(n, scopes, where)[0])
        if t in ("octstr", "charstr"):
            return cs.Prefixed(cs.Int8ub, cs.GreedyBytes)
        if t == "rest":
            return cs.GreedyBytes
        if t == "utc2000":
            return cs.Int32ub
        if t == "utc2000le":
            return cs.Int32ul
        if t == "day_minutes":
            return cs.Int16ul
        if t == "zcl_date":
            return cs.Struct("year" / cs.Int8ub, "month" / cs.Int8ub, "day" / cs.Int8ub,
                             "day_of_week" / cs.Int8ub)
        if t == "dlms_datetime":
            return cs.Bytes(12)
        if t == "struct":
            return self.struct(args[0])
        if t == "repeat":
            n = args[0]
            count = n if isinstance(n, int) else self._ref(n, scopes, where)[0]
            return cs.Array(count, self._block(block, scopes, where))
        if t == "repeat_to_end":
            return _ToEnd(self._block(block, scopes, where))
        if t == "if_remaining":
            return _IfRemaining(self._block(block, scopes, where))
        if t in ("when", "when_eq", "when_ne"):
            get, _ = self._ref(args[0], scopes, where)
            arg = args[1]
            if t == "when":
                cond = lambda ctx: bool(get(ctx) & arg)      # noqa: E731
            elif t == "when_eq":
                cond = lambda ctx: get(ctx) == arg           # noqa: E731
            else:
                cond = lambda ctx: get(ctx) != arg           # noqa: E731
            return cs.If(cond, self._block(block, scopes, where))
        if t == "zcl_value":
            get, type_row = self._ref(args[0], scopes, where)
            ref = type_row.cells["options"].get("table")
            if ref is None:
                raise SpecError(f"{where}: zcl_value({args[0]}) needs table(…) on {args[0]}")
            from gbcs.wire.layout import resolve_table
            table = resolve_table(self.specs, ref)
            cases = {}
            for key, trow in table.by_key.items():
                layout = trow.cells.get("layout")
                if layout is None:
                    continue
                if isinstance(layout, Call):
                    tname, targs = layout.name, tuple(a.text if isinstance(a, Name) else a for a in layout.args)
                else:
                    tname, targs = str(layout), ()
                cases[key] = self._type(tname, targs, {}, None, [], f"{where}[{key:#x}]")
            return cs.Switch(get, cases, default=cs.Error)
        raise SpecError(f"{where}: field type {t!r} has no construct form")   # types.py grew a type


COMPILED_TYPES = frozenset(LAYOUT_TYPES)      # every type above; the tests check the list stays whole



def _compiler(specs: SpecSet | None) -> _Compiler:
    if specs is None:
        from gbcs.spec import specs as default
        specs = default()
    return specs.derived(_Compiler)


def compile_struct(specs: SpecSet | None, name: str) -> cs.Construct:
    """The construct Struct of struct item `name` (cached per SpecSet)."""
    return _compiler(specs).struct(name)


def to_python(obj: Any) -> Any:
    """construct's Containers and ListContainers as plain dicts and lists (no `_io` keys)."""
    if isinstance(obj, dict):
        return {k: to_python(v) for k, v in obj.items() if not (isinstance(k, str) and k.startswith("_"))}
    if isinstance(obj, list):
        return [to_python(v) for v in obj]
    return obj


def build_struct(specs: SpecSet | None, name: str, values: dict) -> bytes:
    """Bytes of struct item `name` holding `values` (shape as gbcs/wire/layout.py returns)."""
    try:
        return compile_struct(specs, name).build(values)
    except (cs.ConstructError, KeyError, TypeError, ValueError, AttributeError) as exc:
        raise EncodeError(f"cannot build struct {name}: {exc}") from exc


def parse_struct(specs: SpecSet | None, name: str, data: bytes) -> dict:
    """Values of struct item `name` read by construct (no tree; for cross-checks)."""
    return to_python(compile_struct(specs, name).parse(data))


# -- example values (tests, examples, fuzz seeds) -----------------------------------------

def example_values(specs: SpecSet | None, name: str, seed: int = 0, *, max_items: int = 3) -> dict:
    """Random but consistent values for struct item `name`: counts, lengths, conditions and
    zcl_value type fields agree with what they govern, so build_struct accepts them."""
    import random
    from gbcs.wire.layout import resolve_table
    c = _compiler(specs)
    rnd = random.Random(seed)
    pinned: set = set()

    def owner(chain: list[tuple[dict, dict]], ref: str) -> tuple[dict, dict]:
        for values, options in reversed(chain):
            if ref in values:
                return values, options[ref]
        raise SpecReferenceError(f"example_values: {ref!r} is not a field before its use")

    def members(options) -> list:
        if options.get("enum") is not None:
            return [r.cells["value"] for r in c.specs.enum(options["enum"]).rows]
        if options.get("table") is not None:
            return list(resolve_table(c.specs, options["table"]).by_key)
        return []

    def gen_rows(rows, chain: list) -> dict:
        values: dict = {}
        options: dict = {}
        inner = chain + [(values, options)]
        for row in rows:
            cells = row.cells
            options[cells["field"]] = cells["options"]
            values[cells["field"]] = gen(cells["type"], cells["args"], cells["options"], row.block, inner)
        return values

    def gen_int(t, options):
        size, signed, _ = INT_TYPES[t]
        lo, hi = (-(1 << (8 * size - 1)), (1 << (8 * size - 1)) - 1) if signed else (0, (1 << (8 * size)) - 1)
        known = [v for v in members(options) if isinstance(v, int) and lo <= v <= hi]
        if known and rnd.random() < 0.6:
            return rnd.choice(known)
        return rnd.choice((lo, hi, 0, rnd.randint(lo, hi)))

    def gen(t, args, options, block, chain):
        if t in INT_TYPES:
            return gen_int(t, options)
        if t in ("utc2000", "utc2000le"):
            return rnd.choice((0, 0xFFFFFFFF, rnd.randint(0, 0xFFFFFFFF)))
        if t == "day_minutes":
            return rnd.randint(0, 0xFFFF) if rnd.random() < 0.2 else rnd.randint(0, 1439)
        if t == "bytes":
            n = args[0]
            if not isinstance(n, int):
                holder, _ = owner(chain, n)
                holder[n] = k = rnd.randint(0, 8)
                n = k
            return rnd.randbytes(n)
        if t in ("octstr", "charstr"):
            n = rnd.randint(0, 12)
            return bytes(rnd.randint(0x20, 0x7E) for _ in range(n)) if rnd.random() < 0.7 else rnd.randbytes(n)
        if t == "rest":
            return rnd.randbytes(rnd.randint(0, 8))
        if t == "zcl_date":
            return {k: rnd.randint(0, 255) for k in ("year", "month", "day", "day_of_week")}
        if t == "dlms_datetime":
            return rnd.randbytes(12)
        if t == "struct":
            return gen_rows(c.specs.get("struct", args[0]).rows, [])
        if t == "repeat":
            n = args[0]
            if not isinstance(n, int):
                holder, _ = owner(chain, n)
                holder[n] = k = rnd.randint(0, max_items)
                n = k
            return [gen_rows(block, chain) for _ in range(n)]
        if t == "repeat_to_end":
            return [gen_rows(block, chain) for _ in range(rnd.randint(0, max_items))]
        if t == "if_remaining":
            return gen_rows(block, chain) if rnd.random() < 0.5 else None
        if t in ("when", "when_eq", "when_ne"):
            ref, arg = args
            holder, _ = owner(chain, ref)
            want = rnd.random() < 0.5
            value = holder[ref]
            if (id(holder), ref) not in pinned:     # the first condition on a field may steer it
                pinned.add((id(holder), ref))
                if t == "when":
                    value = (value | arg) if want else (value & ~arg)
                elif want == (t == "when_eq"):
                    value = arg
                elif value == arg:
                    value = arg ^ 1
                holder[ref] = value
            present = bool(value & arg) if t == "when" else (value == arg) == (t == "when_eq")
            return gen_rows(block, chain) if present else None
        if t == "zcl_value":
            holder, type_options = owner(chain, args[0])
            table = resolve_table(c.specs, type_options["table"])
            code = rnd.choice([k for k, r in table.by_key.items() if r.cells.get("layout") is not None])
            holder[args[0]] = code
            layout = table.by_key[code].cells["layout"]
            if isinstance(layout, Call):
                return gen(layout.name, tuple(a.text if isinstance(a, Name) else a for a in layout.args), {},
                           None, [])
            return gen(str(layout), (), {}, None, [])
        raise SpecError(f"example_values: no generator for field type {t!r}")

    return gen_rows(c.specs.get("struct", name).rows, [])
