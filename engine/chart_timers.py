"""A chart's timers: a deadline declared once under `deadlines:` and named by a timer
(`- {deadline: case_stalled}`) compiles to the same `TimerDef` as one written out in full."""

from __future__ import annotations

from typing import Any

from engine.chart_reader import (
    ANCHORS,
    DEADLINE_KEYS,
    TIMER_KEYS,
    WORKFLOW_TIMER_KEYS,
    ChartReader,
    _Lined,
)
from engine.definition import (
    TimerDef,
    Unit,
)


class TimerBuilding(ChartReader):
    """Builds `TimerDef`s, resolving named deadlines."""

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
