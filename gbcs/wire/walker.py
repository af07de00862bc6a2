"""Bounds-checked reading of a byte buffer into a tree of Nodes.

Every read checks the bytes present before it slices, so an untrusted length can never
cause a large allocation; every leaf records its codec so the tree encodes back to the same
bytes. Errors name the absolute offset and the dotted field path being read.
"""
from __future__ import annotations

import struct

from gbcs.errors import ConstraintError, LengthError, TruncatedError, UnknownCodeError
from gbcs.message import Node

# Cap on nodes per input byte: keeps hostile counts (e.g. arrays of zero-width items)
# linear in the input size.
NODES_PER_BYTE = 8
NODE_ALLOWANCE = 4096


class Walker:
    __slots__ = ("data", "pos", "end", "stack", "budget", "last")

    def __init__(self, data: bytes, pos: int = 0, end: int | None = None,
                 root: Node | None = None, budget: int | None = None):
        self.data = data
        self.pos = pos
        self.end = len(data) if end is None else end
        self.stack: list[Node] = [root if root is not None else Node("message", pos, pos, children=[])]
        self.budget = budget if budget is not None else NODE_ALLOWANCE + NODES_PER_BYTE * len(data)
        self.last: Node | None = None

    # -- tree ------------------------------------------------------------------------
    @property
    def root(self) -> Node:
        return self.stack[0]

    @property
    def current(self) -> Node:
        return self.stack[-1]

    def path(self, name: str | None = None) -> str:
        parts = [n.name for n in self.stack[1:]]
        if name:
            parts.append(name)
        return ".".join(parts)

    def spend(self, count: int = 1, name: str | None = None) -> None:
        self.budget -= count
        if self.budget < 0:
            raise ConstraintError("too many elements for the size of the input; the counts in "
                                  "this message are not credible", self.pos, self.path(name),
                                  rule="GBCS-D006")

    def begin(self, name: str) -> Node:
        self.spend(1, name)
        node = Node(name, self.pos, self.pos, children=[])
        self.stack[-1].children.append(node)
        self.stack.append(node)
        return node

    def finish(self) -> Node:
        node = self.stack.pop()
        node.end = self.pos
        return node

    def leaf(self, name: str, start: int, codec: str, value, meaning: str | None = None) -> Node:
        self.spend(1, name)
        node = Node(name, start, self.pos, codec, value, meaning)
        self.stack[-1].children.append(node)
        self.last = node
        return node

    # -- bounds ----------------------------------------------------------------------
    @property
    def remaining(self) -> int:
        return self.end - self.pos

    def need(self, n: int, name: str) -> None:
        if n > self.end - self.pos:
            avail = self.end - self.pos
            raise TruncatedError(f"needs {n} byte{'s' if n != 1 else ''}, {avail} remain{'s' if avail == 1 else ''}"
                                 " — the message is truncated or a length before it is wrong",
                                 self.pos, self.path(name), needed=n, available=avail)

    def push_limit(self, length: int, name: str, length_at: int | None = None) -> int:
        """Confine reading to the next `length` bytes; returns the outer end for pop_limit."""
        if length > self.end - self.pos:
            raise LengthError(f"declares {length} bytes but only {self.end - self.pos} remain — "
                              "the message is truncated or the length is wrong",
                              self.pos if length_at is None else length_at, self.path(name),
                              expected=length, actual=self.end - self.pos)
        outer = self.end
        self.end = self.pos + length
        return outer

    def pop_limit(self, outer: int, name: str | None) -> None:
        if self.pos != self.end:
            left = self.end - self.pos
            raise LengthError(f"{left} byte{'s' if left != 1 else ''} left over inside a field of "
                              "declared length — the length is wrong or the content is malformed",
                              self.pos, self.path(name), rule="GBCS-D005", actual=left)
        self.end = outer

    def peek(self, offset: int = 0) -> int | None:
        p = self.pos + offset
        return self.data[p] if p < self.end else None

    def peek_bytes(self, n: int) -> bytes:
        return self.data[self.pos:min(self.pos + n, self.end)]

    # -- leaves ----------------------------------------------------------------------
    def uint(self, name: str, size: int, meaning: str | None = None) -> int:
        """Big-endian unsigned integer."""
        self.need(size, name)
        start = self.pos
        self.pos += size
        value = int.from_bytes(self.data[start:self.pos], "big")
        self.leaf(name, start, f"u{size * 8}", value, meaning)
        return value

    def uint_le(self, name: str, size: int, meaning: str | None = None) -> int:
        if size == 1:
            return self.uint(name, 1, meaning)
        self.need(size, name)
        start = self.pos
        self.pos += size
        value = int.from_bytes(self.data[start:self.pos], "little")
        self.leaf(name, start, f"u{size * 8}le", value, meaning)
        return value

    def sint(self, name: str, size: int, little: bool = False, meaning: str | None = None) -> int:
        self.need(size, name)
        start = self.pos
        self.pos += size
        value = int.from_bytes(self.data[start:self.pos], "little" if little else "big", signed=True)
        self.leaf(name, start, f"i{size * 8}" + ("le" if little and size > 1 else ""), value, meaning)
        return value

    def float(self, name: str, size: int, little: bool = False) -> float | bytes:
        self.need(size, name)
        start = self.pos
        self.pos += size
        raw = self.data[start:self.pos]
        codec = ("f32" if size == 4 else "f64") + ("le" if little else "")
        fmt = ("<" if little else ">") + ("f" if size == 4 else "d")
        value = struct.unpack(fmt, raw)[0]
        if struct.pack(fmt, value) != raw:        # NaN payloads: keep the bytes, lose nothing
            self.leaf(name, start, "bytes", raw, "float (not representable)")
            return raw
        self.leaf(name, start, codec, value)
        return value

    def bytes(self, name: str, n: int, meaning: str | None = None, codec: str = "bytes") -> bytes:
        self.need(n, name)
        start = self.pos
        self.pos += n
        value = self.data[start:self.pos]
        self.leaf(name, start, codec, value, meaning)
        return value

    def rest(self, name: str, codec: str = "bytes", meaning: str | None = None) -> bytes:
        return self.bytes(name, self.end - self.pos, meaning, codec)

    def ber_length(self, name: str) -> int:
        """A BER/DER definite length: short form, or 81/82/83/84 + big-endian value."""
        self.need(1, name)
        start = self.pos
        first = self.data[start]
        if first < 0x80:
            self.pos += 1
            self.leaf(name, start, "ber_len", first)
            return first
        n = first & 0x7F
        if n == 0 or n > 4:
            raise ConstraintError(f"length byte 0x{first:02X} is not a definite length this format allows "
                                  "(short form 00-7F, or 81-84 followed by that many length bytes)",
                                  start, self.path(name), rule="GBCS-D007", actual=first)
        self.need(1 + n, name)
        self.pos += 1 + n
        value = int.from_bytes(self.data[start + 1:self.pos], "big")
        self.leaf(name, start, "ber_len", value)
        return value

    def expect(self, name: str, size: int, allowed, what: str, meaning: str | None = None,
               unknown_code: bool = False) -> int:
        """A big-endian unsigned field whose value must be in `allowed`.

        `unknown_code` marks fields whose values are codes from a table (tags, flags), so a
        stranger is an UnknownCodeError rather than a plain constraint breach.
        """
        start = self.pos
        value = self.uint(name, size, meaning)
        if value not in allowed:
            shown = ", ".join(f"0x{v:0{size * 2}X}" for v in sorted(allowed))
            cls = UnknownCodeError if unknown_code else ConstraintError
            raise cls(f"0x{value:0{size * 2}X} is not {what} (expected {shown})", start, self.path(name),
                      expected=sorted(allowed), actual=value)
        return value
