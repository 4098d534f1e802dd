"""The printable letter to a child's parents, for every door: `cme case letter` writes it to
a file, the web shows it with its print stylesheet. Rendered from the jinja2 template
`notifications/templates/letters/parent_letter.html.j2`; the read is kept in the access log
(`case letter`: it shows the child's name and address).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from cme.services.permissions import authorize

if TYPE_CHECKING:
    from cme.bootstrap import App
    from cme.services.principal import Principal


@dataclass(frozen=True, slots=True)
class Letter:
    """A letter: its case reference, its body (an HTML fragment) and a whole page to print."""

    ref: str
    body: str
    page: str


def letter_context(app: App, case_id: int) -> dict[str, Any]:
    """What the template reads: the child, the parents, the school and the authority."""
    from cme.services.cases import read
    from engine.clock import local_date

    view = read(app, case_id)
    case, child = view.case, view.child
    facts = case.facts
    school = facts.get("school") or {}
    stored = child
    name = (stored.name if stored else None) or "your child"
    parents = [str(p) for p in facts.get("parents") or []]
    from storage.casework import child_of

    details = child_of(app.db, case_id)[1]
    address = details.get("address")
    if isinstance(address, dict):
        lines = [str(address[k]) for k in ("line1", "line2", "town", "postcode") if address.get(k)]
    elif isinstance(address, str):
        lines = [p.strip() for p in address.split(",") if p.strip()]
    else:
        lines = []
    settings = app.settings
    from datetime import date

    dob = stored.date_of_birth if stored else None
    return {
        "ref": case.ref,
        "today": local_date(app.clock.now()),
        "child_name": name,
        "date_of_birth": date.fromisoformat(dob) if dob else None,
        "school": school.get("name") if isinstance(school, dict) else None,
        "addressee": " and ".join(parents) if parents else "Parent or carer",
        "address": lines,
        "authority": {
            "name": settings.authority_name,
            "cme_contact_name": settings.cme_contact_name,
            "cme_contact_email": settings.cme_contact_email,
            "cme_contact_phone": settings.cme_contact_phone,
        },
    }


def parent_letter(app: App, principal: Principal, case_id: int) -> Letter:
    """The letter to the parents of the case's child; the read is logged (`case letter`).

    Raises:
        NotPermitted: the role may not print letters.
        CaseNotFound: no case has this id.
    """
    from cme.access import record
    from engine.ports import case_ref
    from notifications.parent_letter import render_letter, standalone

    authorize(app, principal, "case.letter", case_id)
    body = render_letter(letter_context(app, case_id))
    record(app, principal.actor, case_id, "case letter")
    ref = case_ref(case_id)
    return Letter(ref, body, standalone(body, f"{ref}: letter to parents"))
