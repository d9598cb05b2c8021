"""The write path's statements, run on the driver's own cursor.

Every audited change runs about ten small statements (read the user and the case, read the
step's records, update the case, supersede and add records, lock and move the chain head, add the
event). Through SQLAlchemy Core each costs 60–90 µs of Python on top of the driver's own 10–15 µs
(execution context, result object, events, cache-key lookup): most of an action's CPU. Here each
Core statement is compiled once per dialect and per set of parameter names, and then executed on
the DBAPI cursor of the caller's SQLAlchemy connection, inside its transaction. What Core would
have done for us is done from Core's own public parts, so both databases see exactly what Core
would send:

- the SQL text and parameter order come from `stmt.compile(dialect=…)` (casts, quoting, paramstyle);
- constant parameters (`… WHERE id = 1`) come from `Compiled.construct_params`;
- values are converted by each type's `bind_processor` / `result_processor` for that dialect
  (SQLite's datetime text and JSON text, booleans);
- a driver error is raised as SQLAlchemy's exception (`IntegrityError`, `OperationalError`…), and
  a dropped connection is invalidated, as Core does.

What it does not do, and refuses rather than gets wrong: statements with expanding IN parameters,
INSERTs that would need a Python-side column default, RETURNING. Those go through Core.

`run(conn, stmt, params)` is the one entry point. CADREFLOW_FAST_SQL=0 sends everything through
Core instead: the same results, slower. tests/test_fastsql.py runs every scenario file both ways
and compares the tables they leave, event hashes included."""
from __future__ import annotations

import os
from collections import namedtuple
from typing import Any, Iterator, Mapping

from sqlalchemy import exc
from sqlalchemy.engine import Connection
from sqlalchemy.sql import Delete, Insert, Select, Update
from sqlalchemy.sql.elements import ClauseElement

ENABLED = os.environ.get("CADREFLOW_FAST_SQL", "1") not in ("0", "false", "no", "off")


class Result:
    """The little of a CursorResult the write path uses."""
    __slots__ = ("rows", "rowcount")

    def __init__(self, rows: list, rowcount: int):
        self.rows, self.rowcount = rows, rowcount

    def first(self):
        return self.rows[0] if self.rows else None

    def one(self):
        if len(self.rows) != 1:
            raise exc.NoResultFound("no row was found") if not self.rows else exc.MultipleResultsFound(
                "more than one row was found")
        return self.rows[0]

    def scalar_one(self):
        return self.one()[0]

    def all(self) -> list:
        return self.rows

    def __iter__(self) -> Iterator:
        return iter(self.rows)


def row_class(names: list[str]):
    """A light row type: a namedtuple with `_mapping`, as SQLAlchemy's Row has."""
    base = namedtuple("FastRow", names, rename=True)
    # `_mapping` as on SQLAlchemy's Row: callers spread it ({**row._mapping, …})
    return type("FastRow", (base,), {"__slots__": (), "_mapping": property(lambda self: dict(zip(self._fields, self)))})


