"""The one path that changes a case: `Engine.apply`, in one unit of work.

1. load the case; 2. is the trigger legal from its state (the compiled machine)?; 3. may the
actor's role fire it?; 4. validate the evidence; 5. run every guard, collecting all blocks;
6. append the hash-chained event; 7. update the case under its version (optimistic lock);
8. cancel the timers of the state left, schedule those of the state entered; 9. render the
notifications into the outbox. Commit, or nothing at all. Refusals raise before step 6.

Beside it: opening a case and listing its actions (engine/opening.py), step 9's outbox and the
fail-loud path of an unaddressed message (engine/messages.py), firing due timers
(engine/firing.py), and the results and settings it returns and reads (engine/results.py).
What stays (about 430 lines) is the one path itself, steps 1-9 and the automatic steps after
them, kept whole so that a reader sees every check an event passes in one place.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import replace
from datetime import datetime
from typing import TYPE_CHECKING, Any

from engine import opening
from engine.audit import SYSTEM_EVENTS, append_system_event, seal
from engine.chain import CORRECTED_TRIGGER
from engine.clock import Clock
from engine.definition import OUTCOME_FIELD, TimerDef, TriggerDef, WorkflowDefinition
from engine.errors import (
    ActorNotPermitted,
    Block,
    ContractBroken,
    GuardsFailed,
    StoredValueInvalid,
    TransitionRefused,
    TriggerNotAvailable,
)
from engine.evidence import StoredValueUnreadable, parse_evidence
from engine.firing import fire_due_timers
from engine.messages import queue
from engine.ports import (
    SYSTEM_RULE,
    SYSTEM_TIMER,
    Actor,
    CalendarProvider,
    CaseRecord,
    EventRecord,
    GuardContext,
    OutboxMessage,
    Renderer,
    TimerRecord,
    UnitOfWork,
    UnitOfWorkFactory,
)
from engine.registry import DefinitionRegistry
from engine.replay import corrected_facts
from engine.results import (
    Action,
    Applied,
    ContextBuilder,
    EngineSettings,
    EvidenceField,
    MessageTrail,
    TickReport,
)
from engine.rules import Rules
from engine.stored import where_stored, window_for
from engine.timers import is_cancelled_by, project, timers_entering

if TYPE_CHECKING:
    from engine.importing import ImportedCase, ImportedResult

log = logging.getLogger("cme.engine")
"""Operator log: cases by reference, never a child's details (STYLE.md, Errors)."""

MAX_AUTOMATIC_STEPS = 5


