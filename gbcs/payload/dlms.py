"""DLMS COSEM payloads: Access-Request (D9), Access-Response (DA), Data-Notification (0F).

Every byte becomes a leaf: APDU header fields, request/response specs with COSEM names, and
DLMS Data (A-XDR) values recursively (tag, length/count, value). Names beyond the generic
`elements[i]` come from shapes in specs/dlms.gbspec, picked by message code (alert bodies,
protected data), by class and member (set values, action parameters) or by class and access
selector; every other GBCS fact (types, classes, objects, codes) lives there too.

Also here: encoders and builders for DLMS content (tests, examples).
"""
from __future__ import annotations

import datetime as _dt
import re
import struct as _struct
from typing import Any, Iterable

from gbcs.wire.codecs import minimal_ber_length, universal_tag
from gbcs.errors import (ConstraintError, EncodeError, LengthError, SpecError, SpecReferenceError,
                         UnknownCodeError)
from gbcs.message import Node, tape_view
from gbcs.payload.units import annotate_dlms_scaler_units
from gbcs.spec.ast import Call, Name
from gbcs.spec.at_hand import AtHand
from gbcs.spec.load import SpecSet
from gbcs.wire.layout import compiled as compiled_layout, struct_size

MAX_DEPTH = 64                       # nesting of Data values (and compact-array type descriptions)
_MAX_DEPTH = MAX_DEPTH                # (a C integer in the compiled twin)
_COUNTED = 64                         # names and meanings made once for indexes and counts below this
# The compiled twin is an extension module (setup.py): where a C loop beats Python's own
# byte methods, it takes the loop. Both branches give the same results.
_COMPILED = not __file__.endswith((".py", ".pyc"))
DESCRIPTOR = "dlms_cosem_attribute_descriptor"   # struct the walker reads with COSEM meanings

__all__ = ["decode_dlms", "decode_data", "MAX_DEPTH", "obis_text", "obis_bytes", "datetime_text",
           "axdr_length", "encode_data", "dlms_datetime", "build_access_request", "build_access_response",
           "build_data_notification", "build_alert", "protection_parameters",
           "protected_attributes_response"]


# ======================================================================================
# Tables compiled from specs/dlms.gbspec
# ======================================================================================

# How a Data type is read, as small integers so the decoder switches on them cheaply.
_NONE, _LIST, _BOOLEAN, _INT, _UINT, _BCD, _FLOAT, _BITS, _OCTETS, _ASCII, _UTF8, _COMPACT, _DATETIME, \
    _DATE, _TIME = range(15)
_READS = {"none": _NONE, "list": _LIST, "boolean": _BOOLEAN, "int": _INT, "uint": _UINT, "bcd": _BCD,
          "float": _FLOAT, "bits": _BITS, "octets": _OCTETS, "ascii": _ASCII, "utf8": _UTF8,
          "compact": _COMPACT, "datetime": _DATETIME, "date": _DATE, "time": _TIME}


class _Type:
    __slots__ = ("tag", "name", "read", "size", "title", "kind", "width", "is_structure", "counted")

    def __init__(self, tag, name, read, size, title):
        self.tag, self.name, self.read, self.size, self.title = tag, name, read, size, title
        self.kind = _READS[read]
        self.width = size or 0                   # size as an integer (0: not fixed)
        self.is_structure = name == "structure"
        # "structure of 3": the meanings of small lists, made once
        self.counted = [f"{title} of {n}" for n in range(_COUNTED)] if self.kind == _LIST else []


class _Shape:
    """One element of a shape: its node name, expected type, how to read it, its children."""
    __slots__ = ("item", "path", "name", "type", "read", "children", "star", "count", "is_shape_ref",
                 "is_any", "is_der", "want_count", "read_call", "type_tag", "ref", "layout")

    def __init__(self, item, path, name, type_, read):
        self.item, self.path, self.name, self.type, self.read = item, path, name, type_, read
        self.children: dict[int, _Shape] = {}
        self.star: _Shape | None = None
        self.count: int | None = None
        self.want_count = -1                     # count as an integer (-1: any), set with count
        self.is_shape_ref = isinstance(read, tuple) and read[0] == "shape"   # read(shape(S))
        self.read_call = read[0] if isinstance(read, tuple) else None       # "enum", "layout", ...
        self.is_any = type_ == "any"
        self.is_der = type_ == "der_sequence"
        self.type_tag = -1                       # tag of `type` (set by _Tables): compared as an int
        self.ref: _Shape | None = None           # the shape read(shape(S)) names (set by _Tables)
        self.layout: _Layout | None = None       # the struct read(layout(S)) names (set by _Tables)

    def child(self, index: int) -> "_Shape | None":
        if self.children:
            return self.children.get(index, self.star)
        return self.star


class _Choice:
    """A request- or response-specification choice from specs: what its name implies, found once."""
    __slots__ = ("code", "name", "title", "is_action", "selects", "parameters", "results", "result_meanings")

    def __init__(self, code, name, title, results=None):
        self.code, self.name, self.title = code, name, title
        self.is_action = name == "action"                   # addresses a method, not an attribute
        self.selects = name.endswith("_with_selection")     # an access selector and its parameters follow
        self.parameters = name != "get"                     # its data item is a value to set or parameters
        self.results: dict = results or {}                  # response: result code -> (name, title)
        # "get: success", the meanings of its response specifications, made once
        self.result_meanings = {code: f"{title}: {entry[1]}" for code, entry in self.results.items()}


def _member_key(cid: int, is_method: bool, idx: int) -> int:
    """A class member (attribute or method `idx` of class `cid`) as one integer dict key."""
    return ((cid * 2 + is_method) << 32) | idx


class _Layout:
    """A struct item read inside DLMS content: its program (gbcs/wire/layout.py), fixed size, and
    the enum fields that get DLMS's "(not in …)" meaning for values the enum lacks."""
    __slots__ = ("name", "title", "program", "size", "enums", "descriptors")

    def __init__(self, name, title, program, size, enums, descriptors):
        self.name, self.title, self.program, self.size = name, title, program, size
        self.enums: dict = enums                   # field name -> (enum name, its values)
        self.descriptors: frozenset = descriptors  # struct(DESCRIPTOR) field names


_SHAPE_READS = {"class_id", "obis", "ciphered"}
_SHAPE_CALLS = {"enum", "lookup", "layout", "shape"}


