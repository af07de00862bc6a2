"""ASN.1 DER payloads: a strict DER walker that names what specs/asn1.gbspec describes.

Three steps, so a schema that does not fit never leaves a half-written tree behind:
1. parse the bytes into TLVs (strict DER: definite lengths, minimal tags, valid primitive
   contents; DecodeErrors here are real errors);
2. match the TLVs against the type the dispatch table picks for (message code, CRA), which
   gives every element a name; a mismatch is not an error: we fall back to generic names
   (`element[0]`…) and say so in ctx.notes;
3. emit the nodes through the walker (tag, length, value leaves per element).

Every GBCS fact (types, enumerations, OIDs, dispatch) lives in specs/asn1.gbspec.
Also here: small DER encoders and builders for a few GBCS payloads (tests, examples).
"""
from __future__ import annotations

import re
import sys
from datetime import datetime, timezone
from typing import Iterable

from gbcs.wire.codecs import minimal_ber_length
from gbcs.errors import (ConstraintError, DecodeError, EncodeError, LengthError, SpecError,
                         SpecReferenceError, TruncatedError, UnknownCodeError)
from gbcs.message import Node, tape_view
from gbcs.spec.ast import Call, Name
from gbcs.spec.at_hand import AtHand
from gbcs.spec.load import SpecSet

MAX_DEPTH = 64          # nesting of constructed elements (and contained DER)
MAX_TAG_BYTES = 4       # subsequent bytes of a high-number tag: tag numbers below 2**28
MAX_LENGTH_BYTES = 4    # long-form length bytes, as the walker's ber_length allows
DECIMAL_BITS = 1024     # larger numbers are shown in hex: decimal text is slow and capped by Python
BITS_LISTED = 16        # unnamed set bits of a named-bits BIT STRING listed one by one, at most
FALLBACK = "walked generically"   # every fallback note says this
MEMO_ENTRIES = 4096     # verdicts and texts remembered for recurring contents (times, key usages), at most
MEMO_BYTES = 32         # ... of contents this long at most: the memory stays small whatever the input

__all__ = ["decode_asn1", "decode_der", "asn1_type_for", "MAX_DEPTH", "FALLBACK",
           "der_length", "der_tlv", "der_integer", "der_enumerated", "der_boolean", "der_null",
           "der_octet_string", "der_bit_string", "der_named_bits", "der_oid", "der_generalized_time",
           "der_utc_time", "der_sequence", "der_set", "der_implicit", "der_explicit",
           "build_key_usage", "build_unjoin_command", "build_unjoin_response", "build_join_command",
           "build_join_response", "build_provide_security_credential_details_command",
           "build_set_time_command", "build_set_time_response", "build_activate_firmware_command"]


# ======================================================================================
# Step 1: DER -> TLVs
# ======================================================================================

class _Tlv:
    """One DER element: absolute offsets of tag, length and contents; key is _key(class, number).
    Made only by _parse_one (through __new__: the compiled twin then skips argument parsing)."""
    __slots__ = ("start", "tag_end", "hdr_end", "end", "cls", "constructed", "number", "children",
                 "minimal_length", "depth", "key")


def _key(cls: int, number: int) -> int:
    """A tag's (class, number) as one small integer: set look-ups without making tuples."""
    return (number << 2) | cls


_NO_TAG = -1                       # no implicit tag: the type's own
_SEQUENCE_KEY = _key(0, 16)
_SET_KEY = _key(0, 17)
_BIT_STRING_KEY = _key(0, 3)
_OCTET_STRING_KEY = _key(0, 4)

_CLASS_NAMES = {1: "APPLICATION", 3: "PRIVATE"}


def _join(path: str, name: str) -> str:
    return f"{path}.{name}" if path else name


_ELEMENT_NAMES = [f"element[{i}]" for i in range(64)]


def _element_name(i: int) -> str:
    """`element[i]`, made once for the common small indexes."""
    return _ELEMENT_NAMES[i] if i < 64 else f"element[{i}]"


def _path(base: str, trail: list) -> str:
    """The path of the element at `trail` (indexes from the outermost) below `base`; made only
    when an error names it."""
    for i in trail:
        base = _join(base, _element_name(i))
    return base


def _where(w, base: str, trail: list, part: str | None = None) -> str:
    path = _path(base, trail)
    return w.path(path if part is None else _join(path, part))


def _parse_all(w, t: "_Tables", data, pos: int, end: int, depth: int, base: str, trail: list) -> list[_Tlv]:
    """Every element from pos to end (the contents of a constructed element, or a payload);
    `data` is w.buf (the input; a typed memoryview in the compiled walker); `trail` holds the
    indexes leading here (grown and shrunk in place)."""
    out = []
    i = 0
    while pos < end:
        trail.append(i)
        tlv = _parse_one(w, t, data, pos, end, depth, base, trail)
        trail.pop()
        out.append(tlv)
        pos = tlv.end
        i += 1
    return out


