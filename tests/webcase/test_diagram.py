"""The chart as an SVG with the case's state highlighted, and its text alternative."""

from __future__ import annotations

from functools import cache

import pytest
from lxml import etree

import workflows
from cme.web.diagram import states_in_words, svg
from engine import load_definition_file
from engine.definition import WorkflowDefinition

SVG = "{http://www.w3.org/2000/svg}"


def attr(element: etree._Element | None, name: str) -> str:
    assert element is not None
    return str(element.get(name))


def text(element: etree._Element | None) -> str:
    assert element is not None
    return str(element.text)


@cache
def chart(name: str) -> WorkflowDefinition:
    return load_definition_file(workflows.HERE / name, workflows.known())


@pytest.mark.parametrize("name", ["school-referral.yaml", "out-of-school-referral.yaml"])
def test_every_state_is_drawn_once_and_only_the_current_one_is_highlighted(name) -> None:
    definition = chart(name)
    doc = etree.fromstring(svg(definition, "enquiries", "c1").encode())
    assert doc.get("role") == "img" and doc.get("aria-labelledby") == "c1-title c1-desc"
    assert text(doc.find(f"{SVG}title")) == f"Process chart: {definition.title}"
    desc = text(doc.find(f"{SVG}desc"))
    assert "The case is at: Reasonable enquiries." in desc
    assert "Close the case with an outcome" in desc or "close" in desc.lower()
    groups = doc.findall(f"{SVG}g")
    assert sorted(attr(g, "data-state") for g in groups) == sorted(definition.states)
    current = [attr(g, "data-state") for g in groups if "--current" in attr(g, "class")]
    assert current == ["enquiries"]
    assert len(doc.findall(f"{SVG}path")) > len(definition.states)


def test_boxes_do_not_overlap_and_the_initial_state_is_on_top() -> None:
    doc = etree.fromstring(svg(chart("school-referral.yaml"), None).encode())
    rects = {attr(g, "data-state"): g.find(f"{SVG}rect") for g in doc.findall(f"{SVG}g")}
    boxes = {
        s: tuple(float(attr(r, k)) for k in ("x", "y", "width", "height"))
        for s, r in rects.items()
    }
    for a, (ax, ay, aw, ah) in boxes.items():
        for b, (bx, by, bw, bh) in boxes.items():
            if a < b:
                assert ax + aw <= bx or bx + bw <= ax or ay + ah <= by or by + bh <= ay, (a, b)
    assert min(boxes, key=lambda s: boxes[s][1]) == "received"
    assert max(boxes, key=lambda s: boxes[s][1]) == "closed"


def test_the_text_alternative_lists_every_state_and_marks_the_current_one() -> None:
    definition = chart("school-referral.yaml")
    lines = states_in_words(definition, "home_visit_1")
    assert [s.id for s in lines] == list(definition.states)
    assert [s.id for s in lines if s.current] == ["home_visit_1"]
    first = lines[0]
    assert "Reasonable enquiries" in first.leads_to
    assert lines[-1].final and lines[-1].leads_to == ()


def test_a_title_is_escaped() -> None:
    from dataclasses import replace

    definition = chart("school-referral.yaml")
    states = dict(definition.states)
    states["received"] = replace(states["received"], title="Referral <received> & logged")
    odd = replace(definition, states=states)
    doc = etree.fromstring(svg(odd, "received").encode())
    texts = "".join(t.text or "" for t in doc.iter(f"{SVG}text"))
    assert "<received>" in texts
