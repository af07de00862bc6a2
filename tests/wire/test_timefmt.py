"""The readable forms of GBCS time encodings (gbcs.wire.timefmt)."""
from __future__ import annotations

import random
from datetime import datetime, timedelta, timezone

from gbcs.wire.timefmt import utc2000_meaning

EPOCH = datetime(2000, 1, 1, tzinfo=timezone.utc)


def by_datetime(seconds: int) -> str:
    t = EPOCH + timedelta(seconds=seconds)
    return f"{t.year}-{t.month:02d}-{t.day:02d}T{t.hour:02d}:{t.minute:02d}:{t.second:02d}Z"


def test_utc2000_seconds_read_as_the_calendar_says():
    """Integer calendar arithmetic (C in the compiled twin) against datetime: every leap-day
    boundary of 2000..2136 (2100 is not a leap year), day ends, and random instants."""
    rnd = random.Random(7)
    seconds = [1, 59, 60, 3599, 3600, 86399, 86400, 0xFFFFFFFE]
    for year in range(2000, 2137):
        for month, day in ((2, 28), (3, 1), (12, 31)):
            try:
                at = int((datetime(year, month, day, tzinfo=timezone.utc) - EPOCH).total_seconds())
            except ValueError:
                continue
            seconds += [s for s in (at - 1, at, at + 86399) if 0 < s < 0xFFFFFFFF]
    seconds += [rnd.randrange(1, 0xFFFFFFFF) for _ in range(5000)]
    for s in seconds:
        assert utc2000_meaning(s) == by_datetime(s), s
    assert utc2000_meaning(0) == "0 (now / not set)"
    assert utc2000_meaning(0xFFFFFFFF) == "FFFFFFFF (not set / never)"
    assert utc2000_meaning(5184000) == "2000-03-01T00:00:00Z"     # 31 + 29 days: 2000 is a leap year