class _Tables:
    def __init__(self, s: SpecSet):
        self.specs = s
        self.types: dict[int, _Type] = {}
        for row in s.get("dlms_data_type", "axdr").rows:
            c = row.cells
            if c["read"] not in _READS:
                raise SpecError(f"unknown read {c['read']!r} (known: {', '.join(sorted(_READS))})",
                                row.pos.file, row.pos.line, row.pos.column)
            self.types[c["tag"]] = _Type(c["tag"], c["name"], c["read"], c["size"], c["title"])
        self.by_tag = [self.types.get(tag) for tag in range(256)]      # indexed by a tag byte
        self.type_by_name = {t.name: t for t in self.types.values()}
        self.class_id_tag = self.type_by_name["long_unsigned"].tag     # COSEM class id + logical name pairs
        self.structure_tag = self.type_by_name["structure"].tag
        self.logical_name_tag = self.type_by_name["octet_string"].tag
        self.der_sequence_tag = universal_tag(s, "SEQUENCE")   # raw DER where A-XDR would be (8F84)
        self.enums: dict[str, dict[int, tuple[str, str]]] = {}
        self.apdus = self.enum("dlms_apdu")
        self.request_choices = self.enum("dlms_request_choice")
        self.response_choices = self.enum("dlms_response_choice")
        # the choices by code (indexed by the choice byte)
        self.request_by_code: list = [None] * 256
        for code, (name, title) in self.request_choices.items():
            if 0 <= code < 256:
                self.request_by_code[code] = _Choice(code, name, title)
        self.response_by_code: list = [None] * 256
        for code, (name, title) in self.response_choices.items():
            if 0 <= code < 256:
                results = self.enum("dlms_action_result" if name == "action" else "dlms_data_access_result")
                self.response_by_code[code] = _Choice(code, name, title, results)
        self.invoke_flags = self.enum("dlms_invoke_flag")
        self.invoke_flag_titles = [(bit, title) for bit, (_, title) in sorted(self.invoke_flags.items())]
        self.invoke_known = 0xFFFFFF                # the invoke id itself
        flags = 0
        for bit in self.invoke_flags:
            flags |= bit
        self.invoke_known |= flags
        self.invoke_flag_bits = flags | ~self.invoke_known     # the bits the words tell of
        self.invoke_words: dict[int, str] = {}      # those bits -> "; confirmed, …", made when first met
        self.date_time_lengths = self.enum("dlms_date_time_length")
        self.date_time_length_codes = frozenset(self.date_time_lengths)
        self.optional = self.enum("dlms_optional")
        self.optional_codes = frozenset(self.optional)
        self.object_meanings: dict[bytes, str] = {}     # of the objects in specs, made when first met
        self.month_special = self.enum("dlms_month_special")
        self.day_special = self.enum("dlms_day_special")
        self.days_of_week = self.enum("dlms_day_of_week")
        self.special_datetimes = {bytes.fromhex(r.cells["hex"]): r.cells["title"]
                                  for r in s.get("dlms_special_datetime", "gbcs").rows}
        self.classes = {r.cells["class_id"]: (r.cells["name"], r.cells["title"])
                        for r in s.get("dlms_class", "gbcs").rows}
        self.class_by_name = {v[0]: k for k, v in self.classes.items()}
        self.members: dict[tuple[int, str, int], tuple[str, str]] = {}
        for row in s.get("dlms_class_member", "gbcs").rows:
            c = row.cells
            self.members[(c["class_id"], c["member"], c["index"])] = (c["name"], c["title"] or c["name"])
        self.member_titles: dict[int, str] = {_member_key(cid, kind == "method", idx): entry[1]
                                              for (cid, kind, idx), entry in self.members.items()}
        self.objects: dict[bytes, tuple[int, str | None, str | None]] = {}
        for row in s.get("dlms_object", "gbcs").rows:
            c = row.cells
            raw = _parse_obis(c["obis"])
            if raw is None:
                raise SpecError(f"{c['obis']!r} is not an OBIS code A-B:C.D.E.F", row.pos.file, row.pos.line,
                                row.pos.column)
            self.objects[raw] = (c["class_id"], c["name"], c["title"])
        self.layouts: dict[str, _Layout] = {}
        self.shapes: dict[str, _Shape] = {}
        for item in s.of_kind("dlms_shape"):
            self.shapes[item.name] = self._shape(item)
        for root in list(self.shapes.values()):
            self._check_shape(root)
        self.alert_bodies = {r.cells["message_code"]: self._shape_ref(r.cells["shape"], r)
                             for r in s.get("dlms_alert_body", "gbcs").rows}
        self.default_alert = self.shapes["dlms_alert"]
        protected = s.get("dlms_protected_response", "gbcs")
        self.protected_codes = set(protected.by_key)
        self.protected_shape = self.shapes["dlms_protected_attributes_response"]
        self.parameter_shapes = {(r.cells["class_id"], r.cells["member"], r.cells["index"]):
                                 self._shape_ref(r.cells["shape"], r)
                                 for r in s.get("dlms_parameter_shape", "gbcs").rows}
        self.parameter_shape_by_key = {_member_key(cid, kind == "method", idx): shape
                                       for (cid, kind, idx), shape in self.parameter_shapes.items()}
        self.selector_shapes = {(r.cells["class_id"], r.cells["selector"]): self._shape_ref(r.cells["shape"], r)
                                for r in s.get("dlms_selector_shape", "gbcs").rows}
        sc = s.find("enum", "security_control")
        self.security_control = ({r.cells["value"]: r.cells["title"] or r.cells["name"] for r in sc.rows}
                                 if sc is not None else {})
        sizes = {k: r.cells["bytes"] for k, r in s.get("envelope_size", "gbcs").by_key.items()}
        self.security_header_size = sizes["security_header"]   # a ciphered octet-string's header
        self.tag_length = sizes["mac"]                          # and its GCM tag
        self.datetime_size = self.type_by_name["date_time"].size

    def invoke_flags_text(self, v: int) -> str:
        """"; break on error, …" for the flag (and reserved) bits of a Long-Invoke-Id-And-Priority."""
        key = v & self.invoke_flag_bits
        text = self.invoke_words.get(key)
        if text is None:
            words = [title for bit, title in self.invoke_flag_titles if v & bit]
            known = self.invoke_known
            if v & ~known:
                words.append(f"reserved bits 0x{v & ~known:08X} set")
            text = self.invoke_words[key] = f"; {', '.join(words)}" if words else ""
        return text

    def enum(self, name: str) -> dict[int, tuple[str, str]]:
        """value -> (name, title) of an enum item."""
        table = self.enums.get(name)
        if table is None:
            item = self.specs.get("enum", name)
            table = {r.cells["value"]: (r.cells["name"], r.cells["title"] or r.cells["name"]) for r in item.rows}
            self.enums[name] = table
        return table

    def lookup(self, kind: str, item: str, key: int) -> str | None:
        row = self.specs.get(kind, item).by_key.get(key)
        if row is None:
            return None
        return row.cells.get("title") or row.cells.get("name")

    def table_title(self, ref: str, key: int) -> str | None:
        """Title of a row of the table `kind.name` (a struct field's table(…) option)."""
        kind, _, name = ref.partition(".")
        if not name:
            items = self.specs.of_kind(kind)
            if len(items) != 1:
                raise SpecReferenceError(f"table({ref}) is ambiguous; write table(kind.name)")
            name = items[0].name
        return self.lookup(kind, name, key)

    def _shape_ref(self, name: str, row) -> _Shape:
        shape = self.shapes.get(name)
        if shape is None:
            raise SpecReferenceError(f"dlms_shape {name!r} is not defined", row.pos.file, row.pos.line,
                                     row.pos.column)
        return shape

    def _shape(self, item) -> _Shape:
        nodes: dict[str, _Shape] = {}
        for row in item.rows:
            c = row.cells
            path = c["path"]
            typ = c["type"]
            if typ not in self.type_by_name and typ not in ("any", "der_sequence"):
                raise SpecError(f"unknown DLMS type {typ!r} in shape {item.name}", row.pos.file, row.pos.line,
                                row.pos.column)
            read = c["read"]
            if isinstance(read, Call):
                if read.name not in _SHAPE_CALLS:
                    raise SpecError(f"unknown read {read.name}(…); expected enum(E), lookup(K, I), layout(S), "
                                    "shape(S), class_id, obis or ciphered", row.pos.file, row.pos.line, row.pos.column)
                read = (read.name,) + tuple(a.text if isinstance(a, Name) else a for a in read.args)
                if read[0] == "enum":
                    self.enum(read[1])
                elif read[0] == "lookup":
                    self.specs.get(read[1], read[2])
            elif read is not None and read not in _SHAPE_READS:
                raise SpecError(f"unknown read {read!r}", row.pos.file, row.pos.line, row.pos.column)
            node = _Shape(item.name, path, c["name"], typ, read)
            if isinstance(read, tuple) and read[0] == "layout":
                node.layout = self.layout(read[1], row)
            if typ in self.type_by_name:
                node.type_tag = self.type_by_name[typ].tag
            if path == "":
                node.count = item.prop("count")
                node.want_count = -1 if node.count is None else node.count
                nodes[""] = node
                continue
            parent_path, _, last = path.rpartition(".")
            parent = nodes.get(parent_path)
            if parent is None:
                raise SpecError(f"shape {item.name}: path {path!r} comes before its parent {parent_path!r}",
                                row.pos.file, row.pos.line, row.pos.column)
            if last == "*":
                parent.star = node
            elif last.isdigit():
                parent.children[int(last)] = node
            else:
                raise SpecError(f"shape {item.name}: {path!r} is not a path of element numbers or *",
                                row.pos.file, row.pos.line, row.pos.column)
            nodes[path] = node
        if "" not in nodes:
            raise SpecError(f"shape {item.name} has no row for the value itself (path \"\")", item.pos.file,
                            item.pos.line, item.pos.column)
        return nodes[""]

    def _check_shape(self, node: _Shape) -> None:
        if isinstance(node.read, tuple) and node.read[0] == "shape":
            if node.read[1] not in self.shapes:
                raise SpecReferenceError(f"shape {node.item} refers to undefined dlms_shape {node.read[1]!r}")
            node.ref = self.shapes[node.read[1]]
        for child in list(node.children.values()) + ([node.star] if node.star else []):
            self._check_shape(child)

    def layout(self, name: str, where=None) -> _Layout:
        """Struct item `name` compiled for reading inside DLMS content (once per SpecSet)."""
        found = self.layouts.get(name)
        if found is not None:
            return found
        item = self.specs.find("struct", name)
        if item is None:
            pos = where.pos if where is not None else None
            raise SpecReferenceError(f"struct {name!r} is not defined", pos.file if pos else None,
                                     pos.line if pos else None, pos.column if pos else None)
        enums: dict = {}
        descriptors: set = set()
        self._layout_fields(item, enums, descriptors, set())
        found = self.layouts[name] = _Layout(name, item.title, compiled_layout(self.specs, name),
                                             struct_size(self.specs, name), enums, frozenset(descriptors))
        return found

    def _layout_fields(self, item, enums: dict, descriptors: set, seen: set) -> None:
        """The enum and descriptor fields of a struct item and the structs inside it. Meanings are
        looked up by field name, so a name must mean one thing throughout a layout."""
        if item.name in seen:
            return                           # layout.compiled reports cycles
        seen.add(item.name)
        for row in item.rows:
            c = row.cells
            name, enum = c["field"], c["options"].get("enum")
            if enum is not None:
                values = frozenset(self.enum(enum))
                if enums.setdefault(name, (enum, values))[0] != enum:
                    raise SpecError(f"struct {item.name}: field {name!r} reads enum {enum} where another "
                                    f"field of that name reads {enums[name][0]}; rename one",
                                    row.pos.file, row.pos.line, row.pos.column)
            if c["type"] == "struct":
                if c["args"][0] == DESCRIPTOR:
                    descriptors.add(name)
                inner = self.specs.find("struct", c["args"][0])
                if inner is not None:
                    self._layout_fields(inner, enums, descriptors, seen)


