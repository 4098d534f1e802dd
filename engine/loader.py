"""YAML -> WorkflowDefinition, strictly.

Safe loading only; node line marks kept so every error reads `file:line: at path: reason`.
Unknown keys are refused with the allowed ones listed. Cross-references are checked: states
exist and are reachable, every open state has a way out, final states have no timers, timers
fire triggers that leave their state, guards/rules/templates are known (when the caller passes
the registries that know them). A deadline used in several states is declared once under
`deadlines:` and a timer names it (`- {deadline: case_stalled}`): it compiles to the same
`TimerDef` as if written out in full. This module must not touch the database or send anything.

The parts: engine/chart_reader.py (keys, the line-keeping YAML loader, shared checks),
engine/chart_timers.py (timers and named deadlines), engine/chart_checks.py (the graph).
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

from engine.chart_checks import GraphChecks
from engine.chart_reader import (
    ANCHORS,
    DEADLINE_KEYS,
    FIELD_KEYS,
    MAX_CHART_BYTES,
    REQUIRED_TOP,
    STATE_KEYS,
    TIMER_KEYS,
    TOP_KEYS,
    TRIGGER_KEYS,
    WORKFLOW_ID,
    WORKFLOW_TIMER_KEYS,
    Known,
    _Lined,
    _LineLoader,
)
from engine.chart_timers import TimerBuilding
from engine.definition import (
    ANY_OPEN,
    SAME,
    EvidenceSlot,
    FieldDef,
    FieldType,
    StateDef,
    TriggerDef,
    WorkflowDefinition,
)
from engine.errors import DefinitionError

__all__ = [  # with the keys each level accepts (the chart schema's test reads them here)
    "ANCHORS",
    "DEADLINE_KEYS",
    "FIELD_KEYS",
    "REQUIRED_TOP",
    "STATE_KEYS",
    "TIMER_KEYS",
    "TOP_KEYS",
    "TRIGGER_KEYS",
    "WORKFLOW_TIMER_KEYS",
    "Known",
    "content_hash",
    "load_definition_file",
    "parse_definition",
]


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


class _Builder(TimerBuilding, GraphChecks):
    """Builds a `WorkflowDefinition` from the loaded YAML, checking as it goes."""

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
