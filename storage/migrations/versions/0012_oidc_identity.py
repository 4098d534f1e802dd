"""oidc identities: which account a person signing in through the council's provider is

Revision ID: 0012
Revises: 0008
Create Date: 2026-12-03 19:30:00

`oidc_identity` binds an account to its subject (`sub`) at one issuer (`cme user oidc NAME
--subject SUB`): the web's OpenID Connect sign-in finds the account by (issuer, subject) and
refuses anyone unbound. One binding per account per issuer, one account per subject.
"""
from alembic import op
import sqlalchemy as sa

import storage.tables

revision = '0012'
down_revision = '0010'
branch_labels = None
depends_on = None

UTC = storage.tables.UTCDateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        'oidc_identity',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('issuer', sa.String(500), nullable=False),
        sa.Column('subject', sa.String(255), nullable=False),
        sa.Column('account', sa.String(200), nullable=False),
        sa.Column('bound_at', UTC, nullable=False),
        sa.Column('bound_by', sa.String(200), nullable=False),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('issuer', 'subject', name='uq_oidc_identity_subject'),
        sa.UniqueConstraint('issuer', 'account', name='uq_oidc_identity_account'),
    )


def downgrade() -> None:
    op.drop_table('oidc_identity')
