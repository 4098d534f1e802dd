"""Typed carriers of a deadline: how its due day was worked out, and what it is scoped to.

A timer's provenance is stored as a JSON object (the `timer.provenance` column; existing
databases hold it, and `cme case show` prints it). The engine reads it through `Provenance`:
`Provenance.from_dict` at the storage boundary, `as_dict` to write it, the same keys in the same
order as ever (keys this version does not know are kept as they were, in `other`).

A timer's scope is `state:NAME` (started on entering NAME, cancelled on leaving it) or
`workflow` (runs while the case is in any of the timer's `while_in` states); `Scope` parses it
once, here.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from typing import Any

from engine.errors import ContractBroken

STATE_PREFIX = "state:"
WORKFLOW_SCOPE = "workflow"


@dataclass(frozen=True, slots=True)
class Scope:
    """What a pending timer belongs to: one state's stay (`state`), or the whole workflow."""

    state: str | None = None

    @classmethod
    def parse(cls, text: str) -> Scope:
        """`state:NAME` or `workflow`; anything else is a caller's bug."""
        return _parsed(text)

    @classmethod
    def of_state(cls, state: str) -> Scope:
        """The scope of a timer started on entering `state`."""
        return cls(state)

    def __str__(self) -> str:
        return WORKFLOW_SCOPE if self.state is None else f"{STATE_PREFIX}{self.state}"


@lru_cache(maxsize=1024)
def _parsed(text: str) -> Scope:
    """A scope text parsed once (a frozen value, so shared safely): firing a timer parsed the
    same few texts three times over. A bad text raises each time (errors are not kept)."""
    if text.startswith(STATE_PREFIX):
        return Scope(text.removeprefix(STATE_PREFIX))
    if text == WORKFLOW_SCOPE:
        return Scope(None)
    raise ContractBroken(f"a timer scope is 'state:NAME' or 'workflow', not {text!r}")


def state_scope(state: str) -> str:
    """The stored scope text of a timer started on entering `state` (the text
    `str(Scope.of_state(state))` gives, written directly: every timer started asks)."""
    return WORKFLOW_SCOPE if state is None else f"{STATE_PREFIX}{state}"


@dataclass(frozen=True, slots=True)
class Pause:
    """A stretch the case's clock stood still (local dates), and the days it added."""

    start: str
    end: str
    days: int | None = None

    @classmethod
    def from_dict(cls, raw: Mapping[str, Any]) -> Pause:
        """From its stored form `{"from", "to"[, "days"]}`."""
        days = raw.get("days")
        return cls(str(raw["from"]), str(raw["to"]), None if days is None else int(days))

    def as_dict(self) -> dict[str, Any]:
        """Its stored form."""
        out: dict[str, Any] = {"from": self.start, "to": self.end}
        if self.days is not None:
            out["days"] = self.days
        return out


_CORE = (
    "rule",
    "title",
    "after",
    "unit",
    "counted_from",
    "anchor",
    "calendar",
    "calendar_hash",
    "due_on",
    "provisional",
    "provisional_reason",
    "priority",
    "condition",
)
_OPTIONAL = ("due_time", "pausable", "pauses")


@dataclass(frozen=True, slots=True)
class Provenance:
    """How a deadline's due day was worked out: the rule, its count and unit, what it counts
    from, the calendar (name and hash), the day, whether that day is provisional, the priority
    and condition that chose the count, the local due time, pausability and the pauses."""

    rule: str | None = None
    title: str | None = None
    after: int | None = None
    unit: str | None = None
    counted_from: str | None = None
    anchor: str | None = None
    calendar: str | None = None
    calendar_hash: str | None = None
    due_on: str | None = None
    provisional: bool = False
    provisional_reason: str | None = None
    priority: str | None = None
    condition: str | None = None
    due_time: str | None = None
    """Local `HH:MM` on `due_on`; absent: midnight (school and calendar days)."""
    pausable: bool = True
    pauses: tuple[Pause, ...] = ()
    other: Mapping[str, Any] = field(default_factory=dict)
    """Keys this version does not know, kept so a rewrite loses nothing."""
    present: tuple[str, ...] = _CORE
    """The stored keys, in their stored order: `as_dict` writes exactly these."""

    @classmethod
    def from_dict(cls, raw: Mapping[str, Any]) -> Provenance:
        """Read a stored provenance (missing keys read as absent, as `.get` did)."""
        known = {k: raw[k] for k in (*_CORE, *_OPTIONAL) if k in raw}
        pauses: Sequence[Mapping[str, Any]] = known.pop("pauses", ())
        if "pausable" in known:
            known["pausable"] = known["pausable"] is not False
        if "provisional" in known:
            known["provisional"] = bool(known["provisional"])
        return cls(
            **known,
            pauses=tuple(Pause.from_dict(p) for p in pauses),
            other={k: v for k, v in raw.items() if k not in _CORE and k not in _OPTIONAL},
            present=tuple(raw),
        )

    @classmethod
    def counted(cls, **fields: Any) -> Provenance:
        """A new provenance: the core keys, then `due_time` when set, `pausable` when false and
        `pauses` when any (the order `engine.timers.project` has always written)."""
        made = cls(**fields)
        extra = (
            *(("due_time",) if made.due_time is not None else ()),
            *(("pausable",) if not made.pausable else ()),
            *(("pauses",) if made.pauses else ()),
        )
        return cls(**fields, present=(*_CORE, *extra))

    @property
    def due_day(self) -> date | None:
        """`due_on` as a date."""
        return date.fromisoformat(self.due_on) if self.due_on else None

    def as_dict(self) -> dict[str, Any]:
        """The stored form: the keys it was read with (or built with), in that order."""
        out: dict[str, Any] = {}
        for key in self.present:
            if key == "pauses":
                out[key] = [p.as_dict() for p in self.pauses]
            elif key in self.other:
                out[key] = self.other[key]
            else:
                out[key] = getattr(self, key)
        return out


def counted_dict(
    *,
    rule: str | None = None,
    title: str | None = None,
    after: int | None = None,
    unit: str | None = None,
    counted_from: str | None = None,
    anchor: str | None = None,
    calendar: str | None = None,
    calendar_hash: str | None = None,
    due_on: str | None = None,
    provisional: bool = False,
    provisional_reason: str | None = None,
    priority: str | None = None,
    condition: str | None = None,
    due_time: str | None = None,
    pausable: bool = True,
    pauses: tuple[Pause, ...] = (),
) -> dict[str, Any]:
    """`Provenance.counted(...).as_dict()`, built straight into the dict: a catch-up
    projects two deadlines per escalation, and building the frozen dataclass twice to dump
    it at once was half of projecting one. The same fields and defaults, the keys in the
    order of `_CORE` and then the optional ones (a test holds the two equal, order included).
    """
    out: dict[str, Any] = {
        "rule": rule,
        "title": title,
        "after": after,
        "unit": unit,
        "counted_from": counted_from,
        "anchor": anchor,
        "calendar": calendar,
        "calendar_hash": calendar_hash,
        "due_on": due_on,
        "provisional": provisional,
        "provisional_reason": provisional_reason,
        "priority": priority,
        "condition": condition,
    }
    if due_time is not None:
        out["due_time"] = due_time
    if not pausable:
        out["pausable"] = pausable
    if pauses:
        out["pauses"] = [p.as_dict() for p in pauses]
    return out


__all__ = ["Pause", "Provenance", "Scope", "counted_dict", "state_scope"]
