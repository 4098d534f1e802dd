"""YAML -> WorkflowDefinition, strictly.

Safe loading only; node line marks kept so every error reads `file:line: at path: reason`.
Unknown keys are refused with the allowed ones listed. Cross-references are checked: states
exist and are reachable, every open state has a way out, final states have no timers, timers
fire triggers that leave their state, guards/rules/templates are known (when the caller passes
the registries that know them). A deadline used in several states is declared once under
`deadlines:` and a timer names it (`- {deadline: case_stalled}`): it compiles to the same
`TimerDef` as if written out in full. This module must not touch the database or send anything.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from engine.definition import (
    ANY_OPEN,
    OUTCOME_FIELD,
    SAME,
    EvidenceSlot,
    FieldDef,
    FieldType,
    StateDef,
    TimerDef,
    TriggerDef,
    Unit,
    WorkflowDefinition,
)
from engine.errors import DefinitionError

SNAKE = re.compile(r"^[a-z][a-z0-9_]*$")
WORKFLOW_ID = re.compile(r"^[a-z][a-z0-9-]*$")
ANCHORS = ("state_entered", "case_opened")

TOP_KEYS = {
    "schema",
    "workflow",
    "title",
    "initial",
    "intake",
    "priority",
    "roles",
    "fields",
    "deadlines",
    "timers",
    "states",
    "triggers",
    "pause_roles",
}
REQUIRED_TOP = ("schema", "workflow", "title", "initial", "roles", "states", "triggers")
MAX_CHART_BYTES = 1024 * 1024
"""A chart is some 20 KB of YAML; a file over 1 MiB is not one."""
FIELD_KEYS = {"type", "title", "choices", "allow_future", "max_length"}
STATE_KEYS = {"title", "final", "notify", "timers", "outcomes"}
DEADLINE_KEYS = {
    "title",
    "after",
    "unit",
    "from",
    "high_priority_after",
    "when",
    "trigger",
    "notify",
    "pausable",
}
"""A deadline declared once under the top-level `deadlines:` (its name is its key)."""
TIMER_KEYS = DEADLINE_KEYS | {"name", "deadline"}
"""A timer: written out in full, or `deadline: NAME` (a declared deadline, nothing repeated)."""
WORKFLOW_TIMER_KEYS = TIMER_KEYS | {"while_in"}
TRIGGER_KEYS = {
    "id",
    "title",
    "from",
    "to",
    "evidence",
    "optional",
    "guards",
    "roles",
    "notify",
    "sets_facts",
    "outcome",
    "automatic_when",
}


class _Lined(dict[str, Any]):
    """A mapping that remembers the line it started on."""

    line: int = 0


class _LinedList(list[Any]):
    line: int = 0


_SafeBase: type = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml when present: ~10x


class _LineLoader(_SafeBase):  # type: ignore[misc]
    """SafeLoader that keeps 1-based line numbers on mappings and sequences."""


def _construct_mapping(loader: _LineLoader, node: yaml.MappingNode) -> _Lined:
    keys: set[Any] = set()
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=True)
        if key in keys:
            raise DefinitionError("", f"duplicate key '{key}'", line=key_node.start_mark.line + 1)
        keys.add(key)
    mapping = _Lined({str(k): v for k, v in loader.construct_mapping(node, deep=True).items()})
    mapping.line = node.start_mark.line + 1
    return mapping


def _construct_sequence(loader: _LineLoader, node: yaml.SequenceNode) -> _LinedList:
    seq = _LinedList(loader.construct_sequence(node, deep=True))
    seq.line = node.start_mark.line + 1
    return seq


_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)
_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_SEQUENCE_TAG, _construct_sequence)


@dataclass(frozen=True, slots=True)
class Known:
    """What the loader may check names against; `None` skips that check."""

    guards: Collection[str] | None = None
    templates: Collection[str] | None = None
    intakes: Collection[str] | None = None
    priority_rules: Collection[str] | None = None


def content_hash(text: str) -> str:
    """A definition's version: sha256 of its source text."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def load_definition_file(path: str | Path, known: Known | None = None) -> WorkflowDefinition:
    """Load and fully validate a definition file."""
    p = Path(path)
    try:
        with p.open("rb") as handle:
            data = handle.read(MAX_CHART_BYTES + 1)
    except OSError as exc:
        raise DefinitionError(str(p), f"cannot read the file: {exc.strerror}") from exc
    if len(data) > MAX_CHART_BYTES:
        raise DefinitionError(str(p), f"larger than {MAX_CHART_BYTES} bytes: not a chart")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise DefinitionError(
            str(p), f"not UTF-8 text (byte 0x{data[exc.start]:02x}): save it as UTF-8", line
        ) from None
    return parse_definition(text, str(p), known)


