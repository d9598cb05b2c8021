"""The database: engine and pool, and the two kinds of unit of work.

SQLite: WAL with synchronous=FULL (a step the user saw saved survives a power cut); every write
begins with BEGIN IMMEDIATE so two writers queue instead of failing on a lock upgrade.
PostgreSQL through a `postgresql+psycopg://` URL. The schema is made by Alembic (`migrate`);
`create_all` is for throw-away databases only."""
from __future__ import annotations

import os
import time
import weakref
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from sqlalchemy import create_engine, event, exc
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.pool import QueuePool

from .sql import Runner, translate
from .tables import chain_head, metadata
from .uow import ReadUnit, UnitOfWork

GENESIS = "0" * 64
MIGRATIONS = Path(__file__).resolve().parent.parent.parent / "migrations"
PG_OPTIONS = os.environ.get("CADREFLOW_PG_OPTIONS", "-c random_page_cost=1.1")
PG_PING_AFTER = float(os.environ.get("CADREFLOW_PG_PING_AFTER", "1"))
SYNCHRONOUS = ("FULL", "NORMAL", "EXTRA", "OFF")


def normalise_url(url: str) -> str:
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://"):]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://"):]
    return url


def migrate(url: str) -> None:
    """Bring a database to the newest schema (Alembic upgrade head)."""
    from alembic import command
    from alembic.config import Config
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.attributes["database_url"] = url
    command.upgrade(cfg, "head")


def _dispose_in_forked_child(engine: Engine) -> None:
    """A forked worker (gunicorn --preload) must not share the parent's pooled SQLite connections."""
    ref = weakref.ref(engine)

    def after_fork() -> None:
        e = ref()
        if e is not None:
            e.dispose(close=False)
    os.register_at_fork(after_in_child=after_fork)


def _ping_when_idle(engine: Engine, after: float) -> None:
    """Pessimistic disconnect handling at a round trip's cost only where it can matter: a pooled
    connection that sat idle `after` seconds or more is pinged before use (and replaced if the
    server has gone: the pool retries with a new one), one used moments ago is not. SQLAlchemy's
    pool_pre_ping pings on every checkout: one round trip of the ~10 in an audited action."""
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
        self.dialect = self.engine.dialect

    def _sqlite_setup(self, synchronous: str) -> None:
        sync = synchronous.upper()
        if sync not in SYNCHRONOUS:
            raise ValueError(f"synchronous={synchronous!r}")

        @event.listens_for(self.engine, "connect")
        def _connect(dbapi_conn, _record):
            dbapi_conn.isolation_level = None          # we issue BEGIN ourselves
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute(f"PRAGMA synchronous={sync}")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA busy_timeout=30000")
            cur.close()

        @event.listens_for(self.engine, "begin")
        def _begin(conn):
            # SQLAlchemy's recipe for pysqlite's transactions: reads begin here (writes: BEGIN IMMEDIATE)
            conn.exec_driver_sql("BEGIN")

    def _lost(self) -> None:
        """A connection was lost: every other pooled one most likely is too (the server restarted)."""
        self.engine.dispose(close=False)

    @contextmanager
    def write(self) -> Iterator[UnitOfWork]:
        """One transaction that will write, on a pooled DBAPI connection: committed on success,
        rolled back on any error."""
        dialect = self.dialect
        try:
            fairy = self.engine.raw_connection()        # the pool's: its events run (PRAGMAs, ping)
        except dialect.loaded_dbapi.Error as e:
            raise translate(e, dialect) from e
        try:
            runner = Runner(fairy, dialect, self._lost)
            if self.is_sqlite:
                runner.cursor.execute("BEGIN IMMEDIATE")
            yield UnitOfWork(runner)
        except BaseException:
            _rollback(fairy)
            raise
        else:
            _commit(fairy, dialect)
        finally:
            fairy.close()

    @contextmanager
    def read(self, *, snapshot: bool = False) -> Iterator[ReadUnit]:
        """A read-only unit of work. `snapshot`: every statement sees the same committed state (on
        PostgreSQL REPEATABLE READ; a SQLite read transaction always does) — for readers that
        compare several statements' answers, as the chain verification compares the head with the
        events: under READ COMMITTED an event appended between the two looked like tampering."""
        with self.engine.connect() as conn:
            if snapshot and not self.is_sqlite:
                conn = conn.execution_options(isolation_level="REPEATABLE READ")
            with conn.begin():
                yield ReadUnit(conn, Runner(conn.connection, self.dialect, self._lost))

    @contextmanager
    def core(self) -> Iterator[Connection]:
        """A SQLAlchemy Connection in a transaction, for what no unit of work says (set-up, tests)."""
        with self.engine.connect() as conn:
            with conn.begin():
                yield conn

    def create_all(self) -> None:
        """For throw-away databases (scenario runs, tests); real ones are migrated by Alembic."""
        metadata.create_all(self.engine)
        self.ensure_chain_head()

    def ensure_chain_head(self) -> None:
        with self.core() as c:
            if c.execute(chain_head.select()).first() is None:
                c.execute(chain_head.insert().values(id=1, seq=0, hash=GENESIS))

    def dispose(self) -> None:
        self.engine.dispose()


def _rollback(fairy) -> None:
    """Roll back; a failed rollback, which only follows another error, drops the connection and
    leaves that error to be raised."""
    try:
        if fairy.is_valid:
            fairy.rollback()
    except Exception:  # noqa: BLE001 - the error that made us roll back is the one to report
        if fairy.is_valid:
            fairy.invalidate()


def _commit(fairy, dialect) -> None:
    """Commit; a failed commit raises as SQLAlchemy raises it (a lost connection is invalidated:
    the pool reconnects)."""
    try:
        fairy.commit()
    except dialect.loaded_dbapi.Error as e:
        raise translate(e, dialect, "COMMIT", fairy=fairy) from e
