"""SQLAlchemy 2 (Core) tables, the engine, and units of work.

SQLite: WAL with synchronous=FULL (a step the user saw saved survives a power cut); every write
unit of work begins with BEGIN IMMEDIATE so two writers queue instead of failing on a lock
upgrade. PostgreSQL through a `postgresql+psycopg://` URL. The schema is created by Alembic
(`flask --app wsgi init-db`); `metadata.create_all` is used only for throw-away databases."""
from __future__ import annotations

import datetime as dt
import os
import sqlite3
import threading
import time
import weakref
from contextlib import contextmanager
from typing import Iterator

from sqlalchemy import (JSON, BigInteger, Boolean, Column, Date, DateTime, ForeignKey, Index, Integer,
                        LargeBinary, MetaData, String, Table, Text, UniqueConstraint, create_engine, event, DDL,
                        column, exc, func, literal_column, select, table, text)
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.pool import QueuePool

from . import fastsql

metadata = MetaData(naming_convention={
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
})

units = Table(
    "units", metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(200), nullable=False),
    Column("parent_id", Integer, ForeignKey("units.id"), nullable=True),
    # materialised path '/1/4/9/': a unit's subtree is every path starting with its own
    Column("path", String(1000), nullable=False, default=""),
    Column("created_at", DateTime(timezone=True), nullable=False),
    UniqueConstraint("parent_id", "name"),
    Index("ix_units_path", "path"),
)