_TABLES = AtHand(_Tables)


def _tables(s: SpecSet) -> _Tables:
    return _TABLES.of(s)


# ======================================================================================
# Meanings: OBIS codes, date-times
# ======================================================================================

_OBIS_RE = re.compile(r"(\d+)-(\d+):(\d+)\.(\d+)\.(\d+)\.(\d+)\Z")


def _parse_obis(text: str) -> bytes | None:
    m = _OBIS_RE.match(text)
    if not m or any(int(g) > 255 for g in m.groups()):
        return None
    return bytes(int(g) for g in m.groups())


_DECIMAL = [str(v) for v in range(256)]           # a byte's decimal text, made once


def obis_text(raw: bytes) -> str:
    """A 6-byte logical name as A-B:C.D.E.F."""
    a, b, c, d, e, f = raw
    dec = _DECIMAL
    return f"{dec[a]}-{dec[b]}:{dec[c]}.{dec[d]}.{dec[e]}.{dec[f]}"


def obis_bytes(value: str | bytes) -> bytes:
    """6 bytes of a logical name given as "A-B:C.D.E.F" (or already as bytes)."""
    if isinstance(value, (bytes, bytearray)):
        if len(value) != 6:
            raise EncodeError(f"a logical name is 6 bytes, not {len(value)}")
        return bytes(value)
    raw = _parse_obis(value)
    if raw is None:
        raise EncodeError(f"{value!r} is not an OBIS code A-B:C.D.E.F")
    return raw


_TWO_DIGITS = [f"{v:02d}" for v in range(100)]      # 00..99, made once


def _date_field(value: int, highest: int, special: dict) -> str | None:
    """The text of a DLMS month or day: 1..highest, FF any, or a special value."""
    if value == 0xFF:
        return "*"
    if 1 <= value <= highest:
        return _TWO_DIGITS[value]
    named = special.get(value)
    return None if named is None else named[1]


def _date_text(t: _Tables, raw: bytes, at: int = 0) -> str | None:
    """The text of the 5-byte DLMS date at `at`, or None if a byte is out of range."""
    year = (raw[at] << 8) | raw[at + 1]
    month, day, dow = raw[at + 2], raw[at + 3], raw[at + 4]
    mtext = _date_field(month, 12, t.month_special)
    dtext = _date_field(day, 31, t.day_special)
    if mtext is None or dtext is None:
        return None
    exact = 1 <= month <= 12 and 1 <= day <= 31 and year != 0xFFFF
    days = t.days_of_week
    if dow != 0xFF and dow not in days:
        return None
    if exact and (day > 28 or year < 1 or year > 9999):     # what a calendar may refuse
        try:
            _dt.date(year, month, day)
        except ValueError:
            return None
    # each text made in one join (f-strings), not by adding piece to piece
    if year == 0xFFFF:
        ytext = "*"
    elif year < 10000:
        ytext = f"{_TWO_DIGITS[year // 100]}{_TWO_DIGITS[year % 100]}"
    else:
        ytext = str(year)
    if dow != 0xFF and not exact:
        return f"{ytext}-{mtext}-{dtext} ({days[dow][1]})"
    return f"{ytext}-{mtext}-{dtext}"


def _time_text(raw: bytes, at: int = 0) -> str | None:
    """The text of the 4-byte DLMS time at `at`, or None if a byte is out of range."""
    hour, minute, second, hundredths = raw[at], raw[at + 1], raw[at + 2], raw[at + 3]
    if (hour > 23 and hour != 0xFF) or (minute > 59 and minute != 0xFF) or (second > 59 and second != 0xFF) \
            or (hundredths > 99 and hundredths != 0xFF):
        return None
    htext = "*" if hour == 0xFF else _TWO_DIGITS[hour]
    mtext = "*" if minute == 0xFF else _TWO_DIGITS[minute]
    stext = "*" if second == 0xFF else _TWO_DIGITS[second]
    if hundredths != 0 and hundredths != 0xFF:
        return f"{htext}:{mtext}:{stext}.{_TWO_DIGITS[hundredths]}"
    return f"{htext}:{mtext}:{stext}"


def _datetime_text(t: _Tables, raw: bytes) -> str | None:
    special = t.special_datetimes.get(raw)
    if special is not None:
        return special
    date = _date_text(t, raw, 0)
    time = _time_text(raw, 5)
    if date is None or time is None:
        return None
    deviation = (raw[9] << 8) | raw[10]
    if deviation >= 0x8000:
        deviation -= 0x10000              # signed; -0x8000: not specified
    if deviation != -0x8000 and not -720 <= deviation <= 720:
        return None
    if deviation != -0x8000:
        offset = -deviation          # DLMS deviation: minutes local time is behind UTC
        size = -offset if offset < 0 else offset
        text = f"{date}T{time}{'+' if offset >= 0 else '-'}{_TWO_DIGITS[size // 60]}:{_TWO_DIGITS[size % 60]}"
    else:
        text = f"{date}T{time}"
    status = raw[11]
    if status != 0x00 and status != 0xFF:
        names = [title for bit, (_, title) in sorted(t.enum("dlms_clock_status").items()) if status & bit]
        known = 0
        for bit in t.enum("dlms_clock_status"):
            known |= bit
        if status & ~known:
            names.append(f"reserved bits 0x{status & ~known:02X}")
        text += f" (clock status: {', '.join(names)})"
    return text


def datetime_text(raw: bytes, specs: SpecSet | None = None) -> str | None:
    """A 12-byte DLMS date-time as text: ISO 8601 where fully given, `*` for wildcards, GBCS's
    "now" and "never"; None when a byte is out of range (not a date-time)."""
    t = _tables(specs or _default_specs())
    if len(raw) != t.datetime_size:
        return None
    return _datetime_text(t, bytes(raw))


def _default_specs() -> SpecSet:
    from gbcs.spec import specs
    return specs()


_VISIBLE = bytes(range(0x20, 0x7F))


