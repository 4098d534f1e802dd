"""The one path that changes a case: `Engine.apply`, in one unit of work.

1. load the case; 2. is the trigger legal from its state (the compiled machine)?; 3. may the
actor's role fire it?; 4. validate the evidence; 5. run every guard, collecting all blocks;
6. append the hash-chained event; 7. update the case under its version (optimistic lock);
8. cancel the timers of the state left, schedule those of the state entered; 9. render the
notifications into the outbox. Commit, or nothing at all. Refusals raise before step 6.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, time
from typing import Any

from engine.audit import OPEN_TRIGGER, SYSTEM_EVENTS, append_system_event, seal
from engine.chain import CORRECTED_TRIGGER
from engine.clock import WORKING_DAY_STARTS, Clock
from engine.definition import OUTCOME_FIELD, TimerDef, TriggerDef, WorkflowDefinition
from engine.errors import (
    ActorNotPermitted,
    Block,
    ConcurrentUpdate,
    ContractBroken,
    EvidenceInvalid,
    GuardsFailed,
    StoredValueInvalid,
    TransitionRefused,
    TriggerNotAvailable,
)
from engine.evidence import StoredValueUnreadable, parse_evidence
from engine.ports import (
    GENESIS_HASH,
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
from engine.provenance import Provenance, Scope
from engine.registry import DefinitionRegistry
from engine.replay import corrected_facts
from engine.rules import Rules
from engine.stored import where_stored, window_for
from engine.timers import is_cancelled_by, project, timers_entering
from engine.unaddressed import record_unaddressed

log = logging.getLogger("cme.engine")
"""Operator log: cases by reference, never a child's details (STYLE.md, Errors)."""

MAX_AUTOMATIC_STEPS = 5


@dataclass(frozen=True, slots=True)
class MessageTrail:
    """What a message may also tell besides its event: the case's history and new deadlines.

    A re-sent escalation says why the case was first escalated and when; a letter asking for
    an answer says by when (the deadline the event just started).
    """

    history: Callable[[], Sequence[EventRecord]]
    """The case's events up to and including the one sending the message (read on demand)."""
    started: Sequence[TimerRecord] = ()
    """The deadlines the event started, e.g. MASH's acknowledgement."""


ContextBuilder = Callable[
    [
        CaseRecord,
        WorkflowDefinition,
        EventRecord,
        Mapping[str, Any],
        Mapping[str, Any] | None,
        MessageTrail,
    ],
    dict[str, Any],
]
"""Builds a template's context: (case, definition, event, child, deadline, trail) -> dict."""


@dataclass(frozen=True, slots=True)
class EvidenceField:
    """An evidence field as `actions` lists it."""

    name: str
    type: str
    title: str
    required: bool
    choices: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Action:
    """A trigger possible from the case's state, and every rule that blocks it now."""

    trigger: str
    title: str
    to: str
    evidence: tuple[EvidenceField, ...]
    blocked_by: tuple[str, ...]
    roles: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Applied:
    """What one apply did."""

    case: CaseRecord
    event: EventRecord
    timers_started: tuple[TimerRecord, ...] = ()
    timers_cancelled: int = 0
    messages: tuple[OutboxMessage, ...] = ()
    followed_by: tuple[Applied, ...] = ()


@dataclass
class TickReport:
    """What one pass over due timers did."""

    fired: int = 0
    void: int = 0
    reminders: int = 0
    conflicts: int = 0
    """Timers whose case another worker changed meanwhile: left pending for the next pass."""
    details: list[dict[str, Any]] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class EngineSettings:
    """Per-deployment knobs the engine reads."""

    deadline_overrides: Mapping[str, int] = field(default_factory=dict)
    """Deadline id (or `id.high_priority`) -> days, overriding the chart's default."""
    guard_settings: Mapping[str, Any] = field(default_factory=dict)
    working_day_starts: time = WORKING_DAY_STARTS
    """The local time a working day begins: working-day deadlines fall due then."""
    failure_alert: str | None = None
    """The template that alerts the CMEO when a notification cannot be addressed (cme:
    `delivery_failed`); None: the failure is recorded on the case without an alert."""


