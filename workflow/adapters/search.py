"""The case list's text filter per database (what it looks in and how text is folded:
workflow/domain/search.py). Both answer exactly what Needle.finds says.

SQLite: the fold through the FTS5 trigram index cases_search (3+ characters; FTS5 folds case
again by its own tables, so an exact instr() on the fold follows), shorter needles by instr()
over every case. PostgreSQL: LIKE '%…%' on the fold, served by the pg_trgm index. A needle with
diacritics must also be found, as it is written, in the accented search text."""
from __future__ import annotations

from sqlalchemy import column, func, literal_column, select, table

from ..domain.search import Needle
from .tables import CASES_SEARCH, TRIGRAM, cases

_FTS = table(CASES_SEARCH, column("rowid"))


def like_escape(s: str) -> str:
    return s.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def fts_phrase(s: str) -> str:
    """`s` as one FTS5 phrase: every character literal, its quotes doubled."""
    return '"' + s.replace('"', '""') + '"'


def matches(dialect: str, needle: Needle) -> list:
    """Conditions on `cases`: its search text holds `needle`."""
    if dialect == "postgresql":
        cond = [cases.c.search_fold.like(f"%{like_escape(needle.folded)}%", escape="\\")]
        if needle.exact is not None:
            cond.append(func.strpos(cases.c.search, needle.exact) > 0)
        return cond
    cond = [func.instr(cases.c.search_fold, needle.folded) > 0]
    if len(needle.folded) >= TRIGRAM:
        cond.insert(0, cases.c.id.in_(select(_FTS.c.rowid).where(
            literal_column(CASES_SEARCH).op("MATCH")(fts_phrase(needle.folded)))))
    if needle.exact is not None:
        cond.append(func.instr(cases.c.search, needle.exact) > 0)
    return cond
