"""The caseworkers' queue, for every door: high priority first, then oldest first, with the
filters of `cme cases` (state, closed cases too, how many) and a search by the child's name,
UPN, case reference or school. A case whose MASH escalation is undelivered or unacknowledged
past its deadline is marked. Every case listed is a read, kept in the access log; the search
text is not (it may be a child's name): neither the access log nor the operator log holds it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from cme.services.errors import Refused, ServiceRefusal
from cme.services.views import CaseView, QueueEntry, school_of

if TYPE_CHECKING:
    from cme.bootstrap import App
    from cme.services.principal import Principal
    from storage.read_models import Search

MAX_SEARCH = 200
"""The longest search text accepted (a name, a UPN, a reference or a school)."""


class SearchRefused(ServiceRefusal):
    """A queue search that cannot be run (its text is not repeated: it may be a name)."""

    def __init__(self, rule: str) -> None:
        super().__init__(f"search: {rule}")

    def details(self) -> dict[str, str]:
        """The field and the rule."""
        return {"field": "search", "rule": str(self.args[0]).removeprefix("search: ")}


_REFERENCE = re.compile(r"(?:CME-?)?0*(\d{1,12})", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class QueueFilter:
    """Which cases the queue lists."""

    state: str | None = None
    """Only cases in this state."""
    assignee: str | None = None
    """Only cases assigned to this account (the principal's own name: "my cases")."""
    mine: bool = False
    """Only cases assigned to the principal (`assignee` is then the principal's name)."""
    include_closed: bool = False
    limit: int = 50
    search: str | None = None
    """Only cases whose child's forename or surname (either or both words), UPN (exactly),
    case reference (`CME-000001` or the number) or school (its id, or part of its name)
    matches, ignoring case."""


def parse_search(text: str) -> Search:
    """The search as the storage layer runs it.

    Raises:
        SearchRefused: the text is empty, too long, or holds a control character (a NUL
            reaches no database: PostgreSQL refuses one in any text).
    """
    from storage.read_models import Search
    from workflows.upn import UPN_LENGTH, normalise_upn

    words = tuple(text.lower().split())
    if not words:
        raise SearchRefused("must not be empty: give a name, UPN, case reference or school")
    if len(text) > MAX_SEARCH:
        raise SearchRefused(f"must be at most {MAX_SEARCH} characters")
    if any(not c.isprintable() and not c.isspace() for c in text):
        raise SearchRefused("must not contain control or invisible characters")
    joined = " ".join(words)
    reference = _REFERENCE.fullmatch(joined.replace(" ", ""))
    case_id = int(reference.group(1)) if reference and int(reference.group(1)) > 0 else None
    upn = normalise_upn(joined)
    return Search(words=words, case_id=case_id, upn=upn if len(upn) == UPN_LENGTH else None)


def queue(app: App, principal: Principal, wanted: QueueFilter | None = None) -> list[QueueEntry]:
    """The queue as `wanted` filters it; each case listed is logged as read (`cases`)."""
    from cme.access import record_many
    from cme.escalation import escalation_marks
    from storage import queries, read_models

    wanted = wanted or QueueFilter()
    if wanted.mine and wanted.assignee not in (None, principal.who):
        raise Refused("assignee: give either mine or an assignee, not both", kind="BadInput")
    search = parse_search(wanted.search) if wanted.search is not None else None
    found = read_models.queue(
        app.db,
        state=wanted.state,
        include_closed=wanted.include_closed,
        limit=wanted.limit,
        search=search,
        assignee=principal.who if wanted.mine else wanted.assignee,
    )
    extras = queries.deadlines_and_counts(app.db, [r.case.id for r in found])
    marks = escalation_marks(app, [(r.case.id, r.case.state) for r in found])
    entries = []
    for row in found:
        case = row.case
        definition = app.registry.compiled(case.definition_hash).definition
        timers, events = extras[case.id]
        view = CaseView(case, definition.states[case.state].title, tuple(timers), events)
        names = [n for n in (row.child.get("forename"), row.child.get("surname")) if n]
        school_id, school_name = school_of(case.facts)
        entries.append(
            QueueEntry(
                view,
                marks.get(case.id),
                child_name=" ".join(str(n) for n in names) or None,
                school=school_name or school_id,
                assignee=row.assignee,
            )
        )
    record_many(app, principal.actor, [r.case.id for r in found], "cases")
    return entries
