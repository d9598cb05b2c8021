"""the definition language (issue 14): a case ends with an outcome (`cases.outcome`), carries the
nearest deadline anchored on a recorded date (`cases.case_due`) and whether it was sent back to
its step (`cases.returned`); a unit has a designated head (`units.head_user_id`) and deputies by a
recorded delegation (`head_delegations`: who, from, until)

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-10 12:00:00.000000
"""
import sqlalchemy as sa
from alembic import op


revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade():
    # plain ADD COLUMNs: `cases` is not rebuilt, so SQLite's search triggers (migration 0008) stay
    op.add_column('cases', sa.Column('outcome', sa.String(length=40), nullable=True))
    op.add_column('cases', sa.Column('case_due', sa.Date(), nullable=True))
    op.add_column('cases', sa.Column('returned', sa.Boolean(), nullable=False, server_default=sa.false()))
    with op.batch_alter_table('units') as batch:
        batch.add_column(sa.Column('head_user_id', sa.Integer(), nullable=True))
        batch.create_foreign_key('fk_units_head_user_id_users', 'users', ['head_user_id'], ['id'])
    op.create_table(
        'head_delegations',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('unit_id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('valid_from', sa.Date(), nullable=False),
        sa.Column('valid_until', sa.Date(), nullable=False),
        sa.Column('reason', sa.String(length=300), nullable=False),
        sa.Column('created_by', sa.Integer(), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(['unit_id'], ['units.id'], name='fk_head_delegations_unit_id_units'),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'], name='fk_head_delegations_user_id_users'),
        sa.PrimaryKeyConstraint('id', name='pk_head_delegations'),
    )
    op.create_index('ix_head_delegations_unit_id', 'head_delegations', ['unit_id'], unique=False)


def downgrade():
    op.drop_index('ix_head_delegations_unit_id', table_name='head_delegations')
    op.drop_table('head_delegations')
    with op.batch_alter_table('units') as batch:
        batch.drop_constraint('fk_units_head_user_id_users', type_='foreignkey')
        batch.drop_column('head_user_id')
    for column in ('returned', 'case_due', 'outcome'):
        op.drop_column('cases', column)