def parse_definition(text: str, source: str, known: Known | None = None) -> WorkflowDefinition:
    """Parse and fully validate definition text; errors name `source`, line and path."""
    try:
        raw = yaml.load(text, Loader=_LineLoader)  # noqa: S506 - _LineLoader is a SafeLoader
    except DefinitionError as exc:
        raise DefinitionError(source, exc.reason, exc.line) from exc
    except yaml.MarkedYAMLError as exc:
        line = exc.problem_mark.line + 1 if exc.problem_mark else None
        raise DefinitionError(source, f"not valid YAML: {exc.problem}", line) from exc
    except yaml.YAMLError as exc:  # e.g. a character YAML does not allow
        raise DefinitionError(source, f"not valid YAML: {' '.join(str(exc).split())}") from exc
    except RecursionError:
        raise DefinitionError(source, "not valid YAML: nested too deeply") from None
    except ValueError as exc:  # a value YAML reads but Python refuses (a 5,000-digit number)
        raise DefinitionError(source, f"not valid YAML: {str(exc)[:200]}") from None
    return _Builder(source, text, known or Known()).build(raw)


class _Builder:
    def __init__(self, source: str, text: str, known: Known) -> None:
        self.source, self.text, self.known = source, text, known
        self.deadlines: dict[str, _Lined] = {}
        self.used: set[str] = set()

    def fail(self, reason: str, node: Any = None, path: str = "") -> DefinitionError:
        return DefinitionError(self.source, reason, getattr(node, "line", None) or None, path)

    def keys(
        self, node: Any, allowed: set[str], path: str, required: Collection[str] = ()
    ) -> None:
        if not isinstance(node, dict):
            raise self.fail("expected a mapping", node, path)
        unknown = sorted(set(node) - allowed)
        if unknown:
            raise self.fail(
                f"unknown key '{unknown[0]}' (allowed: {', '.join(sorted(allowed))})", node, path
            )
        for key in required:
            if key not in node:
                raise self.fail(f"missing required key '{key}'", node, path)

    def names(
        self, node: Any, value: Any, path: str, pattern: re.Pattern[str] = SNAKE
    ) -> tuple[str, ...]:
        items = [value] if isinstance(value, str) else value
        if not isinstance(items, list) or not all(isinstance(i, str) for i in items):
            raise self.fail("expected a name or a list of names", node, path)
        for item in items:
            if not pattern.match(item) and item not in (ANY_OPEN, SAME):
                raise self.fail(f"'{item}' is not a snake_case name", node, path)
        return tuple(items)

    def text_of(self, node: Any, key: str, path: str, default: str | None = None) -> str:
        value = node.get(key, default)
        if not isinstance(value, str) or not value.strip():
            raise self.fail(f"'{key}' must be a non-empty string", node, path)
        return value

    def build(self, raw: Any) -> WorkflowDefinition:
        self.keys(raw, TOP_KEYS, "", REQUIRED_TOP)
        if raw["schema"] != 1:
            raise self.fail(
                f"schema {raw['schema']!r} is not supported (expected 1)", raw, "schema"
            )
        workflow = raw["workflow"]
        if not isinstance(workflow, str) or not WORKFLOW_ID.match(workflow):
            raise self.fail("workflow must be a kebab-case id", raw, "workflow")
        roles = self.names(raw, raw["roles"], "roles")
        pause_roles = self.names(raw, raw.get("pause_roles", []), "pause_roles")
        for role in pause_roles:
            if role not in roles:
                raise self.fail(f"role '{role}' is not declared in 'roles'", raw, "pause_roles")
        fields = self.build_fields(raw.get("fields") or _Lined())
        self.deadlines = self.declared_deadlines(raw.get("deadlines") or _Lined())
        states = self.build_states(raw["states"])
        triggers = self.build_triggers(raw["triggers"], states, fields, roles)
        timers = tuple(
            self.build_timer(t, f"timers[{i}]", workflow_wide=True)
            for i, t in enumerate(self.list_of(raw, "timers"))
        )
        unused = sorted(set(self.deadlines) - self.used)
        if unused:
            raise self.fail(
                f"deadline '{unused[0]}' is declared but no timer uses it",
                self.deadlines[unused[0]],
                f"deadlines.{unused[0]}",
            )
        initial = raw["initial"]
        if not isinstance(initial, str) or initial not in states:
            raise self.fail(f"initial state '{initial}' is not a declared state", raw, "initial")
        intake = raw.get("intake")
        priority = raw.get("priority")
        self.check_registered(intake, self.known.intakes, "intake rule", raw, "intake")
        self.check_registered(
            priority, self.known.priority_rules, "priority rule", raw, "priority"
        )
        definition = WorkflowDefinition(
            workflow=workflow,
            title=self.text_of(raw, "title", "title"),
            initial=initial,
            states=states,
            triggers=triggers,
            fields=fields,
            roles=roles,
            timers=timers,
            pause_roles=pause_roles,
            intake=intake,
            priority_rule=priority,
            version=content_hash(self.text),
            source=self.text,
            source_name=self.source,
        )
        self.check_graph(definition, raw)
        return definition

    def list_of(self, node: Any, key: str) -> list[Any]:
        value = node.get(key) or []
        if not isinstance(value, list):
            raise self.fail(f"'{key}' must be a list", node, key)
        return value

    def check_registered(
        self, name: Any, known: Collection[str] | None, what: str, node: Any, path: str
    ) -> None:
        if name is None:
            return
        if not isinstance(name, str):
            raise self.fail(f"{what} must be a name", node, path)
        if known is not None and name not in known:
            raise self.fail(
                f"unknown {what} '{name}' (known: {', '.join(sorted(known))})", node, path
            )

    def build_fields(self, raw: Any) -> dict[str, FieldDef]:
        if not isinstance(raw, dict):
            raise self.fail("'fields' must be a mapping", raw, "fields")
        fields: dict[str, FieldDef] = {}
        for name, spec in raw.items():
            path = f"fields.{name}"
            self.names(raw, name, path)
            self.keys(spec, FIELD_KEYS, path, ("type",))
            try:
                ftype = FieldType(spec["type"])
            except ValueError:
                allowed = ", ".join(t.value for t in FieldType)
                raise self.fail(
                    f"unknown type '{spec['type']}' (allowed: {allowed})", spec, f"{path}.type"
                ) from None
            choices: tuple[str, ...] = ()
            if ftype in (FieldType.CHOICE, FieldType.CHOICES):
                if not spec.get("choices"):
                    raise self.fail("a choice field needs 'choices'", spec, path)
                choices = self.names(spec, spec["choices"], f"{path}.choices")
            elif "choices" in spec:
                raise self.fail("only choice fields take 'choices'", spec, path)
            fields[name] = FieldDef(
                name=name,
                type=ftype,
                title=spec.get("title", name.replace("_", " ")),
                choices=choices,
                allow_future=bool(spec.get("allow_future", False)),
                max_length=int(spec.get("max_length", 2000)),
            )
        return fields

    def declared_deadlines(self, raw: Any) -> dict[str, _Lined]:
        """The top-level `deadlines:` map, each checked for its keys (the rest is checked
        where a timer uses it, as if written out there)."""
        if not isinstance(raw, dict):
            raise self.fail("'deadlines' must be a mapping of name -> deadline", raw, "deadlines")
        for name, spec in raw.items():
            path = f"deadlines.{name}"
            self.names(raw, name, path)
            self.keys(spec, DEADLINE_KEYS, path, ("after", "unit", "from"))
        return dict(raw)

    def using_deadline(self, raw: Any, path: str) -> Any:
        """A timer written as `deadline: NAME`, with the declared deadline's keys filled in."""
        if not isinstance(raw, dict) or "deadline" not in raw:
            return raw
        name = raw["deadline"]
        declared = self.deadlines.get(name) if isinstance(name, str) else None
        if declared is None:
            names = ", ".join(sorted(self.deadlines)) or "none"
            raise self.fail(
                f"unknown deadline {name!r} (declared in 'deadlines': {names})",
                raw,
                f"{path}.deadline",
            )
        repeated = sorted((set(raw) - {"deadline"}) & (set(declared) | {"name"}))
        if repeated:
            raise self.fail(
                f"'{repeated[0]}' is given by deadline '{name}' (in 'deadlines'): a timer "
                "using it does not repeat it",
                raw,
                f"{path}.{repeated[0]}",
            )
        self.used.add(name)
        merged = _Lined(
            {"name": name, **declared, **{k: v for k, v in raw.items() if k != "deadline"}}
        )
        merged.line = getattr(raw, "line", 0)
        return merged

    def build_timer(self, raw: Any, path: str, workflow_wide: bool = False) -> TimerDef:
        allowed = WORKFLOW_TIMER_KEYS if workflow_wide else TIMER_KEYS
        required = ("name", "after", "unit", "from") + (("while_in",) if workflow_wide else ())
        raw = self.using_deadline(raw, path)
        self.keys(raw, allowed, path, required)
        name = self.names(raw, raw["name"], f"{path}.name")[0]
        try:
            unit = Unit(raw["unit"])
        except ValueError:
            allowed_units = ", ".join(u.value for u in Unit)
            raise self.fail(
                f"unknown unit '{raw['unit']}' (allowed: {allowed_units})", raw, f"{path}.unit"
            ) from None
        for key in ("after", "high_priority_after"):
            value = raw.get(key)
            if value is not None and (
                not isinstance(value, int) or isinstance(value, bool) or value < 0
            ):
                raise self.fail(
                    f"'{key}' must be a whole number of days, 0 or more", raw, f"{path}.{key}"
                )
        anchors = self.names(raw, raw["from"], f"{path}.from")
        if not anchors:
            raise self.fail("'from' must name what the timer counts from", raw, f"{path}.from")
        if len(anchors) > 1 and set(anchors) & set(ANCHORS):
            raise self.fail(
                "a list in 'from' names date facts only (state_entered and case_opened are "
                "always known)",
                raw,
                f"{path}.from",
            )
        counted_from, counted_from_else = anchors[0], anchors[1:]
        trigger = raw.get("trigger")
        if trigger is not None and not isinstance(trigger, str):
            raise self.fail("'trigger' must name one trigger", raw, f"{path}.trigger")
        notify = self.names(raw, raw.get("notify", []), f"{path}.notify")
        if (trigger is None) == (not notify):
            raise self.fail("a timer needs exactly one of 'trigger' or 'notify'", raw, path)
        when = raw.get("when")
        self.check_registered(when, self.known.guards, "guard", raw, f"{path}.when")
        self.check_templates(notify, raw, f"{path}.notify")
        while_in = self.names(raw, raw.get("while_in", []), f"{path}.while_in")
        return TimerDef(
            name=name,
            title=raw.get("title", name.replace("_", " ")),
            after=raw["after"],
            unit=unit,
            counted_from=counted_from,
            counted_from_else=counted_from_else,
            high_priority_after=raw.get("high_priority_after"),
            when=when,
            trigger=trigger,
            notify=notify,
            while_in=while_in,
            pausable=bool(raw.get("pausable", True)),
            line=raw.line,
        )

    def check_templates(self, names: tuple[str, ...], node: Any, path: str) -> None:
        if self.known.templates is None:
            return
        for name in names:
            if name not in self.known.templates:
                raise self.fail(f"unknown template '{name}'", node, path)

    def build_states(self, raw: Any) -> dict[str, StateDef]:
        if not isinstance(raw, dict) or not raw:
            raise self.fail("'states' must be a non-empty mapping", raw, "states")
        states: dict[str, StateDef] = {}
        for sid, spec in raw.items():
            path = f"states.{sid}"
            self.names(raw, sid, path)
            self.keys(spec, STATE_KEYS, path, ("title",))
            final = bool(spec.get("final", False))
            timers = tuple(
                self.build_timer(t, f"{path}.timers[{i}]")
                for i, t in enumerate(self.list_of(spec, "timers"))
            )
            if final and timers:
                raise self.fail("a final state cannot start timers", spec, f"{path}.timers")
            outcomes = self.names(spec, spec.get("outcomes", []), f"{path}.outcomes")
            if final and not outcomes:
                raise self.fail("a final state must list its 'outcomes'", spec, path)
            if outcomes and not final:
                raise self.fail("only final states have 'outcomes'", spec, path)
            notify = self.names(spec, spec.get("notify", []), f"{path}.notify")
            self.check_templates(notify, spec, f"{path}.notify")
            states[sid] = StateDef(
                id=sid,
                title=self.text_of(spec, "title", path),
                final=final,
                notify=notify,
                timers=timers,
                outcomes=outcomes,
                line=spec.line,
            )
        return states

    def build_triggers(
        self,
        raw: Any,
        states: Mapping[str, StateDef],
        fields: Mapping[str, FieldDef],
        roles: tuple[str, ...],
    ) -> dict[str, TriggerDef]:
        if not isinstance(raw, list) or not raw:
            raise self.fail("'triggers' must be a non-empty list", raw, "triggers")
        open_states = tuple(s for s, d in states.items() if not d.final)
        triggers: dict[str, TriggerDef] = {}
        for i, spec in enumerate(raw):
            path = f"triggers[{i}]"
            self.keys(spec, TRIGGER_KEYS, path, ("id", "from", "to"))
            tid = self.names(spec, spec["id"], f"{path}.id")[0]
            path = f"triggers[{i}] ({tid})"
            if tid in triggers:
                raise self.fail(f"trigger '{tid}' is declared twice", spec, path)
            sources: list[str] = []
            for src in self.names(spec, spec["from"], f"{path}.from"):
                if src == ANY_OPEN:
                    sources.extend(s for s in open_states if s not in sources)
                elif src not in states:
                    raise self.fail(f"unknown state '{src}' in 'from'", spec, f"{path}.from")
                elif states[src].final:
                    raise self.fail(f"'{src}' is final: nothing leaves it", spec, f"{path}.from")
                elif src not in sources:
                    sources.append(src)
            target = spec["to"]
            if not isinstance(target, str):
                raise self.fail("'to' must name one state", spec, f"{path}.to")
            if target == SAME:
                if spec.get("outcome") is not None:
                    raise self.fail("a trigger that stays in its state has no outcome", spec, path)
            elif target not in states:
                raise self.fail(f"unknown state '{target}' in 'to'", spec, f"{path}.to")
            slots = self.evidence(spec, fields, path)
            guards = self.names(spec, spec.get("guards", []), f"{path}.guards")
            for g in guards:
                self.check_registered(g, self.known.guards, "guard", spec, f"{path}.guards")
            auto = spec.get("automatic_when")
            self.check_registered(auto, self.known.guards, "guard", spec, f"{path}.automatic_when")
            trigger_roles = self.names(spec, spec.get("roles", []), f"{path}.roles")
            if not trigger_roles:
                raise self.fail("a trigger must name the roles that may fire it", spec, path)
            for role in trigger_roles:
                if role not in roles:
                    raise self.fail(
                        f"role '{role}' is not declared in 'roles'", spec, f"{path}.roles"
                    )
            notify = self.names(spec, spec.get("notify", []), f"{path}.notify")
            self.check_templates(notify, spec, f"{path}.notify")
            evidence_names = {s.field.name for s in slots}
            sets_facts = self.names(spec, spec.get("sets_facts", []), f"{path}.sets_facts")
            for name in sets_facts:
                if name not in evidence_names:
                    raise self.fail(
                        f"sets_facts names '{name}', which is not in its evidence",
                        spec,
                        f"{path}.sets_facts",
                    )
            outcome = spec.get("outcome")
            if target != SAME:
                self.check_outcome(states[target], outcome, fields, evidence_names, spec, path)
            triggers[tid] = TriggerDef(
                id=tid,
                title=spec.get("title", tid.replace("_", " ").capitalize()),
                sources=tuple(sources),
                target=target,
                evidence=slots,
                guards=guards,
                roles=trigger_roles,
                notify=notify,
                sets_facts=sets_facts,
                outcome=outcome,
                automatic_when=auto,
                line=spec.line,
            )
        return triggers

    def evidence(
        self, spec: Any, fields: Mapping[str, FieldDef], path: str
    ) -> tuple[EvidenceSlot, ...]:
        slots: list[EvidenceSlot] = []
        for key, required in (("evidence", True), ("optional", False)):
            for name in self.names(spec, spec.get(key, []), f"{path}.{key}"):
                if name not in fields:
                    raise self.fail(
                        f"unknown evidence field '{name}' (declare it in 'fields')",
                        spec,
                        f"{path}.{key}",
                    )
                if any(s.field.name == name for s in slots):
                    raise self.fail(f"evidence field '{name}' is listed twice", spec, path)
                slots.append(EvidenceSlot(fields[name], required))
        return tuple(slots)

    def check_outcome(
        self,
        target: StateDef,
        outcome: Any,
        fields: Mapping[str, FieldDef],
        evidence_names: set[str],
        spec: Any,
        path: str,
    ) -> None:
        if not target.final:
            if outcome is not None:
                raise self.fail("only a trigger into a final state has an 'outcome'", spec, path)
            return
        if outcome is not None:
            if outcome not in target.outcomes:
                raise self.fail(
                    f"outcome '{outcome}' is not one of {target.id}'s outcomes",
                    spec,
                    f"{path}.outcome",
                )
            return
        if OUTCOME_FIELD not in evidence_names:
            raise self.fail(
                f"a trigger into final state '{target.id}' needs a fixed 'outcome' or "
                f"a '{OUTCOME_FIELD}' evidence field",
                spec,
                path,
            )
        extra = set(fields[OUTCOME_FIELD].choices) - set(target.outcomes)
        if fields[OUTCOME_FIELD].type is not FieldType.CHOICE or extra:
            raise self.fail(
                f"the '{OUTCOME_FIELD}' field must be a choice among {target.id}'s outcomes",
                spec,
                path,
            )

    def check_graph(self, d: WorkflowDefinition, raw: Any) -> None:
        if d.states[d.initial].final:
            raise self.fail("the initial state cannot be final", raw, "initial")
        reached, frontier = {d.initial}, [d.initial]
        while frontier:
            current = frontier.pop()
            for t in d.triggers_from(current):
                if t.target != SAME and t.target not in reached:
                    reached.add(t.target)
                    frontier.append(t.target)
        for sid, state in d.states.items():
            if sid not in reached:
                raise self.fail(
                    f"state '{sid}' cannot be reached from '{d.initial}'",
                    raw["states"][sid],
                    f"states.{sid}",
                )
            if not state.final and not any(
                t.target not in (sid, SAME) for t in d.triggers_from(sid)
            ):
                raise self.fail(
                    f"state '{sid}' is a dead end: no trigger leaves it",
                    raw["states"][sid],
                    f"states.{sid}",
                )
            for timer in state.timers:
                self.check_timer_trigger(d, timer, (sid,))
        for timer in d.timers:
            for s in timer.while_in:
                if s not in d.states or d.states[s].final:
                    raise self.fail(
                        f"while_in names '{s}', which is not an open state",
                        raw,
                        f"timers.{timer.name}",
                    )
            self.check_timer_trigger(d, timer, timer.while_in)

    def check_timer_trigger(
        self, d: WorkflowDefinition, timer: TimerDef, states: tuple[str, ...]
    ) -> None:
        if timer.trigger is None:
            return
        trigger = d.triggers.get(timer.trigger)
        if trigger is None:
            raise DefinitionError(
                self.source,
                f"timer '{timer.name}' fires unknown trigger '{timer.trigger}'",
                timer.line,
            )
        for state in states:
            if state not in trigger.sources:
                raise DefinitionError(
                    self.source,
                    f"timer '{timer.name}' fires '{timer.trigger}', which cannot leave '{state}'",
                    timer.line,
                )
        if "system" not in trigger.roles:
            raise DefinitionError(
                self.source,
                f"timer '{timer.name}' fires '{timer.trigger}', "
                "which the 'system' role may not fire",
                timer.line,
            )
