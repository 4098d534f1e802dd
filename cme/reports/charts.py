"""The HTML reports' charts: matplotlib (Agg) to inline SVG, deterministic.

The same figures give the same bytes: a fixed `svg.hashsalt` (matplotlib's element ids), no
date or creator in the metadata, text kept as text (`svg.fonttype: none`, no font embedding).
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

COLOURS = ("#1d70b8", "#f47738", "#00703c", "#d4351c", "#4c2c92", "#505a5f")
_HEADER = re.compile(r"^.*?(?=<svg)", re.S)


@contextmanager
def _figure(width: float = 7.0, height: float = 3.0) -> Iterator[tuple[Any, Any]]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    style: dict[str, Any] = {
        "svg.hashsalt": "cme-reports",
        "svg.fonttype": "none",
        "font.family": "DejaVu Sans",
        "font.size": 9,
        "axes.spines.top": False,
        "axes.spines.right": False,
    }
    with plt.rc_context(style):  # type: ignore[arg-type]
        fig, ax = plt.subplots(figsize=(width, height))
        try:
            yield fig, ax
        finally:
            plt.close(fig)


def _svg(fig: Any) -> str:
    out = io.StringIO()
    fig.tight_layout()
    fig.savefig(out, format="svg", metadata={"Date": None, "Creator": None})
    return _HEADER.sub("", out.getvalue(), count=1).strip()


def line(title: str, labels: Sequence[str], values: Sequence[int]) -> str:
    """One series over time (open cases at each month's end)."""
    with _figure() as (fig, ax):
        ax.plot(range(len(values)), values, marker="o", color=COLOURS[0])
        ax.set_xticks(range(len(labels)), labels, rotation=45, ha="right")
        ax.set_title(title)
        ax.set_ylim(bottom=0)
        ax.yaxis.get_major_locator().set_params(integer=True)
        return _svg(fig)


def stacked(title: str, labels: Sequence[str], series: Mapping[str, Sequence[int]]) -> str:
    """Bars per label, stacked by series (referrals per month by route)."""
    with _figure() as (fig, ax):
        base = [0] * len(labels)
        for i, (name, values) in enumerate(series.items()):
            ax.bar(range(len(labels)), values, bottom=base, label=name, color=COLOURS[i % 6])
            base = [b + v for b, v in zip(base, values, strict=True)]
        ax.set_xticks(range(len(labels)), labels, rotation=45, ha="right")
        ax.set_title(title)
        ax.yaxis.get_major_locator().set_params(integer=True)
        if series:
            ax.legend(frameon=False)
        return _svg(fig)


def met_missed(title: str, rows: Sequence[tuple[str, int, int]]) -> str:
    """Deadline compliance: met and missed, side by side, per deadline."""
    with _figure(7.0, 0.6 + 0.5 * max(1, len(rows))) as (fig, ax):
        ys = range(len(rows))
        ax.barh([y + 0.2 for y in ys], [r[1] for r in rows], 0.4, label="met", color=COLOURS[2])
        ax.barh([y - 0.2 for y in ys], [r[2] for r in rows], 0.4, label="missed", color=COLOURS[3])
        ax.set_yticks(list(ys), [r[0] for r in rows])
        ax.invert_yaxis()
        ax.set_title(title)
        ax.xaxis.get_major_locator().set_params(integer=True)
        ax.legend(frameon=False)
        return _svg(fig)


def histogram(title: str, values: Sequence[int], unit: str) -> str:
    """How many cases took how long (days to resolution)."""
    with _figure() as (fig, ax):
        top = max(values, default=0)
        width = max(1, -(-(top + 1) // 20))
        edges = list(range(0, top + width + 1, width))
        ax.hist(list(values), bins=edges, color=COLOURS[0], edgecolor="white")
        ax.set_xlabel(unit)
        ax.set_ylabel("cases")
        ax.set_title(title)
        ax.yaxis.get_major_locator().set_params(integer=True)
        return _svg(fig)
