"""Working days: Monday to Friday, minus Vietnam's public holidays (Tết and substitute days
included, from the `holidays` package). Deadlines in the definitions count these."""
from __future__ import annotations

import datetime as dt
from functools import lru_cache
from zoneinfo import ZoneInfo

import holidays

TZ_NAME = "Asia/Ho_Chi_Minh"
_TZ = ZoneInfo(TZ_NAME)


@lru_cache(maxsize=64)
def _holidays(year: int) -> frozenset[dt.date]:
    return frozenset(holidays.country_holidays("VN", years=year).keys())


def is_working_day(d: dt.date) -> bool:
    return d.weekday() < 5 and d not in _holidays(d.year)


def add_working_days(start: dt.date, days: int) -> dt.date:
    """The date `days` working days after `start` (the start day itself does not count)."""
    d, left = start, days
    while left > 0:
        d += dt.timedelta(days=1)
        if is_working_day(d):
            left -= 1
    return d


def working_days_between(start: dt.date, end: dt.date) -> int:
    """Working days after `start` up to and including `end` (negative if end is before start)."""
    if end < start:
        return -working_days_between(end, start)
    n, d = 0, start
    while d < end:
        d += dt.timedelta(days=1)
        n += is_working_day(d)
    return n


def local_date(t: dt.datetime) -> dt.date:
    return t.astimezone(_TZ).date()
