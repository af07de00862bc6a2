"""Readable forms of the time encodings GBCS uses (meanings only; values stay raw)."""
from __future__ import annotations

from datetime import datetime, timezone

EPOCH_2000 = datetime(2000, 1, 1, tzinfo=timezone.utc)
DAYS_0000_03_01_TO_2000 = 730425      # proleptic Gregorian days from 0000-03-01 to 2000-01-01


def utc2000_meaning(seconds: int) -> str:
    """Seconds since 2000-01-01T00:00:00Z as ISO 8601; 0 and FFFFFFFF are GBZ/ZSE specials."""
    if seconds == 0:
        return "0 (now / not set)"
    if seconds == 0xFFFFFFFF:
        return "FFFFFFFF (not set / never)"
    # The civil date by integer arithmetic (H. Hinnant's civil_from_days, days counted from
    # 0000-03-01 so leap days end each 4/100/400-year cycle): C arithmetic in the compiled twin,
    # where datetime + timedelta cost a microsecond a field.
    days, rest = seconds // 86400, seconds % 86400
    era = (days + DAYS_0000_03_01_TO_2000) // 146097
    day_of_era = (days + DAYS_0000_03_01_TO_2000) % 146097
    year_of_era = (day_of_era - day_of_era // 1460 + day_of_era // 36524 - day_of_era // 146096) // 365
    day_of_year = day_of_era - (365 * year_of_era + year_of_era // 4 - year_of_era // 100)
    shifted_month = (5 * day_of_year + 2) // 153                 # 0 = March
    day = day_of_year - (153 * shifted_month + 2) // 5 + 1
    month = shifted_month + 3 if shifted_month < 10 else shifted_month - 9
    year = era * 400 + year_of_era + (1 if month <= 2 else 0)   # years 2000..2136: four digits
    hour, minute, second = rest // 3600, rest % 3600 // 60, rest % 60
    return "%04d-%02d-%02dT%02d:%02d:%02dZ" % (year, month, day, hour, minute, second)


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