def _parse_one(w, t: "_Tables", data, pos: int, end: int, depth: int, base: str, trail: list) -> _Tlv:
    if depth >= MAX_DEPTH:
        raise ConstraintError(f"elements nested more than {MAX_DEPTH} deep; no GBCS payload comes close",
                              pos, _where(w, base, trail), rule="GBCS-D006")
    w.budget -= 1                      # w.spend(1, path) without making the path unless it fails
    if w.budget < 0:
        w.spend(0, _path(base, trail))
    if pos >= end:
        raise TruncatedError("needs a tag byte, none remain", pos, _where(w, base, trail), needed=1, available=0)
    start = pos
    first = data[pos]
    pos += 1
    cls, constructed, number = first >> 6, (first & 0x20) != 0, first & 0x1F
    if number == 0x1F:                 # high-tag-number form: base-128 digits, last has bit 8 clear
        number, count = 0, 0
        while True:
            if pos >= end:
                raise TruncatedError("the multi-byte tag is cut short", start, _where(w, base, trail, "tag"),
                                     needed=pos - start + 1, available=end - start)
            b = data[pos]
            pos += 1
            count += 1
            if count == 1 and b == 0x80:
                raise ConstraintError("multi-byte tag number has a leading zero digit (not DER)", start,
                                      _where(w, base, trail, "tag"), actual=b)
            if count > MAX_TAG_BYTES:
                raise ConstraintError(f"tag number longer than {MAX_TAG_BYTES} bytes", start,
                                      _where(w, base, trail, "tag"))
            number = (number << 7) | (b & 0x7F)
            if not b & 0x80:
                break
        if number < 31:
            raise ConstraintError(f"tag number {number} written in the multi-byte form; DER uses one byte "
                                  "below 31", start, _where(w, base, trail, "tag"), actual=number)
    tag_end = pos
    if pos >= end:
        raise TruncatedError("needs a length byte, none remain", pos, _where(w, base, trail, "length"),
                             needed=1, available=0)
    lb = data[pos]
    pos += 1
    minimal = True
    if lb < 0x80:
        length = lb
    else:
        n = lb & 0x7F
        if n == 0:
            raise ConstraintError("indefinite length (0x80) is BER, not DER", tag_end,
                                  _where(w, base, trail, "length"), rule="GBCS-D007", actual=lb)
        if n > MAX_LENGTH_BYTES:
            raise ConstraintError(f"length byte 0x{lb:02X} announces {n} length bytes; at most "
                                  f"{MAX_LENGTH_BYTES} are allowed", tag_end, _where(w, base, trail, "length"),
                                  rule="GBCS-D007", actual=lb)
        if n > end - pos:
            raise TruncatedError(f"needs {n} length bytes, {end - pos} remain", tag_end,
                                 _where(w, base, trail, "length"), needed=n + 1, available=end - tag_end)
        minimal = data[pos] != 0
        length = 0
        for _ in range(n):             # at most MAX_LENGTH_BYTES: a C integer holds it
            length = (length << 8) | data[pos]
            pos += 1
        minimal = minimal and length >= 0x80
    if length > end - pos:
        raise LengthError(f"declares {length} bytes but only {end - pos} remain — the payload is truncated "
                          "or the length is wrong", tag_end, _where(w, base, trail, "length"),
                          expected=length, actual=end - pos)
    tlv = _Tlv.__new__(_Tlv)
    tlv.start, tlv.tag_end, tlv.hdr_end, tlv.end = start, tag_end, pos, pos + length
    tlv.cls, tlv.constructed, tlv.number, tlv.key = cls, constructed, number, (number << 2) | cls
    tlv.minimal_length, tlv.depth, tlv.children = minimal, depth, None
    if cls == 0:
        u = t.universals[number] if number < len(t.universals) else None
        if u is None:
            raise UnknownCodeError(f"universal tag {number} is not an ASN.1 type", start,
                                   _where(w, base, trail, "tag"), actual=number)
        if u.kind == _FORBIDDEN:
            raise ConstraintError(f"universal tag {number} ({u.title}) cannot appear in DER", start,
                                  _where(w, base, trail, "tag"), actual=number)
        if u.kind == _CONSTRUCTED:
            if not constructed:
                raise ConstraintError(f"{u.title} must use the constructed form", start,
                                      _where(w, base, trail, "tag"), actual=first)
        else:
            if constructed:
                raise ConstraintError(f"{u.title} must use the primitive form in DER", start,
                                      _where(w, base, trail, "tag"), actual=first)
            problem = _check_primitive(u.kind, w.data, tlv.hdr_end, tlv.end)
            if problem is not None:
                raise ConstraintError(f"{u.title} {problem}", tlv.hdr_end, _where(w, base, trail, "value"))
    if constructed:
        tlv.children = _parse_all(w, t, data, tlv.hdr_end, tlv.end, depth + 1, base, trail)
    return tlv


_UTC_RE = re.compile(rb"(\d\d)(\d\d)(\d\d)(\d\d)(\d\d)(\d\d)Z\Z")
_GEN_RE = re.compile(rb"(\d{4})(\d\d)(\d\d)(\d\d)(\d\d)(\d\d)(\.\d*[1-9])?Z\Z")
_PRINTABLE = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789 '()+,-./:=?")

# The `decode` names of asn1_universal as small integers (_Universal.kind, _Plan.kind): the hot
# path compares integers, not strings. Strings last, in _CODECS order.
_KIND_NAMES = ("forbidden", "constructed", "boolean", "integer", "null", "bit_string", "octets", "oid",
               "relative_oid", "utc_time", "generalized_time", "opaque", "printable", "numeric", "ascii",
               "latin1", "utf8", "utf16", "utf32")
(_FORBIDDEN, _CONSTRUCTED, _BOOLEAN, _INTEGER, _NULL, _BIT_STRING, _OCTETS, _OID, _RELATIVE_OID, _UTC_TIME,
 _GENERALIZED_TIME, _OPAQUE, _PRINTABLE_STRING, _NUMERIC_STRING, _ASCII, _LATIN1, _UTF8, _UTF16,
 _UTF32) = range(len(_KIND_NAMES))
_KINDS = {name: kind for kind, name in enumerate(_KIND_NAMES)}


def _check_primitive(kind: int, data: bytes, s: int, e: int) -> str | None:
    """Why these contents are not valid DER for the type (a decode kind), or None."""
    n = e - s
    if kind == _BOOLEAN:
        if n != 1 or data[s] not in (0x00, 0xFF):
            return "must be one byte, 00 or FF"
    elif kind == _INTEGER:
        if n == 0:
            return "has no contents"
        if n > 1 and ((data[s] == 0 and data[s + 1] < 0x80) or (data[s] == 0xFF and data[s + 1] >= 0x80)):
            return "is not in its shortest form (a redundant leading 00 or FF byte)"
    elif kind == _NULL:
        if n:
            return "must be empty"
    elif kind == _BIT_STRING:
        if n == 0:
            return "has no unused-bits byte"
        unused = data[s]
        if unused > 7 or (n == 1 and unused):
            return f"has an invalid unused-bits count {unused}"
        if unused and data[e - 1] & ((1 << unused) - 1):
            return "has unused bits that are not zero"
    elif kind == _OID or kind == _RELATIVE_OID:
        if n == 0:
            return "has no contents"
        if data[e - 1] & 0x80:
            return "ends inside a sub-identifier"
        if data[s] == 0x80:
            return "has a sub-identifier with a leading zero digit"
        for i in range(s + 1, e):
            if data[i] == 0x80 and not data[i - 1] & 0x80:
                return "has a sub-identifier with a leading zero digit"
    elif kind == _UTC_TIME or kind == _GENERALIZED_TIME:
        raw = data[s:e]
        key = (kind, raw)
        problem = _TIME_PROBLEMS.get(key, _UNSEEN)     # certificates repeat: their times too
        if problem is _UNSEEN:
            problem = _time_problem(kind, raw)
            if len(_TIME_PROBLEMS) < MEMO_ENTRIES and e - s <= MEMO_BYTES:
                _TIME_PROBLEMS[key] = problem
        return problem
    return None


_TIME_PROBLEMS: dict = {}     # (kind, contents) -> _time_problem
_UNSEEN = object()


def _time_problem(kind: int, raw: bytes) -> str | None:
    if kind == _UTC_TIME:
        m = _UTC_RE.match(raw)
        if not m or _bad_date(_utc_year(int(m[1])), *[int(x) for x in m.groups()[1:6]]):
            return "is not YYMMDDhhmmssZ"
    else:
        m = _GEN_RE.match(raw)
        if not m or _bad_date(*[int(x) for x in m.groups()[:6]]):
            return "is not YYYYMMDDhhmmss[.f]Z"
    return None


def _utc_year(yy: int) -> int:
    return 1900 + yy if yy >= 50 else 2000 + yy        # RFC 5280 4.1.2.5.1


def _bad_date(year, month, day, hour, minute, second) -> bool:
    try:
        datetime(year, month, day, hour, minute, second)
    except ValueError:
        return True
    return False


# ======================================================================================
# Step 2: the types of specs/asn1.gbspec, and matching TLVs against them
# ======================================================================================

class _Universal:
    __slots__ = ("number", "name", "decode", "title", "kind", "node")

    def __init__(self, number, name, decode, title):
        self.number, self.name, self.decode, self.title = number, name, decode, title
        self.kind = _KINDS[decode]
        self.node = _snake(name) if not name.isupper() else name.lower()    # the default node name


