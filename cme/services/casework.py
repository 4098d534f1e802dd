"""Casework use cases, for every door: notes, assignment, corrections of a child's or a
referral's details, opening a referral with its duplicate check, and the casework read model.

Each takes the `Principal` its door established and asks `permissions.authorize` first (a
refusal is typed and kept in the access log). Notes, assignments and corrections are system
events on the case's chain (engine/chain.py `SYSTEM_EVENTS`: no state change, replay keeps
them); the assignee is also projected onto `case.assignee` in the same transaction, for "my
cases". A correction and a letter are also kept in the access log (they show or change a
child's details).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from cme.services.errors import Refused
from cme.services.permissions import authorize

if TYPE_CHECKING:
    from cme.bootstrap import App
    from cme.services.principal import Principal
    from cme.services.views import Opened
    from engine.ports import EventRecord
    from storage.casework import CaseworkRows, OpenMatch

NOTE_TRIGGER = "note_added"
ASSIGNED_TRIGGER = "assigned"
CORRECTED_TRIGGER = "details_corrected"
MAX_NOTE = 4000
"""A note's longest text, in characters."""
ASSIGNABLE_ROLES = ("caseworker", "cmeo", "ehe_officer")
"""An account holding one of these roles may be given cases."""


# --- notes ------------------------------------------------------------------------------------
def add_note(
    app: App,
    principal: Principal,
    case_id: int,
    text: str,
    expected_version: int | None = None,
) -> EventRecord:
    """Add a note to a case, in any state (escalated and with MASH included; closed too).

    Raises:
        NotPermitted: the role may not add notes (auditors, admins).
        Refused: the note is empty, too long or holds control characters (`field: text`).
        CaseNotFound, ConcurrentUpdate: the engine's.
    """
    authorize(app, principal, "case.note", case_id)
    note = _text(text, "text", MAX_NOTE)
    return app.engine.record(
        case_id,
        NOTE_TRIGGER,
        {"text": note},
        principal.actor,
        expected_version=expected_version,
    )


def _text(value: Any, field: str, max_length: int) -> str:
    from engine.text import TextRefused, clean

    if not isinstance(value, str) or not value.strip():
        raise Refused(f"{field}: is required", kind="BadInput", field=field, rule="is required")
    try:
        return clean(value, max_length, multiline=True)
    except TextRefused as exc:
        raise Refused(f"{field}: {exc}", kind="BadInput", field=field, rule=str(exc)) from None


# --- assignment -------------------------------------------------------------------------------
def assign(
    app: App,
    principal: Principal,
    case_id: int,
    to: str | None,
    expected_version: int | None = None,
) -> EventRecord:
    """Assign a case to an account (`to`), reassign it, or take it back (`to` None).

    With accounts, `to` must be an enabled account holding a casework role; without (roles
    self-declared), any person's name. The `assigned` event records the assignee and the one
    before; `case.assignee` is written with it.

    Raises:
        NotPermitted: the role may not assign cases.
        Refused: `to` names no account that may hold cases, or the case is already theirs.
    """
    from storage.casework import casework_of, set_assignee
    from storage.unit_of_work import SqlUnitOfWork

    authorize(app, principal, "case.assign", case_id)
    name = _assignee(app, to) if to is not None else None
    seen = app.engine.get(case_id).version  # CaseNotFound before anything else is said
    previous = casework_of(app.db, case_id).assignee
    if name == previous:
        who = f"assigned to {name}" if name else "not assigned to anyone"
        raise Refused(
            f"to: the case is already {who}", kind="BadInput", field="to", rule="no change"
        )

    def project(uow: object) -> None:
        assert isinstance(uow, SqlUnitOfWork)  # noqa: S101 - the app's unit of work
        set_assignee(uow.c, case_id, name)

    return app.engine.record(
        case_id,
        ASSIGNED_TRIGGER,
        {"assignee": name, "previous": previous},
        principal.actor,
        within=project,
        expected_version=expected_version if expected_version is not None else seen,
    )


