"""SQLite: case titles in an FTS5 trigram table (cases_fts) for the case list's title filter,
kept in step with `cases` by triggers; PostgreSQL has pg_trgm (0003) and is unchanged

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-22 12:00:00.000000
"""
from alembic import op


revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None

# Written out here, not imported from workflow.store: a migration keeps the schema of its day.
CREATE = (
    "CREATE VIRTUAL TABLE cases_fts USING fts5(title, content='cases', content_rowid='id', tokenize='trigram')",
    "CREATE TRIGGER cases_fts_ai AFTER INSERT ON cases BEGIN "
    "INSERT INTO cases_fts(rowid, title) VALUES (new.id, new.title); END",
    "CREATE TRIGGER cases_fts_ad AFTER DELETE ON cases BEGIN "
    "INSERT INTO cases_fts(cases_fts, rowid, title) VALUES ('delete', old.id, old.title); END",
    "CREATE TRIGGER cases_fts_au AFTER UPDATE OF title ON cases BEGIN "
    "INSERT INTO cases_fts(cases_fts, rowid, title) VALUES ('delete', old.id, old.title); "
    "INSERT INTO cases_fts(rowid, title) VALUES (new.id, new.title); END",
    # the cases already there
    "INSERT INTO cases_fts(cases_fts) VALUES ('rebuild')",
)
DROP = ("DROP TRIGGER IF EXISTS cases_fts_au", "DROP TRIGGER IF EXISTS cases_fts_ad",
        "DROP TRIGGER IF EXISTS cases_fts_ai", "DROP TABLE IF EXISTS cases_fts")


def upgrade():
    if op.get_bind().dialect.name == 'sqlite':
        for sql in CREATE:
            op.execute(sql)


def downgrade():
    if op.get_bind().dialect.name == 'sqlite':
        for sql in DROP:
            op.execute(sql)
