"""Which notification templates exist: their folder and complete names, without jinja2.

A template is three files, `NAME.subject.j2`, `NAME.txt.j2` and `NAME.html.j2`; files whose
name starts with `_` are shared pieces (bases and macros). Validating a chart needs only the
names, so this module imports nothing beyond the standard library: a command that reads a case
(`cme case show`) does not load jinja2 (`notifications.rendering` does, to render).
"""

from __future__ import annotations

from pathlib import Path

TEMPLATES_DIR = Path(__file__).parent / "templates"
"""Where the shipped templates live."""

TEMPLATE_SUFFIXES = (".subject.j2", ".txt.j2", ".html.j2")
"""The three files of a template, after its name."""


def template_names(templates_dir: Path = TEMPLATES_DIR) -> list[str]:
    """The names of the complete templates (subject, text and HTML all present), sorted."""
    files = {p.name for p in templates_dir.glob("*.j2") if not p.name.startswith("_")}
    names = {f.split(".", 1)[0] for f in files}
    return sorted(n for n in names if all(f"{n}{s}" in files for s in TEMPLATE_SUFFIXES))


__all__ = ["TEMPLATES_DIR", "TEMPLATE_SUFFIXES", "template_names"]
