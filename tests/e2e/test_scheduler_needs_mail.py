"""`cme scheduler` refuses to start without a mail server unless a files-only install is
declared (hostile-tester probe E i): MASH escalations written only to .eml files reach nobody.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.e2e.test_fail_loud_cli import clock as clock  # fixtures
from tests.e2e.test_fail_loud_cli import cme, configure
from tests.e2e.test_fail_loud_cli import environment as environment


def test_the_scheduler_will_not_start_without_smtp_or_files_only(
    monkeypatch: pytest.MonkeyPatch, environment: Path
) -> None:
    configure(monkeypatch, environment, CME_MAIL_FILES_ONLY=None)

    refused = cme("scheduler", code=2)

    text = " ".join(refused.output.split())
    assert text.startswith("the scheduler will not start: no mail server")
    assert "CME_SMTP_HOST" in text
    assert "CME_MAIL_FILES_ONLY=true" in text
