"""A report document as Markdown, HTML (with charts), CSV or JSON: text only from the
document, in its order, so the same figures give the same bytes.

A document is `{"report", "title", "period", "as_of", "figures"}`; the renderers walk
`figures`: a number or text is a line, a mapping of numbers a two-column table, a list of
mappings a table with a column per key (nested mappings flattened as `key.sub`).
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Mapping
from typing import Any

from jinja2 import Environment

FORMATS = ("md", "html", "csv", "json")
CHART_ONLY = frozenset({"days_to_resolution", "reason_titles", "band_titles"})
"""Keys that feed charts or labels, shown in JSON only."""


def _title(key: str) -> str:
    return key.replace("_", " ").replace("-", " ").capitalize()


def _text(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def _flat(row: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {}
    for k, v in row.items():
        if isinstance(v, Mapping):
            out.update(_flat(v, f"{prefix}{k}."))
        else:
            out[f"{prefix}{k}"] = v
    return out


def _labels(doc: Mapping[str, Any]) -> dict[str, str]:
    figures = doc["figures"]
    return {**figures.get("band_titles", {}), **figures.get("reason_titles", {})}


def blocks(doc: Mapping[str, Any]) -> list[tuple[int, str, str, Any]]:
    """(depth, heading, kind, body) in order; kind `value` (body: text), `pairs` (a list of
    (label, value)), `table` ((columns, rows)) or `heading` (no body)."""
    labels = _labels(doc)
    found: list[tuple[int, str, str, Any]] = []

    def walk(value: Any, key: str, depth: int) -> None:
        if key in CHART_ONLY:
            return
        if isinstance(value, Mapping) and not value:
            found.append((depth, _title(key), "value", "none"))
        elif isinstance(value, Mapping):
            if all(not isinstance(v, Mapping | list) for v in value.values()):
                pairs = [(labels.get(k, k), _text(v)) for k, v in value.items()]
                found.append((depth, _title(key), "pairs", pairs))
                return
            found.append((depth, _title(key), "heading", None))
            for k, v in value.items():
                walk(v, k, depth + 1)
        elif isinstance(value, list):
            if value and all(isinstance(v, Mapping) for v in value):
                rows = [_flat(v) for v in value]
                columns = list(dict.fromkeys(k for r in rows for k in r))
                table = [[_text(r.get(c)) for c in columns] for r in rows]
                found.append((depth, _title(key), "table", (columns, table)))
            else:
                found.append((depth, _title(key), "value", ", ".join(map(_text, value)) or "none"))
        else:
            found.append((depth, _title(key), "value", _text(value)))

    for k, v in doc["figures"].items():
        walk(v, k, 2)
    return found


def header(doc: Mapping[str, Any]) -> list[tuple[str, str]]:
    rows = [("Report", doc["title"])]
    if doc.get("period"):
        first, last = doc["period"]["first"], doc["period"]["last"]
        rows.append(("Period", first if first == last else f"{first} to {last}"))
    rows.append(("As of", doc["as_of"]))
    return rows


def markdown(doc: Mapping[str, Any]) -> str:
    lines = [f"# {doc['title']}", ""]
    lines += [f"- {k}: {v}" for k, v in header(doc)] + [""]
    for depth, heading, kind, body in blocks(doc):
        if kind == "value":
            lines += [f"- {heading}: {body}", ""]
            continue
        lines += ["#" * min(depth, 6) + " " + heading, ""]
        if kind == "pairs":
            lines += ["| item | value |", "| --- | ---: |"]
            lines += [f"| {k} | {v} |" for k, v in body] + [""]
        elif kind == "table":
            columns, rows = body
            lines += ["| " + " | ".join(columns) + " |", "|" + " --- |" * len(columns)]
            lines += ["| " + " | ".join(r) + " |" for r in rows] + [""]
    return "\n".join(lines).rstrip() + "\n"


def as_json(doc: Mapping[str, Any]) -> str:
    return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"


def as_csv(doc: Mapping[str, Any]) -> str:
    """Register: one row per case. Others: one row per figure (`section`, `item`, `value`)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    cases = doc["figures"].get("cases")
    if doc["report"] == "register" and isinstance(cases, list):
        columns = list(cases[0]) if cases else ["case"]
        writer.writerow(columns)
        writer.writerows(
            [[_text(c.get(k)) if c.get(k) is not None else "" for k in columns] for c in cases]
        )
        return out.getvalue()
    writer.writerow(["section", "item", "value"])

    def walk(value: Any, path: str) -> None:
        if path.split(".")[-1] in CHART_ONLY:
            return
        if isinstance(value, Mapping):
            for k, v in value.items():
                walk(v, f"{path}.{k}" if path else str(k))
        elif isinstance(value, list) and value and all(isinstance(v, Mapping) for v in value):
            for i, v in enumerate(value):
                key = next(iter(v.values()))
                walk(dict(v), f"{path}[{key if isinstance(key, str) else i}]")
        elif isinstance(value, list):
            writer.writerow([path, "", " ".join(map(_text, value))])
        else:
            section, _, item = path.partition(".")
            writer.writerow([section, item, _text(value)])

    walk(doc["figures"], "")
    return out.getvalue()


