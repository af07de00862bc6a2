"""One escaping function for every text gbcs prints that it did not write itself.

Message values, meanings, file names, error messages and findings may carry control
characters (ESC, BEL, CR, LF…) that would let an input write its own lines or recolour the
terminal. Text output shows each as a visible escape instead: `\\x1b`, `\\r`, `\\u202e`.
A backslash is doubled so an escape in the output always means a character in the input.
"""
from __future__ import annotations

_NAMED = {"\\": "\\\\", "\n": "\\n", "\r": "\\r", "\t": "\\t"}
# C0 and C1 controls, DEL, the Unicode format characters that reorder or hide text, and lone
# surrogates (undecodable bytes of a file name), which no terminal or XML document can take
_UNSAFE = ([*range(0x00, 0x20), 0x7F, *range(0x80, 0xA0), 0x061C, 0x200B, 0x200E, 0x200F,
            *range(0x2028, 0x202F), *range(0x2060, 0x2070), *range(0xD800, 0xE000), 0xFEFF,
            0xFFFE, 0xFFFF])


def _escape_of(code: int) -> str:
    char = chr(code)
    if char in _NAMED:
        return _NAMED[char]
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


_TABLE = {code: _escape_of(code) for code in _UNSAFE} | {ord("\\"): "\\\\"}


def escape_text(text: object) -> str:
    """`text` (any object, as str()) with every control or invisible formatting character
    shown as a backslash escape; safe to print on a terminal or put in XML 1.0."""
    return str(text).translate(_TABLE)


_XML = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&apos;"})


def xml_text(text: object) -> str:
    """escape_text, then XML character escapes: fit for element content and attribute values."""
    return escape_text(text).translate(_XML)