users = Table(
    "users", metadata,
    Column("id", Integer, primary_key=True),
    Column("username", String(80), nullable=False, unique=True),
    Column("display_name", String(200), nullable=False),
    Column("password_hash", String(255), nullable=False),
    Column("role", String(20), nullable=False),
    Column("unit_id", Integer, ForeignKey("units.id"), nullable=False),
    Column("active", Boolean, nullable=False, default=True),
    Column("failed_logins", Integer, nullable=False, default=0),
    Column("locked_until", DateTime(timezone=True), nullable=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("last_login_at", DateTime(timezone=True), nullable=True),
    Column("locale", String(5), nullable=True),
)

cases = Table(
    "cases", metadata,
    Column("id", Integer, primary_key=True),
    Column("definition_key", String(80), nullable=False),
    Column("definition_version", Integer, nullable=False),
    Column("title", String(300), nullable=False),
    Column("unit_id", Integer, ForeignKey("units.id"), nullable=False),
    Column("state", String(80), nullable=False),
    Column("status", String(20), nullable=False),            # open | completed | cancelled
    Column("version", Integer, nullable=False),               # optimistic lock
    Column("step_started_at", DateTime(timezone=True), nullable=False),
    Column("step_due", Date, nullable=True),                  # deadline of the current step
    Column("awaiting", String(20), nullable=True),            # approval | head_decision | None
    Column("approval_requested_by", Integer, ForeignKey("users.id"), nullable=True),
    Column("opened_by", Integer, ForeignKey("users.id"), nullable=False),
    Column("opened_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    # The case list is ordered by updated_at; these serve its common filters and their capped count.
    # (id last: PostgreSQL finds and skips a page's ids in the index alone, as SQLite does with rowid)
    Index("ix_cases_unit_status_updated", "unit_id", "status", "updated_at"),
    Index("ix_cases_definition_status_updated", "definition_key", "status", "updated_at", "id"),
    Index("ix_cases_status_updated", "status", "updated_at", "id"),
    Index("ix_cases_definition_state", "definition_key", "state"),
    Index("ix_cases_updated_at", "updated_at", "id"),
    # The work queue: open cases by what they await, oldest step first; covering, so counting a long
    # queue (up to 1,000) reads the index alone.
    Index("ix_cases_work_queue", "status", "awaiting", "step_started_at", "id", "unit_id", "definition_key",
          "definition_version", "state"),
    # ... and its count for a unit's users: a unit's waiting cases side by side (migration 0007)
    Index("ix_cases_unit_queue", "status", "awaiting", "unit_id", "definition_key", "definition_version", "state"),
    # The title filter (ILIKE '%…%') through trigrams on PostgreSQL (pg_trgm); on SQLite through the
    # FTS5 trigram table cases_fts below (title_contains).
    Index("ix_cases_title_trgm", "title", postgresql_using="gin",
          postgresql_ops={"title": "gin_trgm_ops"}).ddl_if(dialect="postgresql"),
)

# pg_trgm ships with PostgreSQL (contrib) and is a trusted extension: the database owner can add it.
event.listen(metadata, "before_create", DDL("CREATE EXTENSION IF NOT EXISTS pg_trgm").execute_if(dialect="postgresql"))
ONLY_ON = {"ix_cases_title_trgm": "postgresql"}

# SQLite: the case titles in an external-content FTS5 table with the trigram tokenizer (Unicode case
# folded, diacritics kept: 'NGUYỄN' finds 'Nguyễn', 'Nguyen' does not, as ILIKE on PostgreSQL), kept
# in step with `cases` by triggers. A phrase query of 3+ characters is then a substring search
# through an index; SQLite's own LIKE scans every title and folds only ASCII case.
CASES_FTS = "cases_fts"
CASES_FTS_DDL = (
    "CREATE VIRTUAL TABLE cases_fts USING fts5(title, content='cases', content_rowid='id', tokenize='trigram')",
    "CREATE TRIGGER cases_fts_ai AFTER INSERT ON cases BEGIN "
    "INSERT INTO cases_fts(rowid, title) VALUES (new.id, new.title); END",
    "CREATE TRIGGER cases_fts_ad AFTER DELETE ON cases BEGIN "
    "INSERT INTO cases_fts(cases_fts, rowid, title) VALUES ('delete', old.id, old.title); END",
    "CREATE TRIGGER cases_fts_au AFTER UPDATE OF title ON cases BEGIN "
    "INSERT INTO cases_fts(cases_fts, rowid, title) VALUES ('delete', old.id, old.title); "
    "INSERT INTO cases_fts(rowid, title) VALUES (new.id, new.title); END",
)
# (A migration that rebuilds `cases` on SQLite — batch "move and copy" — drops these triggers with
# the old table: it must create them again and 'rebuild' the index, as migration 0005 does.)
for _sql in CASES_FTS_DDL:
    event.listen(cases, "after_create", DDL(_sql).execute_if(dialect="sqlite"))
# the FTS table and the shadow tables FTS5 keeps its index in: not in `metadata`, not Alembic's to compare
_FTS_TABLES = {CASES_FTS} | {f"{CASES_FTS}_{s}" for s in ("data", "idx", "docsize", "config", "content")}
TRIGRAM = 3                   # the trigram tokenizer indexes (and can search for) 3+ characters


def schema_filter(dialect: str):
    """Alembic's include_object for a database of `dialect`: leaves out the objects only another
    dialect has (Alembic does not read `ddl_if`), and SQLite's FTS tables (made by DDL, not declared)."""
    def include(obj, name, type_, reflected, compare_to) -> bool:
        if type_ == "table" and name in _FTS_TABLES:
            return False
        return ONLY_ON.get(name, dialect) == dialect
    return include


def casefold(s):
    """The SQL function cf() on SQLite connections (NULL stays NULL)."""
    return s.casefold() if isinstance(s, str) else s


def title_contains(dialect: str, needle: str):
    """The condition 'the case title contains `needle`' as PostgreSQL's ILIKE '%needle%' means it:
    Unicode case ignored, diacritics significant, every character literal (% _ \\ " and FTS syntax
    alike). PostgreSQL: ILIKE, served by the pg_trgm index. SQLite: an FTS5 trigram phrase (the
    phrase's quotes doubled) for 3+ characters; shorter text, which trigrams cannot index, scans
    the titles, case-folded in Python (SQLite's lower() and LIKE fold only ASCII)."""
    if dialect != "sqlite":
        return cases.c.title.ilike(f"%{like_escape(needle)}%", escape="\\")
    if len(needle) >= TRIGRAM:
        return cases.c.id.in_(select(literal_column("rowid")).select_from(table(CASES_FTS))
                              .where(literal_column(CASES_FTS).op("MATCH")(fts_phrase(needle))))
    return func.instr(func.cf(cases.c.title), casefold(needle)) > 0


# The FTS table as a FROM item, to drive a query from the index (`rowid` is the case id).
_FTS = table(CASES_FTS, column("rowid"))


def fts_phrase(needle: str) -> str:
    """`needle` as one FTS5 phrase: every character literal, its quotes doubled."""
    return '"' + needle.replace('"', '""') + '"'


def fts_rowid():
    """The FTS table's rowid (a case id) as a column: every case has its row there (the triggers)."""
    return _FTS.c.rowid


def fts_cases(needle: str):
    """(FROM, condition) of the cases whose title contains `needle` (3+ characters) read from the
    FTS index outward: SQLite steps through the matches in rowid order and can stop at a LIMIT,
    where `title_contains`'s `id IN (…)` gathers every match first."""
    return _FTS.join(cases, cases.c.id == _FTS.c.rowid), literal_column(CASES_FTS).op("MATCH")(fts_phrase(needle))


_fold_table: dict[int, int] | None = None
_fold_lock = threading.Lock()
# Cased letters end below this in Unicode 15 (Adlam ends at U+1E943); SQLite's FTS5 folds nothing above
# U+1044F. tests/test_title_search.py checks every code point up to here against FTS5 itself.
_FOLD_PROBE_END = 0x1F000


def _fts_fold_table() -> dict[int, int]:
    """The FTS5 trigram tokenizer's case folding, code point by code point, read from the SQLite
    library this process uses: each code point Python knows a case mapping for, tripled into a
    document of an in-memory trigram table, comes back as its folded trigram. FTS5 folds one code
    point to one (simple folding, its own Unicode tables: 'ß' stays 'ß', Georgian Mtavruli stays as
    it is in SQLite 3.40), so Python's casefold() and lower() are not the same thing (503 and 404
    code points differ)."""
    global _fold_table
    if _fold_table is None:
        with _fold_lock:
            if _fold_table is None:
                # (U+FFFE and U+FFFF: SQLite reads them as U+FFFD, in the index and in GLOB alike)
                probe = [c for c in range(_FOLD_PROBE_END) if not 0xD800 <= c < 0xE000
                         and (chr(c).lower() != chr(c) or chr(c).casefold() != chr(c))] + [0xFFFE, 0xFFFF]
                db = sqlite3.connect(":memory:")
                try:
                    db.execute("CREATE VIRTUAL TABLE f USING fts5(t, tokenize='trigram')")
                    db.execute("CREATE VIRTUAL TABLE v USING fts5vocab(f, instance)")
                    db.executemany("INSERT INTO f(rowid, t) VALUES (?, ?)", [(c, chr(c) * 3) for c in probe])
                    _fold_table = {doc: ord(term[0]) for term, doc in db.execute("SELECT term, doc FROM v")
                                   if ord(term[0]) != doc}
                finally:
                    db.close()
    return _fold_table


def fts_fold(s: str) -> str:
    """A text as the FTS5 trigram tokenizer folds it."""
    return s.translate(_fts_fold_table())


_fold_classes: dict[str, str] | None = None


def _folding_as(f: str) -> str:
    """Every character FTS5 folds to `f` (a folded character), itself included when it stays."""
    global _fold_classes
    if _fold_classes is None:
        table = _fts_fold_table()
        classes: dict[str, set[str]] = {}
        for c, folded in table.items():
            classes.setdefault(chr(folded), set()).add(chr(c))
        _fold_classes = {k: "".join(sorted(v | ({k} if ord(k) not in table else set()))) for k, v in classes.items()}
    return _fold_classes.get(f, f)


def title_glob(needle: str) -> str:
    """A GLOB pattern (SQLite) matching exactly the titles the FTS index finds for `needle` (3+
    characters): fold(title) contains fold(needle), where fold is FTS5's, one code point for one,
    so each character of the needle becomes the class of the characters that fold as it does
    ('N' → [Nn], 'ễ' → [Ễễ]); GLOB is case-sensitive and literal otherwise (* ? [ in a class)."""
    out = []
    for f in fts_fold(needle):
        members = _folding_as(f)        # cased letters only when more than one: no ] ^ - inside
        out.append(f"[{members}]" if len(members) > 1 or f in "*?[" else f)
    return "*" + "".join(out) + "*"


def title_like(needle: str) -> str:
    """A LIKE pattern (SQLite, ESCAPE '\\') that every title `title_glob` matches matches too,
    and that SQLite checks faster: its LIKE ignores ASCII case only, so a character of the needle
    stays when every character that folds as it does is ASCII ('n' for [Nn]) and becomes '_'
    otherwise ('ễ'; 's', which 'ſ' folds to). It leaves the GLOB few titles to check: a GLOB of
    character classes costs ~2 µs a title in SQLite 3.40, this LIKE a tenth of that."""
    out = []
    for f in fts_fold(needle):
        members = _folding_as(f)
        if not all(ord(m) < 128 for m in members):
            out.append("_")
        elif len(members) > 1:          # an ASCII letter and its capital: LIKE folds them
            out.append(f)
        else:
            out.append("\\" + f if f in "%_\\" else f)
    return "%" + "".join(out) + "%"


def like_escape(s: str) -> str:
    return s.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


# What steps recorded: forms, tallies, head decisions, announcements, documents, approvals.
# A return to an earlier step marks the records of the steps it undoes as superseded; they
# stay, and the event log keeps every version anyway.
records = Table(
    "records", metadata,
    Column("id", Integer, primary_key=True),
    Column("case_id", Integer, ForeignKey("cases.id"), nullable=False),
    Column("step_key", String(80), nullable=False),
    Column("kind", String(30), nullable=False),
    Column("payload", JSON, nullable=False),
    Column("actor_id", Integer, ForeignKey("users.id"), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("superseded", Boolean, nullable=False, default=False),
    # a case's documents, set aside or not (kind first: an index that began with case_id was as good as
    # ix_records_live below to SQLite's planner for a case's live records, and it took it)
    Index("ix_records_kind_case", "kind", "case_id"),
    Index("ix_records_kind_created", "kind", "created_at"),
)
# The live records only: what a step holds now, read and superseded on every action. Through an
# index of every version (case, step, kind) each action walked every version a case had ever
# saved (bench/transitions.py: a form saved 30 times made its next save's supersede cost 4×). The
# queries name the same condition, as a partial index needs on both databases (on SQLite word for
# word); no other index starts with case_id, so a planner without statistics has no other to pick.
LIVE = records.c.superseded.is_(False)
Index("ix_records_live", records.c.case_id, records.c.step_key, records.c.kind,
      sqlite_where=LIVE, postgresql_where=LIVE)

# Uploaded file contents, addressed by sha256 (never served inline, never executed).
blobs = Table(
    "blobs", metadata,
    Column("sha256", String(64), primary_key=True),
    Column("size", Integer, nullable=False),
    Column("content", LargeBinary, nullable=False),
)

# The record: append-only and hash-chained across the whole database.
events = Table(
    "events", metadata,
    Column("seq", BigInteger, primary_key=True, autoincrement=False),
    Column("case_id", Integer, nullable=True),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("actor_id", Integer, nullable=True),
    Column("actor", String(80), nullable=False),
    Column("role", String(20), nullable=False),
    Column("unit_id", Integer, nullable=True),
    Column("kind", String(40), nullable=False),
    Column("from_state", String(80), nullable=True),
    Column("to_state", String(80), nullable=True),
    Column("payload", Text, nullable=False),                  # canonical JSON, hashed as stored
    Column("prev_hash", String(64), nullable=False),
    Column("hash", String(64), nullable=False),
    Index("ix_events_case_seq", "case_id", "seq"),
    Index("ix_events_actor_seq", "actor_id", "seq"),
    Index("ix_events_actor_name_seq", "actor", "seq"),      # the auditor's search by user name
    Index("ix_events_at", "at"),
    Index("ix_events_kind_seq", "kind", "seq"),
)

# One row: the last event's seq and hash. Every write locks it (FOR UPDATE on PostgreSQL;
# BEGIN IMMEDIATE serialises SQLite), so the chain never forks, and deleting the newest
# events is detected because the head no longer matches.
chain_head = Table(
    "chain_head", metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("seq", BigInteger, nullable=False),
    Column("hash", String(64), nullable=False),
)

idempotency = Table(
    "idempotency_keys", metadata,
    Column("user_id", Integer, primary_key=True, autoincrement=False),
    Column("key", String(200), primary_key=True),
    Column("request", String(64), nullable=False),            # fingerprint of what was asked
    Column("response", JSON, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
)

# The fingerprint of every definition version a case was opened under: a file edited in place
# under the same version is refused instead of silently changing running cases.
definition_versions = Table(
    "definition_versions", metadata,
    Column("key", String(80), primary_key=True),
    Column("version", Integer, primary_key=True, autoincrement=False),
    Column("fingerprint", String(64), nullable=False),
    Column("first_used_at", DateTime(timezone=True), nullable=False),
)

api_tokens = Table(
    "api_tokens", metadata,
    Column("id", Integer, primary_key=True),
    Column("user_id", Integer, ForeignKey("users.id"), nullable=False),
    Column("name", String(100), nullable=False),
    Column("token_hash", String(64), nullable=False, unique=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("last_used_at", DateTime(timezone=True), nullable=True),
    Column("revoked_at", DateTime(timezone=True), nullable=True),
)

GENESIS = "0" * 64
_BEGIN_WRITE, _BEGIN_READ = text("BEGIN IMMEDIATE"), text("BEGIN")     # SQLite: we begin ourselves


def _dispose_in_forked_child(engine: Engine) -> None:
    """A forked worker (gunicorn --preload) must not share the parent's pooled SQLite connections."""
    ref = weakref.ref(engine)

    def after_fork() -> None:
        e = ref()
        if e is not None:
            e.dispose(close=False)
    os.register_at_fork(after_in_child=after_fork)


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def as_utc(value: dt.datetime | None) -> dt.datetime | None:
    """SQLite hands back naive datetimes; they are UTC."""
    if value is None:
        return None
    return value.replace(tzinfo=dt.timezone.utc) if value.tzinfo is None else value.astimezone(dt.timezone.utc)


def normalise_url(url: str) -> str:
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://"):]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://"):]
    return url


PG_OPTIONS = os.environ.get("CADREFLOW_PG_OPTIONS", "-c random_page_cost=1.1")
PG_PING_AFTER = float(os.environ.get("CADREFLOW_PG_PING_AFTER", "1"))


def _ping_when_idle(engine: Engine, after: float) -> None:
    """Pessimistic disconnect handling at a round trip's cost only where it can matter: a pooled
    connection that sat idle `after` seconds or more is pinged before use (and replaced if the
    server has gone: the pool retries with a new one), one used moments ago is not. SQLAlchemy's
    pool_pre_ping pings on every checkout: one round trip of the ~10 in an audited action.
    A connection the driver already knows is broken is never handed out."""
    dialect = engine.dialect

    @event.listens_for(engine, "connect")
    def _connected(dbapi_conn, record):
        record.info["cadreflow_idle_since"] = time.monotonic()      # new: just answered

    @event.listens_for(engine, "checkin")
    def _checkin(dbapi_conn, record):
        if record is not None:
            record.info["cadreflow_idle_since"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _checkout(dbapi_conn, record, proxy):
        idle_since = record.info.get("cadreflow_idle_since")
        if getattr(dbapi_conn, "closed", False):
            raise exc.DisconnectionError("the connection was closed")
        if idle_since is not None and time.monotonic() - idle_since < after:
            return
        try:
            alive = dialect.do_ping(dbapi_conn)
        except dialect.loaded_dbapi.Error as e:
            raise exc.DisconnectionError(f"the database did not answer a ping: {e}") from e
        if not alive:
            raise exc.DisconnectionError("the database did not answer a ping")


class WriteUnit:
    """One write transaction, on a pooled DBAPI connection, begun and ended by Store.write.

    Through SQLAlchemy's Connection and its transaction objects an empty write transaction cost
    211 k instructions, against 67 k on the pooled DBAPI connection itself: a tenth of an audited
    action (callgrind; bench/transitions.py). The write path's statements go to the driver's cursor
    (workflow/fastsql.py), which needs only `dialect`, `connection` and `invalidate`; anything else
    a caller asks of it (execute, exec_driver_sql, begin_nested, scalar…) goes to a SQLAlchemy
    Connection over this same DBAPI connection, inside this same transaction, made the first time
    it is needed: Core statements run, map errors and invalidate lost connections as they always
    do. That Connection joins no engine events (the transaction is already begun; a listener on
    the engine sees the reads, not the Core statements of a write)."""
    __slots__ = ("engine", "dialect", "connection", "_core")

    def __init__(self, engine: Engine, fairy):
        self.engine, self.dialect, self.connection, self._core = engine, engine.dialect, fairy, None

    def _sa(self) -> Connection:
        if self._core is None:
            # as SQLAlchemy itself wraps a DBAPI connection it holds (engine/create.py, first_connect)
            core = Connection(self.engine, connection=self.connection, _has_events=False, _allow_revalidate=False)
            core.begin()            # SQLAlchemy's record of the transaction begun here: BEGIN is not sent again
            self._core = core
        return self._core

    def __getattr__(self, name: str):
        return getattr(self._sa(), name)

    @property
    def info(self) -> dict:
        return self.connection.info

    def invalidate(self, exception: BaseException | None = None) -> None:
        if self._core is not None:
            self._core.invalidate(exception)
        else:
            self.connection.invalidate(exception)

    def end(self, *, commit: bool) -> None:
        """Commit, or roll back. A failed commit raises as SQLAlchemy raises it (a lost connection is
        invalidated: the pool reconnects); a failed rollback, which only follows another error, drops
        the connection and leaves that error to be raised."""
        fairy, dbapi = self.connection, self.dialect.loaded_dbapi
        if not commit:
            try:
                if self._core is not None:
                    self._core.rollback()
                elif fairy.is_valid:
                    fairy.rollback()
            except Exception:  # noqa: BLE001 - the error that made us roll back is the one to report
                if fairy.is_valid:
                    fairy.invalidate()
            return
        if self._core is not None:
            self._core.commit()
            return
        try:
            fairy.commit()
        except dbapi.Error as e:
            lost = self.dialect.is_disconnect(e, fairy, None)
            if lost:
                fairy.invalidate(e)
            raise exc.DBAPIError.instance("COMMIT", None, e, dbapi.Error, connection_invalidated=lost,
                                          dialect=self.dialect) from e


class Store:
    def __init__(self, url: str, *, synchronous: str = "FULL", pool_size: int = 5, echo: bool = False,
                 pg_ping_after: float = PG_PING_AFTER):
        self.url = normalise_url(url)
        self.is_sqlite = self.url.startswith("sqlite")
        if self.is_sqlite:
            # Pooled: opening a connection (and its PRAGMAs) per transaction, and closing it (the last
            # close checkpoints the WAL) cost more than the transaction itself. Overflow never blocks.
            pool = {} if ":memory:" in self.url else {"poolclass": QueuePool, "pool_size": pool_size, "max_overflow": -1}
            self.engine: Engine = create_engine(self.url, echo=echo, **pool,
                                                connect_args={"timeout": 30, "check_same_thread": False})
            self._sqlite_setup(synchronous)
            _dispose_in_forked_child(self.engine)
        else:
            # Plans for SSD storage (random_page_cost 1.1, not the default 4 made for spinning disks):
            # with 4, a one-day audit search hashed every case instead of probing 1,000 (bench/scale.py).
            self.engine = create_engine(self.url, echo=echo, pool_size=pool_size, max_overflow=10,
                                        connect_args={"options": PG_OPTIONS})
            _ping_when_idle(self.engine, pg_ping_after)

    def _sqlite_setup(self, synchronous: str) -> None:
        sync = synchronous.upper()
        if sync not in ("FULL", "NORMAL", "EXTRA", "OFF"):
            raise ValueError(f"synchronous={synchronous!r}")

        @event.listens_for(self.engine, "connect")
        def _connect(dbapi_conn, _record):
            dbapi_conn.isolation_level = None          # we issue BEGIN ourselves
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute(f"PRAGMA synchronous={sync}")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA busy_timeout=30000")
            dbapi_conn.create_function("cf", 1, casefold, deterministic=True)      # title_contains
            cur.close()

        @event.listens_for(self.engine, "begin")
        def _begin(conn):
            # reads (and any other Core transaction); writes begin themselves (WriteUnit). On the
            # driver's cursor: through Core this statement alone cost ~60 µs per transaction
            fastsql.run(conn, _BEGIN_READ)

    @contextmanager
    def write(self) -> Iterator["WriteUnit"]:
        """One transaction that will write: committed on success, rolled back on any error. On
        SQLite it takes the write lock first (BEGIN IMMEDIATE), so two writers queue instead of
        failing on a lock upgrade."""
        dialect = self.engine.dialect
        try:
            fairy = self.engine.raw_connection()        # the pool's: its events run (PRAGMAs, ping)
        except dialect.loaded_dbapi.Error as e:       # as Engine.connect() raises it
            raise exc.DBAPIError.instance(None, None, e, dialect.loaded_dbapi.Error, dialect=dialect,
                                          connection_invalidated=dialect.is_disconnect(e, None, None)) from e
        unit = WriteUnit(self.engine, fairy)
        try:
            if self.is_sqlite:
                fastsql.run(unit, _BEGIN_WRITE)
            yield unit
        except BaseException:
            unit.end(commit=False)
            raise
        else:
            unit.end(commit=True)
        finally:
            fairy.close()

    @contextmanager
    def read(self, *, snapshot: bool = False) -> Iterator[Connection]:
        """A read-only unit of work. `snapshot`: every statement sees the same committed state (on
        PostgreSQL REPEATABLE READ; a SQLite read transaction always does) — for readers that
        compare several statements' answers, as the chain verification compares the head with the
        events: under READ COMMITTED an event appended between the two looked like tampering."""
        with self.engine.connect() as conn:
            if snapshot and not self.is_sqlite:
                conn = conn.execution_options(isolation_level="REPEATABLE READ")
            with conn.begin():
                yield conn

    def create_all(self) -> None:
        """For throw-away databases (scenario runs, tests); real ones are migrated by Alembic."""
        metadata.create_all(self.engine)
        self.ensure_chain_head()

    def ensure_chain_head(self) -> None:
        with self.write() as c:
            if c.execute(chain_head.select()).first() is None:
                c.execute(chain_head.insert().values(id=1, seq=0, hash=GENESIS))

    def dispose(self) -> None:
        self.engine.dispose()