def _assignee(app: App, to: str) -> str:
    from engine.text import TextRefused, single_line
    from storage import accounts

    try:
        name = single_line(to, 200)
    except TextRefused as exc:
        raise Refused(f"to: {exc}", kind="BadInput", field="to", rule=str(exc)) from None
    if not name:
        raise Refused("to: is required", kind="BadInput", field="to", rule="is required")
    if not any(c.isalnum() for c in name):  # "-" is the work list's "not assigned"
        rule = "a person's name has a letter or a digit"
        raise Refused(f"to: {rule}", kind="BadInput", field="to", rule=rule)
    if accounts.any_accounts(app.db):
        account = accounts.by_name(app.db, name)
        if account is None or account.disabled:
            why = "is disabled" if account else "is not an account (see `cme user list`)"
            raise Refused(f"to: '{name}' {why}", kind="BadInput", field="to", rule=why)
        if not set(account.roles) & set(ASSIGNABLE_ROLES):
            rule = f"holds no casework role ({', '.join(ASSIGNABLE_ROLES)})"
            raise Refused(f"to: '{name}' {rule}", kind="BadInput", field="to", rule=rule)
        return account.name
    from cme.services.actor_names import check_actor_name
    from cme.services.principal import is_system_name

    if is_system_name(name):
        raise Refused("to: cases are assigned to people", kind="BadInput", field="to")
    check_actor_name(name, "to")
    return name


# --- corrections ------------------------------------------------------------------------------
def correct(
    app: App,
    principal: Principal,
    case_id: int,
    child: Mapping[str, Any],
    facts: Mapping[str, Any],
    reason: str,
    expected_version: int | None = None,
) -> EventRecord:
    """Correct a child's or a referral's details: a `details_corrected` event with before,
    after and the reason (required); the child's row and the case's facts change with it.
    Validated field by field as the intake validates a referral (workflows/corrections.py).
    The change is kept in the access log (`case correct`).

    Raises:
        NotPermitted: the role may not correct details.
        CorrectionRefused: every field and rule refused (an `OpeningRefused`; nothing written).
    """
    from cme.access import record
    from storage.casework import child_of, set_child
    from storage.unit_of_work import SqlUnitOfWork
    from workflows.corrections import read_correction

    authorize(app, principal, "case.correct", case_id)
    case = app.engine.get(case_id)
    child_id, current_child = child_of(app.db, case_id)
    found = read_correction(child, facts, reason, current_child, case.facts, app.clock.now())
    if found.child_after and child_id is None:
        raise Refused("child: this case has no child's details to correct", kind="BadInput")
    new_child = {**current_child, **found.child_after}
    new_child = {k: v for k, v in new_child.items() if v is not None}

    def write_child(uow: object) -> None:
        assert isinstance(uow, SqlUnitOfWork)  # noqa: S101 - the app's unit of work
        if found.child_after and child_id is not None:
            set_child(uow.c, child_id, new_child)

    event = app.engine.record(
        case_id,
        CORRECTED_TRIGGER,
        {
            "reason": found.reason,
            "corrects": 1,  # the open event, which recorded the referral
            "child": {"before": found.child_before, "after": found.child_after},
            "facts": {"before": found.facts_before, "after": found.facts_after},
        },
        principal.actor,
        within=write_child,
        expected_version=expected_version if expected_version is not None else case.version,
    )
    record(app, principal.actor, case_id, "case correct", f"event {event.seq}")
    return event


# --- opening a referral -----------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Match:
    """An open case a referral may duplicate: its reference, state and why it matched."""

    case_id: int
    ref: str
    state: str
    workflow: str
    why: tuple[str, ...]

    def as_json(self) -> dict[str, Any]:
        """As the refusal's `matches` list it."""
        return {
            "id": self.case_id,
            "ref": self.ref,
            "state": self.state,
            "workflow": self.workflow,
            "why": list(self.why),
        }


class PossibleDuplicate(Refused):
    """The referral matches open cases (same UPN, or same name and date of birth): nothing is
    opened unless the opener says to open anyway."""

    def __init__(self, matches: tuple[Match, ...]) -> None:
        self.matches = matches
        listed = "; ".join(f"{m.ref} ({', '.join(m.why)}, {m.state})" for m in matches)
        super().__init__(
            f"possible duplicate: this referral matches open case(s) {listed}; check them, "
            "then open anyway if this is a different referral (--open-anyway)",
            kind="PossibleDuplicate",
            matches=[m.as_json() for m in matches],
        )


