"""Hypothesis strategies for the values inside payloads, each read from a spec table:
A-XDR Data from dlms_data_type, DER from an asn1_type item, ZCL payloads from struct items.
"""
from __future__ import annotations

import contextvars
import datetime as _dt
from typing import Any

from hypothesis import strategies as st

from gbcs.payload import asn1 as _asn1
from gbcs.payload import dlms as _dlms
from gbcs.spec import specs
from gbcs.spec.load import SpecSet

MAX_DEPTH = 3
# While der_value draws: integer values named by these (kind, item) lookups are drawn from
# the given codes only (the alert codes a message code may carry, say).
_PREFER: contextvars.ContextVar[dict] = contextvars.ContextVar("gbcs_testing_prefer", default={})
# Whether a Certificate is an SMKI certificate built by gbcs.smki (True) or drawn part by part.
_REAL_CERTIFICATES: contextvars.ContextVar[bool] = contextvars.ContextVar("gbcs_testing_certs", default=True)
_DATES = st.datetimes(min_value=_dt.datetime(2000, 1, 1), max_value=_dt.datetime(2099, 12, 31))


# -- DLMS A-XDR Data ---------------------------------------------------------------------

def _dlms_plain(typ, draw) -> Any:
    """A value of a non-list A-XDR type, in the form gbcs.payload.dlms.encode_data takes."""
    read = typ.read
    if read == "none":
        return None
    if read == "boolean":
        return draw(st.booleans())
    if read in ("int", "uint"):
        bits = 8 * typ.size
        lo, hi = (-(1 << (bits - 1)), (1 << (bits - 1)) - 1) if read == "int" else (0, (1 << bits) - 1)
        return draw(st.integers(lo, hi))
    if read == "bcd":
        return draw(st.integers(0, 0x99).filter(lambda v: v % 16 < 10 and v // 16 < 10))
    if read == "float":
        return draw(st.floats(allow_nan=False, allow_infinity=False, width=8 * typ.size))
    if read == "bits":
        return draw(st.text("01", max_size=24))
    if read == "octets":
        return draw(st.binary(max_size=16))
    if read == "ascii":
        return draw(st.text(st.characters(min_codepoint=0x20, max_codepoint=0x7E), max_size=16))
    if read == "utf8":
        return draw(st.text(st.characters(exclude_categories=["Cs"]), max_size=8))
    if read == "datetime":
        return _dlms.dlms_datetime(draw(_DATES), deviation=0)
    if read in ("date", "time"):
        when = draw(_DATES)
        raw = _dlms.dlms_datetime(when, deviation=0)
        return raw[:5] if read == "date" else raw[5:9]
    raise ValueError(f"no generator for DLMS read {read!r}")


@st.composite
def dlms_data(draw, depth: int = 0, spec_set: SpecSet | None = None) -> tuple:
    """One DLMS Data value as an encode_data value: (type name, value)."""
    t = _dlms._t(spec_set)
    usable = sorted(name for name, typ in t.type_by_name.items()
                    if typ.read not in ("compact",) and not (typ.read == "list" and depth >= MAX_DEPTH)
                    and typ.tag in t.types and _encodable(typ))
    name = draw(st.sampled_from(usable))
    typ = t.type_by_name[name]
    if typ.read == "list":
        return (name, draw(st.lists(dlms_data(depth + 1, spec_set), max_size=3)))
    if typ.read == "none":
        return ("raw", bytes([typ.tag]))
    return (name, _dlms_plain(typ, draw))


def _encodable(typ) -> bool:
    return typ.read != "none" or typ.name in ("null_data", "dont_care")


@st.composite
def shaped_dlms_data(draw, shape, spec_set: SpecSet | None = None, depth: int = 0,
                     cipher=None) -> tuple:
    """A DLMS Data value that fits a dlms_shape (a compiled gbcs.payload.dlms shape node):
    element types, enum/lookup/class/OBIS values, octet-strings laid out by their struct.
    `cipher(plaintext) -> part` makes `ciphered` elements; random bytes of that form otherwise."""
    t = _dlms._t(spec_set)
    s = t.specs
    read = shape.read
    if isinstance(read, tuple) and read[0] == "shape":
        return draw(shaped_dlms_data(t.shapes[read[1]], spec_set, depth, cipher))
    if shape.type == "any":
        return draw(dlms_data(depth, spec_set))
    if shape.type == "der_sequence":
        body = _struct_bytes(draw, read[1], s) if isinstance(read, tuple) and read[0] == "layout" else b""
        return ("raw", _asn1.der_sequence(body))
    typ = t.type_by_name[shape.type]
    if typ.read == "list":
        if shape.type == "array" or shape.star is not None and not shape.children:
            n = shape.count if shape.count is not None else draw(st.integers(0 if depth else 1, 2))
        else:
            n = shape.count if shape.count is not None else max(shape.children, default=-1) + 1
        items = []
        for i in range(n):
            child = shape.child(i)
            items.append(draw(shaped_dlms_data(child, spec_set, depth + 1, cipher)) if child is not None
                         else draw(dlms_data(depth + 1, spec_set)))
        return (shape.type, items)
    if isinstance(read, tuple) and read[0] in ("enum", "lookup"):
        keys = sorted(t.enum(read[1]) if read[0] == "enum" else s.get(read[1], read[2]).by_key)
        return (shape.type, draw(st.sampled_from(keys)))
    if read == "class_id":
        return (shape.type, draw(st.sampled_from(sorted(t.classes))))
    if read == "obis":
        return (shape.type, draw(st.sampled_from(sorted(t.objects))))
    if isinstance(read, tuple) and read[0] == "layout":
        return (shape.type, _struct_bytes(draw, read[1], s))
    if read == "ciphered":
        plaintext = _dlms.encode_data(draw(dlms_data(depth + 1, spec_set)), s)
        return (shape.type, cipher(plaintext) if cipher is not None else random_part(draw, plaintext, s))
    if typ.read == "none":
        return ("raw", bytes([typ.tag]))
    return (shape.type, _dlms_plain(typ, draw))


def random_part(draw, plaintext: bytes, s: SpecSet) -> bytes:
    """An encrypted part (security control, invocation counter, ciphertext, tag) whose
    ciphertext and tag are random: the shape of a real one, unverifiable."""
    size = {k: r.cells["bytes"] for k, r in s.get("envelope_size", "gbcs").by_key.items()}
    control = {r.cells["name"]: r.cells["value"] for r in s.enum("security_control").rows}
    tag = size["mac"]                                     # GBCS truncates every GCM tag alike
    ciphertext = draw(st.binary(min_size=len(plaintext), max_size=len(plaintext)))
    return (bytes([control["authenticated_encrypted"]]) + bytes(size["security_header"] - 1) + ciphertext
            + draw(st.binary(min_size=tag, max_size=tag)))


def _struct_bytes(draw, layout: str, s: SpecSet) -> bytes:
    from gbcs.compile import build_struct
    return build_struct(s, layout, draw(struct_fields(layout, s)))


# -- ASN.1 DER from asn1_type items --------------------------------------------------------

def _der_universal(draw, u, hints: dict, t) -> bytes:
    """Contents (no tag or length) of a universal type."""
    size = hints.get("size")
    named = hints.get("enum") or hints.get("lookup")
    d = u.decode
    if d == "integer":
        preferred = next((codes for key, codes in _PREFER.get().items() if t.lookups.get(key) is named), None)
        value = draw(st.sampled_from(sorted(preferred or named))) if named else draw(st.integers(-2**40, 2**40))
        return _asn1._int_body(value)
    if d == "boolean":
        return b"\xff" if draw(st.booleans()) else b"\x00"
    if d == "null":
        return b""
    if d == "bit_string":
        if hints.get("bits"):
            chosen = draw(st.sets(st.sampled_from(sorted(hints["bits"]))))
            return _asn1.der_named_bits(chosen)[2:]
        return b"\x00" + draw(st.binary(min_size=size - 1 if size else 0, max_size=size - 1 if size else 8))
    if d == "oid":
        known = [o for o in t.oids if o[0] in "012"]
        dotted = draw(st.sampled_from(sorted(known))) if known else "1.2.3"
        return _asn1.der_oid(dotted)[2:]
    if d == "relative_oid":
        return bytes([draw(st.integers(0, 127)) for _ in range(draw(st.integers(1, 3)))])
    if d in ("utc_time", "generalized_time"):
        when = draw(st.datetimes(min_value=_dt.datetime(1950 if d == "utc_time" else 2000, 1, 1),
                                 max_value=_dt.datetime(2049, 12, 31)))
        when = when.replace(microsecond=0, tzinfo=_dt.timezone.utc)
        return (_asn1.der_utc_time(when) if d == "utc_time" else _asn1.der_generalized_time(when))[2:]
    if d in ("printable", "numeric", "ascii", "latin1", "utf8"):
        alphabet = {"numeric": "0123456789 ", "printable": "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789 '()+,-./:=?"}
        text = draw(st.text(alphabet.get(d, st.characters(min_codepoint=0x20, max_codepoint=0x7E)),
                            min_size=size or 0, max_size=size or 12))
        return text.encode("ascii")
    if d == "utf16":
        return draw(st.text(st.characters(min_codepoint=0x20, max_codepoint=0x7E), max_size=6)).encode("utf-16-be")
    if d == "utf32":
        return draw(st.text(st.characters(min_codepoint=0x20, max_codepoint=0x7E), max_size=4)).encode("utf-32-be")
    # octets, opaque and anything read as bytes
    return draw(st.binary(min_size=size or 0, max_size=size if size is not None else 16))


def _tlv(tag: bytes, content: bytes) -> bytes:
    return _asn1.der_tlv(tag, content)


def _der(draw, typ, t, hints: dict, depth: int, implicit: int | None = None, found: dict | None = None) -> bytes:
    """DER of one element of type `typ` (an asn1.py compiled type); `implicit` replaces the tag
    with a context-specific one of that number. The OIDs a SEQUENCE holds are noted in `found`
    by dotted field path (what typed_by refers to)."""
    A = _asn1
    if isinstance(typ, A._TAny):
        inner = _tlv(b"\x02", _asn1._int_body(draw(st.integers(0, 1000)))) if draw(st.booleans()) else \
            _tlv(b"\x04", draw(st.binary(max_size=8)))
        if implicit is not None:
            return bytes([0x80 | implicit]) + inner[1:]
        return inner
    if isinstance(typ, A._TRef) and typ.item is t.certificate and _REAL_CERTIFICATES.get() and _smki_available():
        der = draw(_certificates())           # a certificate the SMKI linter accepts, not random parts
        return der if implicit is None else bytes([0xA0 | implicit]) + der[1:]
    if isinstance(typ, A._TRef):
        item = typ.item
        if item.form == "alias":
            f = item.fields[0]
            return _der(draw, f.type, t, {**f.hints, **hints}, depth, implicit, found)
        if item.form == "choice":
            alt = draw(st.sampled_from(item.fields))
            return _der(draw, alt.type, t, {**alt.hints, **hints}, depth, found=found)
        body, oids = _sequence(draw, item, t, depth + 1)
        if found is not None:
            found.update(oids)
        return _constructed(implicit, 0x30, body)
    if isinstance(typ, A._TUni):
        u = typ.u
        content = _der_universal(draw, u, hints, t) if u.decode != "constructed" else b""
        if implicit is not None:
            return _tlv(bytes([(0xA0 if u.decode == "constructed" else 0x80) | implicit]), content)
        return _tlv(bytes([u.number | (0x20 if u.decode == "constructed" else 0)]), content)
    if isinstance(typ, A._TList):
        n = 0 if depth >= MAX_DEPTH else draw(st.integers(0, 2))
        elems = [_der(draw, typ.elem, t, hints, depth + 1) for _ in range(n)]
        if typ.is_set:
            elems.sort()
        return _constructed(implicit, 0x31 if typ.is_set else 0x30, b"".join(elems))
    if isinstance(typ, A._TTag):
        number = typ.number if implicit is None else implicit
        if typ.explicit:
            return _tlv(bytes([0xA0 | number]), _der(draw, typ.inner, t, hints, depth + 1))
        return _der(draw, typ.inner, t, hints, depth, number, found)
    if isinstance(typ, A._TContaining):
        inner = _der(draw, typ.inner, t, hints, depth + 1)
        content = (b"\x00" + inner) if typ.bits else inner
        tag = (0x80 | implicit) if implicit is not None else (0x03 if typ.bits else 0x04)
        return _tlv(bytes([tag]), content)
    raise TypeError(f"no DER generator for {typ!r}")


def _smki_available() -> bool:
    try:
        import gbcs.smki  # noqa: F401
    except ImportError:
        return False
    return True


def _certificates():
    from gbcs.testing.certs import certificates
    return certificates()


def _constructed(implicit: int | None, universal_tag: int, content: bytes) -> bytes:
    return _tlv(bytes([0xA0 | implicit]) if implicit is not None else bytes([universal_tag]), content)


def _sequence(draw, item, t, depth: int) -> tuple[bytes, dict[str, str]]:
    parts: list[bytes] = []
    oids: dict[str, str] = {}
    for f in item.fields:
        if f.optional and (depth >= MAX_DEPTH or draw(st.booleans())):
            continue
        typ = f.type
        if f.typed_by is not None and ".".join(f.typed_by) in oids:
            entry = t.oids.get(oids[".".join(f.typed_by)])
            if entry is not None and entry[1] is not None and entry[1] in t.items:
                typ = _asn1._subst_any(typ, _asn1._TRef(t.items[entry[1]]))
        inner: dict[str, str] = {}
        encoded = _der(draw, typ, t, f.hints, depth, found=inner)
        oids.update({f"{f.name}.{path}": oid for path, oid in inner.items()})
        if _is_oid(typ):
            oids[f.name] = _asn1._oid_text(encoded[2:])
        parts.append(encoded)
    return b"".join(parts), oids


def _is_oid(typ) -> bool:
    while isinstance(typ, _asn1._TRef) and typ.item.form == "alias":
        typ = typ.item.fields[0].type
    return isinstance(typ, _asn1._TUni) and typ.u.decode == "oid"


@st.composite
def der_value(draw, type_name: str, spec_set: SpecSet | None = None, prefer: dict | None = None,
              real_certificates: bool = True) -> bytes:
    """DER of the asn1_type item `type_name` of specs/asn1.gbspec. `prefer` maps a lookup
    (kind, item), e.g. ("alert_codes", "gbcs"), to the values its integers are drawn from.
    Certificates are SMKI certificates (gbcs.testing.certs) unless real_certificates is False."""
    t = _asn1._tables(spec_set or specs())
    item = t.items.get(type_name)
    if item is None:
        raise ValueError(f"{type_name!r} is not an asn1_type of specs/asn1.gbspec")
    token, real = _PREFER.set(prefer or {}), _REAL_CERTIFICATES.set(real_certificates)
    try:
        return _der(draw, _asn1._TRef(item), t, {}, 0)
    finally:
        _PREFER.reset(token)
        _REAL_CERTIFICATES.reset(real)


# -- ZCL payloads from struct items --------------------------------------------------------

@st.composite
def struct_fields(draw, layout: str, spec_set: SpecSet | None = None) -> dict:
    """Field values for struct item `layout` that build (counts, lengths, conditions agree)."""
    from gbcs.compile.structs import example_values
    return example_values(spec_set, layout, draw(st.integers(0, 2**32 - 1)))
