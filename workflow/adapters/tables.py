"""The tables (SQLAlchemy Core), as the Alembic migrations build them.

SQLite keeps the cases' folded search text in an FTS5 trigram index (cases_search, kept by
triggers: it is not in `metadata`); PostgreSQL a pg_trgm GIN index on the same column."""
from __future__ import annotations

from sqlalchemy import (DDL, JSON, BigInteger, Boolean, Column, Date, DateTime, ForeignKey, Index, Integer,
                        LargeBinary, MetaData, String, Table, Text, UniqueConstraint, event, false)

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
    # the unit's head (người đứng đầu), designated by an administrator (migration 0009)
    Column("head_user_id", Integer, ForeignKey("users.id", use_alter=True), nullable=True),
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
    # The text filter's: title and candidate names, NFC and case-folded, and that without
    # diacritics (workflow/domain/search.py); kept by the repository (migration 0008)
    Column("search", Text, nullable=False, server_default=""),
    Column("search_fold", Text, nullable=False, server_default=""),
    # the definition language (migration 0009): the outcome a case ended with; the nearest deadline
    # anchored on a recorded date not yet met; sent back to its step and not yet left forward
    Column("outcome", String(40), nullable=True),
    Column("case_due", Date, nullable=True),
    Column("returned", Boolean, nullable=False, server_default=false()),
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
    # The text filter on PostgreSQL: LIKE '%…%' on the fold through trigrams (pg_trgm)
    Index("ix_cases_search_fold_trgm", "search_fold", postgresql_using="gin",
          postgresql_ops={"search_fold": "gin_trgm_ops"}).ddl_if(dialect="postgresql"),
)

# pg_trgm ships with PostgreSQL (contrib) and is a trusted extension: the database owner can add it.
event.listen(metadata, "before_create", DDL("CREATE EXTENSION IF NOT EXISTS pg_trgm").execute_if(dialect="postgresql"))
ONLY_ON = {"ix_cases_search_fold_trgm": "postgresql"}

# SQLite: the fold in an external-content FTS5 table with the trigram tokenizer, kept in step with
# `cases` by triggers. A phrase of 3+ characters is then looked up through an index.
CASES_SEARCH = "cases_search"
CASES_SEARCH_DDL = (
    "CREATE VIRTUAL TABLE cases_search USING fts5(search_fold, content='cases', content_rowid='id', "
    "tokenize='trigram')",
    "CREATE TRIGGER cases_search_ai AFTER INSERT ON cases BEGIN "
    "INSERT INTO cases_search(rowid, search_fold) VALUES (new.id, new.search_fold); END",
    "CREATE TRIGGER cases_search_ad AFTER DELETE ON cases BEGIN "
    "INSERT INTO cases_search(cases_search, rowid, search_fold) VALUES ('delete', old.id, old.search_fold); END",
    "CREATE TRIGGER cases_search_au AFTER UPDATE OF search_fold ON cases BEGIN "
    "INSERT INTO cases_search(cases_search, rowid, search_fold) VALUES ('delete', old.id, old.search_fold); "
    "INSERT INTO cases_search(rowid, search_fold) VALUES (new.id, new.search_fold); END",
)
# (A migration that rebuilds `cases` on SQLite — batch "move and copy" — drops these triggers with
# the old table: it must create them again and 'rebuild' the index, as migration 0008 does.)
for _sql in CASES_SEARCH_DDL:
    event.listen(cases, "after_create", DDL(_sql).execute_if(dialect="sqlite"))
# the FTS table and the shadow tables FTS5 keeps its index in: not in `metadata`, not Alembic's to compare
_FTS_TABLES = {CASES_SEARCH} | {f"{CASES_SEARCH}_{s}" for s in ("data", "idx", "docsize", "config", "content")}
TRIGRAM = 3                   # the trigram tokenizer indexes (and can search for) 3+ characters


def schema_filter(dialect: str):
    """Alembic's include_object for a database of `dialect`: leaves out the objects only another
    dialect has (Alembic does not read `ddl_if`), and SQLite's FTS tables (made by DDL, not declared)."""
    def include(obj, name, type_, reflected, compare_to) -> bool:
        if type_ == "table" and name in _FTS_TABLES:
            return False
        return ONLY_ON.get(name, dialect) == dialect
    return include


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
# The live records only: what a step holds now, read and superseded on every action. The queries
# name the same condition, as a partial index needs on both databases (on SQLite word for word:
# "superseded IS 0"; PostgreSQL "superseded IS false").
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

# Deputies of a unit's head: a recorded delegation (who, from, until); revoked, it stays on record.
head_delegations = Table(
    "head_delegations", metadata,
    Column("id", Integer, primary_key=True),
    Column("unit_id", Integer, ForeignKey("units.id"), nullable=False),
    Column("user_id", Integer, ForeignKey("users.id"), nullable=False),
    Column("valid_from", Date, nullable=False),
    Column("valid_until", Date, nullable=False),
    Column("reason", String(300), nullable=False),
    Column("created_by", Integer, nullable=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("revoked_at", DateTime(timezone=True), nullable=True),
    Index("ix_head_delegations_unit_id", "unit_id"),
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
