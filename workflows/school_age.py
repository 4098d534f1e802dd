"""Compulsory school age (Education Act 1996 s8).

* Start, s8(2): a child begins to be of compulsory school age on the first prescribed day on or
  after their 5th birthday (on the birthday itself when it is a prescribed day). The prescribed
  days are 31 December, 31 March and 31 August (Education (Start of Compulsory School Age) Order
  1998).
* End, s8(3): a child ceases to be of compulsory school age at the end of the school leaving
  date, the last Friday in June (Education (School Leaving Date) Order 1997), of the school year
  in which they turn 16. The school year is taken as 1 September to 31 August, as schools, the
  DfE and LAW.md use it. (s579 defines a school year from the first term to begin after July; a
  child whose 16th birthday falls between 1 September and the first day of that term is treated
  here as turning 16 in the new school year, as LAW.md's case "born 2019-09-01 ends 2036-06-27"
  requires.)

Both ends are inclusive: a child is of compulsory school age on ``starts`` and on ``ends``.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import NamedTuple

from engine.rules import Intake

_CITATION = "Education Act 1996 s8"
SCHOOL_AGE_ENDS_FACT = "compulsory_school_age_ends"
"""The case fact holding the last day of compulsory school age (a timer counts from it)."""
_FRIDAY = 4  # date.weekday(): Monday is 0


class SchoolAgeSpan(NamedTuple):
    """The first and last days (both inclusive) on which a child is of compulsory school age."""

    starts: date
    ends: date


def birthday(date_of_birth: date, age: int) -> date:
    """Return the day on which a person born on ``date_of_birth`` attains ``age``.

    A person born on 29 February attains an age on 1 March in a year that is not a leap year.
    (Family Law Reform Act 1969 s9 fixes only the time of day, the start of the anniversary; the
    1 March reading is the usual one in England.) For compulsory school age the choice cannot
    change an answer: 28 February and 1 March fall between the same prescribed days (31 December
    and 31 March) and in the same school year.

    Args:
        date_of_birth: The date of birth.
        age: The age in whole years.

    Returns:
        The birthday on which ``age`` is attained.
    """
    year = date_of_birth.year + age
    try:
        return date_of_birth.replace(year=year)
    except ValueError:  # 29 February in a year that is not a leap year
        return date(year, 3, 1)


def _last_friday_of_june(year: int) -> date:
    """The school leaving date for ``year`` (Education (School Leaving Date) Order 1997)."""
    june_30 = date(year, 6, 30)
    return june_30 - timedelta(days=(june_30.weekday() - _FRIDAY) % 7)


def compulsory_school_age(date_of_birth: date) -> SchoolAgeSpan:
    """Work out when a child is of compulsory school age (Education Act 1996 s8).

    Args:
        date_of_birth: The child's date of birth.

    Returns:
        The first and last days, both inclusive. For example, born 2019-02-10 gives
        ``SchoolAgeSpan(starts=date(2024, 3, 31), ends=date(2035, 6, 29))``.
    """
    # s8(2) and SI 1998/1607: the first of 31 March, 31 August, 31 December on or after the
    # 5th birthday. 31 December of the same year is always on or after it.
    fifth = birthday(date_of_birth, 5)
    prescribed = (date(fifth.year, 3, 31), date(fifth.year, 8, 31), date(fifth.year, 12, 31))
    starts = next(day for day in prescribed if day >= fifth)

    # s8(3): the school leaving date of the school year (1 September - 31 August) in which the
    # child turns 16. A 16th birthday from 1 September on falls in the school year that ends
    # the following June.
    sixteenth = birthday(date_of_birth, 16)
    leaving_year = sixteenth.year + 1 if sixteenth.month >= 9 else sixteenth.year
    return SchoolAgeSpan(starts=starts, ends=_last_friday_of_june(leaving_year))


def is_of_compulsory_school_age(date_of_birth: date, on: date) -> bool:
    """Return True when the child is of compulsory school age on the day ``on``.

    Args:
        date_of_birth: The child's date of birth.
        on: The day asked about.

    Returns:
        True from the start day to the school leaving date, both inclusive.
    """
    span = compulsory_school_age(date_of_birth)
    return span.starts <= on <= span.ends


def school_age_refusal(date_of_birth: date, on: date) -> str | None:
    """Say why a child is not of compulsory school age on a day, for a caseworker to read.

    Args:
        date_of_birth: The child's date of birth.
        on: The day asked about (for example the day a referral is received).

    Returns:
        None when the child is of compulsory school age on ``on``; otherwise the reason, citing
        s8, e.g. ``"not yet of compulsory school age: it starts on 2024-03-31 (Education Act
        1996 s8)"``.
    """
    span = compulsory_school_age(date_of_birth)
    if on < span.starts:
        return (
            f"not yet of compulsory school age: it starts on {span.starts.isoformat()} "
            f"({_CITATION})"
        )
    if on > span.ends:
        return (
            f"no longer of compulsory school age: it ended on {span.ends.isoformat()} "
            f"({_CITATION})"
        )
    return None


def with_school_age_end(intake: Intake) -> Intake:
    """The intake with the last day of compulsory school age among its facts.

    Args:
        intake: A referral accepted by `workflows.intake.read_referral`.

    Returns:
        The same intake, its facts holding ``compulsory_school_age_ends`` (ISO date) when the
        child's date of birth is known.
    """
    dob = intake.child.get("date_of_birth")
    if dob:
        intake.facts[SCHOOL_AGE_ENDS_FACT] = compulsory_school_age(
            date.fromisoformat(str(dob))
        ).ends.isoformat()
    return intake
