"""Builders shared by the integration and end-to-end tests."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cme.bootstrap import App, build_app
from cme.settings import Settings
from engine.clock import LOCAL_ZONE
from engine.testing import FakeClock

# Monday 3 Nov 2025, in Luton's autumn term (LAW.md); the first absence is 20 school days
# earlier than Friday 31 Oct... counted in the tests that need it.
RECIPIENTS = Path(__file__).parent / "recipients.yaml"
"""The school and the other authority the tests' referrals name."""

START = datetime(2025, 11, 3, 9, 0, tzinfo=LOCAL_ZONE).astimezone(UTC)


def make_app(url: str, clock: FakeClock | None = None, **settings: Any) -> App:
    """An app on `url` with a fake clock and the demo's recipients."""
    values: dict[str, Any] = {
        "database_url": url,
        "mash_email": "mash@luton.gov.uk",
        "cmeo_email": "cme@luton.gov.uk",
        "ehe_email": "ehe@luton.gov.uk",
        "manager_email": "manager@luton.gov.uk",
        "mail_allowed_domains": "luton.gov.uk",
        "recipients_file": RECIPIENTS,
        **settings,
    }
    application = build_app(Settings(**values), clock or FakeClock(START))
    application.check_schema()
    return application


def school_referral(**overrides: Any) -> dict[str, Any]:
    """A valid chart-2 referral (a fictional child)."""
    referral: dict[str, Any] = {
        "child": {
            "forename": "Sam",
            "surname": "Testchild",
            "date_of_birth": "2014-05-01",
            "upn": "H801200001001",
        },
        "school": {"id": "8212001", "name": "Example Primary"},
        "first_absence_date": "2025-10-06",
        "reason": "did not return after a weekend",
        "risk_flags": [],
        "referrer": {
            "name": "Ms Head",
            "organisation": "Example Primary",
            "email": "head@example.sch.uk",
        },
    }
    referral.update(overrides)
    return referral
