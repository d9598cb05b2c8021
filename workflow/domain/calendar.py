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


def local_date(t: dt.datetime) -> dt.date:
    return t.astimezone(_TZ).date()


def day_start(d: dt.date) -> dt.datetime:
    """The first instant (UTC) of a day in Vietnam."""
    return dt.datetime.combine(d, dt.time(), _TZ).astimezone(dt.timezone.utc)


def due(start: dt.datetime, days: int | None) -> dt.date | None:
    """A step's deadline: `days` working days after the day it started (None: no deadline)."""
    return add_working_days(local_date(start), days) if days else None
