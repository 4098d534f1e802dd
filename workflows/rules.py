"""The rules the CME charts name, registered with the engine by name.

A guard returns None when its rule holds, or the reason it blocks in a caseworker's words, with
the numbers and the clause it rests on. Guards judged for `cme case actions` get no evidence
yet: a guard that needs evidence to decide returns None then and judges the evidence later.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import date, datetime, timedelta
from typing import Any

from engine.clock import LOCAL_ZONE, local_date
from engine.evidence import parse_utc
from engine.ports import DueDate, EventRecord, GuardContext, Priority, WorkingCalendar
from engine.rules import Intake, Rules
from workflows import triage
from workflows.intake import read_referral
from workflows.regulations import absence_ground, leave_ground
from workflows.school_age import with_school_age_end

RULES = Rules()

VISIT_TRIGGERS = ("record_first_visit", "record_second_visit", "record_third_visit")
LUTON_LA = "821"
# LAW.md: lost-pupil CTF file `LLLEEEE_CTF_XXXXXXX_NNN.xml`; moved abroad uses MMMMMMM. The
# source is a school's LAESTAB, or the LA number and `LLLL` (e.g. `821LLLL`) when the authority
# sends it: the establishment `LLLL` marks an LA as sender (CME_LA_ESTAB; cme's own exports).
CTF_FILE = re.compile(r"^\d{3}(\d{4}|LLLL)_CTF_(XXXXXXX|MMMMMMM)_\d{3}\.xml$")
CTF_EXPORTED = "ctf_exported"
LOST_PUPIL_DESTINATIONS = ("XXXXXXX", "MMMMMMM")


def exported_lost_pupil_ctf(
    history: Sequence[EventRecord],
    name: str,
    destinations: Sequence[str] = LOST_PUPIL_DESTINATIONS,
) -> bool:
    """cme wrote a CTF of this name for this case, to the lost-pupil area (or abroad)."""
    return any(
        e.trigger == CTF_EXPORTED
        and e.evidence.get("file_name") == name
        and e.evidence.get("destination") in destinations
        for e in history
    )


def _flags(context: GuardContext) -> set[str]:
    return set(context.case.facts.get("risk_flags") or ())


def period_of_day(moment: datetime) -> str:
    """morning before 12:00, afternoon 12:00-16:59, evening from 17:00 (local time)."""
    hour = moment.astimezone(LOCAL_ZONE).hour
    if hour < 12:
        return "morning"
    return "afternoon" if hour < 17 else "evening"


def _visits_this_round(history: Sequence[EventRecord]) -> list[datetime]:
    """Visit times since the case last entered enquiries (a MASH return starts a new round)."""
    visits: list[datetime] = []
    for event in history:
        if event.to_state == "enquiries" and event.from_state != "enquiries":
            visits = []
        if event.trigger in VISIT_TRIGGERS:
            visits.append(parse_utc(event.evidence["visited_at"]))
    return visits


def _local(moment: datetime) -> str:
    return moment.astimezone(LOCAL_ZONE).strftime("%a %d %b %Y %H:%M")


# --- enquiries and home visits (Luton CME policy 2020, chart 2 steps 2-3) -------------------
@RULES.guard("enquiries_evidenced")
def enquiries_evidenced(context: GuardContext) -> str | None:
    """Reasonable enquiries come first, each evidenced, before any home visit."""
    if any(e.trigger == "record_enquiry" for e in context.history()):
        return None
    return (
        "no enquiry is recorded yet: record at least one reasonable enquiry (friends, "
        "family, school staff, agencies, phone, letter) before the first home visit"
    )


@RULES.guard("no_contact_at_visit")
def no_contact_at_visit(context: GuardContext) -> str | None:
    """A visit with contact means the child is located: that is not a 'no contact' visit."""
    if context.evidence.get("outcome") == "contact":
        return (
            "contact was made at this visit, so the child is located: record it with "
            "'locate_child' instead"
        )
    return None


@RULES.guard("later_than_previous_visit")
def later_than_previous_visit(context: GuardContext) -> str | None:
    """Each visit is later than the one before."""
    if "visited_at" not in context.evidence:
        return None
    visits = _visits_this_round(context.history())
    this = parse_utc(context.evidence["visited_at"])
    if visits and this <= visits[-1]:
        return (
            f"this visit ({_local(this)}) is not later than the previous one "
            f"({_local(visits[-1])})"
        )
    return None


@RULES.guard("different_time_of_day")
def different_time_of_day(context: GuardContext) -> str | None:
    """Three visits at different times of day: morning, afternoon and evening."""
    if "visited_at" not in context.evidence:
        return None
    this = period_of_day(parse_utc(context.evidence["visited_at"]))
    earlier = {period_of_day(v): v for v in _visits_this_round(context.history())}
    if this in earlier:
        free = [p for p in ("morning", "afternoon", "evening") if p not in earlier]
        return (
            f"a visit was already made in the {this} ({_local(earlier[this])}); visits "
            f"must be at different times of day - still needed: {' or '.join(free)} "
            "(morning before 12:00, afternoon 12:00-16:59, evening from 17:00)"
        )
    return None


# --- removal from roll (chart 2 step 5; 2024 regulations reg 9(1)(h),(i)) ------------------
def _counted(calendar: WorkingCalendar, start: date, days: int) -> tuple[DueDate, DueDate]:
    """Day N counted from `start`, and the next school day: the first day removal is allowed,
    provisional when any day counted on the way to it had no term dates (day N's count as
    well as the last step's)."""
    last = calendar.add_school_days(start, days)
    allowed = calendar.add_school_days(last.day, 1)
    if last.provisional and not allowed.provisional:
        allowed = DueDate(allowed.day, True, last.reason)
    return last, allowed


def _absence_count(calendar: WorkingCalendar, first: date) -> tuple[DueDate, DueDate]:
    """Reg 9(1)(i): day 20 of continuous unauthorised absence and the day after it. The first
    day of absence is day 1, so the count starts the day before it."""
    return _counted(calendar, first - timedelta(days=1), 20)


def _leave_count(calendar: WorkingCalendar, ended: date) -> tuple[DueDate, DueDate]:
    """Reg 9(1)(h): the 10th school day after agreed leave ended and the day after it."""
    return _counted(calendar, ended, 10)


def _note(allowed: DueDate) -> str:
    return f" (provisional: {allowed.reason})" if allowed.provisional else ""


def removal_allowed_from(facts: Mapping[str, Any], calendar: WorkingCalendar) -> DueDate | None:
    """The first day the case's child may be removed from roll under reg 9(1)(i) (20 school
    days from the first day of absence) or (h) (10 after agreed leave ended), the earlier of
    the two when both dates are recorded, counted as `removal_ground_met` counts them (the
    same two counts); None when neither date is recorded. Provisional when it rests on days
    with no term dates."""
    found: list[DueDate] = []
    if facts.get("first_absence_date"):
        found.append(_absence_count(calendar, date.fromisoformat(facts["first_absence_date"]))[1])
    if facts.get("leave_end_date"):
        found.append(_leave_count(calendar, date.fromisoformat(facts["leave_end_date"]))[1])
    return min(found, key=lambda due: due.day) if found else None


def _ground_i(context: GuardContext, today: date) -> str | None:
    clause = absence_ground(today).clause
    first = context.case.facts.get("first_absence_date")
    if not first:
        return f"{clause}: the first day of absence is not recorded"
    start = date.fromisoformat(first)
    day20, allowed = _absence_count(context.calendar, start)
    if today >= allowed.day:
        return None
    done = context.calendar.count_school_days(start - timedelta(days=1), today - timedelta(days=1))
    return (
        f"{clause}: 20 school days of continuous unauthorised absence are needed; "
        f"{done} so far since the first day of absence ({start.isoformat()}); day 20 is "
        f"{day20.day.isoformat()}, removal allowed from {allowed.day.isoformat()}{_note(allowed)}"
    )


def _ground_h(context: GuardContext, today: date) -> str | None:
    clause = leave_ground(today).clause
    ended = context.case.facts.get("leave_end_date")
    if not ended:
        return f"{clause}: the date agreed leave ended is not recorded"
    end = date.fromisoformat(ended)
    day10, allowed = _leave_count(context.calendar, end)
    if today >= allowed.day:
        return None
    return (
        f"{clause}: 10 school days must pass after agreed leave ended "
        f"({end.isoformat()}); day 10 is {day10.day.isoformat()}, removal allowed from "
        f"{allowed.day.isoformat()}{_note(allowed)}"
    )


@RULES.guard("removal_ground_met")
def removal_ground_met(context: GuardContext) -> str | None:
    """The deletion ground is met today: no deletion may be back-dated (2024 regulations)."""
    today = local_date(context.now)
    chosen = context.evidence.get("removal_ground")
    if chosen in ("g", "f"):
        return None  # judged by ground_g_met (workflows.removal_grounds) / the EHE hand-over
    if chosen == "i":
        return _ground_i(context, today)
    if chosen == "h":
        return _ground_h(context, today)
    reasons = [_ground_i(context, today)]
    if context.case.facts.get("leave_end_date"):
        reasons.append(_ground_h(context, today))
    if any(r is None for r in reasons):
        return None
    return "; or ".join(r for r in reasons if r)


@RULES.guard("not_looked_after")
def not_looked_after(context: GuardContext) -> str | None:
    """A looked-after child must not be removed from roll (Luton CME policy 2020)."""
    if "looked_after" in _flags(context):
        return (
            "the child is looked after: a looked-after child must not be removed from "
            "roll - involve the Virtual School and the child's social worker"
        )
    return None


@RULES.guard("no_ehc_plan")
def no_ehc_plan(context: GuardContext) -> str | None:
    """A child with an EHC plan must not be removed from roll (Luton CME policy 2020)."""
    if "ehc_plan" in _flags(context):
        return (
            "the child has an EHC plan: the child must not be removed from roll - "
            "consult the SEN team, who maintain the plan"
        )
    return None


def open_concern(history: Sequence[EventRecord]) -> EventRecord | None:
    """The latest escalation to MASH not yet answered by MASH, if any."""
    latest: EventRecord | None = None
    for event in history:
        if event.to_state == "escalated_to_mash" and event.from_state != "escalated_to_mash":
            latest = event
        elif event.trigger == "return_from_mash":
            latest = None
    return latest


@RULES.guard("no_child_protection_concern")
def no_child_protection_concern(context: GuardContext) -> str | None:
    """No removal while there are child-protection concerns (Luton CME policy 2020)."""
    cp = _flags(context) & {"child_protection_concern", "child_protection_plan"}
    if cp:
        return (
            f"child-protection concerns are recorded ({', '.join(sorted(cp))}): the child "
            "must not be removed from roll while they stand"
        )
    concern = open_concern(context.history())
    if concern is not None:
        return (
            f"a child-protection concern sent to MASH on "
            f"{local_date(concern.at).isoformat()} has not been answered by MASH"
        )
    return None


@RULES.guard("not_known_elsewhere_in_authority")
def not_known_elsewhere_in_authority(context: GuardContext) -> str | None:
    """No removal while the family is known to live elsewhere in the same authority."""
    if context.case.facts.get("housing_result") == "address_elsewhere_in_authority":
        return (
            "the family is known to live at another address in this authority: the child "
            "is not missing - follow up at the new address instead of removing from roll"
        )
    return None


@RULES.guard("lost_pupil_ctf_file_name")
def lost_pupil_ctf_file_name(context: GuardContext) -> str | None:
    """A lost-pupil CTF goes to destination XXXXXXX (abroad: MMMMMMM), LAW.md."""
    name = context.evidence.get("file_name")
    if name is None or CTF_FILE.match(name):
        return None
    if exported_lost_pupil_ctf(context.history(), name):
        return None
    return (
        "the file name must be a lost-pupil CTF: LLLEEEE_CTF_XXXXXXX_NNN.xml (source a "
        "school's LAESTAB, or the authority's LA number and LLLL as cme writes it, e.g. "
        "821LLLL; destination XXXXXXX, or MMMMMMM if the child moved abroad; 3-digit "
        "sequence), or the name of a lost-pupil CTF exported for this case, got "
        f"{name!r}"
    )


@RULES.guard("valid_la_number")
def valid_la_number(context: GuardContext) -> str | None:
    """Another authority is named by its 3-digit LA number, and is not Luton (821)."""
    other = context.evidence.get("other_la")
    if other is None:
        return None
    if not re.fullmatch(r"\d{3}", other):
        return f"the LA number must be 3 digits, got {other!r}"
    if other == LUTON_LA:
        return "821 is Luton itself: a move within the authority is not a transfer"
    return None


@RULES.guard("no_open_child_protection_escalation")
def no_open_child_protection_escalation(context: GuardContext) -> str | None:
    """A case waiting on MASH's acknowledgement cannot be closed."""
    if context.case.state == "escalated_to_mash":
        return "MASH has not acknowledged the escalation yet: it cannot be closed before"
    return None


@RULES.guard("is_high_priority")
def is_high_priority(context: GuardContext) -> str | None:
    """Used by the automatic escalation timer: only high-risk cases escalate."""
    return None if context.case.priority == "high" else "the case is not high risk"


_NOT_AT_ONCE = (
    "no child protection plan, allocated social worker, looked-after status or concern is"
)


@RULES.guard("needs_immediate_mash_referral")
def needs_immediate_mash_referral(context: GuardContext) -> str | None:
    """DfE CME guidance (Aug 2024): refer at once on a CP plan, social worker (a looked-after
    child always has one) or concern: "refer immediately to MASH ... do not wait for the 10 or
    20 day clocks" (LAW.md; `triage.IMMEDIATE_MASH_FLAGS`).

    Judged on the step just taken: the opening, or a risk update that newly records such a
    flag. A flag MASH has already seen does not send the case back to MASH on its return.
    """
    if not triage.needs_immediate_mash_referral(_flags(context)):
        return f"{_NOT_AT_ONCE} recorded"
    history = context.history()
    if not history:
        return f"{_NOT_AT_ONCE} recorded"
    last = history[-1]
    if last.trigger == "open_case":
        before: set[str] = set()
    elif last.trigger == "update_risk":
        before = set(_flags_before(history[:-1]))
    else:
        return "the last step recorded no new child-protection risk"
    added = _flags(context) - before
    if triage.needs_immediate_mash_referral(added):
        return None
    return f"{_NOT_AT_ONCE} newly recorded"


def _flags_before(history: Sequence[EventRecord]) -> list[str]:
    """The risk flags as they stood after `history`."""
    flags: list[str] = []
    for event in history:
        if event.trigger == "open_case":
            flags = list(event.evidence.get("facts", {}).get("risk_flags") or [])
        elif event.trigger == "update_risk":
            flags = list(event.evidence.get("risk_flags") or [])
    return flags


@RULES.guard("referrer_confirms_cme")
def referrer_confirms_cme(context: GuardContext) -> str | None:
    """Chart 1 step 3: the referrer confirms whether the case enters CME casework."""
    if context.evidence.get("enters_cme") is False:
        return "the referrer says this is not a CME case: close it with 'close_not_cme'"
    return None


@RULES.guard("education_suitable")
def education_suitable(context: GuardContext) -> str | None:
    """Closing as home educated needs the EHE officer to find the education suitable."""
    if context.evidence.get("ehe_assessment") == "unsuitable":
        return "the education was found unsuitable: use 'return_from_ehe' instead"
    return None


@RULES.guard("education_unsuitable")
def education_unsuitable(context: GuardContext) -> str | None:
    """Returning a case from EHE needs the education to have been found unsuitable."""
    if context.evidence.get("ehe_assessment") == "suitable":
        return "the education was found suitable: close it with 'record_ehe_assessment'"
    return None


# --- intake and priority --------------------------------------------------------------------
@RULES.intake("school_referral")
def school_referral(referral: Mapping[str, Any], now: datetime) -> Intake:
    """Chart 2: a school's referral needs the school and the first day of absence."""
    return with_school_age_end(read_referral(referral, now, school_route=True))


@RULES.intake("out_of_school_referral")
def out_of_school_referral(referral: Mapping[str, Any], now: datetime) -> Intake:
    """Chart 1: another authority's or an agency's referral of a child on no roll."""
    return with_school_age_end(read_referral(referral, now, school_route=False))


@RULES.priority("risk_triage")
def risk_triage(facts: Mapping[str, Any]) -> Priority:
    """High when any PROCESS.md high-risk flag is recorded."""
    return triage.priority(facts.get("risk_flags") or ())
