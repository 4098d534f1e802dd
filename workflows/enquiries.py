"""Reasonable enquiries and home visits with substance (both charts; removal in chart 2).

The policy (Luton CME policy 2020, "CME - off rolling procedures for schools"): "Schools cannot
remove a pupil from roll until all reasonable enquiries have taken place over a period of no
less than four weeks", and "a minimum of 3 non contact visits made at different times of day to
be evidenced". The regulations (2024, reg 9(1)(h) and (i); the policy quotes the 2016 text):
"the proprietor of the school and the local authority have failed, after jointly making
reasonable enquiries, to ascertain where the pupil is".

So, as recorded:
* each enquiry and each visit is dated on or after the first day of absence (or the day agreed
  leave ended; for a referral with neither, the day the case was opened) and not in the future
  (evidence parsing refuses the future);
* a visit gives its time of day (a bare date would read as midnight, a morning), and the three
  visits are on three different days as well as at three different times of day;
* removal under (h) or (i) needs enquiries of at least two kinds (`enquiry_method`), made by
  both the school and the LA (`made_by`), the first and the last at least 28 days apart.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from engine.clock import LOCAL_ZONE, local_date
from engine.evidence import parse_utc
from engine.ports import CaseRecord, EventRecord, GuardContext
from workflows.regulations import absence_ground, leave_ground
from workflows.rules import RULES, VISIT_TRIGGERS

FOUR_WEEKS = timedelta(days=28)
ENQUIRY_GROUNDS = ("h", "i")
"""The deletion grounds that rest on reasonable enquiries jointly made (reg 9(1)(h), (i))."""
MADE_BY = {"school": "the school", "la": "the LA"}

POLICY_FOUR_WEEKS = (
    'Luton CME policy 2020: "Schools cannot remove a pupil from roll until all reasonable '
    'enquiries have taken place over a period of no less than four weeks"'
)
POLICY_VISITS = (
    'Luton CME policy 2020: "minimum of 3 non contact visits made at different times of day '
    'to be evidenced"'
)
POLICY_KINDS = (
    'Luton CME policy 2020: "reasonable efforts must be made in collaboration between the '
    "EWO/school to identify the child's current whereabouts/destination\" - friends, siblings "
    "and relatives, extended family, school staff, other agencies, telephone calls, letters"
)
REGULATION_JOINTLY = (
    '"the proprietor of the school and the local authority have failed, after jointly making '
    'reasonable enquiries, to ascertain where the pupil is"'
)


@dataclass(frozen=True, slots=True)
class Enquiry:
    """One recorded enquiry, as its event holds it."""

    made_on: date
    method: str
    made_by: str | None  # None for enquiries recorded before `made_by` was asked


def period_start(case: CaseRecord) -> tuple[date, str]:
    """The first day an enquiry or visit on this case may be dated, and what that day is."""
    facts = case.facts
    if facts.get("first_absence_date"):
        return date.fromisoformat(facts["first_absence_date"]), "the first day of absence"
    if facts.get("leave_end_date"):
        return date.fromisoformat(facts["leave_end_date"]), "the day agreed leave ended"
    return local_date(case.opened_at), "the day the referral was received"


def recorded_enquiries(history: Sequence[EventRecord]) -> list[Enquiry]:
    """Every enquiry recorded on the case, in the order recorded."""
    return [
        Enquiry(
            date.fromisoformat(e.evidence["made_on"]),
            str(e.evidence.get("enquiry_method", "other")),
            e.evidence.get("made_by"),
        )
        for e in history
        if e.trigger == "record_enquiry" and "made_on" in e.evidence
    ]


def visits_this_round(history: Sequence[EventRecord]) -> list[datetime]:
    """Visit times since the case last entered enquiries (a MASH return starts a new round)."""
    visits: list[datetime] = []
    for event in history:
        if event.to_state == "enquiries" and event.from_state != "enquiries":
            visits = []
        if event.trigger in VISIT_TRIGGERS and "visited_at" in event.evidence:
            visits.append(parse_utc(event.evidence["visited_at"]))
    return visits


def _day(moment: datetime) -> str:
    return moment.astimezone(LOCAL_ZONE).strftime("%a %d %b %Y")


# --- when an enquiry or a visit is recorded (both charts) -----------------------------------
@RULES.guard("enquiry_dated_in_period")
def enquiry_dated_in_period(context: GuardContext) -> str | None:
    """An enquiry is made on or after the first day of absence (or leave end, or referral)."""
    made_on = context.evidence.get("made_on")
    if made_on is None:
        return None
    start, what = period_start(context.case)
    if date.fromisoformat(made_on) >= start:
        return None
    return (
        f"made_on: the enquiry ({made_on}) is dated before {what} ({start.isoformat()}); "
        f"enquiries into where the child is count from that day ({POLICY_FOUR_WEEKS})"
    )


@RULES.guard("visit_dated_in_period")
def visit_dated_in_period(context: GuardContext) -> str | None:
    """A home visit is made on or after the first day of absence (or leave end, or referral)."""
    if "visited_at" not in context.evidence:
        return None
    visited = parse_utc(context.evidence["visited_at"])
    start, what = period_start(context.case)
    if local_date(visited) >= start:
        return None
    return (
        f"visited_at: the visit ({_day(visited)}) is dated before {what} "
        f"({start.isoformat()}); a home visit for this case is made after the child went "
        "missing"
    )


@RULES.guard("visit_time_of_day_given")
def visit_time_of_day_given(context: GuardContext) -> str | None:
    """A visit's time of day is evidence: a bare date (read as midnight) is refused."""
    if "visited_at" not in context.evidence:
        return None
    local = parse_utc(context.evidence["visited_at"]).astimezone(LOCAL_ZONE)
    if (local.hour, local.minute, local.second, local.microsecond) != (0, 0, 0, 0):
        return None
    return (
        "visited_at: give the time of day of the visit as well as the date (e.g. "
        f"{local.date().isoformat()}T09:30); visits must be at different times of day "
        f"({POLICY_VISITS}), and a date alone reads as midnight"
    )


