"""How each leaf codec turns its value back into bytes (gbcs.encode) and how wide it is.

A codec name is the contract between the walker (which records it on every leaf) and the
encoder. Integers: u/i + bits, big-endian unless suffixed `le`.
"""
from __future__ import annotations

import struct

from gbcs.errors import EncodeError
from gbcs.spec.types import INT_TYPES

# Integer leaves share their names with the struct field types (u16, i32le, …).
INT_CODECS = INT_TYPES   # name -> (size, signed, little_endian)

FLOAT_CODECS = {"f32": ">f", "f64": ">d", "f32le": "<f", "f64le": "<d"}
BYTES_CODECS = frozenset({"bytes", "unparsed"})


X690_CONSTRUCTED = 0x20  # identifier-octet bit of a constructed encoding (X.690 8.1.2.5)


def universal_tag(s, name: str) -> int:
    """The identifier octet of the universal type `name` in SpecSet `s` (asn1_universal x680,
    e.g. SEQUENCE -> 0x30): its number, with the constructed bit where the type is constructed."""
    row = next(r.cells for r in s.get("asn1_universal", "x680").rows if r.cells["name"] == name)
    return row["number"] | (X690_CONSTRUCTED if row["decode"] == "constructed" else 0)


def minimal_ber_length(n: int) -> bytes:
    """The shortest BER definite length (also the A-XDR length/quantity form)."""
    if n < 0:
        raise EncodeError("a length cannot be negative")
    if n < 0x80:
        return bytes([n])
    body = n.to_bytes((n.bit_length() + 7) // 8, "big")
    if len(body) > 4:
        raise EncodeError(f"length {n} needs more than 4 length bytes")
    return bytes([0x80 | len(body)]) + body


def encode_ber_length(value: int, width: int) -> bytes:
    """BER definite length in `width` bytes (1 = short form), so non-minimal forms survive."""
    if width <= 1:
        if not 0 <= value < 0x80:
            raise EncodeError(f"length {value} does not fit the short form; use a long form")
        return bytes([value])
    n = width - 1
    if value < 0 or value >= 1 << (8 * n):
        raise EncodeError(f"length {value} does not fit in {n} length bytes")
    return bytes([0x80 | n]) + value.to_bytes(n, "big")


def encode_leaf(codec: str, value, width: int) -> bytes:
    if codec in BYTES_CODECS:
        return bytes(value)
    spec = INT_CODECS.get(codec)
    if spec is not None:
        size, signed, little = spec
        try:
            return int(value).to_bytes(size, "little" if little else "big", signed=signed)
        except OverflowError as exc:
            raise EncodeError(f"value {value} does not fit codec {codec}") from exc
    if codec == "ber_len":
        return encode_ber_length(int(value), width)
    fmt = FLOAT_CODECS.get(codec)
    if fmt is not None:
        return struct.pack(fmt, value)
    raise EncodeError(f"unknown codec {codec!r}")
