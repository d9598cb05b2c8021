"""the live records of a case (superseded = false) in a partial index: every action reads them and
supersedes a step's old ones, and walked every version a case had ever saved; (kind, case_id) for
a case's documents instead of (case_id, step_key, kind)

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01 08:00:00.000000
"""
import sqlalchemy as sa
from alembic import op


revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade():
    live = sa.text('superseded IS false') if op.get_bind().dialect.name == 'postgresql' else sa.text('superseded IS 0')
    op.create_index('ix_records_live', 'records', ['case_id', 'step_key', 'kind'], unique=False,
                    sqlite_where=live, postgresql_where=live)
    # (case_id, step_key, kind) over every version: the planner could take it for the live records
    # (SQLite did, on a database without statistics), and so it would any index that begins with
    # case_id; a case's documents are found by (kind, case_id)
    op.drop_index('ix_records_case_step', table_name='records')
    op.create_index('ix_records_kind_case', 'records', ['kind', 'case_id'], unique=False)


def downgrade():
    op.drop_index('ix_records_kind_case', table_name='records')
    op.create_index('ix_records_case_step', 'records', ['case_id', 'step_key', 'kind'], unique=False)
    op.drop_index('ix_records_live', table_name='records')
