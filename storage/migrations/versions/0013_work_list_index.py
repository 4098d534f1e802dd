"""work list: the school a case is about as a column, and the open cases' filter index

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-08 02:00:00

The web's work list filters open cases by state, school, priority, kind of referral and
assignee, and counts them for its tabs. The school lived only inside `case.facts` (JSON), so
every filtered count walked every open case and parsed its facts (issue 15: 444 ms a page at
100,000 open cases). `case.school_id` is now a generated column, `facts -> school -> id`,
computed by the database itself (VIRTUAL on SQLite, STORED on PostgreSQL): no writer sets it,
so it can never disagree with the facts it comes from, whoever wrote them (the engine, a
correction, the register import, a restore). `ix_case_open_work` indexes the open cases by
every other filter the page offers, so a filtered count is read from one index alone, and
`ix_case_open_school` the open cases of a school. (SQLite reads a VIRTUAL column from the
table, never from an index, so an index that held `school_id` among the others would make
every count read every open case's row.)

`ix_timer_case_status` gains the due time (`ix_timer_case_due`): a case's nearest pending
deadline is then one seek of the index, which the work list orders by.
"""
from alembic import op
import sqlalchemy as sa

from storage.expressions import POSTGRES_SCHOOL, SQLITE_SCHOOL

revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None

OPEN = "closed_at IS NULL"
WORK_COLUMNS = ['priority', 'state', 'workflow', 'assignee', 'opened_at', 'closed_at']
"""`closed_at` too, though the index holds only open cases: SQLite counts an index as covering
only when it holds every column the query names, and the query names `closed_at IS NULL`."""
SCHOOL_COLUMNS = ['school_id', 'priority', 'state']


def upgrade() -> None:
    postgres = op.get_bind().dialect.name == 'postgresql'
    school = sa.Computed(POSTGRES_SCHOOL if postgres else SQLITE_SCHOOL, persisted=postgres)
    # SQLite adds a VIRTUAL generated column in place (ALTER TABLE ADD COLUMN): no table copy
    op.add_column('case', sa.Column('school_id', sa.String(), school, nullable=True))
    op.create_index(
        'ix_case_open_work',
        'case',
        WORK_COLUMNS,
        unique=False,
        sqlite_where=sa.text(OPEN),
        postgresql_where=sa.text(OPEN),
    )
    op.create_index(
        'ix_case_open_school',
        'case',
        SCHOOL_COLUMNS,
        unique=False,
        sqlite_where=sa.text(OPEN),
        postgresql_where=sa.text(OPEN),
    )
    op.create_index('ix_timer_case_due', 'timer', ['case_id', 'status', 'due_at'], unique=False)
    op.drop_index('ix_timer_case_status', table_name='timer')


def downgrade() -> None:
    op.create_index('ix_timer_case_status', 'timer', ['case_id', 'status'], unique=False)
    op.drop_index('ix_timer_case_due', table_name='timer')
    op.drop_index('ix_case_open_school', table_name='case')
    op.drop_index('ix_case_open_work', table_name='case')
    # in place (SQLite 3.35+ drops a column; a batch copy of "case" would break the foreign
    # keys of every table that points at it)
    op.execute('ALTER TABLE "case" DROP COLUMN school_id')
