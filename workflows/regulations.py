"""Grounds for deleting a pupil from the admission register, as data, by the date of the event.

Two sets are held (LAW.md, "The regulations moved in 2024"):

* ``2006-2016``: Education (Pupil Registration) (England) Regulations 2006 (SI 2006/1751) as
  amended in 2016 (SI 2016/792), reg 8(1)(a)-(n); in force 1 September 2006, revoked from
  19 August 2024.
* ``2024``: School Attendance (Pupil Registration) (England) Regulations 2024 (SI 2024/208),
  reg 9(1)(a)-(o); in force from 19 August 2024.

An old case replays under the set in force on the day its event happened; a new one cites the
2024 clauses. The summaries are paraphrases for caseworkers, not the statutory text.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from types import MappingProxyType


@dataclass(frozen=True)
class Ground:
    """One ground on which a pupil's name is deleted from the admission register.

    Attributes:
        code: The sub-paragraph letter, e.g. ``"i"``.
        clause: The clause to cite, e.g. ``"reg 9(1)(i)"``.
        summary: A paraphrase for caseworkers.
        cme_relevant: True when the child may be missing education after this deletion, so the
            LA has to find out where the child is (the CME grounds, and moves to an unknown place).
        cme_note: What the ground means for CME casework (LAW.md), or ``""`` when nothing.
    """

    code: str
    clause: str
    summary: str
    cme_relevant: bool
    cme_note: str = ""


@dataclass(frozen=True)
class RegulationSet:
    """A set of deletion grounds and the days it governs.

    Attributes:
        name: The key, ``"2006-2016"`` or ``"2024"``.
        title: The regulations' short title.
        citation: The statutory instrument(s).
        in_force_from: The first day the set governs.
        in_force_until: The last day the set governs (inclusive), or None while it is in force.
        grounds: The grounds by code (``"a"``, ``"b"``, ...), in statutory order.
        absence_code: The ground for continuous unauthorised absence (20 school days).
        leave_code: The ground for not returning from leave of absence (10 school days).
    """

    name: str
    title: str
    citation: str
    in_force_from: date
    in_force_until: date | None
    grounds: Mapping[str, Ground]
    absence_code: str
    leave_code: str

    def in_force_on(self, day: date) -> bool:
        """Return True when this set governs events on ``day``."""
        if day < self.in_force_from:
            return False
        return self.in_force_until is None or day <= self.in_force_until


def _grounds(reg: str, rows: list[tuple[str, str, bool, str]]) -> Mapping[str, Ground]:
    """Build a read-only mapping of grounds from ``(code, summary, cme_relevant, note)`` rows."""
    return MappingProxyType(
        {
            code: Ground(code, f"reg {reg}({code})", summary, relevant, note)
            for code, summary, relevant, note in rows
        }
    )


# Education (Pupil Registration) (England) Regulations 2006, reg 8(1), as amended (2013, 2016).
# Letters (a)-(f) checked against the made text on legislation.gov.uk; (g)-(n) against LA
# guidance quoting the amended text. Check against legislation.gov.uk before relying on them.
# fmt: off
_ROWS_2006_2016: list[tuple[str, str, bool, str]] = [  # (code, summary, cme_relevant, cme_note)
    ("a", "registered under a School Attendance Order, and the LA named another school "
          "in the order or revoked it because suitable education is arranged",
     False, "SAO / EHE"),
    ("b", "registered at another school (not dual registration)",
     False, "confirm the new school"),
    ("c", "dual-registered, stopped attending, and the other school consents", False, ""),
    ("d", "stopped attending, and the parent told the school in writing that the child "
          "is educated otherwise than at school", False, "EHE hand-over"),
    ("e", "stopped attending and no longer lives within reasonable distance of the "
          "school (boarders excepted)", True, "is the new address known?"),
    ("f", "did not return within 10 school days after leave of absence ended; no "
          "sickness or unavoidable cause; school and LA jointly made reasonable "
          "enquiries and failed to find the child", True, "CME"),
    ("g", "certified by the school medical officer as unlikely to be fit to attend "
          "before ceasing to be of compulsory school age, and not staying on",
     False, ""),
    ("h", "20 school days of continuous unauthorised absence; no sickness or "
          "unavoidable cause; school and LA jointly made reasonable enquiries and "
          "failed to find the child", True, "CME"),
    ("i", "detained under a court order of four months or more and not expected back",
     False, ""),
    ("j", "died", False, ""),
    ("k", "ceases to be of compulsory school age before the school next meets, and is "
          "leaving or does not meet the sixth-form entry requirements", False, ""),
    ("l", "ceased to be a pupil of a school other than a maintained school, academy, "
          "CTC or CCTA (e.g. an independent school)", True, "CME check"),
    ("m", "permanently excluded", False, "alternative provision"),
    ("n", "nursery pupil not moving into a reception or higher class", False, ""),
]
# fmt: on

REGULATIONS_2006_2016 = RegulationSet(
    name="2006-2016",
    title="Education (Pupil Registration) (England) Regulations 2006, as amended 2016",
    citation="SI 2006/1751, as amended by SI 2016/792",
    in_force_from=date(2006, 9, 1),
    in_force_until=date(2024, 8, 18),  # revoked by SI 2024/208 from 19 August 2024
    absence_code="h",
    leave_code="f",
    grounds=_grounds("8(1)", _ROWS_2006_2016),
)

# School Attendance (Pupil Registration) (England) Regulations 2024, reg 9(1) (LAW.md table).
# fmt: off
_ROWS_2024: list[tuple[str, str, bool, str]] = [  # (code, summary, cme_relevant, cme_note)
    ("a", "registered at another school (with exceptions for School Attendance Orders "
          "and dual registration)", False, "confirm the new school"),
    ("b", "nursery pupil not moving into reception", False, ""),
    ("c", "dual-registered, stopped attending, and the other schools consent", False, ""),
    ("d", "the LA amended a School Attendance Order to name another school", False, "SAO"),
    ("e", "the LA revoked a School Attendance Order because suitable education is "
          "arranged", False, "SAO / EHE"),
    ("f", "the parent told the school in writing that the child will be home educated",
     False, "EHE hand-over"),
    ("g", "no longer lives within reasonable distance of the school (boarders "
          "excepted)", True, "is the new address known?"),
    ("h", "did not return from leave of absence; 10 school days since it ended; no "
          "sickness or unavoidable cause; school and LA jointly made reasonable "
          "enquiries and failed to find the child", True, "CME"),
    ("i", "20 school days of continuous unauthorised absence; no sickness or "
          "unavoidable cause; school and LA jointly made reasonable enquiries and "
          "failed to find the child", True, "CME"),
    ("j", "in custody and not expected back", False, ""),
    ("k", "died", False, ""),
    ("l", "ceases to be of compulsory school age before the school next meets and is "
          "not staying on", False, ""),
    ("m", "boarder whose boarding fees are unpaid", False, ""),
    ("n", "left an independent or non-maintained special school", True, "CME check"),
    ("o", "permanently excluded, and the review has concluded", False,
     "alternative provision"),
]
# fmt: on

REGULATIONS_2024 = RegulationSet(
    name="2024",
    title="School Attendance (Pupil Registration) (England) Regulations 2024",
    citation="SI 2024/208",
    in_force_from=date(2024, 8, 19),
    in_force_until=None,
    absence_code="i",
    leave_code="h",
    grounds=_grounds("9(1)", _ROWS_2024),
)

REGULATION_SETS: tuple[RegulationSet, ...] = (REGULATIONS_2006_2016, REGULATIONS_2024)
REGULATIONS: Mapping[str, RegulationSet] = MappingProxyType(
    {regs.name: regs for regs in REGULATION_SETS}
)

# The codes a removal from roll may cite under the 2024 regulations, reg 9(1)(a)-(o).
REMOVAL_GROUND_CHOICES_2024: tuple[str, ...] = tuple(REGULATIONS_2024.grounds)


def regulations_on(day: date) -> RegulationSet:
    """Return the set of deletion grounds in force on the day an event happened.

    Args:
        day: The day of the event (e.g. the first day of absence, or the removal from roll).

    Returns:
        ``REGULATIONS_2006_2016`` up to 18 August 2024, ``REGULATIONS_2024`` from 19 August 2024.

    Raises:
        LookupError: ``day`` is before 1 September 2006; earlier regulations are not held.
    """
    for regs in REGULATION_SETS:
        if regs.in_force_on(day):
            return regs
    raise LookupError(
        f"no deletion grounds are held for {day.isoformat()}: the earliest set, "
        f"{REGULATIONS_2006_2016.title}, governs from "
        f"{REGULATIONS_2006_2016.in_force_from.isoformat()}"
    )


def ground(code: str, on: date) -> Ground:
    """Return the deletion ground with letter ``code`` in the set in force on ``on``.

    Args:
        code: The sub-paragraph letter, e.g. ``"i"``; ``"(i)"`` and ``"I"`` are accepted.
        on: The day of the event.

    Returns:
        The ground.

    Raises:
        KeyError: The set in force on ``on`` has no such ground; the message lists the valid codes.
        LookupError: ``on`` is before every set held (see ``regulations_on``).
    """
    regs = regulations_on(on)
    key = code.strip().strip("()").lower()
    try:
        return regs.grounds[key]
    except KeyError:
        first = next(iter(regs.grounds.values()))
        paragraph = first.clause.rsplit("(", 1)[0]
        raise KeyError(
            f"no deletion ground {code!r} in {paragraph} of the {regs.title} "
            f"(in force on {on.isoformat()}); the grounds are {', '.join(regs.grounds)}"
        ) from None


def absence_ground(on: date) -> Ground:
    """Return the continuous-unauthorised-absence ground (20 school days) in force on ``on``.

    Args:
        on: The day of the event.

    Returns:
        reg 9(1)(i) from 19 August 2024; reg 8(1)(h) of the 2006 regulations before.
    """
    regs = regulations_on(on)
    return regs.grounds[regs.absence_code]


def leave_ground(on: date) -> Ground:
    """Return the did-not-return-from-leave ground (10 school days) in force on ``on``.

    Args:
        on: The day of the event.

    Returns:
        reg 9(1)(h) from 19 August 2024; reg 8(1)(f) of the 2006 regulations before.
    """
    regs = regulations_on(on)
    return regs.grounds[regs.leave_code]
