"""What the case page's template reads, built from the service's `CasePage` (pure: no
request, no database): the summary, the chart, the deadlines as a timeline, the evidence
recorded, the messages and their delivery, and the steps possible now as forms (or the rules
that block them, in plain words).

`CASE_PAGE_EXTRAS` is the slot other parts of the web application fill (notes, corrections,
assignment): each function adds its own keys to the page's context, and the template includes
`case/notes.html`, `case/corrections.html` and `case/assignment.html` when they exist.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from cme.web.diagram import states_in_words, svg
from cme.web.forms import Form, build_form
from cme.web.wording import BlockingRule, blocking_rule, moment_words, timeline

if TYPE_CHECKING:
    from cme.bootstrap import App
    from cme.services.case_page import CasePage
    from cme.services.principal import Principal
    from engine.definition import WorkflowDefinition
    from engine.ports import EventRecord

CASE_PAGE_EXTRAS: list[Callable[[App, Principal, int], Mapping[str, Any]]] = []
"""Functions (app, principal, case id) -> extra context for the case page (casework's notes,
corrections and assignment register here)."""

HIDDEN_EVIDENCE = ("referral", "facts")
"""Evidence keys too large for the list (the opening's whole referral): shown in the summary."""


@dataclass(frozen=True, slots=True)
class Step:
    """A step possible now: its form if nothing blocks it, else the rules that do."""

    trigger: str
    title: str
    to_title: str
    form: Form | None
    blocked: tuple[BlockingRule, ...]


@dataclass(frozen=True, slots=True)
class Recorded:
    """One event's evidence as the page lists it."""

    seq: int
    title: str
    when: str
    actor: str
    items: tuple[tuple[str, str], ...]


def steps(
    page: CasePage, filled: Mapping[str, Form] | None = None
) -> tuple[list[Step], list[Step]]:
    """(steps the principal may take, steps only other roles may take); a form in `filled`
    (one that came back refused) replaces the empty one."""
    mine: list[Step] = []
    others: list[Step] = []
    states = page.definition.states
    for action in page.actions:
        rules = [r for r in action.blocked_by if not r.startswith("role: ")]
        role_blocked = len(rules) != len(action.blocked_by)
        trigger = page.definition.triggers[action.trigger]
        form = None
        if not rules and not role_blocked:
            form = (filled or {}).get(action.trigger) or build_form(trigger)
        to_title = states[action.to].title if action.to in states else action.to
        step = Step(
            action.trigger, action.title, to_title, form, tuple(blocking_rule(r) for r in rules)
        )
        (others if role_blocked else mine).append(step)
    return mine, others


def evidence_items(
    definition: WorkflowDefinition, events: Iterable[EventRecord], newest_first: bool = True
) -> list[Recorded]:
    """Each event that recorded evidence, its fields by their titles (choices by their
    labels, dates in words)."""
    from cme.web.wording import choice_label, dates_in_words

    fields = definition.fields
    out = []
    for e in events:
        shown = [(k, v) for k, v in e.evidence.items() if k not in HIDDEN_EVIDENCE]
        if not shown:
            continue
        items = []
        for k, v in shown:
            spec = fields.get(k)
            label = spec.title if spec else k.replace("_", " ").capitalize()
            if isinstance(v, list):
                text = ", ".join(choice_label(k, str(x)) for x in v) or "None"
            elif isinstance(v, bool):
                text = "Yes" if v else "No"
            elif spec is not None and spec.choices:
                text = choice_label(k, str(v))
            elif spec is not None and spec.type == "datetime":
                from engine.evidence import parse_utc

                text = moment_words(parse_utc(str(v)))
            else:
                text = dates_in_words(str(v))
            items.append((label, text))
        trigger = definition.triggers.get(e.trigger)
        title = trigger.title if trigger else e.trigger.replace("_", " ").capitalize()
        out.append(Recorded(e.seq, title, moment_words(e.at), e.actor, tuple(items)))
    return list(reversed(out)) if newest_first else out


def _day(text: str | None) -> str | None:
    """An ISO date as `1 May 2014` (None if none; the text as stored if unreadable)."""
    from datetime import date

    if not text:
        return None
    try:
        day = date.fromisoformat(text)
    except ValueError:
        return text
    return f"{day.day} {day:%B %Y}"


FACT_LABELS = {
    "first_absence_date": "First day of absence",
    "leave_end_date": "Agreed leave ended",
    "reason": "Reason given by the referrer",
    "risk_flags": "Risk flags",
    "compulsory_school_age_ends": "Compulsory school age ends",
    "referrer": "Referrer",
    "school": "School",
}


def facts_rows(facts: Mapping[str, Any]) -> list[tuple[str, str]]:
    """The case's facts (the referral, as corrected and added to) as summary-list rows."""
    from cme.web.wording import choice_label, dates_in_words, humanise

    rows = []
    for key, value in facts.items():
        label = FACT_LABELS.get(key) or humanise(key)
        if isinstance(value, Mapping):
            first = [k for k in ("name", "organisation", "id") if k in value]
            keys = first + [k for k in value if k not in first]
            text = ", ".join(str(value[k]) for k in keys if value[k] not in (None, ""))
        elif isinstance(value, list):
            text = ", ".join(choice_label(key, str(v)) for v in value) or "None"
        elif isinstance(value, bool):
            text = "Yes" if value else "No"
        else:
            text = dates_in_words(choice_label(key, str(value)) if key in HUMANE else str(value))
        rows.append((label, text))
    return rows


HUMANE = ("housing_result", "removal_ground", "search_result")
"""Facts whose values are choices: shown by their labels."""


def context(
    page: CasePage,
    now: datetime,
    filled: Mapping[str, Form] | None = None,
    problem: str | None = None,
) -> dict[str, Any]:
    """The case page's context (the template `case/page.html` reads these keys)."""
    case = page.view.case
    mine, others = steps(page, filled)
    return {
        "page": page,
        "case": case,
        "view": page.view,
        "child": page.view.child,
        "facts": facts_rows(case.facts),
        "chart_svg": svg(page.definition, case.state, f"chart-{case.id}"),
        "chart_states": states_in_words(page.definition, case.state),
        "deadlines": timeline(page.timers, now),
        "recorded": evidence_items(page.definition, page.events),
        "messages": page.messages,
        "steps": mine,
        "other_steps": others,
        "problem": problem,
        "born": _day(page.view.child.date_of_birth if page.view.child else None),
        "opened": moment_words(case.opened_at),
        "updated": moment_words(case.updated_at),
    }
