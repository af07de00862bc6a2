"""Compile a `struct` spec item into a construct Struct that parses AND builds.

The only module that imports construct. It reads the compiled program of gbcs/wire/layout.py
(op codes with their constants resolved; the value shapes are listed there), never the spec
rows; tests/compile/test_structs.py builds values with these Structs and walks the bytes with
the layout walker to check that both read the same thing. example_values() draws field values
from the same program.
Builders (gbcs.payload.gbz and tests) use it to turn field dicts into payload bytes.
"""
from __future__ import annotations

from typing import Any

import construct as cs
from construct.core import stream_size, stream_tell

from gbcs.errors import EncodeError, SpecError
from gbcs.spec.load import SpecSet
from gbcs.spec.types import INT_TYPES
from gbcs.wire import layout as L
from gbcs.wire import ops as O
from gbcs.wire.codecs import minimal_ber_length

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


class _BerLength(cs.Construct):
    """ber_length: a BER definite length (built in its shortest form)."""

    def _parse(self, stream, context, path):
        first = cs.stream_read(stream, 1, path)[0]
        if first < 0x80:
            return first
        n = first & 0x7F
        if n == 0 or n > 4:
            raise cs.ExplicitError(f"length byte 0x{first:02X} is not a definite length", path=path)
        return int.from_bytes(cs.stream_read(stream, n, path), "big")

    def _build(self, obj, stream, context, path):
        data = minimal_ber_length(obj)
        cs.stream_write(stream, data, len(data), path)
        return obj

    def _sizeof(self, context, path):
        raise cs.SizeofError("ber_length has no fixed size", path=path)


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
    """construct Structs made from the compiled program of gbcs/wire/layout.py (no spec rows here)."""

    def __init__(self, specs: SpecSet):
        self.specs = specs
        self.structs: dict[str, cs.Construct] = {}

    def struct(self, name: str) -> cs.Construct:
        done = self.structs.get(name)
        if done is None:
            done = self.structs[name] = self._block(L.program(self.specs, name))
        return done

    def _block(self, ops) -> cs.Construct:
        return cs.Struct(*(op.name / self._field(op) for op in ops))

    def _field(self, op) -> cs.Construct:
        con = self._op(op)
        if op.if_ref is None:
            return con
        get, mask = _getter(op.if_ref, op.if_up), op.if_mask
        return cs.If(lambda ctx: bool(get(ctx) & mask) if mask else bool(get(ctx)), con)

    def _op(self, op) -> cs.Construct:
        code = op.code
        if code in (O.OP_UINT, O.OP_UINT_LE, O.OP_SINT):
            return _int(op.size, op.signed, op.little)
        if code == O.OP_BYTES:
            return cs.Bytes(op.count if op.ref is None else _getter(op.ref, op.ref_up))
        if code in (O.OP_OCTSTR, O.OP_CHARSTR):
            return cs.Prefixed(cs.Int8ub, cs.GreedyBytes)
        if code == O.OP_REST:
            return cs.GreedyBytes
        if code == O.OP_UTC2000:
            return cs.Int32ub
        if code in (O.OP_UTC2000_LE, O.OP_DAY_MINUTES):
            return _int(op.size, False, True)
        if code == O.OP_BER_LENGTH:
            return _BerLength()
        if code == O.OP_ZCL_DATE:
            return cs.Struct(*(part / cs.Int8ub for part in L.ZCL_DATE_PARTS))
        if code == O.OP_DLMS_DATETIME:
            return cs.Bytes(op.size)
        if code == O.OP_STRUCT:
            return self.struct(op.struct)
        if code == O.OP_REPEAT:
            return cs.Array(op.count if op.ref is None else _getter(op.ref, op.ref_up), self._block(op.block))
        if code == O.OP_REPEAT_TO_END:
            return _ToEnd(self._block(op.block))
        if code == O.OP_IF_REMAINING:
            return _IfRemaining(self._block(op.block))
        if code in (O.OP_WHEN, O.OP_WHEN_EQ, O.OP_WHEN_NE):
            get, arg = _getter(op.ref, op.ref_up), op.mask
            if code == O.OP_WHEN:
                cond = lambda ctx: bool(get(ctx) & arg)      # noqa: E731
            elif code == O.OP_WHEN_EQ:
                cond = lambda ctx: get(ctx) == arg           # noqa: E731
            else:
                cond = lambda ctx: get(ctx) != arg           # noqa: E731
            return cs.If(cond, self._block(op.block))
        if code == O.OP_ZCL_VALUE:
            cases = {key: self._op(choice) for key, choice in op.choices.items()}
            return cs.Switch(_getter(op.ref, op.ref_up), cases, default=cs.Error)
        raise SpecError(f"{op.where}: field type {op.type!r} has no construct form")   # types.py grew a type


COMPILED_TYPES = frozenset(O.OP_CODES) | frozenset(INT_TYPES)   # every type the program has an op for



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


def _with_constants(ops, values: dict) -> dict:
    """`values` with every field that allows exactly one value (expect/known of one constant)
    filled in where left out, in nested structs too."""
    out = dict(values)
    for op in ops:
        if op.allowed is not None and len(op.allowed) == 1 and out.get(op.name) is None:
            out[op.name] = next(iter(op.allowed))
        elif op.code == O.OP_STRUCT and isinstance(out.get(op.name), dict):
            out[op.name] = _with_constants(op.block, out[op.name])
    return out


def build_struct(specs: SpecSet | None, name: str, values: dict) -> bytes:
    """Bytes of struct item `name` holding `values` (shape as gbcs/wire/layout.py returns).
    Fields whose layout allows a single value (tags, fixed lengths) may be left out."""
    compiler = _compiler(specs)
    try:
        return compiler.struct(name).build(_with_constants(L.program(compiler.specs, name), values))
    except (cs.ConstructError, KeyError, TypeError, ValueError, AttributeError) as exc:
        raise EncodeError(f"cannot build struct {name}: {exc}") from exc


