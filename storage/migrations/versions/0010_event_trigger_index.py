"""event (trigger, at) index for the reports

Revision ID: 0010
Revises: 0005
Create Date: 2026-12-03 19:30:00

The reports (issue 16) read the openings and the few kinds of step they count (closures,
escalations, acknowledgements, pauses, risk and primary-reason changes) by trigger, up to a
moment: this index walks those rows instead of scanning every event (bench figure 10).
"""
from alembic import op

revision = "0010"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("event", schema=None) as batch_op:
        batch_op.create_index("ix_event_trigger_at", ["trigger", "at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("event", schema=None) as batch_op:
        batch_op.drop_index("ix_event_trigger_at")
