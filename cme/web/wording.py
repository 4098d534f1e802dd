"""Words for people: choice values as plain labels, dates as "Mon 17 Nov 2026", the rules that
block a step, and a case's deadlines as a timeline (past, next, overdue, provisional).

Pure functions over the chart's data and the engine's records; the case page and its forms
read them (and so could a letter or a report).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from functools import lru_cache
from typing import TYPE_CHECKING, Literal

from engine.clock import LOCAL_ZONE

if TYPE_CHECKING:
    from engine.definition import FieldDef
    from engine.ports import TimerRecord

ISO_DAY = re.compile(r"\b(\d{4})-(\d{2})-(\d{2})\b(?!T\d)")
ALLOWED_FROM = re.compile(r"(\w+) allowed from (\d{4}-\d{2}-\d{2})")

CHOICE_LABELS: dict[str, str] = {
    # enquiries
    "friends_and_siblings": "Friends and siblings",
    "extended_family": "Extended family",
    "school_staff": "School staff",
    "other_agencies": "Other agencies (health, police, social care)",
    "telephone": "Telephone",
    "letter": "Letter",
    "other_schools": "Other schools",
    "other": "Other",
    "school": "The school",
    "la": "The local authority",
    # visits
    "no_contact": "No contact with the child or family",
    "contact": "Contact with the child or family (the child is located)",
    # housing
    "no_trace": "No trace",
    "address_elsewhere_in_authority": "An address elsewhere in this authority",
    "address_outside_authority": "An address outside this authority",
    "moved_abroad": "Moved abroad",
    # MASH
    "phone": "By phone",
    "secure_email": "By secure email",
    "in_person": "In person",
    "return_to_cme_casework": "Return to CME casework",
    "social_care_involved_continue_cme": "Social care involved - CME casework continues",
    # risk flags
    "child_protection_plan": "Child protection plan",
    "looked_after": "Looked after",
    "runaway": "Runaway",
    "offending": "Offending",
    "child_in_need": "Child in need",
    "domestic_abuse": "Domestic abuse",
    "specific_vulnerability": "A specific vulnerability",
    "parental_vulnerability": "Parental vulnerability",
    "ehc_plan": "Education, health and care (EHC) plan",
    "child_protection_concern": "Child protection concern",
    "allocated_social_worker": "Allocated social worker",
    # outcomes
    "located_and_returned": "Located and returned to education",
    "on_roll_elsewhere": "On roll at another school",
    "on_roll": "On roll at a school",
    "moved_to_other_la": "Moved to another authority",
    "home_educated": "Home educated",
    "not_cme": "Not a child missing education",
    "left_compulsory_school_age": "No longer of compulsory school age",
    # out-of-school search
    "no_record": "No record found",
    "known_to_ehe": "Known to the elective home education team",
    "previous_cme_case": "A previous CME case",
    # EHE
    "suitable": "Suitable",
    "unsuitable": "Unsuitable",
}
"""Choice value -> the label a caseworker reads (a value not here is shown humanised)."""

GUARD_FIELDS: dict[str, str] = {
    "enquiry_dated_in_period": "made_on",
    "no_contact_at_visit": "outcome",
    "visit_time_of_day_given": "visited_at",
    "visit_dated_in_period": "visited_at",
    "later_than_previous_visit": "visited_at",
    "different_time_of_day": "visited_at",
    "visit_on_a_new_day": "visited_at",
    "removal_ground_fits_route": "removal_ground",
    "removal_ground_met": "removal_ground",
    "ground_g_met": "removal_ground",
    "valid_la_number": "other_la",
    "lost_pupil_ctf_file_name": "file_name",
    "ehe_ctf_file_name": "file_name",
    "ctf_not_before_removal": "uploaded_on",
    "acknowledged_after_escalation": "acknowledged_at",
    "education_suitable": "ehe_assessment",
    "education_unsuitable": "ehe_assessment",
    "school_age_outcome": "case_outcome",
    "referrer_confirms_cme": "enters_cme",
}
"""A rule (guard) about one field's value -> that field: its refusal is shown on the field."""

RULE_TITLES: dict[str, str] = {
    "removal_ground_met": "The deletion ground is not met yet",
    "enquiries_evidenced": "An enquiry comes before the first visit",
    "enquiries_of_two_kinds": "Enquiries of two kinds are needed",
    "enquiries_by_school_and_la": "The school and the LA enquire jointly",
    "enquiries_over_four_weeks": "Enquiries run over at least four weeks",
    "not_looked_after": "A looked-after child is not removed from roll",
    "no_ehc_plan": "A child with an EHC plan is not removed from roll",
    "no_child_protection_concern": "A child-protection concern is open",
    "no_open_child_protection_escalation": "MASH has not answered the escalation",
    "school_days_on_term_dates": "The count of school days is provisional",
    "role": "Your role",
}
"""A rule's short title (a rule not here is shown by its name, humanised)."""


