"""`python -m bench.serve_at ISO-MOMENT serve ...`: `cme serve` exactly as the console script
runs it, on an app whose clock stands still at ISO-MOMENT (figures 12 and 13).

The seeded cases opened in the fortnight before the bench's clock (`bench.common.START`), and
every other figure runs at that clock. Served at today's date, every seeded deadline would be
long overdue, as if no scheduler had run for a year; figure 12b measures that on purpose, at
the moment it is given.
"""

from __future__ import annotations

import sys
from datetime import datetime


def main() -> None:
    """Pin the app's clock, then hand the rest of the arguments to `cme`."""
    from cme import cli, console
    from cme.bootstrap import build_app
    from engine.testing import FakeClock

    moment = datetime.fromisoformat(sys.argv[1])
    console.APP_FACTORY = lambda: build_app(console.SETTINGS, FakeClock(moment))
    sys.argv = ["cme", *sys.argv[2:]]
    cli.main()


if __name__ == "__main__":
    main()