# Type expressions
class _TAny:
    __slots__ = ()


class _TUni:
    __slots__ = ("u",)

    def __init__(self, u):
        self.u = u


class _TRef:
    __slots__ = ("item",)

    def __init__(self, item):
        self.item = item


class _TList:
    __slots__ = ("elem", "is_set", "names")

    def __init__(self, elem, is_set):
        self.elem, self.is_set = elem, is_set
        self.names: list | None = None     # `<element name>[i]` for small i, made on first use


class _TTag:
    __slots__ = ("number", "inner", "explicit")

    def __init__(self, number, inner, explicit):
        self.number, self.inner, self.explicit = number, inner, explicit


class _TContaining:
    __slots__ = ("bits", "inner")

    def __init__(self, bits, inner):
        self.bits, self.inner = bits, inner


_ANY = _TAny()


class _Field:
    __slots__ = ("name", "type", "optional", "hints", "typed_by", "first_tags", "substituted")

    def __init__(self, name, type_, optional, hints, typed_by):
        self.name, self.type, self.optional, self.hints, self.typed_by = name, type_, optional, hints, typed_by
        self.first_tags = None          # _first_tags(type), set once every type is compiled
        self.substituted: dict = {}     # typed_by: type name -> (type, first tags), made on first use


class _Item:
    __slots__ = ("name", "form", "node", "fields", "typed", "ref", "alias", "choice")

    def __init__(self, name, form, node):
        self.name, self.form, self.node = name, form, node
        self.alias, self.choice = form == "alias", form == "choice"     # the form, tested per element
        self.fields: list[_Field] = []
        self.typed = False              # a field is typed_by another
        self.ref = _TRef(self)          # this item as a type expression


def _snake(name: str) -> str:
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])", "_", name).lower()


class _Tables:
    """specs/asn1.gbspec compiled once per SpecSet."""

    def __init__(self, s: SpecSet):
        self.specs = s
        self.universal: dict[int, _Universal] = {}
        by_name: dict[str, _Universal] = {}
        for row in s.get("asn1_universal", "x680").rows:
            c = row.cells
            if c["decode"] not in _KINDS:
                raise SpecError(f"unknown decode {c['decode']!r} (known: {', '.join(sorted(_KINDS))})",
                                row.pos.file, row.pos.line, row.pos.column)
            u = _Universal(c["number"], c["name"], c["decode"], c["title"])
            self.universal[u.number] = by_name[u.name] = u
        self.universal_by_name = by_name
        # by number, for the parser: a list index instead of a dict look-up per element
        self.universals: list = [self.universal.get(n) for n in range(max(self.universal, default=-1) + 1)]
        self.oids: dict[str, tuple[str, str | None]] = {}
        for item in s.of_kind("asn1_oid"):
            for row in item.rows:
                self.oids[row.cells["oid"]] = (row.cells["name"], row.cells["type"])
        self.enums: dict[str, dict[int, str]] = {}
        self.lookups: dict[tuple[str, str], dict[int, str]] = {}
        self.items: dict[str, _Item] = {}
        for item in s.of_kind("asn1_type"):
            form = item.prop("form")
            form = "sequence" if form is None else sys.intern(str(form))
            if form not in ("sequence", "choice", "alias"):
                raise SpecError(f"asn1_type form must be sequence, choice or alias, not {form!r}",
                                item.pos.file, item.pos.line, item.pos.column)
            node = item.prop("node")
            self.items[item.name] = _Item(item.name, form, str(node) if node is not None else _snake(item.name))
        for item in s.of_kind("asn1_type"):
            compiled = self.items[item.name]
            if compiled.form == "alias" and len(item.rows) != 1:
                raise SpecError(f"alias {item.name} must have exactly one row", item.pos.file, item.pos.line,
                                item.pos.column)
            for row in item.rows:
                compiled.fields.append(self._field(row))
        self._check_items(s)
        for compiled in self.items.values():
            for f in compiled.fields:
                f.first_tags = _first_tags(f.type)
                compiled.typed = compiled.typed or f.typed_by is not None
        # the text of every one-byte tag, indexed by that byte (one-byte tags have numbers below 31)
        self.tag_texts: list = [None if b & 0x1F == 0x1F else self._tag_text(b >> 6, b & 0x1F, (b & 0x20) != 0)
                                for b in range(256)]
        for item in s.of_kind("asn1_oid"):
            for row in item.rows:
                if row.cells["type"] is not None and row.cells["type"] not in self.items:
                    raise SpecReferenceError(f"asn1_type {row.cells['type']!r} is not defined", row.pos.file,
                                             row.pos.line, row.pos.column)
        self.dispatch: dict[tuple[int, int], _Item] = {}
        for row in s.get("asn1_dispatch", "gbcs").rows:
            for cra, column in ((1, "command"), (2, "response"), (3, "alert")):
                name = row.cells[column]
                if name is not None:
                    if name not in self.items:
                        raise SpecReferenceError(f"asn1_type {name!r} is not defined", row.pos.file,
                                                 row.pos.line, row.pos.column)
                    self.dispatch[(row.cells["code"], cra)] = self.items[name]
        self.certificate = self.items.get("Certificate")
        # _oid_text of the contents of every OID the tables name, and the meaning shown for it
        self.oid_texts: dict[bytes, tuple[str, str]] = {}
        self.bits_texts: dict[tuple, str] = {}          # _named_bits_text
        for dotted, entry in self.oids.items():
            try:
                encoded = der_oid(dotted)
            except EncodeError:
                continue
            raw = encoded[2:]
            if encoded[1] == len(raw) and _oid_text(raw) == dotted:
                self.oid_texts[raw] = (dotted, f"{dotted} ({entry[0]})")

    def _check_items(self, s: SpecSet) -> None:
        """Refuse what the matcher could not decide in one pass: an alias/choice cycle (it would
        never consume a byte) and CHOICE alternatives that share a tag or take any tag."""
        state: dict[str, int] = {}

        def same_element(typ):
            if isinstance(typ, _TRef) and typ.item.form != "sequence":
                yield typ.item
            elif isinstance(typ, _TTag) and not typ.explicit:
                yield from same_element(typ.inner)

        def visit(item: _Item, trail: list[str]) -> None:
            if state.get(item.name) == 2:
                return
            if state.get(item.name) == 1:
                where = s.get("asn1_type", item.name).pos
                raise SpecError(f"asn1_type {item.name} refers to itself without an element in between "
                                f"({' -> '.join(trail + [item.name])})", where.file, where.line, where.column)
            state[item.name] = 1
            if item.form != "sequence":
                for f in item.fields:
                    for target in same_element(f.type):
                        visit(target, trail + [item.name])
            state[item.name] = 2

        for item in self.items.values():
            visit(item, [])
        for item in self.items.values():
            if item.form != "choice":
                continue
            seen: dict[tuple[int, int], str] = {}
            for f in item.fields:
                tags = _first_tags(f.type)
                where = s.get("asn1_type", item.name).pos
                if tags is None:
                    raise SpecError(f"alternative {f.name} of CHOICE {item.name} takes any tag", where.file,
                                    where.line, where.column)
                for tag in tags:
                    if tag in seen:
                        raise SpecError(f"alternatives {seen[tag]} and {f.name} of CHOICE {item.name} share a tag",
                                        where.file, where.line, where.column)
                    seen[tag] = f.name

    # -- compiling rows --
    def _type(self, v, row):
        pos = getattr(v, "pos", row.pos)
        if isinstance(v, Name):
            v = v.text
        if isinstance(v, str):
            if v == "ANY":
                return _ANY
            if v in self.universal_by_name:
                return _TUni(self.universal_by_name[v])
            if v in self.items:
                return self.items[v].ref
            raise SpecReferenceError(f"{v!r} is neither a universal type nor an asn1_type", pos.file, pos.line,
                                     pos.column)
        if isinstance(v, Call):
            args = [a.text if hasattr(a, "text") else a for a in v.args]
            if v.name in ("sequence_of", "set_of") and len(args) == 1:
                return _TList(self._type(v.args[0], row), v.name == "set_of")
            if v.name in ("implicit", "explicit") and len(args) == 2 and isinstance(args[0], int):
                inner = self._type(v.args[1], row)
                if v.name == "implicit" and isinstance(inner, _TAny):
                    raise SpecError("implicit(N, ANY) cannot be decoded; use explicit", pos.file, pos.line,
                                    pos.column)
                return _TTag(args[0], inner, v.name == "explicit")
            if v.name in ("octets_containing", "bits_containing") and len(args) == 1:
                return _TContaining(v.name == "bits_containing", self._type(v.args[0], row))
        raise SpecError(f"cannot read the type {v!r}; expected a type name, sequence_of(T), set_of(T), "
                        "implicit(N, T), explicit(N, T), octets_containing(T) or bits_containing(T)",
                        pos.file, pos.line, pos.column)

    def _field(self, row) -> _Field:
        c = row.cells
        optional, hints, typed_by = False, {}, None
        for opt in (c["opt1"], c["opt2"], c["opt3"], c["opt4"]):
            if opt is None:
                continue
            if opt == "optional":
                optional = True
                continue
            if isinstance(opt, Call) and opt.args:
                args = [a.text if hasattr(a, "text") else a for a in opt.args]
                if opt.name in ("enum", "bits") and len(args) == 1:
                    hints[opt.name] = self._enum(args[0], opt)
                    continue
                if opt.name == "size" and len(args) == 1 and isinstance(args[0], int):
                    hints["size"] = args[0]
                    continue
                if opt.name == "lookup" and len(args) == 2:
                    hints["lookup"] = self._lookup(args[0], args[1], opt)
                    continue
                if opt.name == "typed_by" and len(args) == 1:
                    typed_by = str(args[0]).split(".")
                    continue
            p = getattr(opt, "pos", row.pos)
            raise SpecError(f"unknown option {opt!r}; expected optional, enum(E), bits(E), size(N), "
                            "lookup(KIND, ITEM) or typed_by(FIELD)", p.file, p.line, p.column)
        return _Field(c["field"], self._type(c["type"], row), optional, hints, typed_by)

    def _enum(self, name, call) -> dict[int, str]:
        if name not in self.enums:
            item = self.specs.find("enum", name)
            if item is None:
                raise SpecReferenceError(f"enum {name!r} is not defined", call.pos.file, call.pos.line,
                                         call.pos.column)
            self.enums[name] = {r.cells["value"]: r.cells["name"] for r in item.rows}
        return self.enums[name]

    def _lookup(self, kind, name, call) -> dict[int, str]:
        key = (kind, name)
        if key not in self.lookups:
            item = self.specs.find(kind, name)
            if item is None or not item.by_key:
                raise SpecReferenceError(f"{kind} {name!r} is not a keyed table", call.pos.file, call.pos.line,
                                         call.pos.column)
            self.lookups[key] = {k: r.cells.get("title") or r.cells.get("name") for k, r in item.by_key.items()}
        return self.lookups[key]

    # -- naming --
    def tag_text(self, tlv: _Tlv) -> str:
        if tlv.number < 31:
            return self.tag_texts[(tlv.cls << 6) | (0x20 if tlv.constructed else 0) | tlv.number]
        return self._tag_text(tlv.cls, tlv.number, tlv.constructed)

    def _tag_text(self, cls: int, number: int, constructed: bool) -> str:
        if cls == 0:
            u = self.universal.get(number)
            return u.title if u is not None else f"universal {number}"
        if cls == 2:
            return f"[{number}] context" + (" constructed" if constructed else "")
        return f"[{_CLASS_NAMES[cls]} {number}]" + (" constructed" if constructed else "")


