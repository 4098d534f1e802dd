"""outbox outcome_recorded flag: the tick's reconcile reads only the rows it must

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-03 19:40:00

`outbox.outcome_recorded` is true once a `sent` or `failed` row's case event is committed (in
the same transaction: cme.delivery, the engine for an unaddressed row, the reconcile itself).
The reconcile of every tick walked every sent and failed row with a correlated search of the
events; it now walks the partial index `ix_outbox_unrecorded` (final rows not yet flagged),
which is empty in normal operation. Rows that exist when this migration runs start unflagged:
the first tick flags those whose event exists and records the others (cme/outcomes.py).
"""
from alembic import op
import sqlalchemy as sa

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None

UNRECORDED = "status IN ('sent', 'failed') AND outcome_recorded = {false}"


def upgrade() -> None:
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('outcome_recorded', sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch_op.create_index(
            'ix_outbox_unrecorded',
            ['id'],
            unique=False,
            sqlite_where=sa.text(UNRECORDED.format(false="0")),
            postgresql_where=sa.text(UNRECORDED.format(false="false")),
        )


def downgrade() -> None:
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.drop_index('ix_outbox_unrecorded')
        batch_op.drop_column('outcome_recorded')