def _json_ready(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {str(k): _json_ready(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_json_ready(v) for v in value]
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value


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

    # -- opening ---------------------------------------------------------------------------
    def open_case(
        self,
        workflow: str,
        referral: Mapping[str, Any],
        actor: Actor,
        opening: Mapping[str, Any] | None = None,
    ) -> Applied:
        """Validate a referral with the workflow's intake rule and open a case on it.

        `opening`: what the opener decided beside the referral (e.g. to open in spite of
        possible duplicates), recorded on the open event's evidence under `opening`."""
        definition = self.registry.current(workflow)
        now = self.clock.now()
        if definition.intake is None:
            facts, child = dict(referral), {}
        else:
            intake = self.rules.intakes[definition.intake](referral, now)
            facts, child = intake.facts, intake.child
        priority = self._priority(definition, facts)
        with self.uow() as uow:
            case = CaseRecord(
                id=0,
                workflow=workflow,
                definition_hash=definition.version,
                state=definition.initial,
                priority=priority,
                version=0,
                facts=facts,
                opened_at=now,
                state_entered_at=now,
                updated_at=now,
            )
            case.id = uow.add_case(case, child)
            evidence = {"referral": _json_ready(referral), "facts": _json_ready(facts)}
            if opening:
                evidence["opening"] = _json_ready(opening)
            event = seal(
                case_id=case.id,
                seq=1,
                trigger=OPEN_TRIGGER,
                from_state="",
                to_state=definition.initial,
                actor=actor.name,
                role=actor.role,
                at=now,
                evidence=evidence,
                prev_hash=GENESIS_HASH,
            )
            uow.append_event(event)
            case.version, case.head_hash = 1, event.hash
            started = self._start_timers(uow, definition, case, None, definition.initial, now)
            messages = self._queue(
                uow,
                definition,
                case,
                event,
                definition.states[definition.initial].notify,
                None,
                started,
            )
            follow = self._automatic(uow, definition, case, now)
            uow.update_case(case, expected_version=0)
            uow.commit()
        log.info(
            "case %s opened on %s@%s by %s (%s), priority %s",
            case.ref,
            workflow,
            definition.short_version,
            actor.name,
            actor.role,
            case.priority,
        )
        return Applied(replace(case), event, tuple(started), 0, tuple(messages), tuple(follow))

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
        workflow_wide = any(
            scope == "workflow" for _, scope in timers_entering(definition, source, target)
        )
        done = set(uow.fired_timer_names(case.id)) if workflow_wide and source else set()
        # a workflow-wide deadline (four weeks missing, high risk unlocated) runs once per case:
        # re-entering its states after a MASH return must not re-arm it, already overdue
        specs: list[tuple[TimerDef, str]] = [
            (spec, scope)
            for spec, scope in timers_entering(definition, source, target)
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
        if self.renderer is None or self.context_builder is None:
            return []
        templates = [t for t in templates if self.renderer.wants(t)]
        if not templates:
            return []
        child = uow.child(case.child_id) if case.child_id is not None else {}
        history: list[Sequence[EventRecord]] = []

        def read_history() -> Sequence[EventRecord]:
            if not history:
                history.append(uow.events(case.id))
            return history[0]

        trail = MessageTrail(read_history, tuple(started))
        context = self.context_builder(case, definition, event, child, deadline, trail)
        messages = [
            OutboxMessage(
                case_id=case.id,
                event_seq=event.seq,
                template=template,
                recipient_role=m.recipient_role,
                recipient=m.recipient,
                subject=m.subject,
                body_text=m.body_text,
                body_html=m.body_html,
                created_at=event.at,
                status="failed" if m.undeliverable else "pending",
                next_attempt_at=None if m.undeliverable else event.at,
                last_error=m.undeliverable or None,
            )
            for template in templates
            for m in self.renderer.render(template, context)
        ]
        if messages:
            uow.add_outbox(messages)
        for m in messages:
            if m.status == "failed":
                self._unaddressed(uow, definition, case, m)
        return messages

    def _unaddressed(
        self,
        uow: UnitOfWork,
        definition: WorkflowDefinition,
        case: CaseRecord,
        message: OutboxMessage,
    ) -> None:
        """Fail loud: record the unaddressed message on the case in this unit of work, and
        alert the CMEO (`EngineSettings.failure_alert`) unless it was that alert itself."""
        event = record_unaddressed(uow, case, message)
        alert = self.settings.failure_alert
        if alert is not None and message.template != alert:
            self._queue(uow, definition, case, event, (alert,), None)

    def _automatic(
        self, uow: UnitOfWork, definition: WorkflowDefinition, case: CaseRecord, now: datetime
    ) -> list[Applied]:
        """Apply rule-driven triggers (e.g. refer to MASH at once) after a state is entered."""
        done: list[Applied] = []
        for _ in range(MAX_AUTOMATIC_STEPS):
            candidates = [t for t in definition.triggers_from(case.state) if t.automatic_when]
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
    def actions(self, case_id: int, actor: Actor | None = None) -> list[Action]:
        """Each trigger a person could fire now, its evidence, and every rule blocking it.

        Guards are judged with no evidence yet: a guard that needs evidence to decide returns
        None here and is judged again when the evidence is given.
        """
        now = self.clock.now()
        with self.uow() as uow:
            case = uow.get_case(case_id)
            definition = self.registry.compiled(case.definition_hash).definition
            calendar = self.calendars.for_case(case)
            result = []
            for t in definition.triggers_from(case.state):
                if definition.is_system_only(t.id):
                    continue
                blocked = [
                    f"{b.guard}: {b.reason}"
                    for b in self._blocks(uow, t.guards, case, t.id, {}, now, calendar)
                ]
                if actor is not None and actor.role not in t.roles:
                    blocked.insert(
                        0, f"role: '{actor.role}' may not do this (allowed: {', '.join(t.roles)})"
                    )
                fields = tuple(
                    EvidenceField(
                        s.field.name,
                        s.field.type.value,
                        s.field.title,
                        s.required,
                        s.field.choices,
                    )
                    for s in t.evidence
                )
                target = t.target_from(case.state)
                result.append(Action(t.id, t.title, target, fields, tuple(blocked), t.roles))
        return result

    def get(self, case_id: int) -> CaseRecord:
        """The case as stored."""
        with self.uow() as uow:
            return uow.get_case(case_id)

    # -- timers ----------------------------------------------------------------------------
    def fire_due_timers(self, batch: int = 500) -> TickReport:
        """Fire every timer due by now, oldest first, `batch` per transaction, each once.

        A timer whose trigger is no longer possible, or whose `when` rule no longer holds, is
        marked void with the reason, never retried. Claiming a batch makes this worker the
        only writer of its cases until it commits (see `UnitOfWork.claim_due_timers`), so the
        batch is one transaction. Should another writer still have changed a case meanwhile,
        the batch is undone whole, its timers stay pending for the next pass, and the report
        counts the conflict.
        """
        report = TickReport()
        now = self.clock.now()
        while True:
            batch_report = TickReport()
            try:
                with self.uow() as uow:
                    due = uow.claim_due_timers(now, batch)
                    for timer in due:
                        self._fire(uow, timer, now, batch_report)
                    uow.commit()
            except ConcurrentUpdate as exc:
                log.warning("timer batch undone, to be fired on the next pass: %s", exc)
                report.conflicts += 1
                return report
            report.fired += batch_report.fired
            report.void += batch_report.void
            report.reminders += batch_report.reminders
            report.details.extend(batch_report.details)
            if len(due) < batch:
                return report

    def _fire(
        self, uow: UnitOfWork, timer: TimerRecord, now: datetime, report: TickReport
    ) -> None:
        if timer.id is None:
            raise ContractBroken("a claimed timer always has an id")
        if timer.id not in {t.id for t in uow.pending_timers(timer.case_id)}:
            return  # cancelled by a timer fired before it in this batch (the case moved on)
        case = uow.get_case(timer.case_id)
        version_read = case.version
        definition = self.registry.compiled(case.definition_hash).definition
        spec = self._timer_spec(definition, timer)
        reason = None
        if spec is not None and spec.when is not None:
            blocks = self._blocks(
                uow,
                (spec.when,),
                case,
                timer.trigger or timer.name,
                {},
                now,
                self.calendars.for_case(case),
            )
            reason = "; ".join(b.reason for b in blocks) or None
        if reason is None and timer.trigger is not None:
            try:
                self._apply_in(uow, definition, case, timer.trigger, {}, SYSTEM_TIMER, now)
            except (TriggerNotAvailable, GuardsFailed, EvidenceInvalid, ActorNotPermitted) as exc:
                reason = str(exc)
        elif reason is None:
            deadline = {**timer.provenance, "name": timer.name}
            provenance = Provenance.from_dict(timer.provenance)
            reached: dict[str, Any] = {"deadline": timer.name, "due_on": provenance.due_on}
            if provenance.provisional:
                # counted over days with no term dates: the reminder runs, saying so
                reached["provisional"] = True
                reached["provisional_reason"] = provenance.provisional_reason or ""
            event = append_system_event(
                uow,
                case,
                "deadline_reached",
                reached,
                SYSTEM_TIMER.name,
                SYSTEM_TIMER.role,
                now,
            )
            self._queue(uow, definition, case, event, timer.notify, deadline)
            report.reminders += 1
        if reason is not None:
            uow.finish_timers([timer.id], "void", now, reason)
            report.void += 1
            report.details.append(
                {"case_id": case.id, "timer": timer.name, "status": "void", "reason": reason}
            )
            return
        self._automatic(uow, definition, case, now)
        uow.finish_timers([timer.id], "fired", now, "due")
        uow.update_case(case, expected_version=version_read)
        log.info(
            "case %s deadline %s fired (%s)", case.ref, timer.name, timer.trigger or "reminder"
        )
        report.fired += 1
        report.details.append(
            {"case_id": case.id, "timer": timer.name, "status": "fired", "trigger": timer.trigger}
        )

    @staticmethod
    def _timer_spec(definition: WorkflowDefinition, timer: TimerRecord) -> TimerDef | None:
        scope = Scope.parse(timer.scope)
        if scope.state is not None:
            state = definition.states.get(scope.state)
            pool = state.timers if state else ()
        else:
            pool = definition.timers
        return next((t for t in pool if t.name == timer.name), None)


__all__ = [
    "Action",
    "Applied",
    "Engine",
    "EngineSettings",
    "MessageTrail",
    "TickReport",
    "TransitionRefused",
]