_TABLES = AtHand(_Tables)


def _tables(s: SpecSet) -> _Tables:
    return _TABLES.of(s)


def asn1_type_for(s: SpecSet, message_code: int | None, cra_flag: int | None) -> str | None:
    """The asn1_type name the dispatch table gives (message code, CRA flag), or None."""
    item = _tables(s).dispatch.get((message_code, cra_flag))
    return item.name if item is not None else None


class _Plan:
    """What to emit for one TLV: its name, how to read its value, and its children (or the one
    element its contents hold: inner). Made by _plan."""
    __slots__ = ("tlv", "name", "kind", "hints", "children", "inner", "meaning")


_NO_HINTS: dict = {}      # shared, never written


def _plan(tlv: _Tlv, name, kind: int, hints: dict | None, children: list | None, inner: _Plan | None) -> _Plan:
    """kind: how to read the value (a decode kind; _CONSTRUCTED for a plan with children)."""
    plan = _Plan.__new__(_Plan)
    plan.tlv, plan.name, plan.kind = tlv, name, kind
    plan.hints = _NO_HINTS if hints is None else hints
    plan.children, plan.inner, plan.meaning = children, inner, None
    return plan


def _merged(under: dict, over: dict) -> dict:
    """`over`'s hints on top of `under`'s, copying only when both have some."""
    if not over:
        return under
    if not under:
        return over
    return {**under, **over}


def _child_named(plan: _Plan, name: str) -> _Plan | None:
    for child in plan.children:
        if child.name == name:
            return child
    return None


class _Mismatch(Exception):
    def __init__(self, offset: int, message: str):
        super().__init__(f"at offset {offset}: {message}")


def _default_name(t) -> str:
    if isinstance(t, _TRef):
        item = t.item
        return item.fields[0].name if item.form == "alias" else item.node
    if isinstance(t, _TUni):
        return t.u.node
    if isinstance(t, _TTag):
        return _default_name(t.inner)
    return "element"


def _first_tags(t):
    """The tag keys (_key(class, number)) an element of type t can start with; None = any."""
    if isinstance(t, _TAny):
        return None
    if isinstance(t, _TUni):
        return frozenset({_key(0, t.u.number)})
    if isinstance(t, _TList):
        return frozenset({_SET_KEY if t.is_set else _SEQUENCE_KEY})
    if isinstance(t, _TTag):
        return frozenset({_key(2, t.number)})
    if isinstance(t, _TContaining):
        return frozenset({_BIT_STRING_KEY if t.bits else _OCTET_STRING_KEY})
    item = t.item
    if item.form == "sequence":
        return frozenset({_SEQUENCE_KEY})
    if item.form == "alias":
        return _first_tags(item.fields[0].type)
    tags: set = set()
    for f in item.fields:
        sub = _first_tags(f.type)
        if sub is None:
            return None
        tags |= sub
    return frozenset(tags)