def _printable(raw: bytes) -> bool:
    """Every byte is visible ASCII (20-7E)."""
    if _COMPILED:                        # a C loop over the bytes
        for b in raw:
            if b < 0x20 or b > 0x7E:
                return False
        return True
    return not raw.translate(None, _VISIBLE)


def _octets_meaning(t: _Tables, raw: bytes) -> str | None:
    n = len(raw)
    if n == t.datetime_size:
        text = _datetime_text(t, raw)
        if text is not None:
            return text
    if n > 1 and _printable(raw):
        return f'"{raw.decode("ascii")}"'
    if n == 6 and (raw in t.objects or (raw[0] <= 15 and raw[5] == 0xFF)):
        return _object_meaning(t, raw)         # a known object, or the usual A-B:C.D.E.255 form
    if n == 5:
        text = _date_text(t, raw)
        if text is not None:
            return f"date {text}"
    if n == 4:
        text = _time_text(raw)
        if text is not None:
            return f"time {text}"
    return None


def _hex_codes(codes) -> str:
    return ", ".join(f"{k:02X}" for k in sorted(codes))


_BYTE_BITS = [f"{b:08b}" for b in range(256)]


def _bit_digits(raw: bytes) -> str:
    return "".join([_BYTE_BITS[b] for b in raw])


def _class_meaning(t: _Tables, cid: int) -> str:
    cls = t.classes.get(cid)
    return cls[1] if cls else f"class {cid} (not in specs)"


def _enum_miss(enum: str, values: frozenset):
    """A layout hook: DLMS names a value its enum lacks (the enum's own meaning covers the rest)."""
    return lambda v, scope: None if v in values else f"{v} (not in {enum})"


def _object_meaning(t: _Tables, raw: bytes) -> str:
    if type(raw) is not bytes:
        raw = bytes(raw)
    text = t.object_meanings.get(raw)
    if text is not None:
        return text
    text = obis_text(raw)
    obj = t.objects.get(raw)
    if obj is not None:
        if obj[2] or obj[1]:
            text += f" ({obj[2] or obj[1]})"
        t.object_meanings[raw] = text            # bounded: only objects the specs list
    return text


# ======================================================================================
# The decoder
# ======================================================================================

