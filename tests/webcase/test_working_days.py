"""Working days overdue are counted, not walked: the count equals the plain definition (each
day after the due date up to today that is a weekday and not an England bank holiday) for any
pair of dates, across weekends, Christmas and years."""

from __future__ import annotations

from datetime import date, timedelta

from hypothesis import given
from hypothesis import strategies as st

from cme.services.wording import working_days_after
from engine.calendar import is_bank_holiday
from tests.fuzzing import examples


def _walked(due: date, today: date) -> int:
    days, day = 0, due + timedelta(days=1)
    while day <= today:
        days += day.weekday() < 5 and not is_bank_holiday(day)
        day += timedelta(days=1)
    return days


@examples(ci=200, fuzz=5000)
@given(
    due=st.dates(min_value=date(2020, 1, 1), max_value=date(2030, 12, 31)),
    span=st.integers(min_value=-10, max_value=800),
)
def test_the_count_is_the_day_by_day_definition(due: date, span: int) -> None:
    today = due + timedelta(days=span)

    assert working_days_after(due, today) == _walked(due, today)


def test_known_stretches() -> None:
    # Wed 24 Dec 2025 -> Mon 29 Dec: Christmas and Boxing Day are bank holidays, then a weekend
    assert working_days_after(date(2025, 12, 24), date(2025, 12, 29)) == 1
    # a whole year overdue: 261 weekdays in 2026 less its 8 weekday bank holidays
    assert working_days_after(date(2025, 12, 31), date(2026, 12, 31)) == 253
    assert working_days_after(date(2026, 1, 5), date(2026, 1, 5)) == 0
