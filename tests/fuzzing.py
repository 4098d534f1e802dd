"""How hard the property tests push: CI size by default, `make fuzz` size with CME_FUZZ=1.

Tests may read the environment (product code reads it only in cme/settings.py).
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

FUZZ = os.environ.get("CME_FUZZ", "") not in ("", "0")


def examples(ci: int, fuzz: int) -> settings:
    """Hypothesis settings with `ci` examples, or `fuzz` under `make fuzz`."""
    return settings(
        max_examples=fuzz if FUZZ else ci,
        deadline=None,
        derandomize=not FUZZ,  # CI runs the same examples every time; fuzz explores
        suppress_health_check=[
            HealthCheck.function_scoped_fixture,
            HealthCheck.too_slow,
            HealthCheck.data_too_large,
        ],
    )
