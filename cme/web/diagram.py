"""A case's chart as a small SVG, drawn on the server from the workflow definition, with the
case's state highlighted: no JavaScript, no layout engine.

The layout follows the chart's own order (states in file order, which is the process's order):
each state sits one row below the latest state that leads to it from earlier in the file, so the
usual path reads top to bottom. A step to the next row is a straight arrow; a step that skips
rows runs down a lane on the left, one lane per state it leads to; a step back (MASH returns the
case to enquiries) runs up a lane on the right. Steps possible from every open state (close the
case) and steps that stay in the state are left out of the picture and said in its description.

The SVG has a `<title>` and a `<desc>`, and `states_in_words` gives the text alternative the
page lists beside it (every state, the current one marked).
"""

from __future__ import annotations

import textwrap
from dataclasses import dataclass
from html import escape

from engine.definition import WorkflowDefinition

BOX_W = 210
LINE_H = 14
PAD = 8
ROW_GAP = 26
COL_GAP = 24
LANE = 9
WRAP = 30
MAX_LINES = 3


@dataclass(frozen=True, slots=True)
class _Box:
    state: str
    lines: tuple[str, ...]
    row: int
    col: int
    x: float = 0.0
    y: float = 0.0

    @property
    def h(self) -> float:
        return len(self.lines) * LINE_H + 2 * PAD


@dataclass(frozen=True, slots=True)
class StateLine:
    """One state for the text alternative."""

    id: str
    title: str
    current: bool
    final: bool
    leads_to: tuple[str, ...]


def _edges(definition: WorkflowDefinition) -> tuple[list[tuple[str, str]], list[str]]:
    """(source, target) pairs to draw, and the titles of steps open from every open state."""
    everywhere = set(definition.open_states())
    pairs: dict[tuple[str, str], None] = {}
    anywhere: list[str] = []
    for t in definition.triggers.values():
        if t.internal:
            continue
        if len(everywhere) > 2 and everywhere <= set(t.sources):
            anywhere.append(t.title)
            continue
        for s in t.sources:
            if s != t.target:
                pairs[(s, t.target)] = None
    return list(pairs), anywhere


def _layout(definition: WorkflowDefinition, edges: list[tuple[str, str]]) -> list[_Box]:
    order = [s for s in definition.states if not definition.is_final(s)]
    order += [s for s in definition.states if definition.is_final(s)]
    index = {s: i for i, s in enumerate(order)}
    row: dict[str, int] = {}
    for s in order:
        earlier = [row[a] for a, b in edges if b == s and index[a] < index[s] and a in row]
        row[s] = max(earlier, default=-1) + 1
    last = max(row.values(), default=0)
    for s in order:
        if definition.is_final(s):
            row[s] = last + 1 if any(row[o] == last for o in order if o != s) else last
    rows: dict[int, list[str]] = {}
    for s in order:
        rows.setdefault(row[s], []).append(s)
    boxes = []
    for r, members in sorted(rows.items()):
        for c, s in enumerate(members):
            lines = textwrap.wrap(definition.states[s].title, WRAP) or [s]
            if len(lines) > MAX_LINES:
                lines = [*lines[: MAX_LINES - 1], lines[MAX_LINES - 1][: WRAP - 3] + "..."]
            boxes.append(_Box(s, tuple(lines), r, c))
    return boxes


def svg(definition: WorkflowDefinition, current: str | None, ident: str = "chart") -> str:
    """The chart as an inline SVG document, `current` highlighted (None: no state is)."""
    edges, anywhere = _edges(definition)
    boxes = _layout(definition, edges)
    by_row: dict[int, list[_Box]] = {}
    for b in boxes:
        by_row.setdefault(b.row, []).append(b)
    heights = {r: max(b.h for b in members) for r, members in by_row.items()}
    index = {b.state: b for b in boxes}
    skip_targets = sorted(
        {b for a, b in edges if index[b].row > index[a].row + 1 or _same_row(index, a, b)}
    )
    back_targets = sorted({b for a, b in edges if index[b].row < index[a].row})
    left = 12 + LANE * len(skip_targets)
    widest = max(len(m) for m in by_row.values())
    width = left + widest * BOX_W + (widest - 1) * COL_GAP + 12 + LANE * len(back_targets)
    y = 10.0
    placed: dict[str, _Box] = {}
    for r in sorted(by_row):
        for b in by_row[r]:
            x = left + b.col * (BOX_W + COL_GAP)
            placed[b.state] = _Box(b.state, b.lines, b.row, b.col, x, y)
        y += heights[r] + ROW_GAP
    height = y - ROW_GAP + 10
    right = left + widest * BOX_W + (widest - 1) * COL_GAP
    parts: list[str] = []
    for source, target in edges:
        parts.append(
            _edge(placed[source], placed[target], skip_targets, back_targets, left, right)
        )
    for box in placed.values():
        parts.append(_box(box, box.state == current, definition.is_final(box.state)))
    title = f"Process chart: {definition.title}"
    now = (
        f" The case is at: {definition.states[current].title}."
        if current is not None and current in definition.states
        else ""
    )
    also = f" Not drawn: from any open state, {'; '.join(anywhere)}." if anywhere else ""
    desc = (
        f"{len(definition.states)} states, top to bottom in the order of the process.{now}"
        f"{also} The list after the chart gives every state and where it leads."
    )
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="cme-chart" role="img" '
        f'viewBox="0 0 {width:.0f} {height:.0f}" width="{width:.0f}" height="{height:.0f}" '
        f'aria-labelledby="{ident}-title {ident}-desc">'
        f'<title id="{ident}-title">{escape(title)}</title>'
        f'<desc id="{ident}-desc">{escape(desc)}</desc>'
        '<defs><marker id="' + ident + '-arrow" viewBox="0 0 10 10" refX="9" refY="5" '
        'markerWidth="7" markerHeight="7" orient="auto-start-reverse">'
        '<path d="M0 0 L10 5 L0 10 z" fill="#505a5f"/></marker></defs>'
        + "".join(parts).replace("ARROW", f"{ident}-arrow")
        + "</svg>"
    )


