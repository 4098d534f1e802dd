"""casework: the case's assignee (a projection of its `assigned` events) for "my cases"

Revision ID: 0007
Revises: 0005
Create Date: 2026-12-03 19:30:00

`case.assignee` names the account a case is assigned to, written in the same transaction as
the `assigned` event it projects; `ix_case_assignee_queue` serves an account's open cases in
queue order (high priority first, then oldest). Notes and corrections are events only.
"""
import sqlalchemy as sa
from alembic import op

revision = '0007'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('case', schema=None) as batch_op:
        batch_op.add_column(sa.Column('assignee', sa.String(200), nullable=True))
        batch_op.create_index(
            'ix_case_assignee_queue',
            ['assignee', 'priority', 'opened_at'],
            unique=False,
            sqlite_where=sa.text('closed_at IS NULL'),
            postgresql_where=sa.text('closed_at IS NULL'),
        )


def downgrade() -> None:
    with op.batch_alter_table('case', schema=None) as batch_op:
        batch_op.drop_index('ix_case_assignee_queue')
    # SQLite 3.35+ drops a column in place; a batch copy of `case` would be refused by the
    # events' foreign keys (the audit log cannot be copied around)
    op.execute('ALTER TABLE "case" DROP COLUMN assignee')
