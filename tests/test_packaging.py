"""The project's own packages are the ones imported, and the README's charts are current."""

from __future__ import annotations

from pathlib import Path

import engine
from cme import readme_diagrams

ROOT = Path(__file__).resolve().parent.parent


def test_engine_is_imported_from_this_repository() -> None:
    assert Path(engine.__file__).resolve().is_relative_to(ROOT)


def test_the_readme_charts_are_drawn_from_the_current_yaml() -> None:
    text = readme_diagrams.README.read_text(encoding="utf-8")

    assert readme_diagrams.render(text) == text, "run `make diagrams`"


def test_the_schema_revisions_the_cli_knows_match_the_migration_scripts() -> None:
    from storage import migrate, schema

    assert (schema.HEAD, set(schema.KNOWN)) == (migrate.head_revision(), migrate.known_revisions())