def matches(app: App, child: Mapping[str, Any]) -> tuple[Match, ...]:
    """Open cases about the same child: same UPN, or same forename, surname and date of
    birth (ignoring case)."""
    from engine.ports import case_ref
    from storage.casework import open_matches

    def why(m: OpenMatch) -> tuple[str, ...]:
        return tuple(
            w
            for w, hit in (
                ("same UPN", m.same_upn),
                ("same name and date of birth", m.same_name_and_birth),
            )
            if hit
        )

    found = open_matches(
        app.db,
        child.get("upn"),
        child.get("forename"),
        child.get("surname"),
        child.get("date_of_birth"),
    )
    return tuple(Match(m.case_id, case_ref(m.case_id), m.state, m.workflow, why(m)) for m in found)


def open_referral(
    app: App,
    principal: Principal,
    workflow: str,
    referral: Mapping[str, Any],
    open_anyway: bool = False,
) -> Opened:
    """Open a case from a referral (the chart's intake validates it, as from a file), first
    refusing when it matches an open case unless `open_anyway`; then the matches seen and the
    choice are recorded on the open event (`opening.open_anyway`, `opening.matches`).

    Raises:
        NotPermitted: the role may not open cases.
        OpeningRefused: every field and rule the referral breaks.
        PossibleDuplicate: open cases match and `open_anyway` was not given.
    """
    from cme.services.cases import read
    from cme.services.views import Opened

    authorize(app, principal, "case.open")
    definition = app.registry.current(workflow)
    child: Mapping[str, Any] = {}
    if definition.intake is not None:
        child = app.engine.rules.intakes[definition.intake](referral, app.clock.now()).child
    found = matches(app, child)
    if found and not open_anyway:
        raise PossibleDuplicate(found)
    opening = (
        {"open_anyway": True, "matches": [m.ref for m in found]} if found and open_anyway else None
    )
    applied = app.engine.open_case(workflow, referral, principal.actor, opening)
    return Opened(read(app, applied.case.id), applied)


# --- the read model ---------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class CaseworkView:
    """A case's assignee, notes, corrections and assignments, oldest first."""

    assignee: str | None
    notes: tuple[dict[str, Any], ...]
    corrections: tuple[dict[str, Any], ...]
    assignments: tuple[dict[str, Any], ...]

    def as_json(self) -> dict[str, Any]:
        """The keys `cme case show --json` adds before `child` and `outbox`."""
        return {
            "assignee": self.assignee,
            "notes": list(self.notes),
            "corrections": list(self.corrections),
            "assignments": list(self.assignments),
        }


def casework_view(rows: CaseworkRows) -> CaseworkView:
    """The read model of a case's casework rows (storage.casework)."""
    from engine.evidence import format_utc

    def base(e: EventRecord) -> dict[str, Any]:
        return {"seq": e.seq, "at": format_utc(e.at), "actor": e.actor, "role": e.role}

    notes, corrections, assignments = [], [], []
    for e in rows.events:
        ev = e.evidence
        if e.trigger == NOTE_TRIGGER:
            notes.append({**base(e), "state": e.to_state, "text": ev.get("text")})
        elif e.trigger == CORRECTED_TRIGGER:
            corrections.append(
                {
                    **base(e),
                    "reason": ev.get("reason"),
                    "child": ev.get("child"),
                    "facts": ev.get("facts"),
                }
            )
        elif e.trigger == ASSIGNED_TRIGGER:
            assignments.append(
                {**base(e), "assignee": ev.get("assignee"), "previous": ev.get("previous")}
            )
    return CaseworkView(rows.assignee, tuple(notes), tuple(corrections), tuple(assignments))


def read_casework(app: App, case_id: int) -> CaseworkView:
    """A case's casework read model in its own read (no access-log row: the door's show
    logs the read)."""
    from storage.casework import casework_of

    return casework_view(casework_of(app.db, case_id))
