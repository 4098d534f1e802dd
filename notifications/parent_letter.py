"""The printable letter to a child's parents (`cme case letter`, the web's letter page), from
the jinja2 template `templates/letters/parent_letter.html.j2` (HTML, escaped).

It is not a notification (no subject, no recipient role, not in the outbox): it is printed
and posted. The template renders the letter's body only; `standalone` wraps it in a whole
page with its print stylesheet (the web shows the body in its own layout instead).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import jinja2

from notifications.catalogue import TEMPLATES_DIR
from notifications.rendering import format_long_date

LETTERS_DIR = TEMPLATES_DIR / "letters"
PRINT_CSS = LETTERS_DIR / "letter.css"
"""The letter's stylesheet (screen and print: A4, margins, no page chrome)."""


def _env(folder: Path) -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(folder),
        undefined=jinja2.StrictUndefined,
        autoescape=True,
        trim_blocks=True,
        lstrip_blocks=True,
        auto_reload=False,
    )
    env.filters["longdate"] = format_long_date
    return env


def render_letter(context: Mapping[str, Any], folder: Path = LETTERS_DIR) -> str:
    """The letter's body (an HTML fragment, `<article class="letter">`)."""
    return _env(folder).get_template("parent_letter.html.j2").render(**context)


def standalone(body: str, title: str) -> str:
    """A whole HTML page around a letter body, its stylesheet inline (a file to print)."""
    from markupsafe import escape

    css = PRINT_CSS.read_text(encoding="utf-8")
    return (
        '<!DOCTYPE html>\n<html lang="en-GB">\n<head>\n<meta charset="utf-8">\n'
        f"<title>{escape(title)}</title>\n<style>\n{css}</style>\n</head>\n<body>\n"
        f"{body}</body>\n</html>\n"
    )
