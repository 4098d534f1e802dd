"""The renderer's mechanics: filters, wrapping, addressing, errors, the subject guard."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path

import pytest

from engine.ports import UNRENDERED, RenderedMessage
from notifications.errors import (
    MissingTemplateVariable,
    SubjectDisclosesIdentity,
    TemplateRenderError,
    UnknownTemplate,
)
from notifications.recipients import Recipients
from notifications.rendering import (
    TemplateRenderer,
    evidence_rows,
    format_local_time,
    format_long_date,
    wrap_text,
)
from notifications.testing import SAMPLE_RECIPIENTS, sample_context


def _templates(folder: Path, name: str, subject: str, body: str = "{{ case.ref }}") -> Path:
    for suffix, text in ((".subject.j2", subject), (".txt.j2", body), (".html.j2", body)):
        (folder / f"{name}{suffix}").write_text(text, encoding="utf-8")
    return folder


def test_a_long_date_names_the_weekday_and_month_in_full() -> None:
    """GOV.UK style, no leading zero, no ordinal."""
    assert format_long_date(date(2026, 11, 27)) == "Friday 27 November 2026"


def test_a_datetime_is_shown_on_its_london_date_and_time_in_summer() -> None:
    """23:30 UTC on 30 June is 00:30 BST on 1 July."""
    moment = datetime(2026, 6, 30, 23, 30, tzinfo=UTC)

    assert format_long_date(moment) == "Wednesday 1 July 2026"
    assert format_local_time(moment) == "Wednesday 1 July 2026 at 12:30am"


def test_times_read_as_gov_uk_writes_them() -> None:
    """2:05pm, midday and midnight; any aware zone is converted to London time."""
    plus_one = timezone(timedelta(hours=1))

    assert format_local_time(datetime(2026, 11, 27, 14, 5, tzinfo=UTC)) == (
        "Friday 27 November 2026 at 2:05pm"
    )
    assert format_local_time(datetime(2026, 11, 27, 13, 0, tzinfo=plus_one)) == (
        "Friday 27 November 2026 at midday"
    )
    assert format_local_time(datetime(2026, 11, 27, 0, 0, tzinfo=UTC)) == (
        "Friday 27 November 2026 at midnight"
    )


def test_a_naive_datetime_in_the_context_fails_with_the_template_line(
    renderer: TemplateRenderer,
) -> None:
    """Times are aware UTC everywhere; a naive one is a bug upstream, reported clearly."""
    context = sample_context("referral_received")
    context["event"]["at"] = datetime(2026, 11, 9, 10, 15)

    with pytest.raises(TemplateRenderError, match=r"_base\.txt\.j2:\d+: a naive datetime"):
        renderer.render_one("referral_received", context)


def test_evidence_is_flattened_into_labelled_rows_in_recorded_order() -> None:
    """Nested kinds read "Kind – field"; dates, times, booleans and lists read as words."""
    rows = evidence_rows(
        {
            "home_visit": {
                "visited_at": datetime(2026, 11, 10, 17, 45, tzinfo=UTC),
                "contact_made": False,
                "upn_seen": None,
            },
            "ctf_upload": {"uploaded_on": date(2026, 12, 2), "files": ["a.xml", "b.xml"]},
            "note": "",
        }
    )

    assert rows == [
        ("Home visit – visited at", "Tuesday 10 November 2026 at 5:45pm"),
        ("Home visit – contact made", "No"),
        ("Home visit – UPN seen", "not recorded"),
        ("CTF upload – uploaded on", "Wednesday 2 December 2026"),
        ("CTF upload – files", "a.xml; b.xml"),
        ("Note", "not recorded"),
    ]


def test_long_lines_wrap_under_their_bullet_or_label() -> None:
    """Continuation lines line up with the text they continue."""
    text = (
        "  - a bullet that goes on and on past the width\n"
        "Label:    a value that goes on and on past the width\n"
        "short\n"
    )

    assert wrap_text(text, width=30) == (
        "  - a bullet that goes on and\n"
        "    on past the width\n"
        "Label:    a value that goes on\n"
        "          and on past the\n"
        "          width\n"
        "short\n"
    )


def test_render_addresses_one_message_per_recipient(renderer: TemplateRenderer) -> None:
    """`ctf_overdue` goes to the school and the CMEO with the same content."""
    subject, text, html = renderer.render_one("ctf_overdue", sample_context("ctf_overdue"))

    messages = renderer.render("ctf_overdue", sample_context("ctf_overdue"))

    assert messages == [
        RenderedMessage("school", "office@ashfield-primary.luton.example", subject, text, html),
        RenderedMessage("cmeo", "cme@luton.example", subject, text, html),
    ]


def test_a_role_with_no_address_gets_an_undeliverable_message_naming_what_to_set() -> None:
    """Fail loud (issue 12): the role is not skipped. Its copy has no recipient and the reason,
    so the engine can queue it as a failed row and say so. Its subject is rendered (and
    checked); with nobody to read it, its bodies are left `UNRENDERED` until a retry gives it
    an address (issue 14: rendering each unreadable letter made a catch-up 20 times slower)."""
    renderer = TemplateRenderer(Recipients(sources={"mash": "CME_MASH_EMAIL"}))
    context = sample_context("mash_escalation")
    subject, _, _ = renderer.render_one("mash_escalation", context)

    assert renderer.render("mash_escalation", context) == [
        RenderedMessage(
            "mash",
            "",
            subject,
            UNRENDERED,
            UNRENDERED,
            undeliverable="no address configured for role mash (set CME_MASH_EMAIL)",
        )
    ]
    assert renderer.recipients.missing("mash_escalation", context) == ["mash"]


def test_a_role_with_no_address_shares_the_body_when_another_role_has_one() -> None:
    """One recipient addressed is enough to render the letter, and the unaddressed copy then
    carries the same body (ready for its retry)."""
    renderer = TemplateRenderer(
        Recipients(schools={"8212001": "office@ashfield-primary.luton.example"})
    )
    context = sample_context("ctf_overdue")
    subject, text, html = renderer.render_one("ctf_overdue", context)

    school, cmeo = renderer.render("ctf_overdue", context)

    assert (school.recipient, school.body_text, school.body_html) == (
        "office@ashfield-primary.luton.example",
        text,
        html,
    )
    assert (cmeo.recipient, cmeo.subject, cmeo.body_text, cmeo.body_html) == (
        "",
        subject,
        text,
        html,
    )
    assert cmeo.undeliverable


def test_an_unknown_template_is_refused_with_the_known_names(
    renderer: TemplateRenderer,
) -> None:
    """The error lists what exists."""
    with pytest.raises(UnknownTemplate, match="no such template .known: case_stalled, "):
        renderer.render("no_such_letter", sample_context("case_stalled"))


def test_has_template_needs_all_three_files_and_ignores_shared_pieces(
    tmp_path: Path, renderer: TemplateRenderer
) -> None:
    """A half-written template (no HTML) is not a template; `_base` is not one either."""
    (tmp_path / "half.subject.j2").write_text("x", encoding="utf-8")
    (tmp_path / "half.txt.j2").write_text("x", encoding="utf-8")
    custom = TemplateRenderer(SAMPLE_RECIPIENTS, _templates(tmp_path, "whole", "{{ case.ref }}"))

    assert custom.template_names() == ["whole"]
    assert (custom.has_template("half"), custom.has_template("whole")) == (False, True)
    assert renderer.has_template("_base") is False
    assert renderer.has_template("mash_escalation") is True


def test_a_subject_that_would_carry_the_childs_name_is_refused(tmp_path: Path) -> None:
    """Defence in depth: even a template that prints the name in its subject cannot send it;
    the error names the field, never the value."""
    folder = _templates(tmp_path, "leaky", "{{ case.ref }}: about {{ child.forename }}")
    renderer = TemplateRenderer(SAMPLE_RECIPIENTS, folder)

    with pytest.raises(SubjectDisclosesIdentity) as caught:
        renderer.render_one("leaky", sample_context("case_stalled"))

    assert str(caught.value) == (
        "template 'leaky': case CME-000042: the subject line would contain the child's "
        "forename; subjects carry the case reference only"
    )
    assert "Amira" not in str(caught.value)


@pytest.mark.parametrize(
    ("reason", "field"),
    [
        ("Seen with AMIRA at the park", "forename"),
        ("Born 12/03/2015", "date of birth"),
        ("Born Thursday 12 March 2015", "date of birth"),
        ("Born 2015-03-12", "date of birth"),
        ("UPN h801200001001 is on file", "UPN"),
    ],
)
def test_the_identity_is_caught_even_when_it_arrives_through_another_value(
    tmp_path: Path, reason: str, field: str
) -> None:
    """A subject that quotes free text (here the case reason) is checked as rendered."""
    folder = _templates(tmp_path, "quoting", "{{ case.ref }}: {{ case.reason }}")
    context = sample_context("case_stalled")
    context["case"]["reason"] = reason

    with pytest.raises(SubjectDisclosesIdentity) as caught:
        TemplateRenderer(SAMPLE_RECIPIENTS, folder).render_one("quoting", context)

    assert caught.value.field == field


def test_a_surname_that_is_also_a_word_of_the_fixed_subject_is_not_a_false_alarm(
    tmp_path: Path,
) -> None:
    """A child called "Day" does not stop a subject whose wording says "Day"."""
    folder = _templates(tmp_path, "daily", "{{ case.ref }}: Day 20 reached")
    context = sample_context("case_stalled")
    context["child"]["surname"] = "Day"

    subject, _, _ = TemplateRenderer(SAMPLE_RECIPIENTS, folder).render_one("daily", context)

    assert subject == "CME-000042: Day 20 reached"


def test_a_name_inside_a_longer_word_is_not_a_match(tmp_path: Path) -> None:
    """Whole words only: a child called "Al" does not block "escalation"."""
    folder = _templates(tmp_path, "esc", "{{ case.ref }}: {{ case.state_title }}")
    context = sample_context("mash_escalation")
    context["child"]["forename"] = "Al"

    subject, _, _ = TemplateRenderer(SAMPLE_RECIPIENTS, folder).render_one("esc", context)

    assert subject == "CME-000042: Escalated to MASH"


def test_a_multi_line_subject_is_folded_into_one_line(tmp_path: Path) -> None:
    """A subject is one header line, whatever the template's whitespace."""
    folder = _templates(tmp_path, "folded", "{{ case.ref }}:\n   two\n  lines\n")

    subject, _, _ = TemplateRenderer(SAMPLE_RECIPIENTS, folder).render_one(
        "folded", sample_context("case_stalled")
    )

    assert subject == "CME-000042: two lines"


def test_a_template_syntax_error_names_the_file_and_line(tmp_path: Path) -> None:
    """A broken template fails loudly at render time, pointing at the line."""
    folder = _templates(tmp_path, "broken", "{{ case.ref }}", body="ok\n{% if %}\n")

    with pytest.raises(TemplateRenderError, match=r"broken\.txt\.j2:2: "):
        TemplateRenderer(SAMPLE_RECIPIENTS, folder).render_one(
            "broken", sample_context("case_stalled")
        )


def test_a_missing_required_extra_is_reported_before_rendering(
    renderer: TemplateRenderer,
) -> None:
    """`la_transfer` cannot be addressed without `extra.other_la`, so it is required even
    though the letter could be written without it."""
    context = sample_context("la_transfer")
    del context["extra"]["other_la"]

    with pytest.raises(MissingTemplateVariable) as caught:
        renderer.render("la_transfer", context)

    assert str(caught.value) == (
        "template 'la_transfer': TEMPLATE_EXTRAS: the context has no 'extra.other_la'"
    )
