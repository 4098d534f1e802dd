"""`make report-image`: the README's picture of a monthly report.

Builds the report tests' known cases (fictional children, tests/reports/conftest.py) in a
scratch SQLite file, renders November 2025's monthly report as HTML and has headless chromium
(Debian's /usr/bin/chromium) take a screenshot: docs/screenshots/monthly-report.png.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

from cme.reports.render import render
from cme.services import reports
from engine.testing import FakeClock
from tests.reports.conftest import CMEO, build_until_november, local
from tests.support import make_app

ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / "docs" / "screenshots" / "monthly-report.png"
CHROMIUM = "/usr/bin/chromium"


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="cme-report-image-") as scratch:
        folder = Path(scratch)
        clock = FakeClock(local(2025, 6, 2))
        app = make_app(f"sqlite:///{folder / 'cme.db'}", clock)
        build_until_november(app, clock)
        clock.set(local(2025, 12, 1, 9))
        page = folder / "monthly.html"
        page.write_text(render(reports.monthly(app, CMEO, "2025-11"), "html"), encoding="utf-8")
        app.db.dispose()
        OUT.parent.mkdir(parents=True, exist_ok=True)
        subprocess.run(
            [
                CHROMIUM,
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--hide-scrollbars",
                f"--user-data-dir={folder / 'profile'}",
                "--window-size=1100,1500",
                f"--screenshot={OUT}",
                page.as_uri(),
            ],
            check=True,
            capture_output=True,
            timeout=120,
        )
    sys.stdout.write(f"wrote {OUT.relative_to(ROOT)}\n")


if __name__ == "__main__":
    main()
