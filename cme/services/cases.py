"""Use cases on one case, for every door: open, show, list the steps possible now, advance,
pause and resume.

Each takes the `Principal` its door established, asks `permissions.authorize` (changes) and
records reads and refusals in the access log (`cme.access`) here, once, whichever door called.

A step whose only role in the chart is `system` (a deadline's trigger, an automatic rule) is
taken by the scheduler alone: from any other door it is refused, whatever role is claimed, and
the refusal is recorded in the access log like every other.

`advance` reads the case once, in the unit of work that writes the step (the engine's
`apply`, which hands the case to `vet` for the scheduler-only rule), and builds what it shows
from the case that unit of work wrote; the deadlines shown are read after, in one read
transaction that takes no write lock.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from cme.services.errors import NotPermitted
from cme.services.permissions import authorize
from cme.services.views import Advanced, CaseView, Opened, OutboxState, child_summary

if TYPE_CHECKING:
    from cme.bootstrap import App
    from cme.services.principal import Principal
    from engine import Action
    from engine.deadlines import Moves
    from engine.definition import WorkflowDefinition
    from engine.ports import CaseRecord
    from storage.read_models import CaseRows


def view_of(app: App, case: CaseRecord) -> CaseView:
    """The read model of `case` as given (e.g. just written): its deadlines, event count,
    child and outbox state are read in one read transaction (the case is not read again)."""
    from storage.read_models import rows_around

    return _detailed(app, rows_around(app.db, case))


def _view(app: App, case: CaseRecord, timers: Any, events: int) -> CaseView:
    definition = app.registry.compiled(case.definition_hash).definition
    return CaseView(case, definition.states[case.state].title, tuple(timers), events)


def read(app: App, case_id: int) -> CaseView:
    """A case as it stands, with its child (age at today's local date) and its outbox state,
    in one read transaction (no access-log row: see `show`).

    Raises:
        CaseNotFound: no case has this id.
    """
    from storage.read_models import case_rows

    return _detailed(app, case_rows(app.db, case_id))


def _detailed(app: App, rows: CaseRows) -> CaseView:
    from dataclasses import replace

    from cme.services.casework import casework_view
    from engine.clock import local_date

    view = _view(app, rows.case, rows.timers, rows.events)
    latest = rows.escalation
    outbox = OutboxState(
        rows.outbox,
        latest.status if latest else None,
        latest.queued_at if latest else None,
        latest.sent_at if latest else None,
    )
    child = child_summary(rows.child, rows.case.facts, local_date(app.clock.now()))
    casework = casework_view(rows.casework) if rows.casework is not None else None
    return replace(view, child=child, outbox=outbox, casework=casework)


def show(app: App, principal: Principal, case_id: int) -> CaseView:
    """A case, its pending deadlines, its history count, its child and its outbox state;
    the read is logged."""
    from cme.access import record

    view = read(app, case_id)
    record(app, principal.actor, case_id, "case show")
    return view


def actions(app: App, principal: Principal, case_id: int, for_role: bool = False) -> list[Action]:
    """Each step possible now, its evidence and what blocks it; with `for_role`, steps the
    principal's role may not take are marked blocked. The read is logged."""
    from cme.access import record

    found = app.engine.actions(case_id, principal.actor if for_role else None)
    record(app, principal.actor, case_id, "case actions")
    return found


def open_case(
    app: App, principal: Principal, workflow: str, referral: Mapping[str, Any]
) -> Opened:
    """Open a case on `workflow` from a referral (validated by the chart's intake rule)."""
    authorize(app, principal, "case.open")
    applied = app.engine.open_case(workflow, referral, principal.actor)
    return Opened(read(app, applied.case.id), applied)


def advance(
    app: App,
    principal: Principal,
    case_id: int,
    trigger: str,
    evidence: Mapping[str, Any],
    expected_version: int | None = None,
) -> Advanced:
    """Take `trigger` on a case as `principal`.

    Args:
        expected_version: the version the principal saw (a door that showed the case first);
            if the case has moved on since, `ConcurrentUpdate` and nothing is written.

    Raises:
        ServiceRefusal: the role may not do casework, or the step is the scheduler's alone.
        TransitionRefused: the engine's refusals (an `ActorNotPermitted` is recorded in the
            access log first).
    """
    from cme.access import record_refusal
    from engine.errors import ActorNotPermitted

    authorize(app, principal, "case.advance", case_id, trigger)

    def scheduler_only(case: CaseRecord, definition: WorkflowDefinition) -> None:
        if (
            trigger in definition.triggers
            and definition.is_system_only(trigger)
            and not principal.is_system
        ):
            raise NotPermitted(
                "case.advance",
                principal.role,
                ("the scheduler",),
                f"{trigger.replace('_', ' ')} on case {case.ref}",
                "a deadline or an automatic rule takes this step: only the scheduler fires it",
            )

    try:
        applied = app.engine.apply(
            case_id,
            trigger,
            evidence,
            principal.actor,
            expected_version=expected_version,
            vet=scheduler_only,
        )
    except (NotPermitted, ActorNotPermitted) as refused:
        # issue 6: a step refused for the actor's role is kept in the access log (recorded
        # once the unit of work is closed: on SQLite it held the write lock)
        record_refusal(app, principal.who, principal.role, case_id, "case.advance", str(refused))
        raise
    return Advanced(view_of(app, applied.case), applied)


@dataclass(frozen=True, slots=True)
class AdvanceOptions:
    """What a door shows before a step is chosen: the case, the steps possible now for the
    principal's role, and the chart they come from (its evidence fields, typed)."""

    view: CaseView
    actions: tuple[Action, ...]
    definition: WorkflowDefinition


def advance_options(
    app: App, principal: Principal, case_id: int, trigger: str | None = None
) -> AdvanceOptions:
    """Before `advance`, for a door that asks (the CLI's prompts, a web form): may the
    principal do casework here, and what can be done. Pass the case's version on to
    `advance` so a change made meanwhile is refused rather than overwritten."""
    authorize(app, principal, "case.advance", case_id, trigger)
    view = read(app, case_id)
    found = tuple(app.engine.actions(case_id, principal.actor))
    definition = app.registry.compiled(view.case.definition_hash).definition
    return AdvanceOptions(view, found, definition)


def pause(app: App, principal: Principal, case_id: int, reason: str) -> CaseRecord:
    """Stop a case's deadlines, with the reason recorded on the case."""
    authorize(app, principal, "case.pause", case_id)
    return app.engine.pause_clock(case_id, reason, principal.actor)


def resume(app: App, principal: Principal, case_id: int, note: str = "") -> Moves:
    """Restart a paused case's deadlines; each moves by the days the case was paused."""
    authorize(app, principal, "case.resume", case_id)
    moves: Moves = app.engine.resume_clock(case_id, principal.actor, note)
    return moves
