"""`make diagrams`: regenerate the process charts in README.md from the YAML definitions, and
the table of permissions from `cme.services.permissions`.

Each chart sits between `<!-- chart:NAME -->` and `<!-- /chart:NAME -->`, the table between
`<!-- permissions -->` and `<!-- /permissions -->`; a test fails when the README differs from
what the YAML draws or the code permits, so the README stays true.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import workflows
from cme.diagram import mermaid
from engine.loader import load_definition_file

README = Path(__file__).resolve().parent.parent / "README.md"


def charts() -> dict[str, str]:
    """workflow id -> the fenced Mermaid block for it."""
    blocks = {}
    for path in workflows.definition_files():
        definition = load_definition_file(path, workflows.known())
        blocks[definition.workflow] = f"```mermaid\n{mermaid(definition)}```"
    return blocks


def _replacer(block: str) -> Callable[[re.Match[str]], str]:
    def replace(match: re.Match[str]) -> str:
        return match.group(1) + block + "\n" + match.group(2)

    return replace


def render(text: str) -> str:
    """`text` with every chart section replaced by the current drawing, and the table of
    permissions by the code's."""
    from cme.services.permissions import render_readme

    text = render_readme(text)
    for name, block in charts().items():
        pattern = re.compile(rf"(<!-- chart:{name} -->\n)(?:.*?\n)?(<!-- /chart:{name} -->)", re.S)
        text = pattern.sub(_replacer(block), text)
    return text


def main() -> None:
    """Rewrite README.md in place."""
    README.write_text(render(README.read_text(encoding="utf-8")), encoding="utf-8")
    print(f"updated {README}")  # noqa: T201


if __name__ == "__main__":
    main()
