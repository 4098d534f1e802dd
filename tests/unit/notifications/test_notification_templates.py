"""Every shipped template: golden output, no identity in subjects, strictness, escaping."""

from __future__ import annotations

import copy
from collections.abc import Callable
from datetime import date
from typing import Any

import pytest

from notifications.errors import MissingTemplateVariable
from notifications.recipients import TEMPLATE_RECIPIENTS
from notifications.rendering import (
    OPTIONAL_EXTRAS,
    TEMPLATE_EXTRAS,
    TEMPLATE_TITLES,
    TemplateRenderer,
    format_long_date,
)
from notifications.testing import SAMPLE_CHILD, sample_context, sample_templates

GoldenCheck = Callable[[str, str], None]

TEMPLATES = sorted(TEMPLATE_RECIPIENTS)


def _bare(template: str) -> dict[str, Any]:
    """The sample context with every optional part taken away."""
    context = sample_context(template)
    context["deadline"] = None
    context["extra"] = {k: context["extra"][k] for k in TEMPLATE_EXTRAS[template]}
    context["case"].update(
        priority="standard",
        school=None,
        first_absence_date=None,
        risk_flags=[],
        risk_descriptions=[],
    )
    context["case"].pop("school_name", None)
    context["case"].pop("caseworker_email", None)
    context["child"].update(upn=None, address=None, date_of_birth=None)
    context["event"]["evidence"] = {}
    return context


def test_the_shipped_templates_are_exactly_the_ones_process_md_and_the_escalations_need(
    renderer: TemplateRenderer,
) -> None:
    """Templates, recipients, titles, extras and samples all name the same twelve."""
    names = renderer.template_names()

    assert names == TEMPLATES
    assert sorted(TEMPLATE_TITLES) == TEMPLATES
    assert sorted(TEMPLATE_EXTRAS) == TEMPLATES
    assert set(OPTIONAL_EXTRAS) <= set(TEMPLATES)
    assert sample_templates() == TEMPLATES


@pytest.mark.parametrize("template", TEMPLATES)
def test_each_template_renders_its_sample_as_the_golden_letter(
    renderer: TemplateRenderer, golden: GoldenCheck, template: str
) -> None:
    """The subject, text and HTML match the reviewed golden files byte for byte."""
    subject, text, html = renderer.render_one(template, sample_context(template))

    golden(f"{template}.subject.txt", subject + "\n")
    golden(f"{template}.txt", text)
    golden(f"{template}.html", html)


@pytest.mark.parametrize("template", TEMPLATES)
def test_no_subject_carries_the_childs_name_date_of_birth_or_upn(
    renderer: TemplateRenderer, template: str
) -> None:
    """PROCESS.md: subjects carry a case reference, never a child's name."""
    born = SAMPLE_CHILD["date_of_birth"]
    forbidden = [
        SAMPLE_CHILD["forename"],
        SAMPLE_CHILD["surname"],
        SAMPLE_CHILD["upn"],
        born.isoformat(),
        format_long_date(born),
        born.strftime("%d/%m/%Y"),
    ]

    subject, _, _ = renderer.render_one(template, sample_context(template))

    assert subject.startswith("CME-000042: ")
    assert [f for f in forbidden if f.lower() in subject.lower()] == []


@pytest.mark.parametrize("template", TEMPLATES)
def test_each_letter_names_the_case_the_child_and_the_cme_contact(
    renderer: TemplateRenderer, template: str
) -> None:
    """The body tells the recipient which case and child, and whom to contact."""
    _, text, html = renderer.render_one(template, sample_context(template))

    for body in (text, html):
        assert "CME-000042" in body
        assert "Amira Haddad" in body
        assert "cme@luton.example" in body
        assert "01632 960123" in body


@pytest.mark.parametrize("template", TEMPLATES)
def test_each_template_renders_without_any_optional_value(
    renderer: TemplateRenderer, template: str
) -> None:
    """No deadline, no optional extras, no school, UPN, address, risk or evidence."""
    subject, text, html = renderer.render_one(template, _bare(template))

    assert subject.startswith("CME-000042: ")
    assert "not known" in text
    assert "not known" in html


