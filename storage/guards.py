"""The database's own guard on the audit log: events are append-only, whoever connects.

Migrations 0001, 0002 and 0004 made the database refuse every UPDATE and DELETE of an event
but the redaction of its evidence (SQLite: triggers `event_no_update`, `event_no_delete`;
PostgreSQL: trigger `event_append_only` calling `cme_event_append_only()`). A backup or a dump
whose triggers were dropped would restore a database without that protection, and nothing
would say so. `guard_problems` finds a guard missing, disabled or altered (`cme db check`);
`restore_guards` recreates it as the head schema defines it (`cme init`, `cme db restore`).

The definitions here are the head schema's; a test checks that a freshly migrated database
has exactly these, so a migration that changes them must change this module too.
"""

from __future__ import annotations

import re

from sqlalchemy import Connection, Engine, text

from storage.database import write_transaction

EVENT_FIXED_COLUMNS = (
    "id", "case_id", "seq", "trigger", "from_state", "to_state", "actor", "role", "at",
    "prev_hash", "hash", "body",
)  # fmt: skip
"""The columns no UPDATE may change (0004): only `evidence` may be redacted."""

_SQLITE_REDACTED = (
    "COALESCE((json_valid({e}) AND json_type({e}) = 'object' "
    "AND (SELECT count(*) FROM json_each({e})) = 2 "
    "AND json_type({e}, '$.redacted') = 'true' "
    "AND json_type({e}, '$.evidence_sha256') = 'text' "
    "AND length(json_extract({e}, '$.evidence_sha256')) = 64 "
    "AND json_extract({e}, '$.evidence_sha256') NOT GLOB '*[^0-9a-f]*'), 0)"
)
_PG_REDACTED = (
    "COALESCE((jsonb_typeof({e}) = 'object' "
    "AND (SELECT count(*) FROM jsonb_object_keys({e})) = 2 "
    "AND {e} -> 'redacted' = 'true'::jsonb "
    "AND jsonb_typeof({e} -> 'evidence_sha256') = 'string' "
    "AND ({e} ->> 'evidence_sha256') ~ '^[0-9a-f]{{64}}$'), false)"
)


def _sqlite_update() -> str:
    same = " AND ".join(f"NEW.{c} IS OLD.{c}" for c in EVENT_FIXED_COLUMNS)
    return (
        "CREATE TRIGGER event_no_update BEFORE UPDATE ON event "
        f"WHEN NOT ({same} AND {_SQLITE_REDACTED.format(e='NEW.evidence')} "
        f"AND NOT {_SQLITE_REDACTED.format(e='OLD.evidence')}) "
        "BEGIN SELECT RAISE(ABORT, 'event is append-only: UPDATE refused'); END"
    )


SQLITE_GUARDS = {
    "event_no_update": _sqlite_update(),
    "event_no_delete": (
        "CREATE TRIGGER event_no_delete BEFORE DELETE ON event "
        "BEGIN SELECT RAISE(ABORT, 'event is append-only: DELETE refused'); END"
    ),
}
"""SQLite: trigger name -> the statement that creates it (as the head schema has it)."""

_PG_SAME = " AND ".join(f"NEW.{c} IS NOT DISTINCT FROM OLD.{c}" for c in EVENT_FIXED_COLUMNS)
PG_FUNCTION_BODY = (
    " BEGIN "
    f"IF TG_OP = 'UPDATE' AND {_PG_SAME} AND {_PG_REDACTED.format(e='NEW.evidence')} "
    f"AND NOT {_PG_REDACTED.format(e='OLD.evidence')} THEN RETURN NEW; END IF; "
    "RAISE EXCEPTION 'event is append-only: % refused', TG_OP; END "
)
PG_FUNCTION = (
    "CREATE OR REPLACE FUNCTION cme_event_append_only() RETURNS trigger "
    f"LANGUAGE plpgsql AS $${PG_FUNCTION_BODY}$$"
)
PG_TRIGGER = (
    "CREATE TRIGGER event_append_only BEFORE UPDATE OR DELETE ON event "
    "FOR EACH ROW EXECUTE FUNCTION cme_event_append_only()"
)
_PG_TYPE = 1 | 2 | 8 | 16  # pg_trigger.tgtype bits: ROW, BEFORE, DELETE, UPDATE


def _normal(sql: str) -> str:
    return re.sub(r"\s+", " ", sql).strip()


def guard_problems(engine: Engine) -> list[str]:
    """What is wrong with the append-only guard ([] when it is whole): each problem names the
    trigger (or function) and says missing, disabled or altered."""
    with engine.connect() as conn:
        if engine.dialect.name == "sqlite":
            return _sqlite_problems(conn)
        return _pg_problems(conn)


def _sqlite_problems(conn: Connection) -> list[str]:
    found: dict[str, str] = {
        str(name): str(sql)
        for name, sql in conn.exec_driver_sql(
            "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'event'"
        )
    }
    problems = []
    for name, sql in SQLITE_GUARDS.items():
        if name not in found:
            problems.append(f"trigger {name} is missing")
        elif _normal(found[name]) != _normal(sql):
            problems.append(f"trigger {name} is altered")
    return problems


def _pg_problems(conn: Connection) -> list[str]:
    problems = []
    body = conn.execute(
        text(
            "SELECT p.prosrc FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace "
            "WHERE p.proname = 'cme_event_append_only' AND n.nspname = current_schema()"
        )
    ).scalar()
    if body is None:
        problems.append("function cme_event_append_only() is missing")
    elif _normal(body) != _normal(PG_FUNCTION_BODY):
        problems.append("function cme_event_append_only() is altered")
    row = conn.execute(
        text(
            "SELECT t.tgenabled, t.tgtype, p.proname FROM pg_trigger t "
            "JOIN pg_class c ON c.oid = t.tgrelid "
            "JOIN pg_namespace n ON n.oid = c.relnamespace "
            "JOIN pg_proc p ON p.oid = t.tgfoid "
            "WHERE t.tgname = 'event_append_only' AND c.relname = 'event' "
            "AND n.nspname = current_schema()"
        )
    ).first()
    if row is None:
        problems.append("trigger event_append_only is missing")
    elif row[0] == "D":
        problems.append("trigger event_append_only is disabled")
    elif (int(row[1]) & 0x7F) != _PG_TYPE or row[2] != "cme_event_append_only":
        problems.append("trigger event_append_only is altered")
    return problems


def restore_guards(engine: Engine) -> list[str]:
    """Recreate whatever part of the guard is missing, disabled or altered, in one transaction;
    return the problems it repaired ([] when the guard was whole and nothing was done)."""
    problems = guard_problems(engine)
    if not problems:
        return []
    with write_transaction(engine) as conn:
        if engine.dialect.name == "sqlite":
            for name, sql in SQLITE_GUARDS.items():
                conn.exec_driver_sql(f"DROP TRIGGER IF EXISTS {name}")
                conn.exec_driver_sql(sql)
        else:
            # text(), as Alembic's op.execute: it escapes the '%' of RAISE for the driver
            conn.execute(text(PG_FUNCTION))
            conn.execute(text("DROP TRIGGER IF EXISTS event_append_only ON event"))
            conn.execute(text(PG_TRIGGER))
    return problems
