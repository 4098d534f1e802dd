"""All SQLModel tables. Rows never leave `storage`: they are mapped to engine records.

No `from __future__ import annotations` here: it breaks SQLModel (sqlmodel #196).
"""

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    Computed,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
    false,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.types import TypeDecorator
from sqlmodel import Field, SQLModel

from storage.expressions import SchoolOfFacts

Json = JSON().with_variant(JSONB(), "postgresql")


class UTCDateTime(TypeDecorator[datetime]):
    """Aware UTC in, aware UTC out (SQLite would hand back naive times: LIBRARIES.md §3)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime refused: store aware UTC times only")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)

    # SQLite keeps times as text. One step each way, in C (`isoformat`, `fromisoformat`),
    # instead of SQLAlchemy's formatting and regular expression followed by the two methods
    # above: the same text, `YYYY-MM-DD HH:MM:SS.ffffff` in UTC, at a fraction of the cost on
    # the hot path (bench/, issue 7).
    def bind_processor(self, dialect: Any) -> Callable[[Any], Any] | None:
        if dialect.name != "sqlite":
            return super().bind_processor(dialect)
        return _sqlite_text

    def result_processor(self, dialect: Any, coltype: Any) -> Callable[[Any], Any] | None:
        if dialect.name != "sqlite":
            return super().result_processor(dialect, coltype)
        return _sqlite_time


def _sqlite_text(value: datetime | None) -> str | None:
    if value is None:
        return None
    if value.tzinfo is None:
        raise ValueError("naive datetime refused: store aware UTC times only")
    return value.astimezone(UTC).replace(tzinfo=None).isoformat(" ", "microseconds")


def _sqlite_time(value: str | None) -> datetime | None:
    if value is None:
        return None
    found = _TIMES_READ.get(value)
    if found is None:
        if len(_TIMES_READ) >= 8192:
            _TIMES_READ.clear()
        moment = datetime.fromisoformat(value)
        found = _TIMES_READ[value] = (
            moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
        )
    return found


_TIMES_READ: dict[str, datetime] = {}
"""Text -> time, remembered: a batch reads the same few moments (when timers were created,
when they fall due) thousands of times over. Datetimes are immutable, so sharing is safe."""


class ChildRow(SQLModel, table=True):
    """A child's identity, kept apart from casework so messages and logs can leave it out."""

    __tablename__ = "child"
    id: int | None = Field(default=None, primary_key=True)
    upn: str | None = Field(default=None, index=True, max_length=13)
    details: dict[str, Any] = Field(default_factory=dict, sa_type=Json)


class CaseRow(SQLModel, table=True):
    """A case's current state; its history is in `event`."""

    __tablename__ = "case"
    __table_args__ = (
        Index("ix_case_queue", "closed_at", "priority", "opened_at"),
        Index("ix_case_state_queue", "state", "priority", "opened_at"),
        # the caseworker queue reads open cases only, high priority first, then oldest
        Index(
            "ix_case_open_queue",
            "priority",
            "opened_at",
            "id",
            sqlite_where=text("closed_at IS NULL"),
            postgresql_where=text("closed_at IS NULL"),
        ),
        # the work list: open cases by every filter it offers (schema 0013)
        Index(
            "ix_case_open_work",
            "priority",
            "state",
            "workflow",
            "assignee",
            "opened_at",
            "closed_at",  # SQLite counts an index covering only if it names every column used
            sqlite_where=text("closed_at IS NULL"),
            postgresql_where=text("closed_at IS NULL"),
        ),
        Index(
            "ix_case_open_school",
            "school_id",
            "priority",
            "state",
            sqlite_where=text("closed_at IS NULL"),
            postgresql_where=text("closed_at IS NULL"),
        ),
        # "my cases": an account's open cases, in queue order (schema 0007)
        Index(
            "ix_case_assignee_queue",
            "assignee",
            "priority",
            "opened_at",
            sqlite_where=text("closed_at IS NULL"),
            postgresql_where=text("closed_at IS NULL"),
        ),
    )
    id: int | None = Field(default=None, primary_key=True)
    workflow: str = Field(max_length=64, index=True)
    definition_hash: str = Field(max_length=64)
    state: str = Field(max_length=64)
    priority: str = Field(max_length=16)
    version: int = 0
    facts: dict[str, Any] = Field(default_factory=dict, sa_type=Json)
    child_id: int | None = Field(default=None, foreign_key="child.id")
    opened_at: datetime = Field(sa_type=UTCDateTime)
    state_entered_at: datetime = Field(sa_type=UTCDateTime)
    updated_at: datetime = Field(sa_type=UTCDateTime)
    closed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    outcome: str | None = Field(default=None, max_length=64)
    head_hash: str = Field(max_length=64)
    paused_since: datetime | None = Field(default=None, sa_type=UTCDateTime)
    pause_reason: str | None = Field(default=None, sa_type=Text)
    assignee: str | None = Field(default=None, max_length=200)
    """The account the case is assigned to: a projection of its latest `assigned` event
    (schema 0007), written with that event; not a field of the engine's `CaseRecord`."""
    school_id: str | None = Field(
        default=None,
        sa_column=Column("school_id", String(), Computed(SchoolOfFacts()), nullable=True),
    )
    """The school's id in `facts` (`school.id`), generated by the database from the facts, so
    no writer sets it and it never disagrees with them (schema 0013: VIRTUAL on SQLite, STORED
    on PostgreSQL); the work list filters and counts by it."""


