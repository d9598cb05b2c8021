"""The parsers every input goes through (forms, tallies, the API, filters, the scenario runner):
ids, whole numbers, dates, yes/no, and text (NFC-normalised, control characters removed). Each
raises `Invalid` carrying the Problem to show beside the field."""
from __future__ import annotations

import datetime as dt
import re
import unicodedata
from typing import Any

from .errors import Problem

MAX_ID = 2**31 - 1      # ids are INTEGER columns: anything outside is simply no such row
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_DIGITS = {(False, 7): re.compile(r"\s*\d{1,7}\s*"), (True, 9): re.compile(r"\s*-?\d{1,9}\s*")}
_TRUE, _FALSE = ("true", "1", "yes", "on", "y"), ("false", "0", "no", "off", "n")


class Invalid(ValueError):
    """A value that does not parse; `problem` says why, in the field's words."""

    def __init__(self, problem: Problem):
        super().__init__(str(problem))
        self.problem = problem


def text(v: Any) -> str:
    """Text as people write it: NFC (one code point per accented letter, as typed on most keyboards)
    and without control characters (NUL…: PostgreSQL refuses NUL, and none of them means anything
    in a record). Tabs and line breaks stay."""
    return _CONTROL.sub("", unicodedata.normalize("NFC", str(v)))


def line(v: Any) -> str:
    """Text on one line with single spaces (names, titles of things)."""
    return " ".join(text(v).split())


def is_id(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool) and 0 < v <= MAX_ID


def whole_number(v: Any, *, signed: bool = False, digits: int = 7) -> int:
    """An int (not a bool), or text of at most `digits` digits (a minus sign when `signed`)."""
    if isinstance(v, str) and _DIGITS[(signed, digits)].fullmatch(v):
        v = int(v)
    if isinstance(v, bool) or not isinstance(v, int):
        raise Invalid(Problem("field.whole_number"))
    return v


def date(v: Any) -> str:
    """A date as YYYY-MM-DD text (a date or datetime object, or text in that form)."""
    if isinstance(v, (dt.date, dt.datetime)):
        return v.isoformat()[:10]
    try:
        return dt.date.fromisoformat(str(v).strip()).isoformat()
    except ValueError:
        raise Invalid(Problem("field.date")) from None


def boolean(v: Any) -> bool:
    if isinstance(v, bool):
        return v
    if str(v).lower() in _TRUE:
        return True
    if str(v).lower() in _FALSE:
        return False
    raise Invalid(Problem("field.yes_no"))
