"""index events by actor name: the auditor's search by user

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22 04:05:00.000000
"""
from alembic import op


revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade():
    # search_events(username=…) filters on events.actor (the name as recorded, also for failed
    # sign-ins with no user id) and orders by seq: without this it read the whole log.
    with op.batch_alter_table('events', schema=None) as batch_op:
        batch_op.create_index('ix_events_actor_name_seq', ['actor', 'seq'], unique=False)


def downgrade():
    with op.batch_alter_table('events', schema=None) as batch_op:
        batch_op.drop_index('ix_events_actor_name_seq')
