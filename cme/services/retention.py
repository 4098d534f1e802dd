"""Retention, for every door: a legal hold (placed or released) and the erasure of closed cases
past the retention period (`Settings.retention_years`, `CME_RETENTION_YEARS`: default 6 years
after closure), never of a case under hold or whose chain is broken.

Each use case takes the `Principal` its door established and asks `permissions.authorize`
itself, so every door gets the same check and the same access-log entry for a refusal.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from cme.services.errors import Refused
from cme.services.permissions import authorize

if TYPE_CHECKING:
    from cme.bootstrap import App
    from cme.services.principal import Principal

REASON_LIMIT = 500


def hold_action(release: bool) -> str:
    """The permission `hold` asks for (`audit.hold.release` or `audit.hold`)."""
    return "audit.hold.release" if release else "audit.hold"


def erase_action(dry_run: bool) -> str:
    """The permission `erase` asks for (`audit.erase.dry_run` or `audit.erase`)."""
    return "audit.erase.dry_run" if dry_run else "audit.erase"


def years_before(moment: datetime, years: int) -> datetime:
    """The same moment `years` calendar years earlier (29 Feb becomes 28 Feb)."""
    try:
        return moment.replace(year=moment.year - years)
    except ValueError:
        return moment.replace(year=moment.year - years, day=28)


def hold_reason(reason: str | None, release: bool) -> str | None:
    """The reason for a hold, cleaned (a door may check it before it opens the database).

    Raises:
        Refused: `BadInput`: no reason for a hold, or one that is not clean text.
    """
    if not release and not (reason or "").strip():
        raise Refused("hold_reason: a legal hold needs --reason", "BadInput")
    if reason is None:
        return None
    from engine.text import TextRefused, clean

    try:
        return clean(reason, REASON_LIMIT)
    except TextRefused as exc:
        raise Refused(f"hold_reason: {exc}", "BadInput") from exc


@dataclass(frozen=True, slots=True)
class HoldState:
    """Whether a case is under legal hold, since when and why."""

    case_id: int
    reason: str | None
    since: datetime | None

    @property
    def held(self) -> bool:
        """Under hold now."""
        return self.since is not None

    def as_json(self) -> dict[str, Any]:
        """The document `cme audit hold --json` prints."""
        return {
            "case_id": self.case_id,
            "held": self.held,
            "reason": self.reason,
            "since": self.since.isoformat() if self.since else None,
        }


def hold(
    app: App, principal: Principal, case_id: int, reason: str | None, release: bool = False
) -> HoldState:
    """Put a case under legal hold (no erasure while it lasts; a hold already in force is
    kept as it is), or release it.

    Raises:
        Refused: `BadInput` (no or unclean reason), `refused` (no hold to release, or the
            case was erased).
        CaseNotFound: no case has this id.
        ServiceRefusal: the principal may not (recorded in the access log).
    """
    from storage.audit import active_hold, erased, place_hold, release_hold

    reason = hold_reason(reason, release)
    app.engine.get(case_id)
    authorize(app, principal, hold_action(release), case_id)
    now = app.clock.now()
    if release:
        if not release_hold(app.db, case_id, principal.actor.label, now):
            raise Refused(f"no_hold: case {case_id} is not under legal hold")
    else:
        if erased(app.db, case_id):
            raise Refused(f"already_erased: case {case_id} was erased; nothing to hold")
        if active_hold(app.db, case_id) is None:
            place_hold(app.db, case_id, reason or "", principal.actor.label, now)
    current = active_hold(app.db, case_id)
    if current is None:
        return HoldState(case_id, None, None)
    return HoldState(case_id, current["reason"], current["placed_at"])


@dataclass(frozen=True, slots=True)
class Erasure:
    """What an erasure did (or, dry, would do): the cases erased and those skipped."""

    dry_run: bool
    retention_years: int
    closed_before: datetime
    erased: tuple[dict[str, Any], ...]
    """case_id, ref, closed_at and (not dry) events_redacted."""
    skipped: tuple[dict[str, Any], ...]
    """case_id, ref, closed_at and the reason (a broken chain)."""

    def as_json(self) -> dict[str, Any]:
        """The document `cme audit erase --json` prints."""
        return {
            "dry_run": self.dry_run,
            "retention_years": self.retention_years,
            "closed_before": self.closed_before.isoformat(),
            "erased": list(self.erased),
            "skipped": list(self.skipped),
        }


def erase_due(app: App, principal: Principal, dry_run: bool = False) -> Erasure:
    """Erase the personal data of every closed case past retention and not under hold (or,
    dry, list them); a case whose chain is broken is skipped, never erased. Their chains
    still verify.

    Raises:
        ServiceRefusal: the principal may not (recorded in the access log).
    """
    from storage.audit import due_for_erasure, erase_case, verify_chains

    years = app.settings.retention_years
    authorize(app, principal, erase_action(dry_run))
    now = app.clock.now()
    cutoff = years_before(now, years)
    erased_cases: list[dict[str, Any]] = []
    skipped: list[dict[str, Any]] = []
    for case in due_for_erasure(app.db, cutoff):
        item: dict[str, Any] = {
            "case_id": case.id,
            "ref": case.ref,
            "closed_at": case.closed_at.isoformat() if case.closed_at else None,
        }
        broken = verify_chains(app.db, case.id).broken
        if broken:
            skipped.append({**item, "reason": f"chain broken at seq {broken[0].seq}"})
            continue
        if not dry_run:
            item["events_redacted"] = erase_case(
                app.db,
                case.id,
                principal.actor,
                now,
                {"retention_years": years, "closed_at": item["closed_at"]},
            )
        erased_cases.append(item)
    return Erasure(dry_run, years, cutoff, tuple(erased_cases), tuple(skipped))
