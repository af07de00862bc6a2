"""Readable forms of the time encodings GBCS uses (meanings only; values stay raw)."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

EPOCH_2000 = datetime(2000, 1, 1, tzinfo=timezone.utc)


def utc2000_meaning(seconds: int) -> str:
    """Seconds since 2000-01-01T00:00:00Z as ISO 8601; 0 and FFFFFFFF are GBZ/ZSE specials."""
    if seconds == 0:
        return "0 (now / not set)"
    if seconds == 0xFFFFFFFF:
        return "FFFFFFFF (not set / never)"
    t = EPOCH_2000 + timedelta(seconds=seconds)      # years 2000..2136: always four digits
    return f"{t.year}-{t.month:02d}-{t.day:02d}T{t.hour:02d}:{t.minute:02d}:{t.second:02d}Z"


def dlms_datetime_text(raw: bytes) -> str | None:
    """A 12-byte DLMS date-time as ISO 8601, or None when it names no single instant.

    Unspecified deviation (0x8000) gives local time without an offset; wildcards (0xFF)
    in the date or time give None, as do GBCS's special "now" (zeros) and "never" (0xFF).
    """
    if len(raw) != 12:
        return None
    year = int.from_bytes(raw[0:2], "big")
    month, day, _dow, hour, minute, second, hundredths = raw[2:9]
    deviation = int.from_bytes(raw[9:11], "big", signed=True)
    if year in (0, 0xFFFF) or month > 12 or month == 0 or day == 0 or day > 31 or hour > 23 \
            or minute > 59 or second > 59:
        return None
    try:
        stamp = datetime(year, month, day, hour, minute, second,
                         hundredths * 10000 if hundredths < 100 else 0)
    except ValueError:
        return None
    text = stamp.isoformat(timespec="milliseconds" if 0 < hundredths < 100 else "seconds")
    if deviation != -0x8000:
        # DLMS deviation is minutes local time is *behind* UTC, so the offset is its negation.
        offset = -deviation
        sign = "+" if offset >= 0 else "-"
        text += f"{sign}{abs(offset) // 60:02d}:{abs(offset) % 60:02d}"
    return text


def dlms_datetime_meaning(raw: bytes) -> str:
    """Readable text of a 12-byte DLMS date-time, wildcards, "now"/"never" and clock status included."""
    from gbcs.payload.dlms import datetime_text   # the one spec-driven formatter
    return datetime_text(bytes(raw)) or "not a valid date-time"
