"""open-queue partial index

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-27 20:50:00

The caseworker queue (open cases, high priority first, then oldest) walks this index instead
of scanning and sorting every case: 34 ms -> under 1 ms on PostgreSQL with 100,000 open cases
(bench figure 5).
"""
import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("case", schema=None) as batch_op:
        batch_op.create_index(
            "ix_case_open_queue",
            ["priority", "opened_at", "id"],
            unique=False,
            sqlite_where=sa.text("closed_at IS NULL"),
            postgresql_where=sa.text("closed_at IS NULL"),
        )


def downgrade() -> None:
    with op.batch_alter_table("case", schema=None) as batch_op:
        batch_op.drop_index("ix_case_open_queue")
