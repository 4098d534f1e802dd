"""School calendars, for every door: import a school's term dates from an ICS feed into the
calendar file (`import_school_feed`), and re-project every pending deadline counted on a
calendar that changed since (`reproject`).

Each takes the `Principal` its door established and asks `permissions.authorize` itself.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cme.services.errors import Refused
from cme.services.permissions import authorize

if TYPE_CHECKING:
    from cme.bootstrap import App
    from cme.services.principal import Principal


def check_school(school: str) -> None:
    """A door may check the school id before it opens the database.

    Raises:
        Refused: `BadInput` (`field`: school), naming the rule.
    """
    from cme.calendar_file import check_school_id

    try:
        check_school_id(school)
    except ValueError as exc:
        raise Refused(str(exc), "BadInput", field="school") from exc


@dataclass(frozen=True, slots=True)
class Reprojection:
    """The deadlines re-projected: how many cases, and each deadline moved."""

    cases: int
    moved: tuple[dict[str, Any], ...]

    def as_json(self) -> dict[str, Any]:
        """The document `cme calendar reproject --json` prints."""
        return {"cases": self.cases, "moved": list(self.moved)}


def _reproject(app: App, why: str) -> Reprojection:
    moves = app.engine.reproject(why)
    return Reprojection(moves.cases, tuple(moves.moved))


def reproject(app: App, principal: Principal, why: str) -> Reprojection:
    """Recompute every pending deadline counted on a calendar that changed since (`why` is
    recorded on each case).

    Raises:
        ServiceRefusal: the principal may not (recorded in the access log).
    """
    authorize(app, principal, "calendar.reproject")
    return _reproject(app, why)


@dataclass(frozen=True, slots=True)
class CalendarImport:
    """A school's term dates imported, and the deadlines re-projected after."""

    school: str
    file: Path
    terms: int
    closures: int
    reprojection: Reprojection

    def as_json(self) -> dict[str, Any]:
        """The document `cme calendar import --json` prints."""
        return {
            "school": self.school,
            "file": str(self.file),
            "terms": self.terms,
            "closures": self.closures,
            **self.reprojection.as_json(),
        }


def import_school_feed(
    app: App, principal: Principal, feed: Path, school: str, reload: Callable[[], App]
) -> CalendarImport:
    """Import `school`'s term dates from the ICS file `feed` into the calendar file (comments
    kept, written atomically), then re-project every pending deadline counted on it.

    Args:
        reload: how this door builds the application again, so that the re-projection
            counts on the calendar file just written.

    Raises:
        ServiceRefusal: the principal may not (recorded in the access log).
        Refused: `BadInput` (a bad school id, a feed that cannot be read, a calendar file
            that cannot be written).
    """
    from cme.calendar_file import import_school
    from cme.ical import read_feed

    check_school(school)
    authorize(app, principal, "calendar.import")
    try:
        school_dates = read_feed(feed)
    except (OSError, ValueError) as exc:
        raise Refused(f"{feed}: {exc}", "BadInput") from exc
    target = Path(app.settings.calendar).resolve()
    try:
        import_school(target, school, school_dates)
    except OSError as exc:
        raise Refused(f"{target}: cannot write the calendar file: {exc}", "BadInput") from exc
    moves = _reproject(reload(), f"term dates of school {school} imported from {feed.name}")
    return CalendarImport(
        school, target, len(school_dates["terms"]), len(school_dates["closures"]), moves
    )
