"""The shapes of the API's requests and responses, for the OpenAPI document.

Requests are validated by these models (a bad body is a 422 naming the field and the rule).
Responses are the read models' own JSON (`cme.services.views`: what `cme ... --json` prints,
key for key); the models here only describe them, and allow the keys they do not list.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class OpenCase(BaseModel):
    """`POST /cases`: a referral, as `cme case open --file` reads it, and its workflow."""

    model_config = ConfigDict(extra="forbid")

    workflow: str = Field(min_length=1, max_length=64, examples=["school-referral"])
    referral: dict[str, Any] = Field(description="The referral JSON of `cme case open`.")
    open_anyway: bool = Field(
        default=False,
        description="Open even though the referral matches an open case (same UPN, or same "
        "name and date of birth); without it such a referral is a 409 listing the matches. "
        "The choice and the matches are recorded on the new case's open event.",
    )


class Advance(BaseModel):
    """`POST /cases/{id}/actions/{trigger}`: the evidence and the version of the case read."""

    model_config = ConfigDict(extra="forbid")

    evidence: dict[str, Any] = Field(default_factory=dict)
    version: int = Field(
        ge=1,
        le=2**31 - 1,
        description="The case's version as read: if it has changed since, 409 and nothing "
        "is written.",
    )


class Open(BaseModel):
    """A document whose listed keys are typed; others may follow."""

    model_config = ConfigDict(extra="allow")


class Case(Open):
    """A case as `cme case open --json` prints it (and `cme cases --json` lists it)."""

    id: int
    ref: str
    workflow: str
    definition_version: str
    state: str
    state_title: str
    priority: str
    version: int
    opened_at: str
    updated_at: str
    closed_at: str | None
    outcome: str | None
    paused_since: str | None
    pause_reason: str | None
    facts: dict[str, Any]
    events: int
    timers: list[dict[str, Any]]


class CaseDetail(Case):
    """A case as `cme case show --json` prints it: with its child and outbox."""

    child: dict[str, Any] | None
    outbox: dict[str, Any] | None


class QueueEntry(Case):
    """A case in the queue, as `cme cases --json` lists it."""

    escalation: str | None
    child_name: str | None
    school: str | None


class Applied(Open):
    """The step just taken."""

    trigger: str
    seq: int
    from_: str = Field(alias="from")
    to: str
    followed_by: list[str]


class Advanced(CaseDetail):
    """A case after a step, as `cme case advance --json` prints it."""

    applied: Applied


class EvidenceField(Open):
    """One piece of evidence a step needs."""

    name: str
    type: str
    title: str
    required: bool


class Action(Open):
    """A step possible now, as `cme case actions --json` lists it."""

    trigger: str
    title: str
    to: str
    evidence: list[EvidenceField]
    blocked_by: list[str]
    roles: list[str]


class Event(Open):
    """An event as `cme audit history --json` lists it."""

    seq: int
    trigger: str
    from_: str | None = Field(alias="from")
    to: str
    actor: str
    role: str
    at: str
    evidence: dict[str, Any]
    prev_hash: str
    hash: str


class Replay(Open):
    """A case rebuilt from its events as at a moment, as `cme audit replay --json` prints it."""

    case_id: int
    ref: str
    workflow: str
    as_of: str | None
    state: str
    version: int
    legal: bool
    events: list[dict[str, Any]]
    later_events: int


class FieldRule(BaseModel):
    """One field of the request and the rule its value breaks."""

    field: str
    rule: str


class Problem(Open):
    """An RFC 9457 problem (`application/problem+json`)."""

    type: str
    title: str
    status: int
    detail: str
    kind: str
    errors: list[FieldRule] | None = None