class _Matcher:
    """Matches one payload's TLVs against types; made by _matcher."""

    def fail(self, tlv: _Tlv, expected: str):
        raise _Mismatch(tlv.start, f"expected {expected}, found {self.t.tag_text(tlv)}")

    def match(self, typ, tlv: _Tlv, name: str, hints: dict | None = None, implicit: int = _NO_TAG) -> _Plan:
        """The plan for `tlv` read as `typ`; `implicit` is the tag key replacing the type's own."""
        if hints is None:
            hints = _NO_HINTS
        # each branch names typ again as a typed local (the .pxd's): C attribute reads when compiled
        if isinstance(typ, _TRef):
            ref = typ
            item = ref.item
            if item.alias:
                f = item.fields[0]
                return self.match(f.type, tlv, name, _merged(f.hints, hints), implicit)
            if item.choice:
                if implicit != _NO_TAG:
                    self.fail(tlv, f"{item.name} (a CHOICE cannot be tagged implicitly)")
                for alt in item.fields:
                    tags = alt.first_tags
                    if tags is not None and tlv.key not in tags:
                        continue
                    kept = len(self.notes)
                    try:
                        plan = self.match(alt.type, tlv, name or alt.name, _merged(alt.hints, hints))
                    except _Mismatch:
                        del self.notes[kept:]
                        continue
                    if name:
                        plan.meaning = alt.name
                    return plan
                self.fail(tlv, f"one of the alternatives of {item.name}")
            return self.sequence(item, tlv, name or item.node, _SEQUENCE_KEY if implicit == _NO_TAG else implicit)
        if isinstance(typ, _TUni):
            uni = typ
            u = uni.u
            if implicit != _NO_TAG:
                if tlv.key != implicit or tlv.constructed != (u.kind == _CONSTRUCTED):
                    self.fail(tlv, f"[{implicit >> 2}] IMPLICIT {u.title}")
                if not tlv.constructed:
                    problem = _check_primitive(u.kind, self.w.data, tlv.hdr_end, tlv.end)
                    if problem is not None:
                        raise _Mismatch(tlv.hdr_end, f"[{implicit >> 2}] IMPLICIT {u.title} {problem}")
            elif tlv.key != _key(0, u.number):
                self.fail(tlv, u.title)
            if hints:
                size = hints.get("size")
                if size is not None and tlv.end - tlv.hdr_end != size:
                    raise _Mismatch(tlv.start, f"{name} must hold {size} bytes, not {tlv.end - tlv.hdr_end}")
            if tlv.constructed:        # a constructed universal type with no schema below it
                return self.generic(tlv, name)
            return _plan(tlv, name, u.kind, hints, None, None)
        if isinstance(typ, _TTag):
            tag = typ
            key = _key(2, tag.number)
            if tag.explicit:
                if implicit != _NO_TAG:
                    key = implicit
                if tlv.key != key or not tlv.constructed or len(tlv.children) != 1:
                    self.fail(tlv, f"[{tag.number}] EXPLICIT holding one element")
                inner = self.match(tag.inner, tlv.children[0], _default_name(tag.inner), hints)
                return _plan(tlv, name, _CONSTRUCTED, None, [inner], None)
            return self.match(tag.inner, tlv, name, hints, key if implicit == _NO_TAG else implicit)
        if isinstance(typ, _TList):
            lst = typ
            key = implicit
            if key == _NO_TAG:
                key = _SET_KEY if lst.is_set else _SEQUENCE_KEY
            if tlv.key != key or not tlv.constructed:
                self.fail(tlv, "SET OF" if lst.is_set else "SEQUENCE OF")
            names = lst.names
            if names is None:
                base = _default_name(lst.elem)
                names = lst.names = [f"{base}[{i}]" for i in range(64)]
            children = []
            i = 0
            for c in tlv.children:
                children.append(self.match(lst.elem, c, names[i] if i < 64 else f"{_default_name(lst.elem)}[{i}]", hints))
                i += 1
            return _plan(tlv, name, _CONSTRUCTED, None, children, None)
        if isinstance(typ, _TAny):
            if implicit != _NO_TAG:
                self.fail(tlv, "an element")
            return self.generic(tlv, name)
        if isinstance(typ, _TContaining):
            return self.containing(typ, tlv, name, hints, implicit)
        raise AssertionError(typ)

    def sequence(self, item: _Item, tlv: _Tlv, name: str, key: int) -> _Plan:
        if tlv.key != key or not tlv.constructed:
            self.fail(tlv, f"{item.name} (SEQUENCE)")
        children: list[_Plan] = []
        done: dict[str, _Plan] | None = {} if item.typed else None     # for typed_by fields
        kids = tlv.children
        nkids = len(kids)
        i = 0
        for f in item.fields:
            typ = f.type
            tags = f.first_tags
            if f.typed_by is not None:
                typ, tags = self.resolve_typed_by(f, done)
            if i < nkids:
                kid = kids[i]
                if tags is None or kid.key in tags:
                    plan = self.match(typ, kid, f.name, f.hints)
                    children.append(plan)
                    if done is not None:
                        done[f.name] = plan
                    i += 1
                    continue
                if not f.optional:
                    self.fail(kids[i], f"{f.name} of {item.name}")
            elif not f.optional:
                raise _Mismatch(tlv.end, f"{item.name} ends before its component {f.name}")
        if i < nkids:
            self.fail(kids[i], f"the end of {item.name}")
        return _plan(tlv, name, _CONSTRUCTED, None, children, None)

    def resolve_typed_by(self, f: _Field, done: dict):
        """The type and first tags of field f, its ANY part replaced by the type the OID it is
        typed by (a field matched before it) names."""
        plan = done.get(f.typed_by[0])
        for part in f.typed_by[1:]:
            if plan is None or plan.children is None:
                plan = None
                break
            plan = _child_named(plan, part)
        if plan is None or plan.kind != _OID:
            return f.type, f.first_tags
        raw = self.w.data[plan.tlv.hdr_end:plan.tlv.end]
        known = self.t.oid_texts.get(raw)
        entry = self.t.oids.get(known[0] if known is not None else _oid_text(raw))
        if entry is None or entry[1] is None:
            return f.type, f.first_tags
        found = f.substituted.get(entry[1])
        if found is None:           # once per (field, type named): the types never change
            target = self.t.items.get(entry[1])
            if target is None:
                found = (f.type, f.first_tags)
            else:
                typ = _subst_any(f.type, _TRef(target))
                found = (typ, _first_tags(typ))
            f.substituted[entry[1]] = found
        return found

    def containing(self, typ: _TContaining, tlv: _Tlv, name: str, hints, implicit: int) -> _Plan:
        u = self.t.universal[3 if typ.bits else 4]
        key = _key(0, u.number) if implicit == _NO_TAG else implicit
        if tlv.key != key or tlv.constructed:
            self.fail(tlv, u.title)
        kind = u.kind
        start = tlv.hdr_end + (1 if typ.bits else 0)
        if typ.bits and (tlv.end == tlv.hdr_end or self.w.data[tlv.hdr_end] != 0):
            return self.unwrapped(typ, tlv, name, kind, "has unused bits")
        if start == tlv.end:
            return self.unwrapped(typ, tlv, name, kind, "is empty")
        try:
            inner = _parse_all(self.w, self.t, self.w.buf, start, tlv.end, tlv.depth + 1, name, [])  # nests in tlv
        except DecodeError:          # the contents are not DER after all
            return self.unwrapped(typ, tlv, name, kind, "is not DER")
        if len(inner) != 1:
            return self.unwrapped(typ, tlv, name, kind, f"holds {len(inner)} elements")
        try:
            plan = self.match(typ.inner, inner[0], _default_name(typ.inner), hints)
        except _Mismatch as m:
            self.notes.append(f"ASN.1: {name} at offset {tlv.start} holds DER that does not match "
                              f"{_type_text(typ.inner)} ({m}); its contents are {FALLBACK}")
            plan = self.generic(inner[0], _default_name(typ.inner))
        return _plan(tlv, name, kind, None, None, plan)

    def unwrapped(self, typ, tlv, name, kind, why) -> _Plan:
        if not isinstance(typ.inner, _TAny):
            self.notes.append(f"ASN.1: {name} at offset {tlv.start} {why}, not a {_type_text(typ.inner)}; "
                              "kept as bytes")
        return _plan(tlv, name, kind, None, None, None)

    def generic(self, tlv: _Tlv, name: str) -> _Plan:
        """Names from nothing but the tags: element[0], element[1], …; certificates are recognised.

        Memoised per element: a failed schema attempt may walk a subtree generically (ANY) and the
        fallback walks it again; without the memo nested near-certificates cost 2**depth.
        """
        memo = self.memo.get(id(tlv))
        if memo is not None:
            plan, notes = memo
            plan.name = name
            self.notes.extend(notes)
            return plan
        kept = len(self.notes)
        plan = self._generic(tlv, name)
        self.memo[id(tlv)] = (plan, self.notes[kept:])
        return plan

    def _generic(self, tlv: _Tlv, name: str) -> _Plan:
        if tlv.cls == 0:
            u = self.t.universal[tlv.number]
            if tlv.constructed:
                cert = self.t.certificate
                if (cert is not None and tlv.number == 16 and len(tlv.children) == 3
                        and tlv.children[0].key == _SEQUENCE_KEY and tlv.children[2].key == _BIT_STRING_KEY):
                    kept = len(self.notes)
                    try:
                        plan = self.match(cert.ref, tlv, name)
                    except _Mismatch:
                        del self.notes[kept:]
                    else:
                        plan.meaning = cert.name
                        return plan
                return _plan(tlv, name, _CONSTRUCTED, None, self._generic_children(tlv), None)
            return _plan(tlv, name, u.kind, None, None, None)
        if tlv.constructed:
            return _plan(tlv, name, _CONSTRUCTED, None, self._generic_children(tlv), None)
        return _plan(tlv, name, _OCTETS, None, None, None)

    def _generic_children(self, tlv: _Tlv) -> list:
        children = []
        i = 0
        for c in tlv.children:
            children.append(self.generic(c, _element_name(i)))
            i += 1
        return children