_HTML = Environment(autoescape=True, trim_blocks=True, lstrip_blocks=True).from_string(
    """<!DOCTYPE html>
<html lang="en-GB">
<head>
<meta charset="utf-8">
<title>{{ doc.title }}</title>
<style>
body { font-family: "DejaVu Sans", Arial, sans-serif; color: #0b0c0c; margin: 2rem auto;
  max-width: 60rem; padding: 0 1rem; font-size: 15px; }
h1 { font-size: 1.8rem; margin-bottom: .5rem; } h2 { border-top: 2px solid #1d70b8;
  padding-top: .6rem; margin-top: 2rem; } h3, h4 { margin-bottom: .3rem; }
table { border-collapse: collapse; margin: .5rem 0 1rem; }
th, td { border-bottom: 1px solid #b1b4b6; padding: .25rem .8rem .25rem 0; text-align: left; }
td.n { text-align: right; font-variant-numeric: tabular-nums; }
dl.meta { display: grid; grid-template-columns: max-content auto; gap: .2rem 1rem; }
dl.meta dt { font-weight: bold; } dl.meta dd { margin: 0; }
.charts { display: grid; grid-template-columns: 1fr 1fr; gap: 1rem; }
.charts figure { margin: 0; } .charts svg { width: 100%; height: auto; }
.personal { background: #fff7bf; padding: .5rem; border-left: 5px solid #ffdd00; }
@media print { body { margin: 0; max-width: none; font-size: 10pt; }
  h2 { break-after: avoid; } table, figure { break-inside: avoid; }
  .charts { grid-template-columns: 1fr 1fr; } @page { size: A4; margin: 15mm; } }
</style>
</head>
<body>
<h1>{{ doc.title }}</h1>
<dl class="meta">
{% for k, v in head %}<dt>{{ k }}</dt><dd>{{ v }}</dd>
{% endfor %}
</dl>
{% if doc.report == "register" %}
<p class="personal">Personal data: this register names children. Keep it as the authority's
data-protection policy requires; its reading is recorded in the access log.</p>
{% endif %}
{% if charts %}
<h2>Charts</h2>
<div class="charts">
{% for title, svg in charts %}<figure aria-label="{{ title }}">{{ svg|safe }}</figure>
{% endfor %}
</div>
{% endif %}
{% for depth, heading, kind, body in blocks %}
{% if kind == "value" %}<p><strong>{{ heading }}:</strong> {{ body }}</p>
{% else %}<h{{ [depth, 6]|min }}>{{ heading }}</h{{ [depth, 6]|min }}>
{% if kind == "pairs" %}
<table>{% for k, v in body %}<tr><th scope="row">{{ k }}</th><td class="n">{{ v }}</td></tr>
{% endfor %}</table>
{% elif kind == "table" %}
<table><thead><tr>{% for c in body[0] %}<th scope="col">{{ c }}</th>{% endfor %}</tr></thead>
<tbody>{% for row in body[1] %}<tr>{% for v in row %}<td>{{ v }}</td>{% endfor %}</tr>
{% endfor %}</tbody></table>
{% endif %}
{% endif %}
{% endfor %}
</body>
</html>
"""
)


def charts_for(doc: Mapping[str, Any]) -> list[tuple[str, str]]:
    """The charts of a monthly or annual report (none for the others)."""
    from cme.reports import charts

    figures = doc["figures"]
    if doc["report"] not in ("monthly", "annual"):
        return []
    months = figures["series"]["months"]
    labels = [m["month"] for m in months]
    routes = figures["series"]["routes"]
    deadlines = [(d["title"], d["met"], d["missed"]) for d in figures["deadlines"]]
    return [
        (
            "Open cases at each month's end",
            charts.line(
                "Open cases at each month's end", labels, [m["open_at_end"] for m in months]
            ),
        ),
        (
            "Referrals per month by route",
            charts.stacked(
                "Referrals per month by route",
                labels,
                {r: [m["referrals"][r] for m in months] for r in routes},
            ),
        ),
        ("Deadlines met and missed", charts.met_missed("Deadlines met and missed", deadlines)),
        (
            "Days to resolution",
            charts.histogram(
                "Days to resolution (cases closed)",
                figures["closures"]["days_to_resolution"],
                "calendar days",
            ),
        ),
    ]


def html(doc: Mapping[str, Any]) -> str:
    return _HTML.render(doc=doc, head=header(doc), blocks=blocks(doc), charts=charts_for(doc))


def render(doc: Mapping[str, Any], fmt: str) -> str:
    """`doc` in `fmt` (one of `FORMATS`)."""
    return {"md": markdown, "html": html, "csv": as_csv, "json": as_json}[fmt](doc)
