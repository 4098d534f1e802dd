"""Every person's step of both charts rendered as GOV.UK markup: each input labelled (a label
for it, or a fieldset legend around a group), ids unique, dates as day/month/year, a visit's
time of day, choices as radios or checkboxes with their plain labels, errors linked."""

from __future__ import annotations

from collections import Counter
from functools import cache
from typing import Any

import pytest
from lxml import html

import workflows
from cme.web.forms import build_form, read_form
from cme.web.templating import templates
from engine import load_definition_file
from engine.definition import WorkflowDefinition

CHARTS = ("school-referral.yaml", "out-of-school-referral.yaml")
MARKUP = (
    '{% import "case/fields.html" as fields %}<form>'
    "{% for f in form.fields %}{{ fields.field(f) }}{% endfor %}</form>"
)


@cache
def chart(name: str) -> WorkflowDefinition:
    return load_definition_file(workflows.HERE / name, workflows.known())


def steps() -> list[tuple[str, str]]:
    return [
        (name, t.id)
        for name in CHARTS
        for t in chart(name).triggers.values()
        if not chart(name).is_system_only(t.id) and t.evidence
    ]


def rendered(form: Any) -> Any:
    return html.fromstring(templates.env.from_string(MARKUP).render(form=form))


@pytest.mark.parametrize(("name", "trigger"), steps())
def test_every_step_renders_labelled_gov_uk_fields(name: str, trigger: str) -> None:
    step = chart(name).triggers[trigger]
    page = rendered(build_form(step))
    ids = Counter(page.xpath("//@id"))
    assert all(n == 1 for n in ids.values()), ids
    labels = set(page.xpath("//label/@for"))
    for field in page.xpath("//input[not(@type='hidden')] | //textarea"):
        assert field.get("id") in labels, field.get("name")
    for slot in step.evidence:
        spec = slot.field
        group = page.xpath(f"//fieldset[.//*[starts-with(@name, '{spec.name}')]]")
        names = set(page.xpath(f"//*[starts-with(@name, '{spec.name}')]/@name"))
        match spec.type.value:
            case "date":
                assert names == {f"{spec.name}-{p}" for p in ("day", "month", "year")}
                assert group and spec.title in group[0].findtext(".//legend")
            case "datetime":
                assert names == {f"{spec.name}-{p}" for p in ("day", "month", "year", "time")}
                assert group and page.xpath(f"//label[@for='{trigger}--{spec.name}-time']")
            case "choice" | "bool":
                radios = page.xpath(f"//input[@type='radio'][@name='{spec.name}']")
                assert len(radios) == (len(spec.choices) or 2)
                assert group and spec.title in group[0].findtext(".//legend")
            case "choices":
                boxes = page.xpath(f"//input[@type='checkbox'][@name='{spec.name}']")
                assert len(boxes) == len(spec.choices)
            case _:
                label = page.xpath(f"//label[@for='{trigger}--{spec.name}']")
                assert label and spec.title in label[0].text_content()
        if not slot.required:
            caption = (
                group[0].findtext(".//legend")
                if group
                else page.xpath(f"//label[@for='{trigger}--{spec.name}']")[0].text_content()
            )
            assert caption.strip().endswith("(optional)"), spec.name


def test_an_error_is_shown_on_its_field_and_described_by_it() -> None:
    step = chart("school-referral.yaml").triggers["record_first_visit"]
    posted = [("visited_at-day", "4"), ("visited_at-month", "11"), ("visited_at-year", "2025")]
    form = build_form(step, posted, read_form(step, posted).errors)
    page = rendered(form)
    group = page.xpath("//div[contains(@class,'govuk-form-group--error')]")
    assert len(group) == 1
    message = group[0].xpath(".//p[@class='govuk-error-message']")[0]
    assert "time of day" in message.text_content()
    fieldset = group[0].xpath(".//fieldset")[0]
    assert message.get("id") in fieldset.get("aria-describedby").split()
    assert page.xpath("//input[@name='visited_at-day']/@value") == ["4"]