def _same_row(index: dict[str, _Box], a: str, b: str) -> bool:
    return index[a].row == index[b].row


def _edge(a: _Box, b: _Box, skips: list[str], backs: list[str], left: float, right: float) -> str:
    attrs = 'fill="none" stroke="#505a5f" stroke-width="1.2" marker-end="url(#ARROW)"'
    if b.row == a.row + 1:
        x1, y1 = a.x + BOX_W / 2, a.y + a.h
        x2, y2 = b.x + BOX_W / 2, b.y
        return f'<path d="M{x1:.0f} {y1:.0f} L{x2:.0f} {y2 - 1:.0f}" {attrs}/>'
    if b.row > a.row or a.row == b.row:
        lane = left - 6 - LANE * skips.index(b.state)
        x1, y1 = a.x, a.y + a.h / 2 + 4
        x2, y2 = b.x, b.y + b.h / 2 - 4
        if a.col or b.col:  # a box not in the first column: start from its lower edge
            x1, y1 = a.x + 12, a.y + a.h
        return (
            f'<path d="M{x1:.0f} {y1:.0f} L{lane:.0f} {y1:.0f} L{lane:.0f} {y2:.0f} '
            f'L{x2 - 1:.0f} {y2:.0f}" {attrs} stroke-dasharray="4 2"/>'
        )
    lane = right + 6 + LANE * backs.index(b.state)
    x1, y1 = a.x + BOX_W, a.y + a.h / 2 + 4
    x2, y2 = b.x + BOX_W, b.y + b.h / 2 - 4
    return (
        f'<path d="M{x1:.0f} {y1:.0f} L{lane:.0f} {y1:.0f} L{lane:.0f} {y2:.0f} '
        f'L{x2 + 1:.0f} {y2:.0f}" {attrs} stroke-dasharray="2 2"/>'
    )


def _box(b: _Box, current: bool, final: bool) -> str:
    fill, ink, stroke, weight = "#ffffff", "#0b0c0c", "#505a5f", "400"
    if current:
        fill, ink, stroke, weight = "#1d70b8", "#ffffff", "#0b0c0c", "700"
    elif final:
        fill = "#f3f2f1"
    rx = "14" if final else "3"
    cls = "cme-chart__state cme-chart__state--current" if current else "cme-chart__state"
    out = [
        f'<g class="{cls}" data-state="{escape(b.state)}">',
        f'<rect x="{b.x:.0f}" y="{b.y:.0f}" width="{BOX_W}" height="{b.h:.0f}" rx="{rx}" '
        f'fill="{fill}" stroke="{stroke}" stroke-width="{3 if current else 1}"/>',
    ]
    for i, line in enumerate(b.lines):
        ty = b.y + PAD + (i + 1) * LINE_H - 3
        out.append(
            f'<text x="{b.x + BOX_W / 2:.0f}" y="{ty:.0f}" text-anchor="middle" '
            f'font-family="Arial, sans-serif" font-size="12" font-weight="{weight}" '
            f'fill="{ink}">{escape(line)}</text>'
        )
    out.append("</g>")
    return "".join(out)


def states_in_words(definition: WorkflowDefinition, current: str | None) -> list[StateLine]:
    """The text alternative: every state in order, the current one marked, and where each
    leads (titles of the states its steps reach)."""
    edges, _ = _edges(definition)
    lines = []
    for s in definition.states.values():
        targets = dict.fromkeys(b for a, b in edges if a == s.id)
        lines.append(
            StateLine(
                s.id,
                s.title,
                s.id == current,
                s.final,
                tuple(definition.states[t].title for t in targets),
            )
        )
    return lines
