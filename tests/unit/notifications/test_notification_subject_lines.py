"""Subject lines worked out once per wording and filled in (`notifications.subjects`) must be
the lines jinja2 renders, for every shipped subject and for any value, and must fail exactly
as jinja2 does."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from notifications.errors import MissingTemplateVariable, TemplateRenderError
from notifications.recipients import Recipients
from notifications.rendering import TEMPLATES_DIR, TemplateRenderer
from notifications.samples import sample_context, sample_templates
from notifications.subjects import make_plan

TEXT = st.text(st.characters(blacklist_categories=["Cs"]), max_size=12)
VALUES = st.none() | st.booleans() | st.integers(-3, 5) | TEXT | st.just("\x000\x00")


def _jinja(renderer: TemplateRenderer, template: str, context: dict[str, Any]) -> Any:
    file = f"{template}.subject.j2"
    try:
        return " ".join(renderer._render_file(template, file, context).split())
    except Exception as exc:  # noqa: BLE001 - the failure itself is compared
        return type(exc), str(exc)


def _planned(renderer: TemplateRenderer, template: str, context: dict[str, Any]) -> Any:
    try:
        return renderer._subject(template, context)
    except Exception as exc:  # noqa: BLE001 - the failure itself is compared
        return type(exc), str(exc)


@pytest.mark.parametrize("template", sample_templates())
def test_every_shipped_subject_reads_as_jinja2_renders_it(template: str) -> None:
    renderer = TemplateRenderer(Recipients())
    context = sample_context(template)
    for ref in ("CME-000001", "CME-000002", "CME-000001"):  # a new case, then one seen again
        context["case"]["ref"] = ref
        assert _planned(renderer, template, context) == _jinja(renderer, template, context)


@settings(max_examples=200, deadline=None)
@given(
    template=st.sampled_from(sample_templates()),
    ref=VALUES,
    send=VALUES,
    title=VALUES,
    name=st.sampled_from(["mash_escalation", "delivery_failed", "no_such_template"]) | VALUES,
)
def test_any_value_gives_jinja2s_line_or_its_error(
    template: str, ref: Any, send: Any, title: Any, name: Any
) -> None:
    """Text, numbers, None, booleans and a marker look-alike in each place the subjects read;
    a wrong kind of value fails as it did (`-` on text, a missing title)."""
    renderer = TemplateRenderer(Recipients())
    context = sample_context(template)
    context["case"].update(ref=ref, state_title=title, priority=title)
    if "escalation" in context["extra"]:
        context["extra"]["escalation"]["send"] = send
    context["extra"].update(template=name, la_send=send)
    for _ in range(2):  # worked out, then filled in
        assert _planned(renderer, template, context) == _jinja(renderer, template, context)


def test_a_missing_value_is_named_as_before() -> None:
    renderer = TemplateRenderer(Recipients())
    context = sample_context("mash_escalation")
    renderer._subject("mash_escalation", context)
    del context["extra"]["escalation"]["send"]

    with pytest.raises(MissingTemplateVariable, match=r"extra\.escalation\.send"):
        renderer._subject("mash_escalation", context)


def _folder(tmp_path: Path, subject: str) -> TemplateRenderer:
    for suffix, text in ((".subject.j2", subject), (".txt.j2", "x"), (".html.j2", "x")):
        (tmp_path / f"probe{suffix}").write_text(text, encoding="utf-8")
    return TemplateRenderer(Recipients(), tmp_path)


@pytest.mark.parametrize(
    "subject",
    [
        "{{ case.ref }} {{ case.ref }}",  # the same value filled twice
        "{{ case }}",  # a dict printed whole
        "{{ case.items }}",  # a dict method, not an item
        "{{ case['ref'] }}: {{ case.ref | upper }}",  # a filter: jinja2 every time
        "{% if case.priority == 'high' %}{{ case.ref }}{% endif %}",  # a block: jinja2
        "{{ case.ref ~ case.priority }}",  # an expression over a filled value: keyed
        "{{ case.ref }}: {{ template_title(case.priority) }} {{ role_title('cmeo') }}",
    ],
)
def test_odd_subjects_read_as_jinja2_renders_them(tmp_path: Path, subject: str) -> None:
    renderer = _folder(tmp_path, subject)
    for ref, priority in (("CME-1", "high"), ("CME-2", "high"), ("CME-3", "standard")):
        context = {"case": {"ref": ref, "priority": priority}, "extra": {}}
        assert _planned(renderer, "probe", context) == _jinja(renderer, "probe", context)


def test_a_function_that_is_not_pure_is_called_every_time(tmp_path: Path) -> None:
    """jinja2's `lipsum` gives random text: a line calling it is never kept."""
    renderer = _folder(tmp_path, "{{ case.ref }}: {{ lipsum(1, False, 50, 100) }}")
    context = {"case": {"ref": "CME-1"}, "extra": {}}

    assert len({renderer._subject("probe", context) for _ in range(5)}) > 1


def test_a_template_with_a_block_or_a_filter_gets_no_plan() -> None:
    env = TemplateRenderer(Recipients())._env
    assert make_plan(env.parse("{{ a.b }}: {{ 'x' if c.d > 1 else '' }}")) is not None
    assert make_plan(env.parse("{{ a.b | upper }}")) is None
    assert make_plan(env.parse("{% for x in a %}{{ x }}{% endfor %}")) is None
    assert make_plan(env.parse("{{ a.get('b', 1) }}")) is None


def test_a_syntax_error_in_a_subject_is_reported_as_before(tmp_path: Path) -> None:
    renderer = _folder(tmp_path, "{{ case.ref ")

    with pytest.raises(TemplateRenderError):
        renderer._subject("probe", {"case": {"ref": "CME-1"}, "extra": {}})


def test_the_shipped_subjects_are_planned() -> None:
    """The catch-up's two lines (the MASH letter, the CMEO's alert) take the fast path."""
    renderer = TemplateRenderer(Recipients())
    env = renderer._env
    for template in ("mash_escalation", "delivery_failed"):
        source = (TEMPLATES_DIR / f"{template}.subject.j2").read_text(encoding="utf-8")
        assert make_plan(env.parse(source)) is not None
