"""web sign-in: every sign-in attempt recorded; browser sessions kept server-side

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-03 19:00:00

`sign_in` records every web sign-in, failure, lock-out, expiry and sign-out (who, when, which
account, the outcome); `web_session` holds signed-in browser sessions by the SHA-256 of their
cookie (the cookie itself is never stored), with the role chosen, the last request's time (idle
timeout) and when and why it ended.
"""
from alembic import op
import sqlalchemy as sa

import storage.tables

revision = '0008'
down_revision = '0007'  # chained after casework's 0007 in this merge
branch_labels = None
depends_on = None

UTC = storage.tables.UTCDateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        'sign_in',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('at', UTC, nullable=False),
        sa.Column('username', sa.String(200), nullable=False),
        sa.Column('account', sa.String(200), nullable=True),
        sa.Column('outcome', sa.String(32), nullable=False),
        sa.Column('door', sa.String(16), nullable=False),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_sign_in_username', 'sign_in', ['username', 'at'])
    op.create_table(
        'web_session',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('token_hash', sa.String(64), nullable=False),
        sa.Column('account', sa.String(200), nullable=False),
        sa.Column('role', sa.String(32), nullable=True),
        sa.Column('created_at', UTC, nullable=False),
        sa.Column('last_seen_at', UTC, nullable=False),
        sa.Column('ended_at', UTC, nullable=True),
        sa.Column('ended_because', sa.String(32), nullable=True),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('token_hash'),
    )


def downgrade() -> None:
    op.drop_table('web_session')
    op.drop_index('ix_sign_in_username', table_name='sign_in')
    op.drop_table('sign_in')