class _Dlms:
    __slots__ = ("w", "t", "ctx", "structures")

    def __init__(self, w, t: _Tables, ctx):
        self.w, self.t, self.ctx = w, t, ctx
        self.structures = 0              # data_list items that are structures

    def note(self, text: str) -> None:
        if self.ctx is not None:
            self.ctx.notes.append("DLMS: " + text)

    # -- small fields --------------------------------------------------------------------
    def count(self, name: str, what: str, min_size: int = 1) -> int:
        """An A-XDR quantity (SEQUENCE OF count): 00-7F, or 0x8N + N bytes."""
        w = self.w
        at = w.pos
        n = w.ber_length(name)
        if n * min_size > w.end - w.pos:
            raise LengthError(f"declares {n} {what} but only {w.remaining} bytes remain — the message is "
                              "truncated or the count is wrong", at, w.path(name), expected=n, actual=w.remaining)
        return n

    def length(self, name: str = "length") -> int:
        w = self.w
        at = w.pos
        n = w.ber_length(name)
        if n > w.end - w.pos:
            raise LengthError(f"declares {n} bytes but only {w.remaining} remain — the message is truncated or "
                              "the length is wrong", at, w.path(name), expected=n, actual=w.remaining)
        return n

    def invoke_id(self) -> None:
        w, t = self.w, self.t
        v = w.uint("long_invoke_id_and_priority", 4)
        w.set_last_meaning(f"invoke id {v & 0xFFFFFF}{t.invoke_flags_text(v)}")

    def date_time(self) -> None:
        w, t = self.w, self.t
        lengths = t.date_time_lengths
        n = w.expect("date_time_length", 1, t.date_time_length_codes,
                     "a DLMS date-time length (00 absent, 0C present)")
        w.set_last_meaning(lengths[n][1])
        if n:
            raw = w.bytes("date_time", n)
            w.set_last_meaning(_datetime_text(t, raw) or "not a valid DLMS date-time")

    # -- COSEM descriptors ---------------------------------------------------------------
    def descriptor(self, is_method: bool) -> tuple[int, int, str, str]:
        """class id, instance id, attribute/method id into the current group; returns the class
        id, the member id, the member's and the object's meanings."""
        w, t = self.w, self.t
        cid = w.uint("class_id", 2)
        w.set_last_meaning(_class_meaning(t, cid))
        raw = w.bytes("instance_id", 6)
        target = _object_meaning(t, raw)
        w.set_last_meaning(target)
        idx = w.uint("method_id" if is_method else "attribute_id", 1)
        text = t.member_titles.get(_member_key(cid, is_method, idx))
        if text is None:
            text = f"{'method' if is_method else 'attribute'} {idx}"
        w.set_last_meaning(text)
        self.class_note(cid, raw)
        return cid, idx, text, target

    def class_note(self, cid: int, raw: bytes) -> None:
        """Note an object addressed under another class than the one the specs list it with."""
        t = self.t
        obj = t.objects.get(raw if type(raw) is bytes else bytes(raw))
        if obj is not None and obj[0] != cid:
            other = t.classes.get(obj[0])
            self.note(f"{self.w.path('class_id')}: {obis_text(raw)} is addressed as class {cid}; specs list it "
                      f"as class {obj[0]}{f' ({other[1]})' if other else ''}")

    def request_spec(self, i: int) -> _Shape | None:
        """One Access-Request-Specification; returns the shape its data item is read with."""
        w, t = self.w, self.t
        row = w.open_group(_REQUEST_SPEC_NAMES[i] if i < _COUNTED else f"request_specs[{i}]")
        at = w.pos
        code = w.uint("choice", 1)
        choice = t.request_by_code[code]
        if choice is None:
            raise UnknownCodeError(f"0x{code:02X} is not an Access-Request-Specification choice "
                                   f"(expected {_hex_codes(t.request_choices)})",
                                   at, w.path("choice"), actual=code)
        w.set_last_meaning(choice.title)
        cid, idx, member, target = self.descriptor(choice.is_action)
        if choice.selects:
            selector = w.uint("access_selector", 1)
            self.data("access_parameters", 0, t.selector_shapes.get((cid, selector)))
            w.set_meaning(row, f"{choice.title} {member} of {target}, selector {selector}")
        else:
            w.set_meaning(row, f"{choice.title} {member} of {target}")
        w.close_group()
        if not choice.parameters:
            return None
        return t.parameter_shape_by_key.get(_member_key(cid, choice.is_action, idx))

    def request_specs(self) -> list:
        """The request specifications; returns the shapes of their data items."""
        n = self.count("request_spec_count", "request specifications", 10)
        return [self.request_spec(i) for i in range(n)]

    def response_specs(self) -> None:
        w, t = self.w, self.t
        n = self.count("response_spec_count", "response specifications", 2)
        for i in range(n):
            row = w.open_group(_RESPONSE_SPEC_NAMES[i] if i < _COUNTED else f"response_specs[{i}]")
            at = w.pos
            code = w.uint("choice", 1)
            choice = t.response_by_code[code]
            if choice is None:
                raise UnknownCodeError(f"0x{code:02X} is not an Access-Response-Specification choice "
                                       f"(expected {_hex_codes(t.response_choices)})",
                                       at, w.path("choice"), actual=code)
            w.set_last_meaning(choice.title)
            code = w.uint("result", 1)
            result = choice.results.get(code)
            if result is None:
                text = f"result {code} (not in specs)"
                w.set_last_meaning(text)
                w.set_meaning(row, f"{choice.title}: {text}")
            else:
                w.set_last_meaning(result[1])
                w.set_meaning(row, choice.result_meanings[code])
            w.close_group()

    def data_list(self, shape: _Shape | None = None, quiet: bool = False, specs: list | None = None) -> list:
        """The data items (their rows); `specs`: the shapes request_specs gave, item by item (set values
        and action parameters get names)."""
        w = self.w
        n = self.count("data_count", "data items")
        given = len(specs) if specs is not None else 0
        structure_tag = self.t.structure_tag
        rows = []
        for i in range(n):
            item_shape = specs[i] if i < given else shape
            name = _DATA_NAMES[i] if i < _COUNTED else _data_name(i)
            at = w.pos
            rows.append(self.data(name, 0, item_shape, quiet, name))     # list items keep their index
            if w.buf[at] == structure_tag:
                self.structures += 1
        return rows

    # -- Data ----------------------------------------------------------------------------
    def mismatch(self, shape: _Shape, why: str, name: str | None = None) -> None:
        where = f" element {shape.path}" if shape.path else ""
        self.note(f"{self.w.path(name)} does not match {shape.item}{where} ({why}); named generically")

    def peek_count(self) -> int | None:
        """The count after a list tag, without consuming it (for shape checks)."""
        w = self.w
        b = w.peek(1)
        if b is None:
            return None
        if b < 0x80:
            return b
        n = b & 0x7F
        if n == 0 or n > 4 or w.remaining < 2 + n:
            return None
        return int.from_bytes(w.peek_bytes(2 + n)[2:], "big")

    def data(self, name: str, depth: int, shape: _Shape | None = None, quiet: bool = False,
             override: str | None = None) -> int:
        """One tagged value as a group called `name` (or its shape's name); returns its row."""
        w, t = self.w, self.t
        if depth >= _MAX_DEPTH:
            raise ConstraintError(f"DLMS data nested more than {MAX_DEPTH} deep; no GBCS payload comes close",
                                  w.pos, w.path(name), rule="GBCS-D006")
        at = w.pos
        if at >= w.end:
            w.need(1, f"{name}.tag")
        tag = w.buf[at]
        if shape is not None and shape.is_der:
            if tag == t.der_sequence_tag:
                return self.der_sequence(shape, override or shape.name or name)
            if not quiet:
                self.mismatch(shape, f"expected a DER SEQUENCE ({t.der_sequence_tag:02X}), found tag {tag:02X}", name)
            shape = None
        typ = t.by_tag[tag]
        if typ is None:
            raise UnknownCodeError(f"0x{tag:02X} is not a DLMS data type tag", w.pos, w.path(f"{name}.tag"),
                                   actual=tag)
        if shape is not None:
            why = None
            if not shape.is_any and shape.type_tag != tag:
                why = f"expected {shape.type}, found {typ.name}"
            elif shape.want_count >= 0 and self.peek_count() != shape.want_count:
                why = f"expected {shape.count} elements"
            if why is not None:
                if not quiet:
                    self.mismatch(shape, why, name)
                shape = None
        if shape is not None and shape.is_shape_ref:
            return self.data(name, depth, shape.ref, quiet, override or shape.name)
        own = override or (shape.name if shape is not None and shape.name else None) or name
        row = w.open_group(own)
        w.uint("tag", 1, typ.title)
        kind = typ.kind
        meaning = typ.title
        if kind == _LIST:
            n = self.count("count", "elements")
            # Among a structure's elements, a long-unsigned known class id followed by a 6-byte
            # octet-string is a class + logical name (told by their tags, seen here).
            pairs = typ.is_structure
            class_id_tag, logical_name_tag = t.class_id_tag, t.logical_name_tag
            before_tag = -1
            before = -1
            found = None
            for i in range(n):
                child = shape.child(i) if shape is not None else None
                at = w.pos
                j = self.data(_ELEMENT_NAMES[i] if i < _COUNTED else _element_name(i), depth + 1, child)
                if pairs:
                    tag = w.buf[at]
                    if before_tag == class_id_tag and tag == logical_name_tag:
                        if found is None:
                            found = []
                        found.append(before)
                        found.append(j)
                    before_tag = tag
                    before = j
            meaning = typ.counted[n] if n < _COUNTED else f"{typ.title} of {n}"
            if found is not None:
                tape = w.tape
                for i in range(0, len(found), 2):
                    self.cosem_pair(tape, found[i], found[i + 1])
        elif kind == _COMPACT:
            self.compact_array(depth)
        elif kind == _OCTETS or kind == _ASCII or kind == _UTF8 or kind == _BITS:
            self.variable("value", typ, shape)
        elif kind != _NONE:
            self.fixed("value", typ, shape)
        w.close_group()
        if shape is not None and shape.name and own != shape.name:
            meaning = f"{shape.name}: {meaning}"
        w.set_meaning(row, meaning)
        return row

    def der_sequence(self, shape: _Shape, name: str) -> int:
        """Raw DER SEQUENCE bytes where an A-XDR value would be (8F84 remote-party message)."""
        w, t = self.w, self.t
        row = w.open_group(name)
        w.uint("tag", 1, "DER SEQUENCE (not A-XDR)")
        at = w.pos
        n = w.ber_length("length")
        outer = w.push_limit(n, "length", at)
        found = shape.layout
        if found is not None and found.size == n:
            self.fields(found)
        else:
            if found is not None:
                self.mismatch(shape, f"{n} bytes, layout {found.name} takes {found.size}")
            if n:
                w.bytes("value", n)
        w.pop_limit(outer, "length")
        w.close_group()
        w.set_meaning(row, "DER SEQUENCE")
        return row

    def cosem_pair(self, tape, first: int, second: int) -> None:
        t = self.t
        va, vb = tape.child_named(first, "value"), tape.child_named(second, "value")
        if va < 0 or vb < 0 or tape.is_group(vb) or tape.end(vb) - tape.start(vb) != 6:
            return
        cls = t.classes.get(tape.value(va))
        if cls is None:
            return
        if tape.meaning(va) is None:
            tape.set_meaning(va, cls[1])
        tape.set_meaning(vb, _object_meaning(t, tape.value(vb)))

    def fixed(self, name: str, typ: _Type, shape: _Shape | None = None) -> None:
        """A fixed-size value: tagged ("value") or untagged (compact-array element)."""
        w, t = self.w, self.t
        kind = typ.kind
        if kind == _NONE:
            w.spend(1, name)
            return
        if kind == _UINT:
            v = w.uint(name, typ.size)
        elif kind == _INT:
            v = w.sint(name, typ.size)
        elif kind == _BOOLEAN:
            v = w.uint(name, 1)
            w.set_last_meaning("true" if v else "false")
        elif kind == _BCD:
            v = w.uint(name, 1)
            w.set_last_meaning(f"BCD {v:02X}")
        elif kind == _FLOAT:
            w.float(name, typ.size)
            return
        elif kind == _DATETIME or kind == _DATE or kind == _TIME:
            raw = w.bytes(name, typ.size)
            if kind == _DATETIME:
                w.set_last_meaning(_datetime_text(t, raw))
            elif kind == _DATE:
                w.set_last_meaning(_date_text(t, raw))
            else:
                w.set_last_meaning(_time_text(raw))
            return
        else:
            raise ConstraintError(f"{typ.title} cannot be read here", w.pos, w.path(name))
        if shape is not None and shape.read is not None:
            text = self.integer_meaning(shape, v)
            if text is not None:
                w.set_last_meaning(text)

    def integer_meaning(self, shape: _Shape, v: int) -> str | None:
        t = self.t
        read = shape.read
        if read == "class_id":
            cls = t.classes.get(v)
            return cls[1] if cls else None
        if isinstance(read, tuple):
            if read[0] == "enum":
                entry = t.enum(read[1]).get(v)
                return entry[1] if entry else f"{v} (not in {read[1]})"
            if read[0] == "lookup":
                return t.lookup(read[1], read[2], v) or f"0x{v:04X} (not in {read[1]} {read[2]})"
        return None

    def variable(self, name: str, typ: _Type, shape: _Shape | None = None) -> None:
        """A length-prefixed value (octet/visible/UTF-8 string, bit-string) into the current group."""
        w, t = self.w, self.t
        kind = typ.kind
        if kind == _BITS:
            at = w.pos
            bits = w.ber_length("length")
            nbytes = (bits + 7) // 8
            if nbytes > w.remaining:
                raise LengthError(f"declares {bits} bits ({nbytes} bytes) but only {w.remaining} bytes remain",
                                  at, w.path("length"), expected=nbytes, actual=w.remaining)
            if nbytes:
                raw = w.bytes(name, nbytes)
                text = _bit_digits(raw[:8])[:bits]   # at most 64 bits are shown
                w.set_last_meaning(text if bits <= 64 else f"{text}… ({bits} bits)")
            return
        n = self.length()
        if kind == _ASCII:
            if n:
                raw = w.bytes(name, n)
                w.set_last_meaning(raw.decode("ascii", errors="replace") if _printable(raw) else
                                   "(not visible ASCII) " + raw.decode("latin-1"))
            return
        if kind == _UTF8:
            if n:
                raw = w.bytes(name, n)
                try:
                    w.set_last_meaning(raw.decode("utf-8"))
                except UnicodeDecodeError:
                    w.set_last_meaning("(not valid UTF-8) " + raw.decode("utf-8", errors="replace"))
            return
        read = shape.read if shape is not None else None
        if read is None:
            pass
        elif shape.layout is not None:
            found = shape.layout
            if found.size == n:
                row = w.open_group(name)
                self.fields(found)
                w.close_group()
                w.set_meaning(row, found.title)
                return
            self.mismatch(shape, f"{n} bytes, layout {found.name} takes {found.size}")
        elif read == "ciphered":
            header_size, tag_length = t.security_header_size, t.tag_length
            if n >= header_size + tag_length:
                row = w.open_group(name)
                header = w.open_group("security_header")
                sc = w.uint("security_control", 1)
                w.set_last_meaning(t.security_control.get(sc))
                w.uint("invocation_counter", header_size - 1)
                w.close_group()
                w.set_meaning(header, "security control + invocation counter")
                w.bytes("ciphertext", n - header_size - tag_length)
                w.bytes("tag", tag_length)
                w.set_last_meaning("GCM authentication tag")
                w.close_group()
                w.set_meaning(row, "ciphered (security header, ciphertext, tag)")
                return
            self.mismatch(shape, f"{n} bytes is too short for security header + tag")
        if n == 0:
            return
        raw = w.bytes(name, n)
        if read is not None and read == "obis" and n == 6:
            w.set_last_meaning(_object_meaning(t, raw))
        else:
            w.set_last_meaning(_octets_meaning(t, raw))

    def fields(self, found: _Layout) -> None:
        """Fixed binary fields of a struct from specs (contents that are not A-XDR), walked by the
        layout interpreter; DLMS meanings (COSEM descriptors, enum misses) come as hooks."""
        w, t = self.w, self.t
        hooks: dict = {}
        for field, (enum, values) in found.enums.items():
            hooks[field] = _enum_miss(enum, values)
        if found.descriptors:
            hooks["class_id"] = lambda cid, scope: _class_meaning(t, cid)
            hooks["instance_id"] = lambda raw, scope: _object_meaning(t, raw)
            hooks["attribute_id"] = lambda idx, scope: self.descriptor_member(scope.get("class_id"),
                                                                              scope.get("instance_id"), idx)
            for field in found.descriptors:
                hooks[field] = lambda values, scope: self.descriptor_meaning(values)
        found.program.walk(w, hooks)

    def descriptor_member(self, cid: int, raw: bytes, idx: int) -> str:
        """An attribute id's meaning, noting an object addressed under a class the specs do not list."""
        t = self.t
        self.class_note(cid, raw)
        member = t.members.get((cid, "attribute", idx))
        return member[1] if member else f"attribute {idx}"

    def descriptor_meaning(self, values: dict) -> str:
        """A descriptor group's meaning: which attribute of which object."""
        t = self.t
        idx = values["attribute_id"]
        member = t.members.get((values["class_id"], "attribute", idx))
        return f"{member[1] if member else f'attribute {idx}'} of {_object_meaning(t, values['instance_id'])}"

    # -- compact-array -------------------------------------------------------------------
    def type_description(self, name: str, depth: int) -> tuple:
        w, t = self.w, self.t
        if depth >= MAX_DEPTH:
            raise ConstraintError(f"type description nested more than {MAX_DEPTH} deep", w.pos, w.path(name),
                                  rule="GBCS-D006")
        tag = w.peek(0)
        if tag is None:
            w.need(1, f"{name}.tag")
        typ = t.types.get(tag)
        if typ is None:
            raise UnknownCodeError(f"0x{tag:02X} is not a DLMS data type tag", w.pos, w.path(f"{name}.tag"),
                                   actual=tag)
        if typ.read == "compact":
            raise ConstraintError("a compact-array type description cannot contain a compact-array", w.pos,
                                  w.path(f"{name}.tag"), actual=tag)
        row = w.open_group(name)
        w.uint("tag", 1, typ.title)
        if typ.name == "array":
            n = w.uint("count", 2)
            elem = self.type_description("element_type", depth + 1)
            desc = ("array", typ, n, elem)
            w.set_meaning(row, f"array of {n}")
        elif typ.name == "structure":
            n = self.count("count", "member types")
            members = [self.type_description(f"member_types[{i}]", depth + 1) for i in range(n)]
            desc = ("structure", typ, members)
            w.set_meaning(row, f"structure of {n}")
        else:
            desc = ("simple", typ)
            w.set_meaning(row, typ.title)
        w.close_group()
        return desc

    def compact_array(self, depth: int) -> None:
        w = self.w
        desc = self.type_description("type_description", depth + 1)
        at = w.pos
        n = w.ber_length("contents_length")
        outer = w.push_limit(n, "contents_length", at)
        group = w.open_group("contents")
        i = 0
        while w.remaining:
            before = w.pos
            self.untagged(_element_name(i), desc, depth + 1)
            if w.pos == before:
                raise ConstraintError("compact-array elements of this type take no bytes, so the contents "
                                      "cannot be divided into elements", w.pos, w.path(f"elements[{i}]"),
                                      rule="GBCS-D006")
            i += 1
        w.close_group()
        w.set_meaning(group, f"{i} element{'s' if i != 1 else ''}")
        w.pop_limit(outer, "contents")

    def untagged(self, name: str, desc: tuple, depth: int) -> None:
        w = self.w
        if depth >= MAX_DEPTH:
            raise ConstraintError(f"compact-array values nested more than {MAX_DEPTH} deep", w.pos, w.path(name),
                                  rule="GBCS-D006")
        kind = desc[0]
        if kind == "array":
            row = w.open_group(name)
            for j in range(desc[2]):
                self.untagged(_element_name(j), desc[3], depth + 1)
            w.close_group()
            w.set_meaning(row, f"array of {desc[2]}")
        elif kind == "structure":
            row = w.open_group(name)
            for j, member in enumerate(desc[2]):
                self.untagged(_element_name(j), member, depth + 1)
            w.close_group()
            w.set_meaning(row, f"structure of {len(desc[2])}")
        else:
            typ = desc[1]
            read = typ.kind
            if read == _OCTETS or read == _ASCII or read == _UTF8 or read == _BITS:
                row = w.open_group(name)
                self.variable("value", typ)
                w.close_group()
                w.set_meaning(row, typ.title)
            else:
                self.fixed(name, typ)