def parse_struct(specs: SpecSet | None, name: str, data: bytes) -> dict:
    """Values of struct item `name` read by construct (no tree; for cross-checks)."""
    return to_python(compile_struct(specs, name).parse(data))


# -- example values (tests, examples, fuzz seeds) -----------------------------------------

def example_values(specs: SpecSet | None, name: str, seed: int = 0, *, max_items: int = 3) -> dict:
    """Random but consistent values for struct item `name`: counts, lengths, conditions and
    zcl_value type fields agree with what they govern, so build_struct accepts them; fields
    with expect(…)/known(…) hold an allowed value."""
    import random
    c = _compiler(specs)
    rnd = random.Random(seed)
    pinned: set = set()

    def holder(chain: list, ref: str, up: int) -> tuple[dict, Any]:
        values, ops = chain[-1 - up]
        return values, ops[ref]

    def steer(chain: list, ref: str, up: int, present) -> Any:
        """The value of condition field `ref`, changed (once) so that present(value) is wanted."""
        values, ref_op = holder(chain, ref, up)
        want = rnd.random() < 0.5
        value = values[ref]
        if (id(values), ref) not in pinned and ref_op.allowed is None:
            pinned.add((id(values), ref))
            value = present(value, want)
            values[ref] = value
        return value

    def gen_rows(ops, chain: list) -> dict:
        values: dict = {}
        inner = chain + [(values, {op.name: op for op in ops})]
        for op in ops:
            if op.if_ref is not None:
                mask = op.if_mask
                value = steer(inner, op.if_ref, op.if_up,
                              lambda v, want: ((v | mask) if want else (v & ~mask)) if mask else
                              ((v or 1) if want else 0))
                if not (value & mask if mask else value):
                    values[op.name] = None
                    continue
            values[op.name] = gen(op, inner)
        return values

    def gen_int(op):
        size, signed = op.size, op.signed
        lo, hi = (-(1 << (8 * size - 1)), (1 << (8 * size - 1)) - 1) if signed else (0, (1 << (8 * size)) - 1)
        known = [v for v in op.members if isinstance(v, int) and lo <= v <= hi]
        if op.allowed is not None:
            return rnd.choice(known)
        if known and rnd.random() < 0.6:
            return rnd.choice(known)
        return rnd.choice((lo, hi, 0, rnd.randint(lo, hi)))

    def length_of(chain, ref: str, up: int, most: int) -> int:
        values, ref_op = holder(chain, ref, up)
        if ref_op.allowed is None:
            values[ref] = rnd.randint(0, most)
        return values[ref]

    def gen(op, chain):
        code = op.code
        if code in (O.OP_UINT, O.OP_UINT_LE, O.OP_SINT):
            return gen_int(op)
        if code in (O.OP_UTC2000, O.OP_UTC2000_LE):
            return rnd.choice((0, 0xFFFFFFFF, rnd.randint(0, 0xFFFFFFFF)))
        if code == O.OP_DAY_MINUTES:
            return rnd.randint(0, 0xFFFF) if rnd.random() < 0.2 else rnd.randint(0, 1439)
        if code == O.OP_BER_LENGTH:
            if op.allowed is not None:
                return rnd.choice(op.members)
            return rnd.choice((0, 0x7F, 0x80, 0x100, rnd.randint(0, 0xFFFFFFFF)))
        if code == O.OP_BYTES:
            n = op.count if op.ref is None else length_of(chain, op.ref, op.ref_up, 8)
            return rnd.randbytes(n)
        if code in (O.OP_OCTSTR, O.OP_CHARSTR):
            n = rnd.randint(0, 12)
            return bytes(rnd.randint(0x20, 0x7E) for _ in range(n)) if rnd.random() < 0.7 else rnd.randbytes(n)
        if code == O.OP_REST:
            return rnd.randbytes(rnd.randint(0, 8))
        if code == O.OP_ZCL_DATE:
            return {k: rnd.randint(0, 255) for k in L.ZCL_DATE_PARTS}
        if code == O.OP_DLMS_DATETIME:
            return rnd.randbytes(op.size)
        if code == O.OP_STRUCT:
            return gen_rows(op.block, [])
        if code == O.OP_REPEAT:
            n = op.count if op.ref is None else length_of(chain, op.ref, op.ref_up, max_items)
            return [gen_rows(op.block, chain) for _ in range(n)]
        if code == O.OP_REPEAT_TO_END:
            return [gen_rows(op.block, chain) for _ in range(rnd.randint(0, max_items))]
        if code == O.OP_IF_REMAINING:
            return gen_rows(op.block, chain) if rnd.random() < 0.5 else None
        if code in (O.OP_WHEN, O.OP_WHEN_EQ, O.OP_WHEN_NE):
            arg = op.mask

            def present(value, want):
                if code == O.OP_WHEN:
                    return (value | arg) if want else (value & ~arg)
                if want == (code == O.OP_WHEN_EQ):
                    return arg
                return arg ^ 1 if value == arg else value
            value = steer(chain, op.ref, op.ref_up, present)
            shown = bool(value & arg) if code == O.OP_WHEN else (value == arg) == (code == O.OP_WHEN_EQ)
            return gen_rows(op.block, chain) if shown else None
        if code == O.OP_ZCL_VALUE:
            values, _ = holder(chain, op.ref, op.ref_up)
            key = rnd.choice(sorted(op.choices))
            values[op.ref] = key
            return gen(op.choices[key], [])
        raise SpecError(f"example_values: no generator for field type {op.type!r}")

    return gen_rows(L.program(c.specs, name), [])
