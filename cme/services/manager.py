"""The manager's view, for every door: open cases by chart and state, and how many of each
have a deadline passed (counts only: no child is named, so nothing is logged as read)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from cme.bootstrap import App
    from cme.services.principal import Principal


@dataclass(frozen=True, slots=True)
class StateCount:
    """Open cases in one state of one chart."""

    workflow: str
    workflow_title: str
    state: str
    state_title: str
    open: int
    overdue: int


@dataclass(frozen=True, slots=True)
class Overview:
    """Every state holding open cases, and the totals."""

    rows: list[StateCount]

    @property
    def open(self) -> int:
        """Open cases in all."""
        return sum(r.open for r in self.rows)

    @property
    def overdue(self) -> int:
        """Open cases with a deadline passed."""
        return sum(r.overdue for r in self.rows)


def overview(app: App, principal: Principal) -> Overview:
    """Open cases counted by state, with how many are overdue, at the app's clock."""
    from storage.worklist import by_state

    titles = {d.workflow: d for d in app.definitions}
    rows = []
    for workflow, state, count, overdue in by_state(app.db, app.clock.now()):
        definition = titles.get(workflow)
        state_def = definition.states.get(state) if definition else None
        rows.append(
            StateCount(
                workflow,
                definition.title if definition else workflow,
                state,
                state_def.title if state_def else state,
                count,
                overdue,
            )
        )
    return Overview(rows)
