"""Forms generated from each trigger's evidence schema (both charts), and posted forms read
back: dates from day, month and year, a visit's time of day, choices, and the problems found
before the engine, keyed by field."""

from __future__ import annotations

from functools import cache

import pytest

import workflows
from cme.web.forms import build_form, errors_from_refusal, read_form
from engine import load_definition_file
from engine.definition import FieldType, TriggerDef, WorkflowDefinition
from engine.errors import Block, EvidenceInvalid, FieldProblem, GuardsFailed

CHARTS = ("school-referral.yaml", "out-of-school-referral.yaml")


@cache
def chart(name: str) -> WorkflowDefinition:
    return load_definition_file(workflows.HERE / name, workflows.known())


def person_triggers() -> list[tuple[str, str]]:
    return [
        (name, t.id)
        for name in CHARTS
        for t in chart(name).triggers.values()
        if not chart(name).is_system_only(t.id)
    ]


KINDS = {
    FieldType.DATE: "date",
    FieldType.DATETIME: "datetime",
    FieldType.CHOICE: "radios",
    FieldType.CHOICES: "checkboxes",
    FieldType.BOOL: "boolean",
    FieldType.INTEGER: "number",
}


@pytest.mark.parametrize(("name", "trigger"), person_triggers())
def test_every_person_step_of_both_charts_has_a_form_from_its_schema(name, trigger) -> None:
    t = chart(name).triggers[trigger]
    form = build_form(t)
    assert [f.name for f in form.fields] == [s.field.name for s in t.evidence]
    for slot, f in zip(t.evidence, form.fields, strict=True):
        assert f.label == slot.field.title
        assert f.required == slot.required
        expected = KINDS.get(slot.field.type)
        if expected:
            assert f.kind == expected
        else:
            assert f.kind in ("text", "textarea")
        if f.kind in ("radios", "checkboxes"):
            assert [o.value for o in f.options] == list(slot.field.choices)
            assert all(o.label and "_" not in o.label for o in f.options)


def _trigger(name: str) -> TriggerDef:
    return chart("school-referral.yaml").triggers[name]


def test_a_date_is_read_from_day_month_and_year() -> None:
    posted = [
        ("enquiry_method", "telephone"),
        ("made_by", "la"),
        ("made_on-day", "7"),
        ("made_on-month", "10"),
        ("made_on-year", "2025"),
        ("summary", "Rang the family"),
    ]
    read = read_form(_trigger("record_enquiry"), posted)
    assert read.errors == {}
    assert read.evidence == {
        "enquiry_method": "telephone",
        "made_by": "la",
        "made_on": "2025-10-07",
        "summary": "Rang the family",
    }


@pytest.mark.parametrize(
    ("time", "expected"),
    [
        ("14:30", "14:30"),
        ("2:30pm", "14:30"),
        ("9am", "09:00"),
        ("12am", "00:00"),
        ("9.05", "09:05"),
    ],
)
def test_a_visit_is_read_with_its_time_of_day(time: str, expected: str) -> None:
    posted = [
        ("visited_at-day", "4"),
        ("visited_at-month", "11"),
        ("visited_at-year", "2025"),
        ("visited_at-time", time),
        ("officer", "J Officer"),
        ("outcome", "no_contact"),
    ]
    read = read_form(_trigger("record_first_visit"), posted)
    assert read.errors == {}
    assert read.evidence["visited_at"] == f"2025-11-04T{expected}"


@pytest.mark.parametrize(
    ("parts", "time", "says"),
    [
        (("4", "", "2025"), "10:00", "must include a month"),
        (("4", "11", "2025"), "", "must include the time of day"),
        (("4", "11", "2025"), "25:00", "no such time"),
        (("4", "11", "2025"), "noon-ish", "enter the time"),
        (("x", "11", "2025"), "10:00", "real date"),
        (("4", "11", "25"), "10:00", "4 numbers"),
    ],
)
def test_a_date_or_time_missing_a_part_is_an_error_on_its_field(parts, time, says) -> None:
    day, month, year = parts
    posted = [
        ("visited_at-day", day),
        ("visited_at-month", month),
        ("visited_at-year", year),
        ("visited_at-time", time),
        ("officer", "J Officer"),
    ]
    read = read_form(_trigger("record_first_visit"), posted)
    assert set(read.errors) == {"visited_at"}
    assert says in read.errors["visited_at"]
    assert read.errors["visited_at"].startswith("When the visit was made")
    assert "visited_at" not in read.evidence and read.evidence["officer"] == "J Officer"


def test_an_empty_field_is_left_for_the_engine_to_judge() -> None:
    read = read_form(_trigger("record_enquiry"), [("summary", "  ")])
    assert read.evidence == {} and read.errors == {}


def test_checkboxes_give_a_list_and_none_ticked_clears_it() -> None:
    t = _trigger("update_risk")
    ticked = read_form(
        t, [("risk_flags-shown", "1"), ("risk_flags", "runaway"), ("risk_flags", "offending")]
    )
    assert ticked.evidence == {"risk_flags": ["runaway", "offending"]}
    assert read_form(t, [("risk_flags-shown", "1")]).evidence == {"risk_flags": "none"}
    assert read_form(t, []).evidence == {}


def test_a_refused_form_comes_back_filled_with_its_errors_linked() -> None:
    t = _trigger("record_first_visit")
    posted = [("visited_at-day", "4"), ("visited_at-time", "10:00"), ("officer", "J Officer")]
    read = read_form(t, posted)
    form = build_form(t, posted, read.errors)
    visit = form.fields[0]
    assert visit.value("day") == "4" and visit.value("time") == "10:00"
    assert form.fields[1].value() == "J Officer"
    assert form.summary == [("#record_first_visit--visited_at-day", read.errors["visited_at"])]
    assert visit.error == read.errors["visited_at"]


def test_radios_are_refilled_with_the_choice_posted() -> None:
    t = _trigger("record_first_visit")
    form = build_form(t, [("outcome", "no_contact")])
    outcome = next(f for f in form.fields if f.name == "outcome")
    assert outcome.chosen == ("no_contact",)
    assert outcome.anchor == "record_first_visit--outcome-0"


def test_the_engines_refusals_land_on_their_fields() -> None:
    t = _trigger("record_second_visit")
    invalid = EvidenceInvalid(
        t.id,
        [
            FieldProblem("officer", "is required (Officer who made the visit)"),
            FieldProblem("bogus", "is not evidence for this step"),
        ],
    )
    per_field, general = errors_from_refusal(t, invalid)
    assert per_field == {"officer": "Officer who made the visit: this is required"}
    assert general == ["bogus: is not evidence for this step"]
    blocked = GuardsFailed(
        "CME-000001",
        t.id,
        [
            Block("different_time_of_day", "a visit was already made in the morning (2025-11-04)"),
            Block("enquiries_evidenced", "no enquiry is recorded yet"),
        ],
    )
    per_field, general = errors_from_refusal(t, blocked)
    assert per_field["visited_at"].startswith("When the visit was made")
    assert "Tue 4 Nov 2025" in per_field["visited_at"]
    assert general == ["No enquiry is recorded yet"]
