"""Plain words: choice labels, dates as people read them, blocking rules with their dates,
and deadlines as a timeline (past, next, overdue, provisional)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from cme.web.wording import (
    blocking_rule,
    choice_label,
    dates_in_words,
    day_words,
    timeline,
)
from engine.ports import TimerRecord

NOW = datetime(2026, 11, 10, 9, 0, tzinfo=UTC)


def test_choices_have_plain_labels_and_deletion_grounds_cite_the_regulation() -> None:
    assert choice_label("made_by", "la") == "The local authority"
    assert choice_label("removal_ground", "i").startswith("reg 9(1)(i): 20 school days")
    assert choice_label("anything", "some_new_value") == "Some new value"


def test_dates_are_written_as_people_read_them() -> None:
    assert day_words(date(2026, 11, 17)) == "Tue 17 Nov 2026"
    assert dates_in_words("day 20 is 2026-11-16, not 2026-02-30") == (
        "day 20 is Mon 16 Nov 2026, not 2026-02-30"
    )
    assert dates_in_words("at 2026-11-16T09:30") == "at 2026-11-16T09:30"


def test_a_blocking_rule_says_from_when_the_step_is_allowed() -> None:
    rule = blocking_rule(
        "removal_ground_met: reg 9(1)(i): 20 school days of continuous unauthorised absence "
        "are needed; 12 so far since the first day of absence (2026-10-06); day 20 is "
        "2026-11-16, removal allowed from 2026-11-17"
    )
    assert rule.rule == "removal_ground_met"
    assert rule.title == "The deletion ground is not met yet"
    assert rule.headline == "Removal is allowed from Tue 17 Nov 2026"
    assert "day 20 is Mon 16 Nov 2026" in rule.text and "2026-11-17" not in rule.text


def test_with_two_grounds_the_headline_is_the_earlier_day_either_allows() -> None:
    rule = blocking_rule(
        "removal_ground_met: reg 9(1)(i): 20 school days ...; day 20 is 2025-11-18, removal "
        "allowed from 2025-11-19; or reg 9(1)(h): 10 school days must pass after agreed leave "
        "ended (2025-10-20); day 10 is 2025-11-10, removal allowed from 2025-11-11"
    )
    assert rule.headline == "Removal is allowed from Tue 11 Nov 2025"


def test_a_rule_without_a_date_has_no_headline_and_a_humanised_title() -> None:
    rule = blocking_rule("valid_la_number: 821 is Luton itself")
    assert (rule.title, rule.headline, rule.text) == (
        "Valid la number",
        None,
        "821 is Luton itself",
    )


def _timer(
    name: str, due: datetime, status: str = "pending", provisional: bool = False
) -> TimerRecord:
    provenance = {
        "rule": name,
        "title": name.replace("_", " ").title(),
        "after": 5,
        "unit": "school_days",
        "counted_from": "state_entered",
        "anchor": "2026-11-02",
        "due_on": due.date().isoformat(),
        "calendar": "luton",
        "calendar_hash": "x",
        "provisional": provisional,
        "provisional_reason": "no term dates for 2027" if provisional else "",
    }
    return TimerRecord(1, name, "workflow", due, None, (), provenance, NOW, status)  # type: ignore[arg-type]


def test_deadlines_are_past_overdue_next_and_later() -> None:
    items = timeline(
        [
            _timer("later_one", NOW + timedelta(days=9), provisional=True),
            _timer("done_one", NOW - timedelta(days=3), status="fired"),
            _timer("next_one", NOW + timedelta(days=2)),
            _timer("late_one", NOW - timedelta(hours=1)),
        ],
        NOW,
    )
    assert [(i.title, i.standing) for i in items] == [
        ("Done One", "past"),
        ("Late One", "overdue"),
        ("Next One", "next"),
        ("Later One", "later"),
    ]
    assert items[-1].provisional and items[-1].provisional_reason == "no term dates for 2027"
    assert items[1].css == "cme-deadline--overdue"
    assert items[2].when == "Thu 12 Nov 2026 at 09:00"
    assert "(Mon 2 Nov 2026)" in items[0].detail and "fired" in items[0].detail
