"""Auditors' reads that had no service yet, for every door: a case's access log (who read
it, who was refused), and one case's chain verified. Both are reads of the case, kept in the
access log like every other.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from cme.bootstrap import App
    from cme.services.principal import Principal
    from cme.services.verify import PublicKeyLoader, Verification


@dataclass(frozen=True, slots=True)
class AccessEntry:
    """One row of the access log: when, who, in which role, what was read (or refused)."""

    at: Any
    actor: str
    role: str
    action: str
    detail: str

    def as_json(self) -> dict[str, Any]:
        """The row as `cme audit access --json` lists it (without the case id)."""
        return {
            "at": self.at.isoformat(),
            "actor": self.actor,
            "role": self.role,
            "action": self.action,
            "detail": self.detail,
        }


def access_entries(
    app: App, principal: Principal, case_id: int, limit: int = 1000
) -> list[AccessEntry]:
    """Who read a case and who was refused, oldest first; this read is itself logged
    (`audit access`), after the rows are read.

    Raises:
        CaseNotFound: no case has this id.
    """
    from cme.access import record
    from storage import queries
    from storage.history import access_log

    queries.case_read(app.db, case_id)
    rows = [
        AccessEntry(r["at"], r["actor"], r["role"], r["action"], r["detail"] or "")
        for r in access_log(app.db, case_id, limit)
    ]
    record(app, principal.actor, case_id, "audit access")
    return rows


def verify_case(
    app: App, principal: Principal, case_id: int, public_key: PublicKeyLoader
) -> Verification:
    """One case's chain and the latest checkpoint, verified; the read is logged
    (`audit verify`)."""
    from cme.access import record
    from cme.services.verify import verify

    report = verify(app, case_id, public_key)
    record(app, principal.actor, case_id, "audit verify")
    return report
