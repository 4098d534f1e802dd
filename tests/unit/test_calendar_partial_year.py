"""A school year only partly loaded is named as itself (hostile-tester probe D): with only
Autumn 1 of 2025/26 imported, a count past it rests on missing 2025/26 term dates, not
2026/27; with only the spring of 2025/26, the autumn before it is missing 2025/26 too. A year
loaded to the summer still names the next year for its summer tail."""

from __future__ import annotations

from datetime import date

from engine.calendar import SchoolCalendar, TermRange

AUTUMN_1 = TermRange(date(2025, 9, 3), date(2025, 10, 24))


def test_after_autumn_1_alone_the_missing_year_is_2025_26() -> None:
    calendar = SchoolCalendar("luton/8212001", [AUTUMN_1])

    due = calendar.add_school_days(date(2025, 11, 3), 20)

    assert calendar.uncovered_school_years(date(2025, 11, 3), date(2025, 12, 1)) == (2025,)
    assert due.provisional
    assert due.reason == "no term dates loaded for 2025/26"
    assert not calendar.covers(date(2025, 11, 3))


def test_before_a_spring_term_alone_the_missing_year_is_its_own() -> None:
    calendar = SchoolCalendar("s", [TermRange(date(2026, 1, 5), date(2026, 2, 13))])

    assert calendar.uncovered_school_years(date(2025, 11, 3), date(2025, 11, 28)) == (2025,)


def test_the_summer_tail_of_a_whole_year_names_the_next_year() -> None:
    calendar = SchoolCalendar("s", [AUTUMN_1, TermRange(date(2026, 4, 13), date(2026, 7, 17))])

    assert calendar.uncovered_school_years(date(2026, 7, 20), date(2026, 7, 24)) == (2026,)
    assert calendar.uncovered_school_years(date(2025, 8, 20), date(2025, 8, 29)) == (2024,)