class EventRow(SQLModel, table=True):
    """One link of a case's append-only hash chain (the database refuses UPDATE and DELETE)."""

    __tablename__ = "event"
    __table_args__ = (
        UniqueConstraint("case_id", "seq", name="uq_event_case_seq"),
        # the reports read openings and counted steps by trigger, up to a moment (0010)
        Index("ix_event_trigger_at", "trigger", "at"),
    )
    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="case.id")
    seq: int
    trigger: str = Field(max_length=64)
    from_state: str = Field(max_length=64)
    to_state: str = Field(max_length=64)
    actor: str = Field(max_length=200)
    role: str = Field(max_length=32)
    at: datetime = Field(sa_type=UTCDateTime)
    evidence: dict[str, Any] = Field(default_factory=dict, sa_type=Json)
    prev_hash: str = Field(max_length=64)
    hash: str = Field(max_length=64)
    body: str | None = Field(default=None, sa_type=Text)
    """The canonical JSON text the hash covers (`engine.audit.seal`); NULL for events written
    before migration 0004."""


class TimerRow(SQLModel, table=True):
    """A deadline a case waits on; the scheduler claims due rows (the source of truth)."""

    __tablename__ = "timer"
    __table_args__ = (
        Index(
            "ix_timer_pending_due",
            "due_at",
            sqlite_where=text("status = 'pending'"),
            postgresql_where=text("status = 'pending'"),
        ),
        # a case's pending timers, nearest first: one seek for its next deadline (0013)
        Index("ix_timer_case_due", "case_id", "status", "due_at"),
    )
    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="case.id")
    name: str = Field(max_length=64)
    scope: str = Field(max_length=80)
    trigger: str | None = Field(default=None, max_length=64)
    notify: list[str] = Field(default_factory=list, sa_type=Json)
    due_at: datetime = Field(sa_type=UTCDateTime)
    status: str = Field(default="pending", max_length=16)
    created_at: datetime = Field(sa_type=UTCDateTime)
    finished_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    reason: str | None = Field(default=None, sa_type=Text)
    provenance: dict[str, Any] = Field(default_factory=dict, sa_type=Json)


_UNRECORDED = "status IN ('sent', 'failed') AND outcome_recorded = {false}"
"""The rows the tick's reconcile reads (index `ix_outbox_unrecorded`, schema 0006), written as
each dialect renders the query's `outcome_recorded == false()` (SQLite matches it as text)."""