class Prepared:
    """One statement compiled for one dialect and one set of parameter names."""
    __slots__ = ("sql", "constants", "positional", "order", "binders", "row", "readers", "names")

    def __init__(self, stmt: ClauseElement, dialect, keys: tuple[str, ...]):
        column_keys = list(keys) if isinstance(stmt, (Insert, Update)) else None
        compiled = stmt.compile(dialect=dialect, column_keys=column_keys)
        if any(b.expanding for b in compiled.binds.values()):
            raise _Unsupported("expanding IN parameter")
        if getattr(compiled, "insert_prefetch", None) or getattr(compiled, "update_prefetch", None):
            raise _Unsupported("a Python-side column default")
        if getattr(compiled, "returning", None) or getattr(compiled, "effective_returning", None):
            raise _Unsupported("RETURNING")
        missing = {n for b, n in compiled.bind_names.items() if b.required} - set(keys)
        if missing:   # Core says which value is missing
            raise _Unsupported("a value is missing")
        if compiled.escaped_bind_names:
            raise _Unsupported("parameter names that need escaping")
        self.sql, self.positional = compiled.string, compiled.positional
        # the statement's own values (`WHERE id = 1`); the caller's are laid over them
        self.constants = compiled.construct_params(_check=False)
        self.names = frozenset(compiled.bind_names.values())
        self.order = tuple(compiled.positiontup) if self.positional else None
        self.binders = {}
        for bind, name in compiled.bind_names.items():
            proc = bind.type.dialect_impl(dialect).bind_processor(dialect)
            if proc is not None:
                self.binders[name] = proc
        self.row = self.readers = None
        if isinstance(stmt, Select):
            cols = list(stmt.selected_columns)
            self.row = row_class([k for k in stmt.selected_columns.keys()])
            readers = [c.type.dialect_impl(dialect).result_processor(dialect, None) for c in cols]
            self.readers = readers if any(readers) else None

    def params(self, given: Mapping[str, Any]):
        p = {**self.constants, **given} if self.constants else given
        if self.binders:
            if p is given:
                p = dict(given)
            for name, proc in self.binders.items():
                p[name] = proc(p[name])
        if self.positional:
            return tuple([p[n] for n in self.order])
        return {n: p[n] for n in self.names}


class _Unsupported(Exception):
    pass


_CACHE: dict[tuple, Prepared | None] = {}
_NO_PARAMS: Mapping[str, Any] = {}


def _prepared(stmt: ClauseElement, dialect, keys: tuple[str, ...]) -> Prepared | None:
    key = (stmt, dialect.name, dialect.driver, keys)
    p = _CACHE.get(key, _CACHE)
    if p is _CACHE:
        try:
            p = Prepared(stmt, dialect, keys)
        except _Unsupported:
            p = None
        if len(_CACHE) > 2000:          # bounded: UPDATE's column sets vary, but only a little
            _CACHE.clear()
        _CACHE[key] = p
    return p


_CURSOR = "cadreflow_fastsql_cursor"


def _cursor(fairy):
    """One cursor per DBAPI connection, kept in the pool record's info (which the pool clears when
    it replaces the connection): a psycopg cursor costs ~10 µs to make, once per statement before.
    Every statement here fetches its rows at once, so nothing is left pending on it."""
    raw = fairy.dbapi_connection
    kept = fairy.info.get(_CURSOR)
    if kept is not None and kept[0] is raw:
        return kept[1]
    cursor = raw.cursor()
    fairy.info[_CURSOR] = (raw, cursor)
    return cursor


def run(conn: Connection, stmt: ClauseElement, params: Mapping[str, Any] | None = None):
    """Execute `stmt` in `conn`'s transaction; the result answers first/one/all/scalar_one/rowcount
    and iteration, with rows that have attributes and `_mapping`, as Core's do."""
    if params is None:
        params = _NO_PARAMS
    dialect = conn.dialect
    # keyed by the names in the caller's order: a call site always passes them in one order
    p = _prepared(stmt, dialect, tuple(params)) if ENABLED else None
    if p is None:
        return conn.execute(stmt, params)
    args = p.params(params)
    fairy = conn.connection           # the pooled DBAPI connection, inside conn's transaction
    cursor = _cursor(fairy)
    try:
        cursor.execute(p.sql, args)
        rows = cursor.fetchall() if p.row is not None else None
        count = cursor.rowcount
    except dialect.loaded_dbapi.Error as e:
        lost = dialect.is_disconnect(e, fairy, cursor)
        if lost:
            # as Core does: this connection is dropped, and so is every other pooled one (the
            # server most likely restarted); the next checkouts connect afresh
            conn.invalidate(e)
            conn.engine.dispose(close=False)
        raise exc.DBAPIError.instance(p.sql, args, e, dialect.loaded_dbapi.Error,
                                      connection_invalidated=lost, dialect=dialect) from e
    if rows is None:
        return Result([], count)
    make, readers = p.row._make, p.readers
    if readers is None:
        return Result([make(r) for r in rows], count)
    return Result([make([f(v) if f is not None else v for f, v in zip(readers, r)]) for r in rows], count)
