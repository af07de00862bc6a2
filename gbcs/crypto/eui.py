"""EUI-64 entity identifiers as keystores and commands take them (no cryptography needed)."""
from __future__ import annotations

import re

from gbcs.errors import KeystoreError


def normalise_eui(eui: bytes | bytearray | str) -> bytes:
    """8 raw bytes from bytes or hex text (any case; '-', ':', ' ' separators allowed)."""
    if isinstance(eui, (bytes, bytearray)):
        raw = bytes(eui)
    elif isinstance(eui, str):
        text = re.sub(r"[\s:\-]", "", eui)
        try:
            raw = bytes.fromhex(text)
        except ValueError:
            raise KeystoreError(f"{eui!r} is not an EUI-64 (16 hex digits)") from None
    else:
        raise TypeError(f"an EUI is bytes or hex text, not {type(eui).__name__}")
    if len(raw) != 8:
        raise KeystoreError(f"an EUI-64 is 8 bytes, {eui!r} has {len(raw)}")
    return raw
