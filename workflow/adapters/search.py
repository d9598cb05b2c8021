"""The case list's text filter per database (what it looks in and how text is folded:
workflow/domain/search.py). Both answer exactly what Needle.finds says.

The conditions come in two parts: `exact`, which alone says what matches (instr() / strpos() on
the fold, and on the accented text when the needle has diacritics; LIKE '%…%' on PostgreSQL),
and `index`, which only narrows the cases to look at. SQLite's index part is the FTS5 trigram
index cases_search over the fold (3+ characters; FTS5 folds case again by its own tables, so it
may let a few more through, never fewer); PostgreSQL's LIKE is served by its pg_trgm index and
needs no separate part. A common text's newest page is found faster by walking the cases in date
order with the exact part alone than by gathering every match through the index first."""
from __future__ import annotations

from sqlalchemy import column, func, literal_column, table

from ..domain.search import Needle
from .tables import CASES_SEARCH, TRIGRAM, cases

_FTS = table(CASES_SEARCH, column("rowid"))


def like_escape(s: str) -> str:
    return s.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def fts_phrase(s: str) -> str:
    """`s` as one FTS5 phrase: every character literal, its quotes doubled."""
    return '"' + s.replace('"', '""') + '"'


def matches(dialect: str, needle: Needle) -> tuple[list, list]:
    """(index, exact): conditions on `cases` whose conjunction is 'its search text holds `needle`';
    `exact` alone says the same, `index` only narrows where to look."""
    if dialect == "postgresql":
        exact = [cases.c.search_fold.like(f"%{like_escape(needle.folded)}%", escape="\\")]
        if needle.exact is not None:
            exact.append(func.strpos(cases.c.search, needle.exact) > 0)
        return [], exact
    exact = [func.instr(cases.c.search_fold, needle.folded) > 0]
    if needle.exact is not None:
        exact.append(func.instr(cases.c.search, needle.exact) > 0)
    # (a join, driven from the index: SQLite steps through its matches and stops at a LIMIT, where
    # `id IN (…)` would gather every match first)
    index = [_FTS.c.rowid == cases.c.id, literal_column(CASES_SEARCH).op("MATCH")(fts_phrase(needle.folded))] \
        if len(needle.folded) >= TRIGRAM else []
    return index, exact