def _matcher(w, t: _Tables) -> _Matcher:
    m = _Matcher.__new__(_Matcher)
    m.w, m.t = w, t
    m.notes = []
    m.memo = {}                 # generic: id(tlv) -> (plan, notes)
    return m


def _subst_any(typ, replacement):
    if isinstance(typ, _TAny):
        return replacement
    if isinstance(typ, _TList):
        return _TList(_subst_any(typ.elem, replacement), typ.is_set)
    if isinstance(typ, _TTag):
        return _TTag(typ.number, _subst_any(typ.inner, replacement), typ.explicit)
    if isinstance(typ, _TContaining):
        return _TContaining(typ.bits, _subst_any(typ.inner, replacement))
    return typ


def _type_text(typ) -> str:
    if isinstance(typ, _TRef):
        return typ.item.name
    if isinstance(typ, _TUni):
        return typ.u.title
    return "ANY" if isinstance(typ, _TAny) else type(typ).__name__


# ======================================================================================
# Step 3: emit nodes
# ======================================================================================

def _number_text(value: int) -> str:
    """Decimal, or hex with its size when too large for decimal text to be cheap (or allowed)."""
    if value.bit_length() <= DECIMAL_BITS:
        return str(value)
    sign = "-" if value < 0 else ""
    return f"{sign}0x{abs(value):X} ({abs(value).bit_length()}-bit number, shown in hex)"


def _integer_text(raw: bytes) -> str:
    return _number_text(int.from_bytes(raw, "big", signed=True))


def _arc_value(group: bytes) -> int:
    """The value of one sub-identifier's base-128 digits, in time linear in its length."""
    if len(group) <= 8:
        value = 0
        for b in group:
            value = (value << 7) | (b & 0x7F)
        return value
    return int("".join(format(b & 0x7F, "07b") for b in group), 2)   # base 2 parses linearly


