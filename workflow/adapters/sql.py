"""Plain SQL on the driver's own connection: the statements of the write path (and the few reads
it makes), each written once, sent as each dialect wants it.

Through SQLAlchemy Core each small statement cost 60–90 µs of Python on top of the driver's own
10–15 µs; an audited action runs about ten. So these run on the DBAPI connection SQLAlchemy's
pool hands out (`Engine.raw_connection()`, or `Connection.connection` inside a Core transaction),
with values converted by each column type's public `bind_processor` / `result_processor` for that
dialect — SQLite's datetime text, JSON text and 0/1 booleans are stored exactly as Core stores
them, and read back as Core reads them. A driver error is raised as SQLAlchemy's exception class
of the same name (a unique violation as `Conflict`), and a dropped connection is invalidated."""
from __future__ import annotations

import re
from collections import namedtuple
from typing import Any, Callable, Mapping

from sqlalchemy import exc
from sqlalchemy.types import JSON, TypeEngine

_PARAM = re.compile(r"(?<![:\w]):(\w+)")
CURSOR_KEY = "cadreflow_cursor"    # where a connection keeps its cursor (the pool record's info)


class Conflict(exc.IntegrityError):
    """A row with this key is there already (a unique or primary key violation)."""


class Statement:
    """One statement, written once with `:name` parameters. `types` names the parameters and result
    columns whose values need converting ({name: column type}); `columns` names the result's
    columns. `{lock}` becomes FOR UPDATE where the database has it, and `{false}` the false of
    the database (SQLite 0), as SQLAlchemy writes them."""

    def __init__(self, sql: str, *, columns: tuple[str, ...] = (), types: Mapping[str, TypeEngine] | None = None):
        self.sql, self.columns, self.types = sql, columns, dict(types or {})
        self.row = namedtuple("Row", columns, rename=True) if columns else None
        self._by_dialect: dict[str, Prepared] = {}

    def prepared(self, dialect) -> "Prepared":
        p = self._by_dialect.get(dialect.name)
        if p is None:
            p = self._by_dialect[dialect.name] = Prepared(self, dialect)
        return p


class Prepared:
    """A statement's text and converters for one dialect."""
    __slots__ = ("sql", "binders", "readers", "row")

    def __init__(self, st: Statement, dialect):
        pg = dialect.name == "postgresql"
        sql = st.sql.replace("{lock}", " FOR UPDATE" if pg else "").replace("{false}", "false" if pg else "0")
        if pg:
            def param(m: re.Match) -> str:
                return f"%({m.group(1)})s" + ("::json" if isinstance(st.types.get(m.group(1)), JSON) else "")
            sql = _PARAM.sub(param, sql)
        self.sql, self.row = sql, st.row
        self.binders = {}
        for name, t in st.types.items():
            proc = t.dialect_impl(dialect).bind_processor(dialect)
            if proc is not None:
                self.binders[name] = proc
        readers = [None] * len(st.columns)
        for i, name in enumerate(st.columns):
            t = st.types.get(name)
            if t is not None:
                readers[i] = t.dialect_impl(dialect).result_processor(dialect, None)
        self.readers = readers if any(readers) else None

    def params(self, given: Mapping[str, Any]) -> Mapping[str, Any]:
        if not self.binders:
            return given
        p = dict(given)
        for name, proc in self.binders.items():
            if name in p:
                p[name] = proc(p[name])
        return p

    def rows(self, raw: list, make: Callable | None = None) -> list:
        make, readers = make or self.row._make, self.readers
        if readers is None:
            return [make(r) for r in raw]
        return [make([f(v) if f is not None else v for f, v in zip(readers, r)]) for r in raw]


def _sqlalchemy_error(e: Exception, dbapi) -> type[exc.DBAPIError]:
    """The SQLAlchemy class for a driver error: the one named as its PEP 249 class."""
    if isinstance(e, dbapi.IntegrityError):
        return Conflict
    for name in ("OperationalError", "ProgrammingError", "DataError", "InternalError", "NotSupportedError",
                 "InterfaceError", "DatabaseError"):
        if isinstance(e, getattr(dbapi, name)):
            return getattr(exc, name)
    return exc.DBAPIError


def translate(e: Exception, dialect, sql: str | None = None, params: Any = None, *, fairy=None,
              cursor=None) -> exc.DBAPIError:
    """A driver error as SQLAlchemy raises it; a connection the driver says is lost is invalidated
    (and so is every other pooled one: the server most likely restarted)."""
    lost = fairy is not None and dialect.is_disconnect(e, fairy, cursor)
    if lost:
        fairy.invalidate(e)
    return _sqlalchemy_error(e, dialect.loaded_dbapi)(sql, params, e, connection_invalidated=lost)


class Runner:
    """Statements on one pooled DBAPI connection, inside whatever transaction it is in. One cursor
    per connection, kept in the pool record's info (which the pool clears when it replaces the
    connection): a psycopg cursor costs ~10 µs to make. Every statement fetches its rows at once."""
    __slots__ = ("fairy", "dialect", "cursor", "on_lost")

    def __init__(self, fairy, dialect, on_lost: Callable[[], None] | None = None):
        self.fairy, self.dialect, self.on_lost = fairy, dialect, on_lost
        raw = fairy.dbapi_connection
        kept = fairy.info.get(CURSOR_KEY)
        if kept is None or kept[0] is not raw:
            kept = fairy.info[CURSOR_KEY] = (raw, raw.cursor())
        self.cursor = kept[1]

    def run(self, st: Statement, params: Mapping[str, Any] | None = None, *, make: Callable | None = None) -> list:
        """Execute; the rows (named tuples, or what `make` makes of each) when the statement has
        columns, else []."""
        p = st.prepared(self.dialect)
        args = p.params(params) if params else {}
        try:
            self.cursor.execute(p.sql, args)
            raw = self.cursor.fetchall() if p.row is not None else None
        except self.dialect.loaded_dbapi.Error as e:
            error = translate(e, self.dialect, p.sql, args, fairy=self.fairy, cursor=self.cursor)
            if error.connection_invalidated and self.on_lost is not None:
                self.on_lost()
            raise error from e
        return p.rows(raw, make) if raw is not None else []

    def count(self, st: Statement, params: Mapping[str, Any] | None = None) -> int:
        """Execute; the number of rows it changed."""
        self.run(st, params)
        return self.cursor.rowcount

    def first(self, st: Statement, params: Mapping[str, Any] | None = None):
        rows = self.run(st, params)
        return rows[0] if rows else None


class Updates:
    """UPDATE statements of one table for whichever of its columns a call sets: the columns
    allowed (their types where values need converting), the WHERE with its `b_` parameters;
    one Statement made per set of columns."""

    def __init__(self, table: str, columns: Mapping[str, TypeEngine | None], where: str):
        self.table, self.columns, self.where = table, dict(columns), where
        self._made: dict[tuple[str, ...], Statement] = {}

    def __call__(self, columns: tuple[str, ...]) -> Statement:
        st = self._made.get(columns)
        if st is None:
            unknown = set(columns) - set(self.columns)
            if unknown:
                raise ValueError(f"not a column of {self.table} to set: {sorted(unknown)}")
            sets = ", ".join(f"{c} = :{c}" for c in columns)
            st = self._made[columns] = Statement(
                f"UPDATE {self.table} SET {sets} WHERE {self.where}",
                types={c: self.columns[c] for c in columns if self.columns[c] is not None})
        return st