@pytest.mark.parametrize(
    ("template", "key"),
    [(t, k) for t in TEMPLATES for k in TEMPLATE_EXTRAS[t]],
)
def test_a_missing_required_extra_is_named_in_the_error(
    renderer: TemplateRenderer, template: str, key: str
) -> None:
    """Each key in TEMPLATE_EXTRAS is really required, and the error says which."""
    context = sample_context(template)
    del context["extra"][key]

    with pytest.raises(MissingTemplateVariable) as caught:
        renderer.render_one(template, context)

    assert caught.value.variable == f"extra.{key}"
    assert caught.value.template == template


# MASH acknowledges within one working day and the four-week notice counts calendar days, so
# those letters give the date only; a delivery failure has no deadline of its own.
DATE_ONLY = {
    "school_age_ended",
    "mash_escalation",
    "escalation_unacknowledged",
    "escalation_to_manager",
    "missing_four_weeks",
}


# The MASH letters give the time the deadline their own event started falls due (to the
# minute: "by 09:00 on Tuesday 17 November 2026"), not a deadline that fired.
DUE_FROM_EXTRA = {
    "mash_escalation",
    "escalation_unacknowledged",
    "escalation_to_manager",
    "mash_decision_overdue",
}


@pytest.mark.parametrize("template", sorted(set(TEMPLATES) - {"delivery_failed"} - DUE_FROM_EXTRA))
def test_deadlines_are_given_as_a_date_and_in_school_days_where_counted_so(
    renderer: TemplateRenderer, template: str
) -> None:
    """When the deadline counts school days, the letter gives the count and the date."""
    context = sample_context(template)
    context["deadline"] = {
        "name": "some_deadline",
        "title": "Something is done",
        "due_on": date(2027, 2, 26),
        "school_days": 7,
        "provisional": False,
    }

    _, text, _ = renderer.render_one(template, context)

    flat = " ".join(text.split())
    assert "Friday 26 February 2027" in flat
    assert ("within 7 school days" in flat) is (template not in DATE_ONLY)


def test_a_resent_mash_escalation_says_so_in_subject_and_body(
    renderer: TemplateRenderer,
) -> None:
    """The second sending tells MASH it is a repeat, which one, and when the first went."""
    context = sample_context("mash_escalation")
    context["extra"]["escalation"].update(send=2, resend=True)

    subject, text, _ = renderer.render_one("mash_escalation", context)

    assert subject == (
        "CME-000042: child protection concern — referral to MASH (re-send 1: not yet acknowledged)"
    )
    assert "This is re-send 1, first sent at 10:05 on Monday 16 November 2026" in " ".join(
        text.split()
    )


def test_html_escapes_what_people_typed_and_text_keeps_it_as_typed(
    renderer: TemplateRenderer,
) -> None:
    """Evidence is user input: the HTML part must not run it, the text part shows it."""
    context = sample_context("mash_escalation")
    context["event"]["evidence"]["concern"]["summary"] = "<script>alert('x')</script> & more"

    _, text, html = renderer.render_one("mash_escalation", context)

    assert "<script>" not in html
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; more" in html
    assert "<script>alert('x')</script> & more" in text


def test_a_missing_child_field_names_the_variable_the_file_and_the_line(
    renderer: TemplateRenderer,
) -> None:
    """StrictUndefined: nothing renders as blank; the error points at the template line."""
    context: dict[str, Any] = copy.deepcopy(sample_context("referral_received"))
    del context["child"]["forename"]

    with pytest.raises(MissingTemplateVariable) as caught:
        renderer.render_one("referral_received", context)

    error = caught.value
    assert (error.variable, error.file) == ("child.forename", "_base.txt.j2")
    assert error.line is not None
    assert str(error) == (
        f"template 'referral_received': _base.txt.j2:{error.line}: "
        "the context has no 'child.forename'"
    )


def test_a_missing_top_level_part_is_named(renderer: TemplateRenderer) -> None:
    """A context without `authority` fails on the first use, naming `authority`."""
    context = sample_context("case_stalled")
    del context["authority"]

    with pytest.raises(MissingTemplateVariable) as caught:
        renderer.render_one("case_stalled", context)

    assert caught.value.variable == "authority"
