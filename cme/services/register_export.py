"""`export_register`: every case, one row each, for other systems (CSV or JSON), kept in the
access log (one row per case exported, as the queue is).

The rows stream from one read transaction (`storage.interop.register_rows`): nothing holds
every case at once but the list of ids the access log needs.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import IO, TYPE_CHECKING, Any

from cme.services.permissions import authorize

if TYPE_CHECKING:
    from cme.bootstrap import App
    from cme.services.principal import Principal

COLUMNS = (
    "id",
    "ref",
    "workflow",
    "state",
    "priority",
    "opened_at",
    "state_entered_at",
    "closed_at",
    "outcome",
    "forename",
    "surname",
    "date_of_birth",
    "upn",
    "gender",
    "school_id",
    "school_name",
    "first_absence_date",
    "leave_end_date",
    "risk_flags",
)
"""The register's columns, in order (`cme export register --format csv`'s header)."""
FORMATS = ("csv", "json")


def _rows(app: App, ids: list[int]) -> Iterator[dict[str, Any]]:
    from storage.interop import register_rows

    for case, child in register_rows(app.db):
        ids.append(case.id)
        school = case.facts.get("school") or {}
        if not isinstance(school, dict):
            school = {"name": str(school)}
        yield {
            "id": case.id,
            "ref": case.ref,
            "workflow": case.workflow,
            "state": case.state,
            "priority": case.priority,
            "opened_at": case.opened_at.isoformat(),
            "state_entered_at": case.state_entered_at.isoformat(),
            "closed_at": case.closed_at.isoformat() if case.closed_at else None,
            "outcome": case.outcome,
            "forename": child.get("forename"),
            "surname": child.get("surname"),
            "date_of_birth": child.get("date_of_birth"),
            "upn": child.get("upn"),
            "gender": child.get("gender"),
            "school_id": school.get("id"),
            "school_name": school.get("name"),
            "first_absence_date": case.facts.get("first_absence_date"),
            "leave_end_date": case.facts.get("leave_end_date"),
            "risk_flags": list(case.facts.get("risk_flags") or []),
        }


def export_register(app: App, principal: Principal, fmt: str, stream: IO[str]) -> int:
    """Write every case to `stream` as `fmt` (`csv` or `json`); return how many. Each case
    exported is recorded in the access log once the export is complete."""
    from cme.access import record_many
    from cme.interop.tabular import write_csv, write_json
    from cme.services.errors import Refused

    authorize(app, principal, "register.export")
    if fmt not in FORMATS:
        raise Refused(f"--format {fmt[:20]!r}: must be csv or json", "BadInput")
    ids: list[int] = []
    if fmt == "csv":
        count = write_csv(COLUMNS, _rows(app, ids), stream)
    else:
        count = write_json(_rows(app, ids), stream)
    if ids:
        record_many(app, principal.actor, ids, "register export", fmt)
    return count