class OutboxRow(SQLModel, table=True):
    """A rendered message, written in the same commit as the event that decided it."""

    __tablename__ = "outbox"
    __table_args__ = (
        Index(
            "ix_outbox_sendable",
            "next_attempt_at",
            sqlite_where=text("status IN ('pending', 'deferred')"),
            postgresql_where=text("status IN ('pending', 'deferred')"),
        ),
        Index("ix_outbox_case", "case_id"),
        Index(
            "ix_outbox_unrecorded",
            "id",
            sqlite_where=text(_UNRECORDED.format(false="0")),
            postgresql_where=text(_UNRECORDED.format(false="false")),
        ),
    )
    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="case.id")
    event_seq: int
    template: str = Field(max_length=64)
    recipient_role: str = Field(max_length=32)
    recipient: str = Field(max_length=254)
    subject: str = Field(sa_type=Text)
    body_text: str = Field(sa_type=Text)
    body_html: str = Field(sa_type=Text)
    status: str = Field(default="pending", max_length=16)
    attempts: int = 0
    next_attempt_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    last_error: str | None = Field(default=None, sa_type=Text)
    created_at: datetime = Field(sa_type=UTCDateTime)
    sent_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    outcome_recorded: bool = Field(default=False, sa_column_kwargs={"server_default": false()})
    """The final status (`sent`, `failed`) has its case event (schema 0006; cme/outcomes.py)."""


class DefinitionRow(SQLModel, table=True):
    """Every definition version a case ever ran on, so replay never depends on today's files."""

    __tablename__ = "definition"
    version: str = Field(primary_key=True, max_length=64)
    workflow: str = Field(max_length=64, index=True)
    source: str = Field(sa_type=Text)
    loaded_at: datetime = Field(sa_type=UTCDateTime)


case_table = CaseRow.__table__  # type: ignore[attr-defined]
event_table = EventRow.__table__  # type: ignore[attr-defined]
timer_table = TimerRow.__table__  # type: ignore[attr-defined]
outbox_table = OutboxRow.__table__  # type: ignore[attr-defined]
child_table = ChildRow.__table__  # type: ignore[attr-defined]
definition_table = DefinitionRow.__table__  # type: ignore[attr-defined]