class Engine:
    """Applies events to cases through their pinned definitions."""

    def __init__(
        self,
        uow: UnitOfWorkFactory,
        clock: Clock,
        registry: DefinitionRegistry,
        rules: Rules,
        calendars: CalendarProvider,
        renderer: Renderer | None = None,
        context_builder: ContextBuilder | None = None,
        settings: EngineSettings | None = None,
    ) -> None:
        self.uow, self.clock, self.registry, self.rules = uow, clock, registry, rules
        self.calendars, self.renderer, self.context_builder = calendars, renderer, context_builder
        self.settings = settings or EngineSettings()

    # -- opening and reading (engine/opening.py) -------------------------------------------
    def open_case(
        self,
        workflow: str,
        referral: Mapping[str, Any],
        actor: Actor,
        opening_choice: Mapping[str, Any] | None = None,
    ) -> Applied:
        """Validate a referral with the workflow's intake rule and open a case on it
        (`opening_choice`: see `engine.opening.open_case`'s `opening`)."""
        return opening.open_case(self, workflow, referral, actor, opening_choice)

    def actions(self, case_id: int, actor: Actor | None = None) -> list[Action]:
        """Each trigger a person could fire now, its evidence, and every rule blocking it."""
        return opening.actions(self, case_id, actor)

    # -- the one path ----------------------------------------------------------------------
    def apply(
        self,
        case_id: int,
        trigger: str,
        evidence: Mapping[str, Any],
        actor: Actor,
        expected_version: int | None = None,
        vet: Callable[[CaseRecord, WorkflowDefinition], None] | None = None,
    ) -> Applied:
        """Apply `trigger` to a case; raise a `TransitionRefused` (nothing written) if refused.

        `vet`, if given, sees the case as read (and its definition) before anything else is
        judged, in the same unit of work, and may raise to refuse (the caller's own rules,
        e.g. who may take a step): the case is read once, whoever decides.
        """
        now = self.clock.now()
        with self.uow() as uow:
            case = uow.get_case(case_id)
            if expected_version is not None and expected_version != case.version:
                uow.update_case(case, expected_version=expected_version)  # raises the conflict
            version_read = case.version
            definition = self.registry.compiled(case.definition_hash).definition
            if vet is not None:
                vet(case, definition)
            try:
                applied = self._apply_in(uow, definition, case, trigger, evidence, actor, now)
            except ActorNotPermitted:
                log.warning(
                    "case %s %s refused: role %s (%s) not permitted",
                    case.ref,
                    trigger,
                    actor.role,
                    actor.name,
                )
                raise
            except TransitionRefused as exc:
                log.info("case %s %s refused: %s", case.ref, trigger, type(exc).__name__)
                raise
            follow = self._automatic(uow, definition, case, now)
            uow.update_case(case, expected_version=version_read)
            uow.commit()
        log.info(
            "case %s %s %s->%s by %s (%s)",
            case.ref,
            trigger,
            applied.event.from_state,
            applied.event.to_state,
            actor.name,
            actor.role,
        )
        return replace(applied, case=replace(case), followed_by=tuple(follow))

    def _apply_in(
        self,
        uow: UnitOfWork,
        definition: WorkflowDefinition,
        case: CaseRecord,
        trigger_id: str,
        raw_evidence: Mapping[str, Any],
        actor: Actor,
        now: datetime,
    ) -> Applied:
        compiled = self.registry.compiled(definition.version)
        target = compiled.next_state(case.state, trigger_id)
        if target is None:
            allowed = [
                t.id
                for t in definition.triggers_from(case.state)
                if not definition.is_system_only(t.id)
            ]
            raise TriggerNotAvailable(case.ref, trigger_id, case.state, allowed)
        trigger = definition.triggers[trigger_id]
        if actor.role not in trigger.roles:
            raise ActorNotPermitted(case.ref, trigger_id, actor.role, trigger.roles)
        evidence = parse_evidence(trigger, raw_evidence, now, window_for(uow, case, trigger))
        calendar = self.calendars.for_case(case)
        blocks = self._blocks(uow, trigger.guards, case, trigger_id, evidence, now, calendar)
        if blocks:
            raise GuardsFailed(case.ref, trigger_id, blocks)

        source = case.state
        event = seal(
            case_id=case.id,
            seq=case.version + 1,
            trigger=trigger_id,
            from_state=source,
            to_state=target,
            actor=actor.name,
            role=actor.role,
            at=now,
            evidence=evidence,
            prev_hash=case.head_hash,
        )
        uow.append_event(event)
        self._advance(definition, case, trigger, evidence, event, now)

        if trigger.internal:
            messages = self._queue(uow, definition, case, event, trigger.notify, None)
            return Applied(case, event, (), 0, tuple(messages))
        cancelled = [
            t
            for t in uow.pending_timers(case.id)
            if is_cancelled_by(t, definition, source, target)
        ]
        if cancelled:
            ids = [t.id for t in cancelled if t.id is not None]
            uow.finish_timers(ids, "cancelled", now, f"left '{source}' by {trigger_id}")
        started = self._start_timers(uow, definition, case, source, target, now)
        templates = trigger.notify + definition.states[target].notify
        messages = self._queue(uow, definition, case, event, templates, None, started)
        return Applied(case, event, tuple(started), len(cancelled), tuple(messages))

    def _advance(
        self,
        definition: WorkflowDefinition,
        case: CaseRecord,
        trigger: TriggerDef,
        evidence: Mapping[str, Any],
        event: EventRecord,
        now: datetime,
    ) -> None:
        case.version, case.head_hash, case.updated_at = event.seq, event.hash, now
        if not trigger.internal:
            case.state, case.state_entered_at = event.to_state, now
        if trigger.sets_facts:
            case.facts = {
                **case.facts,
                **{k: evidence[k] for k in trigger.sets_facts if k in evidence},
            }
            case.priority = self._priority(definition, case.facts)
        if definition.states[case.state].final:
            case.closed_at = now
            case.outcome = trigger.outcome or evidence.get(OUTCOME_FIELD)

    def priority_of(self, definition: WorkflowDefinition, facts: Mapping[str, Any]) -> Any:
        """The priority the chart's rule gives these facts (`standard` without a rule)."""
        return self._priority(definition, facts)

    def _priority(self, definition: WorkflowDefinition, facts: Mapping[str, Any]) -> Any:
        if definition.priority_rule is None:
            return "standard"
        return self.rules.priority_rules[definition.priority_rule](facts)

    def _blocks(
        self,
        uow: UnitOfWork,
        guards: Sequence[str],
        case: CaseRecord,
        trigger: str,
        evidence: Mapping[str, Any],
        now: datetime,
        calendar: Any,
    ) -> list[Block]:
        if not guards:
            return []
        history_cache: list[Sequence[EventRecord]] = []

        def history() -> Sequence[EventRecord]:
            if not history_cache:
                history_cache.append(uow.events(case.id))
            return history_cache[0]

        context = GuardContext(
            case=case,
            trigger=trigger,
            evidence=evidence,
            now=now,
            calendar=calendar,
            history=history,
            settings=self.settings.guard_settings,
        )
        blocks = []
        for name in guards:
            try:
                reason = self.rules.guards[name](context)
            except StoredValueUnreadable as exc:
                raise StoredValueInvalid(
                    case.ref, *where_stored(exc, history(), case.facts)
                ) from None
            if reason is not None:
                blocks.append(Block(name, reason))
        return blocks

    def _start_timers(
        self,
        uow: UnitOfWork,
        definition: WorkflowDefinition,
        case: CaseRecord,
        source: str | None,
        target: str,
        now: datetime,
    ) -> list[TimerRecord]:
        entering = timers_entering(definition, source, target)
        workflow_wide = any(scope == "workflow" for _, scope in entering)
        done = set(uow.fired_timer_names(case.id)) if workflow_wide and source else set()
        # a workflow-wide deadline (four weeks missing, high risk unlocated) runs once per case:
        # re-entering its states after a MASH return must not re-arm it, already overdue
        specs: list[tuple[TimerDef, str]] = [
            (spec, scope)
            for spec, scope in entering
            if not (scope == "workflow" and spec.name in done)
        ]
        if not specs:
            return []
        calendar = self.calendars.for_case(case)
        started = [
            timer
            for spec, scope in specs
            if (
                timer := project(
                    spec,
                    scope,
                    case,
                    now,
                    calendar,
                    self.settings.deadline_overrides,
                    now,
                    working_day_starts=self.settings.working_day_starts,
                )
            )
            is not None
        ]
        if started:
            uow.add_timers(started)
        return started

    def _queue(
        self,
        uow: UnitOfWork,
        definition: WorkflowDefinition,
        case: CaseRecord,
        event: EventRecord,
        templates: Sequence[str],
        deadline: Mapping[str, Any] | None,
        started: Sequence[TimerRecord] = (),
    ) -> list[OutboxMessage]:
        """Step 9: the notifications into the outbox (engine/messages.py)."""
        return queue(self, uow, definition, case, event, templates, deadline, started)

    def _automatic(
        self, uow: UnitOfWork, definition: WorkflowDefinition, case: CaseRecord, now: datetime
    ) -> list[Applied]:
        """Apply rule-driven triggers (e.g. refer to MASH at once) after a state is entered."""
        done: list[Applied] = []
        for _ in range(MAX_AUTOMATIC_STEPS):
            candidates = self.registry.compiled(definition.version).automatic_from(case.state)
            chosen = next(
                (
                    t
                    for t in candidates
                    if not self._blocks(
                        uow,
                        (t.automatic_when or "",),
                        case,
                        t.id,
                        {},
                        now,
                        self.calendars.for_case(case),
                    )
                ),
                None,
            )
            if chosen is None:
                break
            done.append(self._apply_in(uow, definition, case, chosen.id, {}, SYSTEM_RULE, now))
        return done

    def record(
        self,
        case_id: int,
        kind: str,
        evidence: Mapping[str, Any],
        actor: Actor,
        notify: Sequence[str] = (),
        within: Callable[[UnitOfWork], None] | None = None,
        expected_version: int | None = None,
    ) -> EventRecord:
        """Append a system event (no state change), e.g. a delivery outcome, and optionally
        queue notifications about it, in one unit of work. `within` runs in that unit of work
        before it commits (e.g. to mark the outbox row the outcome is about): what it writes
        commits with the event, and if it raises nothing is written.

        A `details_corrected` event's `facts.after` is applied to the case's facts (as replay
        applies it); `expected_version`: the version the actor saw (a stale one is a
        `ConcurrentUpdate`, nothing written)."""
        if kind not in SYSTEM_EVENTS:
            raise ContractBroken(f"'{kind}' is not a system event")
        now = self.clock.now()
        with self.uow() as uow:
            case = uow.get_case(case_id)
            version_read = case.version
            if expected_version is not None and expected_version != version_read:
                uow.update_case(case, expected_version=expected_version)  # the conflict
            definition = self.registry.compiled(case.definition_hash).definition
            if kind == CORRECTED_TRIGGER:
                facts = dict(case.facts)
                corrected_facts(facts, evidence)
                case.facts = facts
            event = append_system_event(uow, case, kind, evidence, actor.name, actor.role, now)
            self._queue(uow, definition, case, event, notify, None)
            if within is not None:
                within(uow)
            uow.update_case(case, expected_version=version_read)
            uow.commit()
        return event

    def import_cases(
        self,
        workflow: str,
        items: Iterable[ImportedCase],
        actor: Actor,
        progress: Callable[[int], None] | None = None,
    ) -> list[ImportedResult]:
        """Open cases straight into the states another system's register gives, each by one
        audited `imported` event, all in one unit of work (see `engine.importing`)."""
        from engine.importing import import_cases

        return import_cases(self, workflow, items, actor, progress)

    # -- clocks ----------------------------------------------------------------------------
    def pause_clock(self, case_id: int, reason: str, actor: Actor) -> CaseRecord:
        """Pause a case's deadlines with a recorded reason (see `engine.deadlines`)."""
        from engine.deadlines import pause_clock

        return pause_clock(self, case_id, reason, actor)

    def resume_clock(self, case_id: int, actor: Actor, note: str = "") -> Any:
        """Resume a paused case; its deadlines shift by the days it was paused."""
        from engine.deadlines import resume_clock

        return resume_clock(self, case_id, actor, note)

    def reproject(self, why: str, actor: Actor = SYSTEM_TIMER) -> Any:
        """Recompute deadlines counted on calendars that changed (see `engine.deadlines`)."""
        from engine.deadlines import reproject

        return reproject(self, why, actor)

    # -- reading ---------------------------------------------------------------------------
    def get(self, case_id: int) -> CaseRecord:
        """The case as stored."""
        with self.uow() as uow:
            return uow.get_case(case_id)

    # -- timers ----------------------------------------------------------------------------
    def fire_due_timers(self, batch: int = 500) -> TickReport:
        """Fire every timer due by now, oldest first, `batch` per transaction, each once
        (engine/firing.py)."""
        return fire_due_timers(self, batch)


__all__ = [
    "Action",
    "Applied",
    "ContextBuilder",
    "Engine",
    "EngineSettings",
    "EvidenceField",
    "MessageTrail",
    "TickReport",
    "TransitionRefused",
]
