"""api tokens and idempotency keys: the HTTP API's bearer tokens and first responses

Revision ID: 0009
Revises: 0005
Create Date: 2026-12-03 19:30:00

`api_token` holds one row per calling system: its name, its role, the SHA-256 of its token
(the token itself is shown once, at creation, and never stored), when it expires and whether
it was revoked. `api_idempotency` keeps the first response to each `Idempotency-Key` a token
sent with a POST, until it expires, so that a retried request never opens a second case,
whichever process answers it.
"""
from alembic import op
import sqlalchemy as sa

import storage.tables

revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None

UTC = storage.tables.UTCDateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        'api_token',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('name', sa.String(64), nullable=False),
        sa.Column('role', sa.String(32), nullable=False),
        sa.Column('token_sha256', sa.String(64), nullable=False),
        sa.Column('created_at', UTC, nullable=False),
        sa.Column('created_by', sa.String(200), nullable=False),
        sa.Column('expires_at', UTC, nullable=True),
        sa.Column('revoked_at', UTC, nullable=True),
        sa.Column('revoked_by', sa.String(200), nullable=True),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('name', name='uq_api_token_name'),
        sa.UniqueConstraint('token_sha256', name='uq_api_token_sha256'),
    )
    op.create_table(
        'api_idempotency',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('token_name', sa.String(64), nullable=False),
        sa.Column('key', sa.String(255), nullable=False),
        sa.Column('request_sha256', sa.String(64), nullable=False),
        sa.Column('status', sa.Integer(), nullable=True),
        sa.Column('body', sa.Text(), nullable=True),
        sa.Column('created_at', UTC, nullable=False),
        sa.Column('expires_at', UTC, nullable=False),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('token_name', 'key', name='uq_api_idempotency_key'),
    )
    op.create_index(
        'ix_api_idempotency_expires', 'api_idempotency', ['expires_at'], unique=False
    )


def downgrade() -> None:
    op.drop_index('ix_api_idempotency_expires', table_name='api_idempotency')
    op.drop_table('api_idempotency')
    op.drop_table('api_token')
