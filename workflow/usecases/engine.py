"""The engine: the use cases over one database and one set of definitions. The web pages, the
JSON API, the CLI, the scenario runner and the demo all call these, and nothing else."""
from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Callable

from ..adapters import backup
from ..adapters.db import Store, migrate
from ..adapters.definitions import load_folder
from ..adapters.times import utcnow
from ..domain.actions import MAX_UPLOAD, Limits
from ..domain.chain import Verification
from ..domain.definition import Registry
from .cases import CaseCommands
from .common import Context
from .directory import Directory
from .heads import HeadCommands
from .people import PeopleCommands
from .queries import CaseQueries


class Workflow:
    """`cases`: open a case and act on one (the write side). `queries`: a case, lists, the work
    queue, the record's search and verification (the read side). `people`: units, users, sign-in,
    passwords, tokens (the write side); `directory`: the users, units and tokens one may see;
    `heads`: the head of a unit and the deputies who stand in by delegation."""

    def __init__(self, store: Store, registry: Registry, *, clock: Callable[[], dt.datetime] = utcnow,
                 max_upload: int = MAX_UPLOAD):
        self.ctx = Context(store, registry, clock, Limits(max_upload))
        self.cases = CaseCommands(self.ctx)
        self.queries = CaseQueries(self.ctx)
        self.people = PeopleCommands(self.ctx)
        self.directory = Directory(self.ctx)
        self.heads = HeadCommands(self.ctx)

    @classmethod
    def open(cls, database_url: str, definitions: str | Path, *, synchronous: str = "FULL",
             max_upload: int = MAX_UPLOAD) -> "Workflow":
        """The engine on a database (migrated elsewhere: `migrate`) and a folder of definitions."""
        return cls(Store(database_url, synchronous=synchronous), load_folder(definitions), max_upload=max_upload)

    @property
    def store(self) -> Store:
        return self.ctx.store

    @property
    def registry(self) -> Registry:
        return self.ctx.registry

    @property
    def clock(self) -> Callable[[], dt.datetime]:
        return self.ctx.clock

    @property
    def max_upload(self) -> int:
        return self.ctx.limits.max_upload

    # ---- operations (the CLI) --------------------------------------------------------------------
    def init_database(self) -> None:
        """Create or upgrade the schema (Alembic) and start the chain."""
        migrate(self.store.url)
        self.store.ensure_chain_head()

    def backup(self, target: str | Path) -> int:
        """An online copy of a SQLite database (the number of events in it)."""
        return backup.backup_sqlite(self.store, target)

    def restore(self, source: str | Path) -> Verification:
        """Put a SQLite backup in place of the database, then verify its chain."""
        backup.restore_sqlite(self.store, source)
        return self.queries.verify()

    def close(self) -> None:
        self.store.dispose()
