"""accounts: who may use cme (CLI login binding, web sign-in later); refusals in the access log

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01 10:00:00

`account` holds the people who may act: a name (the actor on every event they write), the
roles they may choose among, the operating-system login the CLI binds them to, a disabled flag
and a nullable argon2 password hash for the web sign-in to come. `access_log.case_id` becomes
nullable: a refused `cme audit erase` or `cme db restore` concerns no one case.
"""
from alembic import op
import sqlalchemy as sa

import storage.tables

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None

UTC = storage.tables.UTCDateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        'account',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('name', sa.String(200), nullable=False),
        sa.Column('login', sa.String(200), nullable=False),
        sa.Column('roles', sa.JSON(), nullable=False),
        sa.Column('disabled', sa.Boolean(), nullable=False),
        sa.Column('created_at', UTC, nullable=False),
        sa.Column('password_hash', sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('name', name='uq_account_name'),
        sa.UniqueConstraint('login', name='uq_account_login'),
    )
    with op.batch_alter_table('access_log', schema=None) as batch_op:
        batch_op.alter_column('case_id', existing_type=sa.Integer(), nullable=True)


def downgrade() -> None:
    # refusals that concern no case keep their row, under case 0 (no case has id 0)
    op.execute("UPDATE access_log SET case_id = 0 WHERE case_id IS NULL")
    with op.batch_alter_table('access_log', schema=None) as batch_op:
        batch_op.alter_column('case_id', existing_type=sa.Integer(), nullable=False)
    op.drop_table('account')