@RULES.guard("visit_on_a_new_day")
def visit_on_a_new_day(context: GuardContext) -> str | None:
    """The three visits are on three different days, as well as at different times of day."""
    if "visited_at" not in context.evidence:
        return None
    this = parse_utc(context.evidence["visited_at"])
    for earlier in visits_this_round(context.history()):
        if local_date(earlier) == local_date(this):
            return (
                f"a visit was already made on {_day(earlier)} "
                f"({earlier.astimezone(LOCAL_ZONE):%H:%M}): the three visits must be on three "
                f"different days as well as at different times of day ({POLICY_VISITS})"
            )
    return None


# --- before removal from roll under reg 9(1)(h) or (i) (chart 2) ----------------------------
def _applies(context: GuardContext) -> bool:
    chosen = context.evidence.get("removal_ground")
    return chosen is None or chosen in ENQUIRY_GROUNDS


def _clause(context: GuardContext) -> str:
    today = local_date(context.now)
    if context.evidence.get("removal_ground") == "h" or (
        context.evidence.get("removal_ground") is None
        and not context.case.facts.get("first_absence_date")
        and context.case.facts.get("leave_end_date")
    ):
        return leave_ground(today).clause
    return absence_ground(today).clause


def _counted(context: GuardContext) -> list[Enquiry]:
    start, _ = period_start(context.case)
    today = local_date(context.now)
    return [e for e in recorded_enquiries(context.history()) if start <= e.made_on <= today]


def _listed(enquiries: Sequence[Enquiry]) -> str:
    return ", ".join(f"{e.method} ({e.made_on.isoformat()})" for e in enquiries) or "none"


@RULES.guard("enquiries_of_two_kinds")
def enquiries_of_two_kinds(context: GuardContext) -> str | None:
    """At least two enquiries of different kinds (enquiry_method) before removal."""
    if not _applies(context):
        return None
    enquiries = _counted(context)
    if len({e.method for e in enquiries}) >= 2:
        return None
    return (
        "reasonable enquiries of at least two different kinds are needed before removal from "
        f"roll; recorded so far: {_listed(enquiries)} ({POLICY_KINDS})"
    )


@RULES.guard("enquiries_by_school_and_la")
def enquiries_by_school_and_la(context: GuardContext) -> str | None:
    """Enquiries made jointly: at least one by the school and one by the LA (made_by)."""
    if not _applies(context):
        return None
    by = {e.made_by for e in _counted(context)}
    missing = [key for key in MADE_BY if key not in by]
    if not missing:
        return None
    return (
        f"{_clause(context)}: the school and the LA make reasonable enquiries jointly, and no "
        f"enquiry is recorded as made by {' or by '.join(MADE_BY[k] for k in missing)} yet "
        f"(made_by: {', '.join(missing)}); the policy quotes the regulations: "
        f"{REGULATION_JOINTLY}"
    )


@RULES.guard("enquiries_over_four_weeks")
def enquiries_over_four_weeks(context: GuardContext) -> str | None:
    """Reasonable enquiries spread over at least four weeks (28 days), first to last."""
    if not _applies(context):
        return None
    enquiries = _counted(context)
    if not enquiries:
        return f"no reasonable enquiry is recorded ({POLICY_FOUR_WEEKS})"
    first = min(e.made_on for e in enquiries)
    last = max(e.made_on for e in enquiries)
    if last - first >= FOUR_WEEKS:
        return None
    return (
        f"reasonable enquiries must span at least four weeks (28 days) from the first to the "
        f"last: the first was made on {first.isoformat()}, the last on {last.isoformat()} "
        f"({(last - first).days} days); record a further enquiry on or after "
        f"{(first + FOUR_WEEKS).isoformat()} ({POLICY_FOUR_WEEKS})"
    )
