"""audit: checkpoints, access log, legal holds, erasures; events may be redacted, nothing else

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-28 10:00:00

The event table stays append-only, with one exception that retention needs: an UPDATE that
changes nothing but `evidence`, from its full form to the redacted form
`{"redacted": true, "evidence_sha256": "<64 hex>"}` (engine.audit.redact). The hash covers the
evidence's digest, so a redacted chain still verifies. Every other UPDATE, and every DELETE, is
still refused by the database, on SQLite (a trigger WHEN clause) and PostgreSQL (the trigger
function).
Each predicate is wrapped in COALESCE: a NULL (a missing key) must count as "not redacted",
never let a WHEN clause fall through.
"""
from alembic import op
import sqlalchemy as sa

import storage.tables

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None

UTC = storage.tables.UTCDateTime(timezone=True)

EVENT_COLUMNS = (
    "id", "case_id", "seq", "trigger", "from_state", "to_state", "actor", "role", "at",
    "prev_hash", "hash",
)

SQLITE_REDACTED = (
    "COALESCE((json_valid({e}) AND json_type({e}) = 'object' "
    "AND (SELECT count(*) FROM json_each({e})) = 2 "
    "AND json_type({e}, '$.redacted') = 'true' "
    "AND json_type({e}, '$.evidence_sha256') = 'text' "
    "AND length(json_extract({e}, '$.evidence_sha256')) = 64 "
    "AND json_extract({e}, '$.evidence_sha256') NOT GLOB '*[^0-9a-f]*'), 0)"
)

PG_REDACTED = (
    "COALESCE((jsonb_typeof({e}) = 'object' "
    "AND (SELECT count(*) FROM jsonb_object_keys({e})) = 2 "
    "AND {e} -> 'redacted' = 'true'::jsonb "
    "AND jsonb_typeof({e} -> 'evidence_sha256') = 'string' "
    "AND ({e} ->> 'evidence_sha256') ~ '^[0-9a-f]{{64}}$'), false)"
)


def upgrade() -> None:
    op.create_table(
        'audit_checkpoint',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('created_at', UTC, nullable=False),
        sa.Column('cases', sa.Integer(), nullable=False),
        sa.Column('heads_sha256', sa.String(64), nullable=False),
        sa.Column('key_id', sa.String(64), nullable=False),
        sa.Column('payload', sa.Text(), nullable=False),
        sa.Column('signature', sa.String(128), nullable=False),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_table(
        'audit_checkpoint_head',
        sa.Column('checkpoint_id', sa.Integer(), nullable=False),
        sa.Column('case_id', sa.Integer(), nullable=False),
        sa.Column('seq', sa.Integer(), nullable=False),
        sa.Column('hash', sa.String(64), nullable=False),
        sa.ForeignKeyConstraint(['checkpoint_id'], ['audit_checkpoint.id']),
        sa.PrimaryKeyConstraint('checkpoint_id', 'case_id'),
    )
    op.create_table(
        'access_log',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('at', UTC, nullable=False),
        sa.Column('actor', sa.String(200), nullable=False),
        sa.Column('role', sa.String(32), nullable=False),
        sa.Column('case_id', sa.Integer(), nullable=False),
        sa.Column('action', sa.String(64), nullable=False),
        sa.Column('detail', sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_access_log_case', 'access_log', ['case_id', 'at'])
    op.create_table(
        'legal_hold',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('case_id', sa.Integer(), nullable=False),
        sa.Column('reason', sa.Text(), nullable=False),
        sa.Column('placed_by', sa.String(200), nullable=False),
        sa.Column('placed_at', UTC, nullable=False),
        sa.Column('released_by', sa.String(200), nullable=True),
        sa.Column('released_at', UTC, nullable=True),
        sa.ForeignKeyConstraint(['case_id'], ['case.id']),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_legal_hold_case', 'legal_hold', ['case_id'])
    op.create_table(
        'erasure',
        sa.Column('case_id', sa.Integer(), nullable=False),
        sa.Column('erased_at', UTC, nullable=False),
        sa.Column('actor', sa.String(200), nullable=False),
        sa.Column('events', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['case_id'], ['case.id']),
        sa.PrimaryKeyConstraint('case_id'),
    )
    _event_triggers(allow_redaction=True)


def _event_triggers(allow_redaction: bool) -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute("DROP TRIGGER IF EXISTS event_no_update")
        when = ""
        if allow_redaction:
            same = " AND ".join(f"NEW.{c} IS OLD.{c}" for c in EVENT_COLUMNS)
            when = (
                f"WHEN NOT ({same} AND {SQLITE_REDACTED.format(e='NEW.evidence')} "
                f"AND NOT {SQLITE_REDACTED.format(e='OLD.evidence')}) "
            )
        op.execute(
            f"CREATE TRIGGER event_no_update BEFORE UPDATE ON event {when}"
            "BEGIN SELECT RAISE(ABORT, 'event is append-only: UPDATE refused'); END"
        )
        return
    allow = ""
    if allow_redaction:
        same = " AND ".join(f"NEW.{c} IS NOT DISTINCT FROM OLD.{c}" for c in EVENT_COLUMNS)
        allow = (
            f"IF TG_OP = 'UPDATE' AND {same} AND {PG_REDACTED.format(e='NEW.evidence')} "
            f"AND NOT {PG_REDACTED.format(e='OLD.evidence')} THEN RETURN NEW; END IF; "
        )
    op.execute(
        "CREATE OR REPLACE FUNCTION cme_event_append_only() RETURNS trigger "
        f"LANGUAGE plpgsql AS $$ BEGIN {allow}"
        "RAISE EXCEPTION 'event is append-only: % refused', TG_OP; END $$"
    )


def downgrade() -> None:
    _event_triggers(allow_redaction=False)
    op.drop_table('erasure')
    op.drop_index('ix_legal_hold_case', table_name='legal_hold')
    op.drop_table('legal_hold')
    op.drop_index('ix_access_log_case', table_name='access_log')
    op.drop_table('access_log')
    op.drop_table('audit_checkpoint_head')
    op.drop_table('audit_checkpoint')
