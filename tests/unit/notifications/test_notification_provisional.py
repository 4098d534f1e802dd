"""A deadline counted over days with no term dates is provisional, and every letter says so,
with the reason (issue 12, item 4): whatever the template, the reader learns that the date
will move when the term dates are loaded."""

from __future__ import annotations

from datetime import date

import pytest

from notifications.recipients import TEMPLATE_RECIPIENTS
from notifications.rendering import TemplateRenderer
from notifications.testing import sample_context

TEMPLATES = sorted(TEMPLATE_RECIPIENTS)
PROVISIONAL = {
    "name": "case_stalled",
    "title": "Case has not moved",
    "due_on": date(2026, 11, 9),
    "school_days": 5,
    "provisional": True,
    "provisional_reason": "no term dates loaded for 2026/27",
}


@pytest.mark.parametrize("template", TEMPLATES)
def test_every_letter_on_a_provisional_deadline_says_provisional_with_the_reason(
    renderer: TemplateRenderer, template: str
) -> None:
    context = sample_context(template)
    context["deadline"] = dict(PROVISIONAL)

    messages = renderer.render(template, context)

    assert messages
    for message in messages:
        for body in (message.body_text, message.body_html):
            flat = " ".join(body.split())
            assert (
                "This date is provisional (no term dates loaded for 2026/27): Monday 9 "
                "November 2026 was counted on weekdays less bank holidays in place of school "
                "days, and will move when the term dates are loaded." in flat
            )


@pytest.mark.parametrize("template", TEMPLATES)
def test_a_letter_on_a_deadline_counted_on_term_dates_says_nothing_of_provisional(
    renderer: TemplateRenderer, template: str
) -> None:
    context = sample_context(template)
    context["deadline"] = {**PROVISIONAL, "provisional": False, "provisional_reason": ""}

    for message in renderer.render(template, context):
        assert "provisional" not in message.body_text.lower()
        assert "provisional" not in message.body_html.lower()


def test_the_date_itself_carries_the_reason_where_a_letter_gives_it(
    renderer: TemplateRenderer,
) -> None:
    context = sample_context("case_stalled")
    context["deadline"] = dict(PROVISIONAL)

    text = " ".join(renderer.render("case_stalled", context)[0].body_text.split())

    assert (
        "within 5 school days, that is by Monday 9 November 2026 (provisional: no term dates "
        "loaded for 2026/27)" in text
    )