# The auditors' tables (migration 0002), as SQLAlchemy Core tables on the same metadata as the
# rest, so that Alembic's autogenerate sees the whole schema (on a second `MetaData` it would
# offer to drop these tables); their keys and indexes as migration 0002 made them.
checkpoint_table = Table(
    "audit_checkpoint",
    SQLModel.metadata,
    Column("id", Integer, primary_key=True),
    Column("created_at", UTCDateTime, nullable=False),
    Column("cases", Integer, nullable=False),
    Column("heads_sha256", String(64), nullable=False),
    Column("key_id", String(64), nullable=False),
    Column("payload", Text, nullable=False),
    Column("signature", String(128), nullable=False),
)
checkpoint_head_table = Table(
    "audit_checkpoint_head",
    SQLModel.metadata,
    Column("checkpoint_id", Integer, ForeignKey("audit_checkpoint.id"), primary_key=True),
    Column("case_id", Integer, primary_key=True),
    Column("seq", Integer, nullable=False),
    Column("hash", String(64), nullable=False),
)
access_log_table = Table(
    "access_log",
    SQLModel.metadata,
    Column("id", Integer, primary_key=True),
    Column("at", UTCDateTime, nullable=False),
    Column("actor", String(200), nullable=False),
    Column("role", String(32), nullable=False),
    Column("case_id", Integer),  # NULL: a refusal that concerns no case (schema 0005)
    Column("action", String(64), nullable=False),
    Column("detail", Text, nullable=False),
    Index("ix_access_log_case", "case_id", "at"),
)
legal_hold_table = Table(
    "legal_hold",
    SQLModel.metadata,
    Column("id", Integer, primary_key=True),
    Column("case_id", Integer, ForeignKey("case.id"), nullable=False),
    Column("reason", Text, nullable=False),
    Column("placed_by", String(200), nullable=False),
    Column("placed_at", UTCDateTime, nullable=False),
    Column("released_by", String(200)),
    Column("released_at", UTCDateTime),
    Index("ix_legal_hold_case", "case_id"),
)
erasure_table = Table(
    "erasure",
    SQLModel.metadata,
    Column("case_id", Integer, ForeignKey("case.id"), primary_key=True),
    Column("erased_at", UTCDateTime, nullable=False),
    Column("actor", String(200), nullable=False),
    Column("events", Integer, nullable=False),
)
oidc_identity_table = Table(
    "oidc_identity",  # an account's identity at the council's OIDC provider (schema 0012)
    SQLModel.metadata,
    Column("id", Integer, primary_key=True),
    Column("issuer", String(500), nullable=False),
    Column("subject", String(255), nullable=False),  # the ID token's `sub`
    Column("account", String(200), nullable=False),
    Column("bound_at", UTCDateTime, nullable=False),
    Column("bound_by", String(200), nullable=False),
    UniqueConstraint("issuer", "subject", name="uq_oidc_identity_subject"),
    UniqueConstraint("issuer", "account", name="uq_oidc_identity_account"),
)
account_table = Table(
    "account",  # the people who may use cme (schema 0005; storage/accounts.py)
    SQLModel.metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(200), nullable=False, unique=True),
    Column("login", String(200), nullable=False, unique=True),
    Column("roles", JSON, nullable=False),
    Column("disabled", Boolean, nullable=False, default=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("password_hash", Text, nullable=True),
)
sign_in_table = Table(
    "sign_in",  # every web sign-in, failure, lock-out and sign-out (schema 0008; issue 15)
    SQLModel.metadata,
    Column("id", Integer, primary_key=True),
    Column("at", UTCDateTime, nullable=False),
    Column("username", String(200), nullable=False),
    Column("account", String(200)),  # NULL: no account has that username
    Column("outcome", String(32), nullable=False),
    Column("door", String(16), nullable=False),
    Index("ix_sign_in_username", "username", "at"),
)
web_session_table = Table(
    "web_session",  # signed-in browser sessions, by the hash of their cookie (schema 0008)
    SQLModel.metadata,
    Column("id", Integer, primary_key=True),
    Column("token_hash", String(64), nullable=False, unique=True),
    Column("account", String(200), nullable=False),
    Column("role", String(32)),  # NULL: the account holds several roles, none chosen yet
    Column("created_at", UTCDateTime, nullable=False),
    Column("last_seen_at", UTCDateTime, nullable=False),
    Column("ended_at", UTCDateTime),
    Column("ended_because", String(32)),
)
api_token_table = Table(
    "api_token",  # bearer tokens of the systems calling the HTTP API (schema 0009)
    SQLModel.metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(64), nullable=False),
    Column("role", String(32), nullable=False),
    Column("token_sha256", String(64), nullable=False),  # never the token itself
    Column("created_at", UTCDateTime, nullable=False),
    Column("created_by", String(200), nullable=False),
    Column("expires_at", UTCDateTime),  # NULL: does not expire
    Column("revoked_at", UTCDateTime),
    Column("revoked_by", String(200)),
    UniqueConstraint("name", name="uq_api_token_name"),
    UniqueConstraint("token_sha256", name="uq_api_token_sha256"),
)
idempotency_table = Table(
    "api_idempotency",  # the first response to each Idempotency-Key, per token (schema 0009)
    SQLModel.metadata,
    Column("id", Integer, primary_key=True),
    Column("token_name", String(64), nullable=False),
    Column("key", String(255), nullable=False),
    Column("request_sha256", String(64), nullable=False),
    Column("status", Integer),  # NULL: the first request is still being answered
    Column("body", Text),
    Column("created_at", UTCDateTime, nullable=False),
    Column("expires_at", UTCDateTime, nullable=False),
    UniqueConstraint("token_name", "key", name="uq_api_idempotency_key"),
    Index("ix_api_idempotency_expires", "expires_at"),
)
report_mail_table = Table(
    "report_mail",  # the scheduler's messages about reports (schema 0010; storage/report_mail.py)
    SQLModel.metadata,
    Column("id", Integer, primary_key=True),
    Column("kind", String(32), nullable=False),
    Column("period", String(32), nullable=False),
    Column("recipient", String(254), nullable=False),
    Column("subject", Text, nullable=False),
    Column("body_text", Text, nullable=False),
    Column("body_html", Text, nullable=False),
    Column("status", String(16), nullable=False),
    Column("attempts", Integer, nullable=False),
    Column("last_error", Text),
    Column("created_at", UTCDateTime, nullable=False),
    Column("sent_at", UTCDateTime),
    UniqueConstraint("kind", "period", "recipient", name="uq_report_mail"),
)