def _oid_text(raw: bytes, relative: bool = False) -> str:
    arcs, begin, value = [], 0, 0
    for i in range(len(raw)):
        b = raw[i]
        short = i - begin < 8            # up to 8 digits (56 bits): summed here, in a C integer when compiled
        if short:
            value = (value << 7) | (b & 0x7F)
        if not b & 0x80:
            arcs.append(value if short else _arc_value(raw[begin:i + 1]))
            begin, value = i + 1, 0
    if not relative and arcs:
        first = arcs[0]
        head = [min(first // 40, 2), first - 40 * min(first // 40, 2)]
        arcs = head + arcs[1:]
    return ".".join([_number_text(arc) for arc in arcs])


def _time_text(utc: bool, raw: bytes) -> str:
    key = (utc, raw)
    text = _TIME_TEXTS.get(key)         # certificates repeat: their times too
    if text is None:
        text = _make_time_text(utc, raw)
        if len(_TIME_TEXTS) < MEMO_ENTRIES and len(raw) <= MEMO_BYTES:
            _TIME_TEXTS[key] = text
    return text


_TIME_TEXTS: dict = {}


def _make_time_text(utc: bool, raw: bytes) -> str:
    text = raw.decode("ascii")
    if utc:
        text = f"{_utc_year(int(text[:2]))}" + text[2:]
    return f"{text[0:4]}-{text[4:6]}-{text[6:8]}T{text[8:10]}:{text[10:12]}:{text[12:]}"


_CODECS = {"printable": "ascii", "numeric": "ascii", "ascii": "ascii", "latin1": "latin-1",
           "utf8": "utf-8", "utf16": "utf-16-be", "utf32": "utf-32-be"}


def _string_text(decode: str, raw: bytes) -> str:
    try:
        text = raw.decode(_CODECS[decode])
    except UnicodeDecodeError:
        return f"(not valid {_CODECS[decode]}) " + raw.decode(_CODECS[decode], errors="replace")
    if decode == "printable" and not set(raw) <= _PRINTABLE:
        return text + " (characters outside PrintableString)"
    if decode == "numeric" and not set(raw) <= set(b"0123456789 "):
        return text + " (characters outside NumericString)"
    return text


_NONZERO = re.compile(rb"[^\x00]")


def _bits_text(names: dict[int, str], raw: bytes, unused: int) -> str:
    """Set bits by name in bit order; past BITS_LISTED unnamed ones, only their count."""
    total = len(raw) * 8 - unused
    named = [i for i in sorted(names) if i < total and raw[i // 8] & (0x80 >> (i % 8))]
    unnamed = int.from_bytes(raw, "big").bit_count() - len(named)   # DER unused bits are zero
    if unnamed > BITS_LISTED:
        return ", ".join([names[i] for i in named] + [f"{unnamed} other bits set"])
    set_bits = [m.start() * 8 + j for m in _NONZERO.finditer(raw) for j in range(8) if m[0][0] & (0x80 >> j)]
    return ", ".join(names.get(i, f"bit {i}") for i in set_bits if i < total) or "no bits set"


def _named_bits_text(t: _Tables, names: dict, raw: bytes, unused: int) -> str:
    """_bits_text, remembered per spec set (a few key-usage patterns recur in every certificate)."""
    key = (id(names), raw, unused)         # names: a dict the tables hold, so its id is stable
    text = t.bits_texts.get(key)
    if text is None:
        text = _bits_text(names, raw, unused)
        if len(t.bits_texts) < MEMO_ENTRIES and len(raw) <= MEMO_BYTES:
            t.bits_texts[key] = text
    return text


def _emit(w, t: _Tables, plan: _Plan) -> int:
    """Walk one planned element; returns its row."""
    tlv = plan.tlv
    row = w.open_group(plan.name)
    if tlv.tag_end - tlv.start == 1:
        w.uint("tag", 1, t.tag_text(tlv))
    else:
        w.bytes("tag", tlv.tag_end - tlv.start, t.tag_text(tlv))
    w.ber_length("length")
    if not tlv.minimal_length:
        w.set_last_meaning("non-minimal length form (BER, not DER)")
    if plan.children is not None:
        for child in plan.children:
            _emit(w, t, child)
    elif plan.inner is not None:
        if plan.kind == _BIT_STRING:
            w.uint("unused_bits", 1)
        _emit(w, t, plan.inner)
    else:
        _emit_value(w, t, plan)
    w.close_group()
    if plan.meaning is not None:
        w.set_meaning(row, plan.meaning)
    return row


def _emit_value(w, t: _Tables, plan: _Plan) -> None:
    tlv, kind, hints = plan.tlv, plan.kind, plan.hints
    n = tlv.end - tlv.hdr_end
    if kind == _NULL:
        return
    if kind == _INTEGER:
        if n <= 8:
            value = w.sint("value", n)
            if hints:
                names = hints.get("enum") or hints.get("lookup")
                if names is not None:
                    w.set_last_meaning(names.get(value))
        else:
            raw = w.data[tlv.hdr_end:tlv.end]
            w.bytes("value", n, _integer_text(raw))
        return
    if kind == _BOOLEAN:
        value = w.uint("value", 1)
        w.set_last_meaning("TRUE" if value else "FALSE")
        return
    if kind == _BIT_STRING:
        unused = w.uint("unused_bits", 1)
        if n > 1:
            raw = w.bytes("value", n - 1)
            bits = hints.get("bits") if hints else None
            w.set_last_meaning(_named_bits_text(t, bits, raw, unused) if bits is not None else raw.hex().upper())
        return
    if n == 0:
        return
    raw = w.bytes("value", n)
    if kind == _OID or kind == _RELATIVE_OID:
        known = t.oid_texts.get(raw) if kind == _OID else None
        if known is not None:
            w.set_last_meaning(known[1])
        else:
            dotted = _oid_text(raw, kind == _RELATIVE_OID)
            entry = t.oids.get(dotted)
            w.set_last_meaning(f"{dotted} ({entry[0]})" if entry else dotted)
    elif kind == _UTC_TIME or kind == _GENERALIZED_TIME:
        w.set_last_meaning(_time_text(kind == _UTC_TIME, raw))
    elif kind >= _PRINTABLE_STRING:
        w.set_last_meaning(_string_text(_KIND_NAMES[kind], raw))
    else:                                   # octets, opaque, untyped context-specific
        w.set_last_meaning(raw.hex().upper())


# ======================================================================================
# Public decoders
# ======================================================================================

_CRA_WORDS = {1: "command", 2: "response", 3: "alert"}


def decode_asn1(w, ctx) -> None:
    """Walk DER content filling the walker's frame; names from the type of (message code, CRA)."""
    t = _tables(ctx.specs)
    w.need(1, "asn1")
    tlvs = _parse_all(w, t, w.buf, w.pos, w.end, 0, "", [])
    item = t.dispatch.get((ctx.message_code, ctx.cra_flag))
    plans = None
    matcher = _matcher(w, t)
    if item is None:
        code = "none" if ctx.message_code is None else f"0x{ctx.message_code:04X}"
        ctx.notes.append(f"ASN.1: no type for message code {code} as "
                         f"{_CRA_WORDS.get(ctx.cra_flag, f'CRA {ctx.cra_flag}')}; {FALLBACK}")
    elif len(tlvs) != 1:
        ctx.notes.append(f"ASN.1: content holds {len(tlvs)} elements where {item.name} is one; {FALLBACK}")
    else:
        try:
            top = item.ref          # a top-level CHOICE is named by the alternative present
            plans = [matcher.match(top, tlvs[0], "" if item.form == "choice" else _default_name(top))]
        except _Mismatch as m:
            ctx.notes.append(f"ASN.1: content does not match {item.name} ({m}); {FALLBACK}")
            matcher.notes.clear()
    if plans is None:
        plans = [matcher.generic(tlv, f"element[{i}]") for i, tlv in enumerate(tlvs)]
    ctx.notes.extend(matcher.notes)
    for plan in plans:
        _emit(w, t, plan)


def decode_der(w, name: str, type_name: str | None = None, notes: list | None = None,
               specs: SpecSet | None = None) -> Node:
    """Walk ONE DER element at the walker's position as a node called `name`.

    With `type_name` (an asn1_type, e.g. "Certificate") its parts are named; bytes that do not
    match it are walked generically, with a note appended to `notes` if given.
    """
    if specs is None:
        from gbcs.spec import specs as _default_specs
        specs = _default_specs()
    t = _tables(specs)
    tlv = _parse_one(w, t, w.buf, w.pos, w.end, 0, name, [])
    matcher = _matcher(w, t)
    plan = None
    if type_name is not None:
        item = t.items.get(type_name)
        if item is None:
            raise SpecReferenceError(f"no asn1_type called {type_name!r} in specs/")
        try:
            plan = matcher.match(item.ref, tlv, name)
        except _Mismatch as m:
            matcher.notes[:] = [f"ASN.1: {name} does not match {type_name} ({m}); {FALLBACK}"]
    if plan is None:
        plan = matcher.generic(tlv, name)
    if notes is not None:
        notes.extend(matcher.notes)
    return tape_view(w.tape, _emit(w, t, plan))


# ======================================================================================
# Encoders and builders
# ======================================================================================

der_length = minimal_ber_length      # DER uses the shortest definite form


def der_tlv(tag: int | bytes, content: bytes) -> bytes:
    tag_bytes = bytes([tag]) if isinstance(tag, int) else bytes(tag)
    return tag_bytes + der_length(len(content)) + bytes(content)


def _int_body(value: int) -> bytes:
    return value.to_bytes(max(1, (value + (value < 0)).bit_length() // 8 + 1), "big", signed=True)


def der_integer(value: int) -> bytes:
    return der_tlv(0x02, _int_body(int(value)))


def der_enumerated(value: int) -> bytes:
    return der_tlv(0x0A, _int_body(int(value)))


def der_boolean(value: bool) -> bytes:
    return der_tlv(0x01, b"\xff" if value else b"\x00")


def der_null() -> bytes:
    return b"\x05\x00"


def der_octet_string(value: bytes) -> bytes:
    return der_tlv(0x04, bytes(value))


def der_bit_string(value: bytes, unused_bits: int = 0) -> bytes:
    if not 0 <= unused_bits <= 7 or (unused_bits and not value):
        raise EncodeError(f"invalid unused-bits count {unused_bits}")
    return der_tlv(0x03, bytes([unused_bits]) + bytes(value))


def der_named_bits(bits: Iterable[int]) -> bytes:
    """A BIT STRING of named bits (bit 0 first) in DER form: trailing zero bits dropped."""
    bits = sorted(set(bits))
    if not bits:
        return der_bit_string(b"")
    nbytes = bits[-1] // 8 + 1
    raw = bytearray(nbytes)
    for b in bits:
        raw[b // 8] |= 0x80 >> (b % 8)
    return der_bit_string(bytes(raw), 7 - bits[-1] % 8)


def der_oid(dotted: str) -> bytes:
    arcs = [int(a) for a in dotted.split(".")]
    if len(arcs) < 2 or arcs[0] > 2 or (arcs[0] < 2 and arcs[1] >= 40):
        raise EncodeError(f"{dotted!r} is not an object identifier")
    body = bytearray()
    for arc in [arcs[0] * 40 + arcs[1]] + arcs[2:]:
        chunk = [arc & 0x7F]
        arc >>= 7
        while arc:
            chunk.append(0x80 | (arc & 0x7F))
            arc >>= 7
        body += bytes(reversed(chunk))
    return der_tlv(0x06, bytes(body))


def _time_string(value: datetime | str, fmt: str) -> bytes:
    if isinstance(value, datetime):
        if value.tzinfo is not None:
            value = value.astimezone(timezone.utc)
        return value.strftime(fmt).encode("ascii")
    return value.encode("ascii")


def der_generalized_time(value: datetime | str) -> bytes:
    return der_tlv(0x18, _time_string(value, "%Y%m%d%H%M%SZ"))


def der_utc_time(value: datetime | str) -> bytes:
    return der_tlv(0x17, _time_string(value, "%y%m%d%H%M%SZ"))


def der_sequence(*parts: bytes) -> bytes:
    return der_tlv(0x30, b"".join(parts))


def der_set(*parts: bytes) -> bytes:
    return der_tlv(0x31, b"".join(sorted(parts)))       # DER orders SET OF by encoding


def der_implicit(number: int, encoded: bytes) -> bytes:
    """Re-tag one encoded element as [number] IMPLICIT (keeps its primitive/constructed form)."""
    if not encoded or encoded[0] & 0x1F == 0x1F or number > 30:
        raise EncodeError("der_implicit handles one-byte tags [0]..[30]")
    return bytes([0x80 | (encoded[0] & 0x20) | number]) + encoded[1:]


def der_explicit(number: int, encoded: bytes) -> bytes:
    if number > 30:
        raise EncodeError("der_explicit handles one-byte tags [0]..[30]")
    return der_tlv(0xA0 | number, encoded)


def _value(enum: str, value: int | str, specs: SpecSet | None) -> int:
    if isinstance(value, int):
        return value
    if specs is None:
        from gbcs.spec import specs as _default_specs
        specs = _default_specs()
    for row in specs.enum(enum).rows:
        if row.cells["name"] == value:
            return row.cells["value"]
    raise EncodeError(f"{value!r} is not a member of enum {enum}")


def build_key_usage(*usages: int | str, specs: SpecSet | None = None) -> bytes:
    """KeyUsage BIT STRING from bit numbers or names (digital_signature, key_agreement, …)."""
    return der_named_bits(_value("asn1_key_usage_bit", u, specs) for u in usages)


def _entity(entity_id: bytes) -> bytes:
    if len(entity_id) != 8:
        raise EncodeError(f"an entity id is 8 bytes, not {len(entity_id)}")
    return der_octet_string(entity_id)


def build_unjoin_command(entity_id: bytes) -> bytes:
    """CS04AC/CS04B command: the entity id to remove from the device log."""
    return _entity(entity_id)


def build_unjoin_response(code: int | str = 0, specs: SpecSet | None = None) -> bytes:
    return der_integer(_value("asn1_unjoin_response", code, specs))


def build_join_command(join_method_and_role: int | str, entity_id: bytes, device_type: int | str,
                       certificate: bytes | None = None, specs: SpecSet | None = None) -> bytes:
    """CS03 join command; `certificate` is the partner's DER certificate (method C)."""
    parts = [der_integer(_value("asn1_join_method_and_role", join_method_and_role, specs)),
             _entity(entity_id), der_integer(_value("asn1_device_type", device_type, specs))]
    if certificate is not None:
        parts.append(bytes(certificate))
    return der_sequence(*parts)


def build_join_response(code: int | str = 0, specs: SpecSet | None = None) -> bytes:
    return der_integer(_value("asn1_join_response", code, specs))


def build_provide_security_credential_details_command(
        role: int | str, key_usage: Iterable[int | str], roles: Iterable[int | str],
        cell_usage: int | str | None = None, specs: SpecSet | None = None) -> bytes:
    """CS02a command: the authorising party's trust-anchor cell, then the roles asked about."""
    cell = [der_integer(_value("asn1_remote_party_role", role, specs)), build_key_usage(*key_usage, specs=specs)]
    if cell_usage is not None:
        cell.append(der_integer(_value("asn1_cell_usage", cell_usage, specs)))
    wanted = [der_integer(_value("asn1_remote_party_role", r, specs)) for r in roles]
    return der_sequence(der_sequence(*cell), der_sequence(*wanted))


def build_set_time_command(validity_start: datetime | str, validity_end: datetime | str) -> bytes:
    """GCS28 command: the validity interval of the new time."""
    return der_sequence(der_generalized_time(validity_start), der_generalized_time(validity_end))


def build_set_time_response(device_time: datetime | str, status: int | str = 0,
                            specs: SpecSet | None = None) -> bytes:
    return der_sequence(der_generalized_time(device_time), der_integer(_value("asn1_time_status", status, specs)))


def build_activate_firmware_command(image_hash: bytes, originator_counter: int,
                                    execution_date_time: datetime | str | None = None) -> bytes:
    """CS06 command: manufacturer image hash (32 bytes), counter, optional execution time."""
    parts = [der_octet_string(image_hash), der_integer(originator_counter)]
    if execution_date_time is not None:
        parts.append(der_generalized_time(execution_date_time))
    return der_sequence(*parts)