def choice_label(field: str, value: str) -> str:
    """The label of a choice (`removal_ground` letters cite the 2024 regulations)."""
    if field == "removal_ground":
        from workflows.regulations import REGULATIONS_2024

        ground = REGULATIONS_2024.grounds.get(value)
        if ground is not None:
            return f"{ground.clause}: {ground.summary}"
    return CHOICE_LABELS.get(value) or value.replace("_", " ").capitalize()


def field_hint(spec: FieldDef, kind: str) -> str:
    """The hint under a field's label, for its component."""
    if kind == "date":
        return "For example, 27 3 2026"
    if kind == "datetime":
        return (
            "The date, for example 27 3 2026, and the time of day, for example 14:30 "
            "(morning is before 12:00, afternoon 12:00 to 16:59, evening from 17:00)"
        )
    if kind == "checkboxes":
        return "Select all that apply; select none to clear the list"
    if spec.name == "file_name":
        return "For example, 8212345_CTF_XXXXXXX_001.xml"
    if spec.name == "other_la":
        return "3 digits, for example 873"
    return ""


@lru_cache(maxsize=4096)
def day_words(day: date) -> str:
    """`Mon 17 Nov 2026` (kept per day: a page writes the same days again and again)."""
    return day.strftime("%a %d %b %Y").replace(" 0", " ")


def moment_words(moment: datetime) -> str:
    """`Mon 17 Nov 2026 at 09:30` (local time)."""
    local = moment.astimezone(LOCAL_ZONE)
    return f"{day_words(local.date())} at {local:%H:%M}"


def dates_in_words(text: str) -> str:
    """`text` with each ISO date (2026-11-17) written as `Tue 17 Nov 2026`."""

    def word(m: re.Match[str]) -> str:
        try:
            return day_words(date(int(m[1]), int(m[2]), int(m[3])))
        except ValueError:
            return m[0]

    return ISO_DAY.sub(word, text)


def humanise(name: str) -> str:
    """`removal_ground_met` -> `Removal ground met`."""
    return name.replace("_", " ").strip().capitalize()


@dataclass(frozen=True, slots=True)
class BlockingRule:
    """A rule that blocks a step: its name, title, headline ("Removal is allowed from ...")
    and the whole reason with its dates in words."""

    rule: str
    title: str
    text: str
    headline: str | None = None


def blocking_rule(blocked: str) -> BlockingRule:
    """One of the engine's `blocked_by` entries (`guard: reason`) in plain words."""
    rule, _, reason = blocked.partition(": ")
    if not reason:
        rule, reason = "", blocked
    headline = None
    # the earliest: with two grounds ("...; or ..."), either one met allows the step
    found = min(ALLOWED_FROM.finditer(reason), key=lambda m: m[2], default=None)
    if found:
        headline = f"{found[1].capitalize()} is allowed from {dates_in_words(found[2])}"
    title = RULE_TITLES.get(rule) or (humanise(rule) if rule else "Rule")
    text = dates_in_words(reason)
    return BlockingRule(rule, title, text[:1].upper() + text[1:], headline)


# --- deadlines as a timeline ------------------------------------------------------------------
Standing = Literal["past", "next", "overdue", "later"]


@dataclass(frozen=True, slots=True)
class TimelineItem:
    """One deadline on the case page's timeline."""

    title: str
    due_at: datetime
    when: str
    standing: Standing
    provisional: bool
    provisional_reason: str
    status: str
    """`pending`, `fired`, `void`, `cancelled` (the timer row's status)."""
    detail: str

    @property
    def css(self) -> str:
        """The class that marks the item: grey past, bold next, red overdue."""
        return {
            "past": "cme-deadline--past",
            "next": "cme-deadline--next",
            "overdue": "cme-deadline--overdue",
            "later": "cme-deadline--later",
        }[self.standing]


def timeline(timers: Iterable[TimerRecord], now: datetime) -> list[TimelineItem]:
    """Every deadline of a case, soonest first: finished ones `past`, pending ones `overdue`
    when due before `now`, the first still to come `next`, the rest `later`."""
    from engine.provenance import Provenance

    items: list[TimelineItem] = []
    ordered = sorted(timers, key=lambda t: (t.due_at, t.id or 0))
    seen_next = False
    for t in ordered:
        p = Provenance.from_dict(t.provenance)
        title = p.title if "title" in p.present and p.title else humanise(t.name)
        if t.status != "pending":
            standing: Standing = "past"
        elif t.due_at <= now:
            standing = "overdue"
        elif not seen_next:
            standing, seen_next = "next", True
        else:
            standing = "later"
        counted = f"{p.after} {str(p.unit).replace('_', ' ')} from {p.counted_from}"
        if p.anchor:
            counted += f" ({dates_in_words(str(p.anchor))})"
        if p.condition:
            counted += f"; only if: {humanise(str(p.condition)).lower()}"
        if t.status != "pending":
            counted += f"; {t.status}" + (f": {t.reason}" if t.reason else "")
        items.append(
            TimelineItem(
                title=title,
                due_at=t.due_at,
                when=moment_words(t.due_at),
                standing=standing,
                provisional=bool(p.provisional),
                provisional_reason=str(p.provisional_reason or ""),
                status=t.status,
                detail=counted,
            )
        )
    return items
