"""Chart 2's elective home education hand-over (Luton CME policy 2020, "Elective home
education" and "Common transfer file (CTF) requirement"; 2024 regulations reg 9(1)(f)).

The parent tells the school in writing; the school removes the pupil under reg 9(1)(f), sends
the deletion return, and uploads the CTF to the lost-pupil area; the EHE team judges the
education, returns the case when it is unsuitable (a School Attendance Order may follow,
Education Act 1996 s437), or confirms it and the case closes.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from engine.ports import EventRecord, GuardContext
from workflows.removal_grounds import latest_removal
from workflows.rules import RULES, exported_lost_pupil_ctf

EHE_CTF_FILE = re.compile(r"^\d{3}(\d{4}|LLLL)_CTF_XXXXXXX_\d{3}\.xml$")
"""Source a school's LAESTAB or the authority's (`821LLLL`, as cme writes it)."""
EHE_CTF_WORDS = (
    "Luton CME policy 2020: 'Schools should upload CTF files to the 'lost pupil' section of "
    "the S2S secure website when a child has moved ... on to elective home education'"
)


def _this_episode(history: Sequence[EventRecord]) -> list[EventRecord]:
    """The events since the case last came into home education."""
    start = 0
    for i, event in enumerate(history):
        if event.to_state == "home_education" and event.from_state != "home_education":
            start = i
    return list(history[start:])


def _ctf_outstanding(history: Sequence[EventRecord]) -> bool:
    episode = _this_episode(history)
    if not episode or episode[0].trigger != "record_home_education":
        return False  # removed earlier (its CTF was recorded then), or not in home education
    return not any(e.trigger == "record_ehe_ctf_upload" for e in episode)


@RULES.guard("ehe_ctf_outstanding")
def ehe_ctf_outstanding(context: GuardContext) -> str | None:
    """The CTF reminder's condition: the pupil left under (f) and no upload is recorded."""
    if _ctf_outstanding(context.history()):
        return None
    return "the CTF for the pupil removed for home education is recorded (or was not needed)"


@RULES.guard("ehe_ctf_recorded")
def ehe_ctf_recorded(context: GuardContext) -> str | None:
    """The case closes as home educated only once the school's CTF upload is recorded."""
    if not _ctf_outstanding(context.history()):
        return None
    return (
        f"the CTF upload for the pupil removed for home education is not recorded: "
        f"{EHE_CTF_WORDS} - record it with 'record_ehe_ctf_upload' first"
    )


@RULES.guard("ehe_ctf_file_name")
def ehe_ctf_file_name(context: GuardContext) -> str | None:
    """A home-educated pupil's CTF goes to the lost-pupil area: destination XXXXXXX."""
    name = context.evidence.get("file_name")
    if name is None or EHE_CTF_FILE.match(name):
        return None
    if exported_lost_pupil_ctf(context.history(), name, ("XXXXXXX",)):
        return None
    return (
        f"{EHE_CTF_WORDS}; the file name must be LLLEEEE_CTF_XXXXXXX_NNN.xml (source a "
        "school's LAESTAB or the authority's, e.g. 821LLLL; destination XXXXXXX; 3-digit "
        f"sequence), or the name of a lost-pupil CTF exported for this case, got {name!r}"
    )


@RULES.guard("already_removed_from_roll")
def already_removed_from_roll(context: GuardContext) -> str | None:
    """The hand-over without a removal: the pupil left the roll earlier in the case."""
    if latest_removal(context.history()) is not None:
        return None
    return (
        "the pupil is still on the school's roll: record the parents' written notice with "
        "'record_home_education', which removes the pupil under reg 9(1)(f)"
    )
