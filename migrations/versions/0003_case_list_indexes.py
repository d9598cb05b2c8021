"""case list at scale: indexes for the list's common filters and, on PostgreSQL, a trigram index
for the title filter

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22 06:00:00.000000
"""
from alembic import op


revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade():
    # list_cases orders by updated_at and counts at most 1,000 matches past the page: with these
    # the filter by procedure/status and its count read one index (bench/scale.py).
    # id last: a page's ids are found and its OFFSET skipped in the index alone (a deferred join).
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.create_index('ix_cases_definition_status_updated',
                              ['definition_key', 'status', 'updated_at', 'id'], unique=False)
        batch_op.create_index('ix_cases_status_updated', ['status', 'updated_at', 'id'], unique=False)
        batch_op.drop_index('ix_cases_updated_at')
        batch_op.create_index('ix_cases_updated_at', ['updated_at', 'id'], unique=False)
    if op.get_bind().dialect.name == 'postgresql':
        # title ILIKE '%…%' was a scan of every case (1.5 s at 100k cases for a rare name)
        op.execute('CREATE EXTENSION IF NOT EXISTS pg_trgm')
        op.create_index('ix_cases_title_trgm', 'cases', ['title'], unique=False, postgresql_using='gin',
                        postgresql_ops={'title': 'gin_trgm_ops'})


def downgrade():
    if op.get_bind().dialect.name == 'postgresql':
        op.drop_index('ix_cases_title_trgm', table_name='cases')
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.drop_index('ix_cases_updated_at')
        batch_op.create_index('ix_cases_updated_at', ['updated_at'], unique=False)
        batch_op.drop_index('ix_cases_status_updated')
        batch_op.drop_index('ix_cases_definition_status_updated')
