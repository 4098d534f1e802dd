"""Removal from roll beyond reg 9(1)(h) and (i): ground (g), the route each ground takes, the
removal of a child who moved to another authority that never confirmed, and the CTF's date.

School Attendance (Pupil Registration) (England) Regulations 2024 (SI 2024/208), reg 9(1):
(f) home education, (g) no longer lives within reasonable distance, (h) leave, (i) absence.
Each guard returns None when its rule holds, else the reason with the words it rests on.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from engine.chain import IMPORTED_TRIGGER
from engine.clock import local_date
from engine.ports import EventRecord, GuardContext
from workflows.regulations import ground
from workflows.rules import RULES

REMOVAL_TRIGGERS = ("remove_from_roll", "remove_from_roll_moved_away", "record_home_education")
"""The steps that delete the pupil's name from the school's admission register."""
ROUTE_GROUNDS = {
    "remove_from_roll": ("i", "h", "g"),
    "remove_from_roll_moved_away": ("g",),
}
"""The grounds each removal step may cite; (f) is `record_home_education`'s alone."""
LA_CHASES = ("chase_other_la", "escalate_la_to_manager")
"""The other-LA ladder's steps (the chase to the CMEO, then to the service manager)."""
BEYOND_REACH = ("address_outside_authority", "moved_abroad")

# The policy's and the regulation's words, quoted in refusals.
G_WORDS = (
    "reg 9(1)(g): the pupil has ceased to attend the school and no longer lives within a "
    "reasonable distance of it (boarders excepted)"
)
CTF_WORDS = (
    "Luton CME policy 2020: 'A CTF must be sent within 15 school days of the pupil ceasing "
    "to be registered at the old school'"
)


def latest_removal(history: Sequence[EventRecord]) -> EventRecord | None:
    """The latest step that removed the pupil from roll, if any."""
    found: EventRecord | None = None
    for event in history:
        if event.trigger in REMOVAL_TRIGGERS:
            found = event
    return found


def removal_clause(event: EventRecord) -> str:
    """The clause the removal cited (reg 9(1)(f) for the home-education hand-over)."""
    code = "f" if event.trigger == "record_home_education" else event.evidence["removal_ground"]
    return ground(str(code), local_date(event.at)).clause


@RULES.guard("removal_ground_fits_route")
def removal_ground_fits_route(context: GuardContext) -> str | None:
    """A name is deleted once, on a ground the step may cite."""
    removed = latest_removal(context.history())
    if removed is not None:
        return (
            f"the pupil was already removed from roll on {local_date(removed.at).isoformat()} "
            f"under {removal_clause(removed)}: a name is deleted from the admission register "
            "once (2024 regulations, reg 9)"
            + (
                " - hand the case to the EHE team with 'hand_to_ehe_after_removal'"
                if context.trigger == "record_home_education"
                else ""
            )
        )
    chosen = context.evidence.get("removal_ground")
    allowed = ROUTE_GROUNDS.get(context.trigger)
    if chosen is None or allowed is None or chosen in allowed:
        return None
    if chosen == "f":
        return (
            "reg 9(1)(f): the parent told the school in writing that the child will be home "
            "educated - record it with 'record_home_education', which removes the pupil under "
            "(f) and hands the child to the EHE team"
        )
    return (
        f"the child moved to another authority, so the ground is {G_WORDS}; "
        f"reg 9(1)({chosen}) is not cited on this route"
    )


@RULES.guard("ground_g_met")
def ground_g_met(context: GuardContext) -> str | None:
    """reg 9(1)(g): stopped attending, and lives beyond reasonable distance (address known)."""
    if context.evidence.get("removal_ground") != "g":
        return None
    facts = context.case.facts
    problems: list[str] = []
    if not (facts.get("first_absence_date") or facts.get("leave_end_date")):
        problems.append("the first day of absence (or the end of leave) is not recorded")
    housing = facts.get("housing_result")
    if housing == "address_elsewhere_in_authority":
        problems.append(
            "the housing check found the family at another address in this authority - "
            "Luton CME policy 2020: 'If the new address of a family is known, in another area "
            "of the authority, the child must not be removed from roll'"
        )
    elif housing not in BEYOND_REACH and not facts.get("other_la"):
        problems.append(
            "nothing recorded shows the child lives beyond reasonable distance: the housing "
            f"check found {housing or 'nothing yet'}, and no other authority has been told - "
            "cite (g) on a housing check that found an address outside the authority or a "
            "move abroad, or after notifying the other authority"
        )
    if housing != "moved_abroad" and not context.evidence.get("future_address"):
        problems.append(
            "the future address is not given: under (g) the new address must be known to show "
            "it is beyond reasonable distance, and reg 13(4) puts it on the deletion return "
            "(give 'future_address')"
        )
    if not problems:
        return None
    return f"{G_WORDS}; " + "; ".join(problems)


