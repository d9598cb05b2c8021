"""A unit of work: one transaction and the repositories over it. The use cases load through it,
let the domain decide, and save through it; Store.write commits it (or rolls it back)."""
from __future__ import annotations

from sqlalchemy.engine import Connection

from .eventlog import EventLog
from .people import PeopleRepository
from .queries import Queries
from .repository import CaseRepository, Keys
from .sql import Runner


class UnitOfWork:
    def __init__(self, runner: Runner):
        self.runner = runner
        self.dialect = runner.dialect.name
        self.cases = CaseRepository(runner)
        self.people = PeopleRepository(runner)
        self.events = EventLog(runner)
        self.keys = Keys(runner)


class ReadUnit(UnitOfWork):
    """A read transaction: the repositories' reads, and the read side's queries (Core)."""

    def __init__(self, conn: Connection, runner: Runner):
        super().__init__(runner)
        self.queries = Queries(conn)
