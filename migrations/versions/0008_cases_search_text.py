"""the case list's text filter looks in a folded search text: title and candidate names, NFC and
case-folded (`search`) and that without diacritics (`search_fold`), back-filled here; SQLite
indexes the fold in FTS5 (cases_search, replacing cases_fts over the title), PostgreSQL in a
pg_trgm GIN index (replacing the one on the title)

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-06 12:00:00.000000
"""
import json
import unicodedata

import sqlalchemy as sa
from alembic import op


revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None

# Written out here, not imported from workflow: a migration keeps the schema (and folding) of its day.
SEARCH_DDL = (
    "CREATE VIRTUAL TABLE cases_search USING fts5(search_fold, content='cases', content_rowid='id', "
    "tokenize='trigram')",
    "CREATE TRIGGER cases_search_ai AFTER INSERT ON cases BEGIN "
    "INSERT INTO cases_search(rowid, search_fold) VALUES (new.id, new.search_fold); END",
    "CREATE TRIGGER cases_search_ad AFTER DELETE ON cases BEGIN "
    "INSERT INTO cases_search(cases_search, rowid, search_fold) VALUES ('delete', old.id, old.search_fold); END",
    "CREATE TRIGGER cases_search_au AFTER UPDATE OF search_fold ON cases BEGIN "
    "INSERT INTO cases_search(cases_search, rowid, search_fold) VALUES ('delete', old.id, old.search_fold); "
    "INSERT INTO cases_search(rowid, search_fold) VALUES (new.id, new.search_fold); END",
    "INSERT INTO cases_search(cases_search) VALUES ('rebuild')",
)
SEARCH_DROP = ("DROP TRIGGER IF EXISTS cases_search_au", "DROP TRIGGER IF EXISTS cases_search_ad",
               "DROP TRIGGER IF EXISTS cases_search_ai", "DROP TABLE IF EXISTS cases_search")
TITLE_DDL = (
    "CREATE VIRTUAL TABLE cases_fts USING fts5(title, content='cases', content_rowid='id', tokenize='trigram')",
    "CREATE TRIGGER cases_fts_ai AFTER INSERT ON cases BEGIN "
    "INSERT INTO cases_fts(rowid, title) VALUES (new.id, new.title); END",
    "CREATE TRIGGER cases_fts_ad AFTER DELETE ON cases BEGIN "
    "INSERT INTO cases_fts(cases_fts, rowid, title) VALUES ('delete', old.id, old.title); END",
    "CREATE TRIGGER cases_fts_au AFTER UPDATE OF title ON cases BEGIN "
    "INSERT INTO cases_fts(cases_fts, rowid, title) VALUES ('delete', old.id, old.title); "
    "INSERT INTO cases_fts(rowid, title) VALUES (new.id, new.title); END",
    "INSERT INTO cases_fts(cases_fts) VALUES ('rebuild')",
)
TITLE_DROP = ("DROP TRIGGER IF EXISTS cases_fts_au", "DROP TRIGGER IF EXISTS cases_fts_ad",
              "DROP TRIGGER IF EXISTS cases_fts_ai", "DROP TABLE IF EXISTS cases_fts")


def _accented(s):
    return unicodedata.normalize("NFC", unicodedata.normalize("NFC", s).casefold())


def _fold(s):
    bare = "".join(c for c in unicodedata.normalize("NFD", _accented(s)) if not unicodedata.combining(c))
    return unicodedata.normalize("NFC", bare.replace("đ", "d"))


def _backfill(bind) -> None:
    names = {}
    for case_id, kind, payload in bind.execute(sa.text(
            "SELECT case_id, kind, payload FROM records WHERE kind IN ('form', 'tally') AND NOT superseded "
            "ORDER BY id")):
        payload = json.loads(payload) if isinstance(payload, str) else payload
        found = names.setdefault(case_id, {})
        if kind == "form":
            for v in payload.values():
                if isinstance(v, list):
                    found.update((n, None) for n in v if isinstance(n, str))
        else:
            found.update((n, None) for n in (payload.get("candidates") or {}))
    rows = []
    for case_id, title in bind.execute(sa.text("SELECT id, title FROM cases")).all():
        search = _accented("\n".join([title, *names.get(case_id, {})]))
        rows.append({"id": case_id, "search": search, "fold": _fold(search)})
    if rows:
        bind.execute(sa.text("UPDATE cases SET search = :search, search_fold = :fold WHERE id = :id"), rows)


def upgrade():
    bind = op.get_bind()
    sqlite = bind.dialect.name == 'sqlite'
    if sqlite:
        for sql in TITLE_DROP:
            op.execute(sql)
    else:
        op.drop_index('ix_cases_title_trgm', table_name='cases')
    op.add_column('cases', sa.Column('search', sa.Text(), server_default='', nullable=False))
    op.add_column('cases', sa.Column('search_fold', sa.Text(), server_default='', nullable=False))
    _backfill(bind)
    if sqlite:
        for sql in SEARCH_DDL:
            op.execute(sql)
    else:
        op.create_index('ix_cases_search_fold_trgm', 'cases', ['search_fold'], unique=False,
                        postgresql_using='gin', postgresql_ops={'search_fold': 'gin_trgm_ops'})


def downgrade():
    sqlite = op.get_bind().dialect.name == 'sqlite'
    if sqlite:
        for sql in SEARCH_DROP:
            op.execute(sql)
    else:
        op.drop_index('ix_cases_search_fold_trgm', table_name='cases')
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.drop_column('search_fold')
        batch_op.drop_column('search')
    if sqlite:
        for sql in TITLE_DDL:
            op.execute(sql)
    else:
        op.create_index('ix_cases_title_trgm', 'cases', ['title'], unique=False, postgresql_using='gin',
                        postgresql_ops={'title': 'gin_trgm_ops'})
