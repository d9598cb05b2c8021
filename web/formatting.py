"""Filters for the pages: dates as dd/mm/yyyy in Vietnam's time, percentages, counts and sizes in the
page language's number format, the current URL with some arguments changed, a fresh form key.
A leaf module: it imports no blueprint and not the factory."""
from __future__ import annotations

import datetime as dt
import uuid
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from babel.numbers import format_decimal
from flask import Flask, request
from flask_babel import gettext as _

from .i18n import locale

TZ = ZoneInfo("Asia/Ho_Chi_Minh")


def as_date(v) -> dt.date | None:
    if v in (None, ""):
        return None
    if isinstance(v, dt.datetime):
        return (v if v.tzinfo else v.replace(tzinfo=dt.timezone.utc)).astimezone(TZ).date()
    if isinstance(v, dt.date):
        return v
    try:
        return dt.date.fromisoformat(str(v)[:10])
    except ValueError:
        return None


def fmt_date(v) -> str:
    d = as_date(v)
    return d.strftime("%d/%m/%Y") if d else ("" if v in (None, "") else str(v))


def fmt_datetime(v) -> str:
    if v in (None, ""):
        return ""
    if isinstance(v, str):
        try:
            v = dt.datetime.fromisoformat(v.replace("Z", "+00:00"))
        except ValueError:
            return v
    if isinstance(v, dt.datetime):
        if v.tzinfo is None:
            v = v.replace(tzinfo=dt.timezone.utc)
        return v.astimezone(TZ).strftime("%d/%m/%Y %H:%M")
    return fmt_date(v)


def fmt_percent(v) -> str:
    """A share (Fraction or 0..1 float) as a percentage with two decimals in the page's language."""
    if v is None:
        return ""
    return format_decimal(float(v) * 100, format="0.00", locale=locale()) + "%"


def fmt_number(n) -> str:
    """A count with the page language's grouping: 1.000 in Vietnamese, 1,000 in English."""
    return format_decimal(int(n or 0), locale=locale())


def fmt_size(n) -> str:
    n = int(n or 0)
    if n < 1024:
        return _("%(n)s byte", n=n)
    if n < 1024 * 1024:
        return format_decimal(n / 1024, format="0.0", locale=locale()) + " KB"
    return format_decimal(n / 1024 / 1024, format="0.0", locale=locale()) + " MB"


def url_with(**changes) -> str:
    """The current page's URL with some query arguments changed (None removes one)."""
    args = request.args.to_dict()
    for k, v in changes.items():
        if v is None:
            args.pop(k, None)
        else:
            args[k] = v
    return request.path + ("?" + urlencode(args) if args else "")


def new_key() -> str:
    """A fresh idempotency key for a form being rendered: a double submit replays, never repeats."""
    return uuid.uuid4().hex


def install(app: Flask) -> None:
    app.jinja_env.filters.update(date=fmt_date, datetime=fmt_datetime, percent=fmt_percent, size=fmt_size,
                                 number=fmt_number)
    app.jinja_env.globals.update(new_key=new_key, url_with=url_with, as_date=as_date,
                                 now=lambda: dt.datetime.now(dt.timezone.utc))
