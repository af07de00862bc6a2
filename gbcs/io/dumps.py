"""Hex dumps people paste: `xxd`, `hexdump -C`, `od -Ax -tx1` and Wireshark's "Copy as Hex Dump".

Every line is an offset, the bytes in hex, and (except od) an ASCII column. A dump is
recognised when its first line starts at offset 0, or when its first two offsets advance by
the bytes of the first line. A new dump (a new message) starts where the offsets start again.
hexdump's and od's `*` (lines repeating the one before) are expanded.
"""
from __future__ import annotations

import re

from gbcs.io.inputs import DEFAULT_MAX_FILE_SIZE

# A `*` line stands for repeats up to the next offset; hostile offsets must not make that huge:
# a dump never stands for more bytes than the largest input file gbcs reads.
MAX_DUMP_BYTES = DEFAULT_MAX_FILE_SIZE

_OFFSET = re.compile(r"^([0-9A-Fa-f]{4,16})(?:(?::\s?|\s+)(.*))?$")   # a lone offset ends hexdump/od
_HEXPAIR = re.compile(r"^[0-9A-Fa-f]{2}$")
_HEXGROUP = re.compile(r"^(?:[0-9A-Fa-f]{2})+$")

# (data, encoding, error, first line): the chunks inputs.py turns into InputMessages
Chunk = tuple[bytes | None, str, str | None, int | None]


def _hex_area(rest: str) -> str:
    """The hex part of a dump line: before hexdump's |ascii|, or before the ASCII column that
    xxd and Wireshark put after the hex (hexdump -C's two mid-line spaces are not an end)."""
    if "|" in rest:
        return rest.split("|", 1)[0]
    parts = re.split(r"(\s+)", rest.strip())
    area: list[str] = []
    for i in range(0, len(parts), 2):
        token, gap = parts[i], parts[i - 1] if i else ""
        if not _HEXGROUP.match(token) or (area and len(gap) >= 3):
            break
        area.append(token)
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
    dumps: list[list] = []          # [first line, [(offset, bytes)], error, repeat-before-index set]
    expected: int | None = None
    last = -1
    repeat = blank = False
    for number, raw in enumerate(text.split("\n"), 1):
        line = raw.strip()
        if not line:
            blank = True
            continue
        if line.startswith("#"):
            continue
        if line == "*":             # hexdump/od: lines equal to the one before were left out
            repeat = True
            continue
        m = _OFFSET.match(line)
        if m is None:
            if dumps:
                dumps[-1][2] = dumps[-1][2] or f"line {number} is not a dump line (offset, then hex bytes): {line[:20]!r}"
            continue
        offset = int(m.group(1), 16)
        data = _line_bytes(m.group(2) or "")
        # a new message where the offsets start again, or after a blank line where they jump
        if not dumps or offset <= last or (blank and offset != expected):
            dumps.append([number, [], None, set()])
        dump = dumps[-1]
        if data is None:
            dump[2] = dump[2] or f"line {number} has an odd number of hex digits"
            data = b""
        if repeat:
            dump[3].add(len(dump[1]))
        dump[1].append((offset, data))
        expected, last, repeat, blank = offset + len(data), offset, False, False
    chunks: list[Chunk] = []
    for first, rows, error, repeats in dumps:
        out = bytearray()
        for i, (offset, data) in enumerate(rows):
            if i + 1 < len(rows):
                room = rows[i + 1][0] - offset
                if i + 1 in repeats and data:       # fill up to the next offset with this line again
                    if len(out) + room > MAX_DUMP_BYTES:
                        error = error or (f"line {first}: the repeated lines (*) stand for {len(out) + room:,} "
                                          f"bytes, more than the {MAX_DUMP_BYTES:,} an input may hold; "
                                          "check the offsets of the dump")
                        out.clear()             # no part of a dump that could not be read whole
                        break
                    data = (data * (room // len(data) + 1))[:room]
                elif len(data) > room >= 0:          # an ASCII column that looked like hex
                    data = data[:room]
            out += data
        if out or error:
            chunks.append((bytes(out) if out else None, "hex-dump", error, first))
    return chunks or [(None, "hex-dump", "the dump holds no bytes", None)]
