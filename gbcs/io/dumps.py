"""Hex dumps people paste: `xxd`, `hexdump -C`, `od -Ax -tx1` and Wireshark's "Copy as Hex Dump".

Every line is an offset, the bytes in hex, and (except od) an ASCII column. A dump is
recognised when its first line starts at offset 0, or when its first two offsets advance by
the bytes of the first line. A new dump (a new message) starts where the offsets start again.
hexdump's and od's `*` (lines repeating the one before) are expanded.
"""
from __future__ import annotations

import re

_OFFSET = re.compile(r"^([0-9A-Fa-f]{4,16})(?:(?::\s?|\s+)(.*))?$")   # a lone offset ends hexdump/od
_HEXPAIR = re.compile(r"^[0-9A-Fa-f]{2}$")
_HEXGROUP = re.compile(r"^(?:[0-9A-Fa-f]{2})+$")

# (data, encoding, error, first line): the chunks inputs.py turns into InputMessages
Chunk = tuple[bytes | None, str, str | None, int | None]


def _hex_area(rest: str) -> str:
    """The hex part of a dump line: before hexdump's |ascii|, or before the ASCII column that
    xxd (two spaces) and Wireshark (three spaces) put after the padded hex."""
    if "|" in rest:
        return rest.split("|", 1)[0]
    tokens = re.split(r"(\s+)", rest.strip())
    area, seen_hex = [], False
    for i in range(0, len(tokens), 2):
        token = tokens[i]
        gap = tokens[i - 1] if i else ""
        if seen_hex and len(gap) >= 2 and not _HEXGROUP.match(token):
            break
        if not _HEXGROUP.match(token):
            break
        # a run of 2+ spaces ends the hex in xxd/Wireshark, but hexdump -C puts two mid-line
        if seen_hex and len(gap) >= 3:
            break
        area.append(token)
        seen_hex = True
    return " ".join(area)


def _line_bytes(rest: str) -> bytes | None:
    area = _hex_area(rest)
    if not area:
        return b""
    digits = area.replace(" ", "")
    if len(digits) % 2:
        return None
    try:
        return bytes.fromhex(digits)
    except ValueError:
        return None


def looks_like_dump(lines: list[str]) -> bool:
    rows = [line.rstrip() for line in lines if line.strip() and not line.lstrip().startswith("#")]
    if not rows:
        return False
    first = _OFFSET.match(rows[0].strip())
    if first is None:
        return False
    data = _line_bytes(first.group(2) or "")
    if not data:
        return False
    if int(first.group(1), 16) == 0 and (len(first.group(1)) >= 6 or ":" in rows[0] or "|" in rows[0]
                                         or re.match(r"^0000\s{2,}", rows[0].strip())):
        return True
    if len(rows) > 1:
        second = _OFFSET.match(rows[1].strip())
        return second is not None and int(second.group(1), 16) == int(first.group(1), 16) + len(data)
    return False


def from_dump(text: str) -> list[Chunk]:
    """The messages of one or more dumps in `text`."""
    chunks: list[Chunk] = []
    current: bytearray | None = None
    first_line = 0
    expected: int | None = None
    previous = b""
    repeat = False
    error: str | None = None

    def flush():
        nonlocal current
        if current is not None:
            chunks.append((bytes(current), "hex-dump", error, first_line))
        current = None

    for number, raw in enumerate(text.split("\n"), 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line == "*":
            repeat = True
            continue
        m = _OFFSET.match(line)
        if m is None:
            error = error or f"line {number} is not a dump line (offset, then hex bytes): {line[:20]!r}"
            continue
        offset = int(m.group(1), 16)
        data = _line_bytes(m.group(2) or "")
        if data is None:
            error = error or f"line {number} has an odd number of hex digits"
            data = b""
        if current is None or (expected is not None and offset != expected and not repeat) or \
                (repeat is False and offset == 0 and current):
            flush()
            current, first_line, error = bytearray(), number, None
            expected = offset
        if repeat and previous and expected is not None and offset > expected:
            gap = offset - expected
            current += (previous * (gap // len(previous) + 1))[:gap]
        repeat = False
        current += data
        expected = offset + len(data)
        if data:
            previous = data
    flush()
    return [c for c in chunks if c[0] or c[2]] or [(None, "hex-dump", "the dump holds no bytes", None)]