@RULES.guard("other_la_never_confirmed")
def other_la_never_confirmed(context: GuardContext) -> str | None:
    """Removal of a child tracked in another authority waits until that LA missed its deadline
    and was chased (PROCESS.md: another LA confirms within 20 school days, else chased)."""
    history = context.history()
    entered: EventRecord | None = None
    chases = 0
    for event in history:
        if event.to_state == "other_la_tracking" and event.from_state != "other_la_tracking":
            entered, chases = event, 0
        elif entered is not None and event.trigger in LA_CHASES:
            chases += 1
    if entered is None or chases:
        return None
    other = context.case.facts.get("other_la", "?")
    return (
        f"the other authority (LA {other}) was told on {local_date(entered.at).isoformat()} "
        "and has not yet missed its deadline to confirm the child is in education there "
        "(deadline 'la_confirmation', 20 school days by default): remove from roll on this "
        "route only once it has missed it and been chased"
    )


def imported_removal(history: Sequence[EventRecord]) -> tuple[EventRecord, date | None] | None:
    """The `imported` event when no removal step follows it, with the removal date the
    register gave (None when it gave none)."""
    found: tuple[EventRecord, date | None] | None = None
    for event in history:
        if event.trigger == IMPORTED_TRIGGER:
            raw = event.evidence.get("removed_on")
            found = (event, date.fromisoformat(str(raw)) if raw else None)
        elif event.trigger in REMOVAL_TRIGGERS:
            found = None
    return found


@RULES.guard("ctf_not_before_removal")
def ctf_not_before_removal(context: GuardContext) -> str | None:
    """The CTF follows the removal from roll: an upload dated before it is refused. A case
    brought in from a register counts from the removal date the register gave."""
    uploaded = context.evidence.get("uploaded_on")
    if uploaded is None:
        return None
    history = context.history()
    removed = latest_removal(history)
    imported = imported_removal(history)
    given = context.evidence.get("removed_on")
    if imported is not None:
        event, removed_on = imported
        if removed_on is None and given is None:
            return (
                "this case was brought in from a register "
                f"({local_date(event.at).isoformat()}) that did not give the date the pupil "
                f"was removed from roll, so the upload cannot be checked against it: "
                f"{CTF_WORDS} - give 'removed_on', the day the school removed the pupil from "
                "roll (from its deletion return)"
            )
        if removed_on is not None and given is not None and str(given) != str(removed_on):
            return (
                f"the register gave the removal from roll as {removed_on.isoformat()}: "
                f"'removed_on' {given} does not agree - leave it out"
            )
        removed_on = removed_on or date.fromisoformat(str(given))
        clause = _imported_clause(context, removed_on)
    elif given is not None:
        return (
            "'removed_on' is only for a case brought in from a register without the removal "
            "date: "
            + (
                f"this case records its removal on {local_date(removed.at).isoformat()}"
                if removed is not None
                else "this case records no removal from roll"
            )
            + " - leave it out"
        )
    elif removed is None:
        return f"no removal from roll is recorded on this case: {CTF_WORDS}"
    else:
        removed_on, clause = local_date(removed.at), removal_clause(removed)
    if date.fromisoformat(str(uploaded)) >= removed_on:
        return None
    return (
        f"the CTF upload date {uploaded} is before the pupil was removed from roll on "
        f"{removed_on.isoformat()} ({clause}): {CTF_WORDS} - record the "
        "day the file was actually uploaded"
    )


def _imported_clause(context: GuardContext, removed_on: date) -> str:
    code = context.case.facts.get("removal_ground")
    if not code:
        return "as the register records it"
    try:
        return f"{ground(str(code), removed_on).clause}, as the register records it"
    except LookupError:  # KeyError too: a ground the regulations in force then do not have
        return f"ground {code!r}, as the register records it"
