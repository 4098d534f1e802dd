"""Fixtures for the notifications unit tests: the renderer and the golden-file check."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest

from notifications.rendering import TemplateRenderer
from notifications.testing import SAMPLE_RECIPIENTS

GOLDEN_DIR = Path(__file__).resolve().parents[2] / "golden" / "notifications"
UPDATE_GOLDEN = os.environ.get("CME_UPDATE_GOLDEN") == "1"

GoldenCheck = Callable[[str, str], None]


@pytest.fixture(scope="session")
def renderer() -> TemplateRenderer:
    """The shipped templates, addressed with the sample recipients."""
    return TemplateRenderer(SAMPLE_RECIPIENTS)


@pytest.fixture
def golden() -> GoldenCheck:
    """Compare text with `tests/golden/notifications/NAME` exactly, or rewrite it when
    `CME_UPDATE_GOLDEN=1` (then read the diff before committing it)."""

    def check(name: str, actual: str) -> None:
        path = GOLDEN_DIR / name
        if UPDATE_GOLDEN:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(actual, encoding="utf-8", newline="")
            return
        assert path.is_file(), f"no golden file {path}; run with CME_UPDATE_GOLDEN=1 to create it"
        assert actual == path.read_text(encoding="utf-8")

    return check
