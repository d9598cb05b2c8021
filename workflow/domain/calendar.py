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


def sub_working_days(end: dt.date, days: int) -> dt.date:
    """The date `days` working days before `end` (the end day itself does not count)."""
    d, left = end, days
    while left > 0:
        d -= dt.timedelta(days=1)
        if is_working_day(d):
            left -= 1
    return d


def working_days_between(start: dt.date, end: dt.date) -> int:
    """The working days after `start` up to and including `end` (negative when `end` is before
    `start`): add_working_days(start, n) is the first date with n of them."""
    if end < start:
        return -working_days_between(end, start)
    n, d = 0, start
    while d < end:
        d += dt.timedelta(days=1)
        if is_working_day(d):
            n += 1
    return n


def add_months(d: dt.date, months: int) -> dt.date:
    """The same day `months` later (earlier when negative); the month's last day where it is shorter."""
    y, m = divmod(d.month - 1 + months, 12)
    year, month = d.year + y, m + 1
    nxt = dt.date(year + (month == 12), month % 12 + 1, 1)
    return dt.date(year, month, min(d.day, (nxt - dt.timedelta(days=1)).day))


def whole_months(start: dt.date, end: dt.date) -> int:
    """Whole months from `start` to `end` ('tính theo tháng'): a month is complete on the day of the
    month `start` fell on (or the month's last day where it is shorter)."""
    n = (end.year - start.year) * 12 + end.month - start.month
    if n > 0 and add_months(start, n) > end:
        n -= 1
    elif n < 0 and add_months(start, n) < end:
        n += 1
    return n