_ELEMENT_NAMES = [f"elements[{i}]" for i in range(_COUNTED)]
_DATA_NAMES = [f"data[{i}]" for i in range(_COUNTED)]
_REQUEST_SPEC_NAMES = [f"request_specs[{i}]" for i in range(_COUNTED)]
_RESPONSE_SPEC_NAMES = [f"response_specs[{i}]" for i in range(_COUNTED)]


def _element_name(i: int) -> str:
    """`elements[i]`, made once for the common small indexes."""
    return _ELEMENT_NAMES[i] if i < _COUNTED else f"elements[{i}]"


def _data_name(i: int) -> str:
    """`data[i]`, made once for the common small indexes."""
    return _DATA_NAMES[i] if i < _COUNTED else f"data[{i}]"


# ======================================================================================
# Public decoders
# ======================================================================================

def decode_dlms(w, ctx) -> None:
    """Decode DLMS content filling the walker's frame (Access-Request, -Response, Data-Notification)."""
    t = _tables(ctx.specs)
    d = _Dlms(w, t, ctx)
    tag = w.peek(0)
    if tag is None:
        w.need(1, "apdu_tag")
    entry = t.apdus.get(tag)
    if entry is None:
        raise UnknownCodeError(f"0x{tag:02X} is not a DLMS APDU GBCS uses (D9 Access-Request, DA Access-Response, "
                               "0F Data-Notification)", w.pos, w.path("apdu_tag"), actual=tag)
    w.uint("apdu_tag", 1, entry[1])
    d.invoke_id()
    d.date_time()
    if entry[0] == "access_request":
        specs = d.request_specs()
        n = len(d.data_list(None, False, specs))
        if n != len(specs):
            d.note(f"{len(specs)} request specifications but {n} data items")
    elif entry[0] == "access_response":
        optional = t.optional
        echo = w.expect("request_spec_echo", 1, t.optional_codes, "an A-XDR OPTIONAL flag (00 absent, 01 present)")
        w.set_last_meaning(f"access-request-specification {optional[echo][1]}")
        if echo:
            d.request_specs()
        protected = ctx.message_code in t.protected_codes
        rows = d.data_list(t.protected_shape if protected else None, True, None)
        if d.structures:                 # it names structures (and the items before them) only
            annotate_dlms_scaler_units(w.tape, rows, t.specs)
        d.response_specs()
    else:
        shape = t.alert_bodies.get(ctx.message_code, t.default_alert)
        d.data("notification_body", 0, shape, shape is t.default_alert, None)
    if w.remaining:
        left = w.remaining
        raise LengthError(f"{left} byte{'s' if left != 1 else ''} after the end of the DLMS {entry[1]}", w.pos,
                          w.path("apdu"), rule="GBCS-D005", actual=left)


