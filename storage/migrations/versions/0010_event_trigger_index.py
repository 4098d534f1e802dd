"""event (trigger, at) index for the reports; report_mail, the scheduled report messages

Revision ID: 0010
Revises: 0005
Create Date: 2026-12-03 19:30:00

The reports (issue 16) read the openings and the few kinds of step they count (closures,
escalations, acknowledgements, pauses, risk and primary-reason changes) by trigger, up to a
moment: this index walks those rows instead of scanning every event (bench figure 10).
`report_mail` holds the messages the scheduler sends about reports (the monthly report to the
managers, the DfE return reminder to the CMEO): one row per report, period and recipient.
"""
import sqlalchemy as sa
from alembic import op

import storage.tables

UTC = storage.tables.UTCDateTime(timezone=True)

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("event", schema=None) as batch_op:
        batch_op.create_index("ix_event_trigger_at", ["trigger", "at"], unique=False)
    op.create_table(
        "report_mail",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("period", sa.String(32), nullable=False),
        sa.Column("recipient", sa.String(254), nullable=False),
        sa.Column("subject", sa.Text(), nullable=False),
        sa.Column("body_text", sa.Text(), nullable=False),
        sa.Column("body_html", sa.Text(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("created_at", UTC, nullable=False),
        sa.Column("sent_at", UTC, nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("kind", "period", "recipient", name="uq_report_mail"),
    )


def downgrade() -> None:
    op.drop_table("report_mail")
    with op.batch_alter_table("event", schema=None) as batch_op:
        batch_op.drop_index("ix_event_trigger_at")
