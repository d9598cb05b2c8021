"""work queue at scale: the open cases of a unit by what they await, to count a unit's queue

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01 12:00:00.000000
"""
from alembic import op


revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade():
    # work_queue counts at most 1,000 waiting cases of the user's units: through ix_cases_work_queue
    # (in step order, every unit's cases interleaved) a district's count walked ten entries per case
    # it counted (10,000 at 100k cases); here a unit's waiting cases are side by side (covering)
    op.create_index('ix_cases_unit_queue', 'cases',
                    ['status', 'awaiting', 'unit_id', 'definition_key', 'definition_version', 'state'], unique=False)


def downgrade():
    op.drop_index('ix_cases_unit_queue', table_name='cases')