def decode_data(w, ctx=None, name: str = "data", specs: SpecSet | None = None) -> Node:
    """Decode ONE DLMS Data value at the walker's position as a node called `name`."""
    s = specs or (ctx.specs if ctx is not None else _default_specs())
    return tape_view(w.tape, _Dlms(w, _tables(s), ctx).data(name, 0))


# ======================================================================================
# Encoders and builders
# ======================================================================================

axdr_length = minimal_ber_length     # A-XDR lengths and quantities use the BER form


def _t(specs: SpecSet | None) -> _Tables:
    return _tables(specs or _default_specs())


def dlms_datetime(value: _dt.datetime | _dt.date | str | bytes | None = None, *, deviation: int | None = None,
                  clock_status: int = 0xFF) -> bytes:
    """12-byte DLMS date-time from a datetime, "now"/"never" (GBCS specials) or 12 raw bytes.

    deviation None = not specified (0x8000); for an aware datetime it defaults to its offset.
    """
    if isinstance(value, (bytes, bytearray)):
        size = _t(None).datetime_size
        if len(value) != size:
            raise EncodeError(f"a DLMS date-time is {size} bytes, not {len(value)}")
        return bytes(value)
    if value in ("now", "never"):
        for raw, title in _t(None).special_datetimes.items():
            if title == value:
                return raw
    if not isinstance(value, _dt.date):
        raise EncodeError(f"cannot make a DLMS date-time from {value!r}")
    if not isinstance(value, _dt.datetime):
        value = _dt.datetime(value.year, value.month, value.day)
    if deviation is None and value.utcoffset() is not None:
        deviation = -int(value.utcoffset().total_seconds() // 60)
    dev = 0x8000 if deviation is None else deviation & 0xFFFF
    return (value.year.to_bytes(2, "big")
            + bytes([value.month, value.day, value.isoweekday(), value.hour, value.minute, value.second,
                     value.microsecond // 10000])
            + dev.to_bytes(2, "big") + bytes([clock_status]))


def _type_named(t: _Tables, name: str) -> _Type:
    typ = t.type_by_name.get(name)
    if typ is None:
        raise EncodeError(f"{name!r} is not a DLMS data type (known: {', '.join(sorted(t.type_by_name))})")
    return typ


def _bits(value) -> bytes:
    """A-XDR bit-string contents from '0101…' or (bytes, number of bits)."""
    if isinstance(value, str):
        if set(value) - {"0", "1"}:
            raise EncodeError("a bit-string text has only 0 and 1")
        nbits = len(value)
        padded = value + "0" * (-nbits % 8)
        raw = bytes(int(padded[i:i + 8], 2) for i in range(0, len(padded), 8))
    else:
        raw, nbits = bytes(value[0]), int(value[1])
        if (nbits + 7) // 8 != len(raw):
            raise EncodeError(f"{nbits} bits take {(nbits + 7) // 8} bytes, not {len(raw)}")
    return axdr_length(nbits) + raw


def _plain(t: _Tables, typ: _Type, value) -> bytes:
    """The bytes after the tag of a non-list value (also the untagged form in compact arrays)."""
    read = typ.read
    try:
        if read == "none":
            if value is not None:
                raise EncodeError(f"{typ.title} carries no value")
            return b""
        if read == "boolean":
            return b"\x01" if value else b"\x00"
        if read in ("int", "uint"):
            return int(value).to_bytes(typ.size, "big", signed=read == "int")
        if read == "bcd":
            return bytes([int(value)])
        if read == "float":
            return _struct.pack(">f" if typ.size == 4 else ">d", value)
        if read == "bits":
            return _bits(value)
        if read == "octets":
            raw = dlms_datetime(value) if isinstance(value, (_dt.date, _dt.datetime)) else bytes(value)
            return axdr_length(len(raw)) + raw
        if read == "ascii":
            raw = value.encode("ascii") if isinstance(value, str) else bytes(value)
            return axdr_length(len(raw)) + raw
        if read == "utf8":
            raw = value.encode("utf-8") if isinstance(value, str) else bytes(value)
            return axdr_length(len(raw)) + raw
        if read in ("datetime", "date", "time"):
            raw = dlms_datetime(value) if read == "datetime" and not isinstance(value, (bytes, bytearray)) \
                else bytes(value)
            if len(raw) != typ.size:
                raise EncodeError(f"a {typ.title} is {typ.size} bytes, not {len(raw)}")
            return raw
    except (OverflowError, TypeError, ValueError, _struct.error) as exc:
        if isinstance(exc, EncodeError):
            raise
        raise EncodeError(f"{value!r} is not a valid {typ.title}: {exc}") from exc
    raise EncodeError(f"{typ.title} has no plain form")


def _type_description(t: _Tables, desc) -> bytes:
    if isinstance(desc, str):
        typ = _type_named(t, desc)
        if typ.read in ("list", "compact"):
            raise EncodeError(f"describe {desc} as ('array', n, type) or ('structure', [types])")
        return bytes([typ.tag])
    if desc[0] == "array":
        return bytes([t.type_by_name["array"].tag]) + int(desc[1]).to_bytes(2, "big") + _type_description(t, desc[2])
    if desc[0] == "structure":
        return (bytes([t.type_by_name["structure"].tag]) + axdr_length(len(desc[1]))
                + b"".join(_type_description(t, d) for d in desc[1]))
    raise EncodeError(f"cannot read the type description {desc!r}")


def _compact_values(t: _Tables, desc, value) -> bytes:
    if isinstance(desc, str):
        return _plain(t, _type_named(t, desc), value)
    if desc[0] == "array":
        if len(value) != desc[1]:
            raise EncodeError(f"the type description says {desc[1]} elements, the value has {len(value)}")
        return b"".join(_compact_values(t, desc[2], v) for v in value)
    if len(value) != len(desc[1]):
        raise EncodeError(f"the type description has {len(desc[1])} members, the value {len(value)}")
    return b"".join(_compact_values(t, d, v) for d, v in zip(desc[1], value))


def encode_data(value: Any, specs: SpecSet | None = None) -> bytes:
    """One DLMS Data value in A-XDR.

    None -> null-data; bool -> boolean; bytes -> octet-string; str -> visible-string; datetime ->
    12-byte date-time octet-string; (type_name, value) for anything else, e.g.
    ("long_unsigned", 5), ("structure", [v, …]), ("array", [v, …]), ("enum", 2),
    ("bit_string", "0101"), ("compact_array", (description, [values…])) with a description
    "long_unsigned" | ("array", n, description) | ("structure", [descriptions]), and
    ("raw", encoded_bytes) to insert bytes as they are.
    """
    t = _t(specs)
    if value is None:
        return b"\x00"
    if isinstance(value, bool):
        return bytes([t.type_by_name["boolean"].tag]) + _plain(t, t.type_by_name["boolean"], value)
    if isinstance(value, (bytes, bytearray)):
        return bytes([t.type_by_name["octet_string"].tag]) + _plain(t, t.type_by_name["octet_string"], value)
    if isinstance(value, str):
        return bytes([t.type_by_name["visible_string"].tag]) + _plain(t, t.type_by_name["visible_string"], value)
    if isinstance(value, _dt.datetime):
        return encode_data(("octet_string", dlms_datetime(value)), specs)
    if not (isinstance(value, tuple) and len(value) == 2 and isinstance(value[0], str)):
        raise EncodeError(f"cannot tell the DLMS type of {value!r}; give (type_name, value), e.g. "
                          "('long_unsigned', 5) or ('array', [...])")
    name, v = value
    if name == "raw":
        return bytes(v)
    typ = _type_named(t, name)
    if typ.read == "list":
        items = list(v)
        return bytes([typ.tag]) + axdr_length(len(items)) + b"".join(encode_data(x, specs) for x in items)
    if typ.read == "compact":
        desc, values = v
        contents = b"".join(_compact_values(t, desc, x) for x in values)
        return bytes([typ.tag]) + _type_description(t, desc) + axdr_length(len(contents)) + contents
    return bytes([typ.tag]) + _plain(t, typ, v)


def _enum_value(t: _Tables, enum: str, value: int | str) -> int:
    if isinstance(value, int):
        return value
    for v, (name, _) in t.enum(enum).items():
        if name == value:
            return v
    raise EncodeError(f"{value!r} is not a member of enum {enum}")


def _class_id(t: _Tables, value: int | str) -> int:
    if isinstance(value, int):
        return value
    cid = t.class_by_name.get(value)
    if cid is None:
        raise EncodeError(f"{value!r} is not a COSEM class in specs (known: {', '.join(sorted(t.class_by_name))})")
    return cid


def _member_id(t: _Tables, cid: int, kind: str, value: int | str) -> int:
    if isinstance(value, int):
        return value
    for (c, k, idx), (name, _) in t.members.items():
        if c == cid and k == kind and name == value:
            return idx
    raise EncodeError(f"class {cid} has no {kind} called {value!r} in specs")


def _header(t: _Tables, apdu: str, invoke_id: int, flags: int, date_time) -> bytes:
    tag = _enum_value(t, "dlms_apdu", apdu)
    if not 0 <= invoke_id < 1 << 24 or not 0 <= flags < 256:
        raise EncodeError("invoke id is 24 bits and flags one byte")
    dt = b"\x00" if date_time is None else b"\x0C" + dlms_datetime(date_time)
    return bytes([tag, flags]) + invoke_id.to_bytes(3, "big") + dt


def _request_spec(t: _Tables, spec) -> bytes:
    choice, cls, obis, member = spec[:4]
    c = _enum_value(t, "dlms_request_choice", choice)
    cname = t.request_choices[c][0] if c in t.request_choices else ""
    cid = _class_id(t, cls)
    kind = "method" if cname == "action" else "attribute"
    out = bytes([c]) + cid.to_bytes(2, "big") + obis_bytes(obis) + bytes([_member_id(t, cid, kind, member)])
    if cname.endswith("_with_selection"):
        if len(spec) != 6:
            raise EncodeError(f"{cname} takes (choice, class, obis, attribute, selector, parameters)")
        out += bytes([spec[4]]) + encode_data(spec[5], t.specs)
    elif len(spec) != 4:
        raise EncodeError(f"{cname or choice} takes (choice, class, obis, {kind})")
    return out


def build_access_request(specs: Iterable[tuple], data: Iterable | None = None, *, invoke_id: int = 1000,
                         flags: int = 0x20, date_time=None, spec_set: SpecSet | None = None) -> bytes:
    """Access-Request (D9) content.

    specs: (choice, class, obis, attribute_or_method) tuples — choice "get" | "set" | "action" |
    "get_with_selection" (+ selector, parameters); class an id or name ("data", "clock", …);
    obis "A-B:C.D.E.F"; member a number or name. data: one value per spec (encode_data form);
    by default null-data for every spec.
    """
    t = _t(spec_set)
    specs = list(specs)
    values = [None] * len(specs) if data is None else list(data)
    return (_header(t, "access_request", invoke_id, flags, date_time)
            + axdr_length(len(specs)) + b"".join(_request_spec(t, s) for s in specs)
            + axdr_length(len(values)) + b"".join(encode_data(v, t.specs) for v in values))


def build_access_response(data: Iterable, results: Iterable[tuple], *, invoke_id: int = 1000, flags: int = 0x20,
                          date_time=None, request_specs: Iterable[tuple] | None = None,
                          spec_set: SpecSet | None = None) -> bytes:
    """Access-Response (DA) content: data values, then (choice, result) pairs such as
    ("get", "success") or ("action", 0)."""
    t = _t(spec_set)
    out = _header(t, "access_response", invoke_id, flags, date_time)
    if request_specs is None:
        out += b"\x00"
    else:
        rs = list(request_specs)
        out += b"\x01" + axdr_length(len(rs)) + b"".join(_request_spec(t, s) for s in rs)
    values = list(data)
    out += axdr_length(len(values)) + b"".join(encode_data(v, t.specs) for v in values)
    pairs = list(results)
    out += axdr_length(len(pairs))
    for choice, result in pairs:
        c = _enum_value(t, "dlms_response_choice", choice)
        enum = "dlms_action_result" if t.response_choices.get(c, ("",))[0] == "action" else "dlms_data_access_result"
        out += bytes([c, _enum_value(t, enum, result)])
    return out


def build_data_notification(body: Any, *, invoke_id: int = 2000, flags: int = 0x20, date_time=None,
                            spec_set: SpecSet | None = None) -> bytes:
    """Data-Notification (0F) content around one Data value."""
    t = _t(spec_set)
    return _header(t, "data_notification", invoke_id, flags, date_time) + encode_data(body, t.specs)


def build_alert(alert_code: int, timestamp=None, *extra: Any, invoke_id: int = 2000, flags: int = 0x20,
                spec_set: SpecSet | None = None) -> bytes:
    """DLMS alert: Data-Notification of structure {alert code, timestamp, extra elements…}.

    timestamp: datetime, "now"/"never" or 12 bytes; default the RTDS 2015-01-01 00:00:00."""
    stamp = dlms_datetime(timestamp if timestamp is not None else _dt.datetime(2015, 1, 1))
    body = ("structure", [("long_unsigned", alert_code), ("octet_string", stamp), *extra])
    return build_data_notification(body, invoke_id=invoke_id, flags=flags, spec_set=spec_set)


def protection_parameters(originator_counter: int, originator: bytes, recipient: bytes, *,
                          protection_type: int = 2, mode: int = 4, other_information: bytes = b"",
                          key_info_type: int = 2, key_parameters: int = 2, key_ciphered_data: bytes = b""):
    """The protection-parameters array of GBCS protected data (encode_data form)."""
    return ("array", [("structure", [
        ("enum", protection_type),
        ("structure", [
            ("octet_string", bytes([mode]) + originator_counter.to_bytes(8, "big")),
            ("octet_string", bytes(originator)),
            ("octet_string", bytes(recipient)),
            ("octet_string", bytes(other_information)),
            ("structure", [("enum", key_info_type),
                           ("structure", [("octet_string", bytes([key_parameters])),
                                          ("octet_string", bytes(key_ciphered_data))])]),
        ]),
    ])])


def protected_attributes_response(parameters, ciphertext: bytes, tag: bytes, *, invocation_counter: int = 0,
                                  security_control: int = 0x31):
    """A get_protected_attributes result: structure {protection parameters, ciphered octet-string}."""
    t = _t(None)
    if len(tag) != t.tag_length:
        raise EncodeError(f"the GCM tag is {t.tag_length} bytes")
    ciphered = (bytes([security_control]) + invocation_counter.to_bytes(t.security_header_size - 1, "big")
                + bytes(ciphertext) + bytes(tag))
    return ("structure", [parameters, ("octet_string", ciphered)])
