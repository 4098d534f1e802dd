"""event.body: the exact canonical JSON text each event's hash covers

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-27 21:40:00

`engine.audit.seal` keeps the text it hashed, so `cme audit verify` checks
`sha256(prev_hash || body) == hash` over stored bytes and compares the body with the event's
columns as text, instead of dumping canonical JSON for every event (bench figure 9). Events
written before keep body NULL and are verified as before.

The append-only guard of 0002 now covers `body` too: the one UPDATE still allowed is the
redaction of `evidence`.
"""
from alembic import op
import sqlalchemy as sa

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None

EVENT_COLUMNS = (
    "id", "case_id", "seq", "trigger", "from_state", "to_state", "actor", "role", "at",
    "prev_hash", "hash",
)
"""The columns 0002 kept unchangeable; `body` joins them here."""

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
    op.add_column('event', sa.Column('body', sa.Text(), nullable=True))
    _event_triggers((*EVENT_COLUMNS, "body"))


def downgrade() -> None:
    _event_triggers(EVENT_COLUMNS)  # first: SQLite refuses to drop a column a trigger names
    op.drop_column('event', 'body')


def _event_triggers(fixed: tuple[str, ...]) -> None:
    """Refuse every UPDATE of an event but the redaction of its evidence (the `fixed`
    columns unchanged), as 0002 does."""
    if op.get_bind().dialect.name == "sqlite":
        same = " AND ".join(f"NEW.{c} IS OLD.{c}" for c in fixed)
        op.execute("DROP TRIGGER IF EXISTS event_no_update")
        op.execute(
            "CREATE TRIGGER event_no_update BEFORE UPDATE ON event "
            f"WHEN NOT ({same} AND {SQLITE_REDACTED.format(e='NEW.evidence')} "
            f"AND NOT {SQLITE_REDACTED.format(e='OLD.evidence')}) "
            "BEGIN SELECT RAISE(ABORT, 'event is append-only: UPDATE refused'); END"
        )
        return
    same = " AND ".join(f"NEW.{c} IS NOT DISTINCT FROM OLD.{c}" for c in fixed)
    op.execute(
        "CREATE OR REPLACE FUNCTION cme_event_append_only() RETURNS trigger "
        "LANGUAGE plpgsql AS $$ BEGIN "
        f"IF TG_OP = 'UPDATE' AND {same} AND {PG_REDACTED.format(e='NEW.evidence')} "
        f"AND NOT {PG_REDACTED.format(e='OLD.evidence')} THEN RETURN NEW; END IF; "
        "RAISE EXCEPTION 'event is append-only: % refused', TG_OP; END $$"
    )
