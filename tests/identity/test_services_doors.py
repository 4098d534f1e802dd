"""Issue 14: one application layer behind every door. A door that is not the CLI (a web
page, the HTTP API) calls the same services with its own principal, and gets the same
authorization and the same access log: reads kept, refusals kept, nothing written when
refused."""

from __future__ import annotations

import pytest

from cme.services import cases, queue, replay
from cme.services.errors import NotPermitted
from cme.services.principal import Principal
from engine import Actor
from storage.history import access_log
from tests.identity.conftest import Desk
from tests.support import school_referral

WEB = Principal("wendy", "caseworker", "web")
API_AUDITOR = Principal("audrey", "auditor", "api")


def _case(desk: Desk) -> int:
    application = desk.app()
    application.check_schema()
    opened = application.engine.open_case("school-referral", school_referral(), Actor("c", "cmeo"))
    return opened.case.id


def test_reads_through_another_door_are_kept_in_the_access_log(desk: Desk) -> None:
    case_id = _case(desk)
    application = desk.app()

    shown = cases.show(application, WEB, case_id)
    listed = queue.queue(application, WEB, queue.QueueFilter(state=shown.case.state))
    history = replay.history(application, API_AUDITOR, case_id)
    rebuilt = replay.replay(application, API_AUDITOR, case_id, None)

    assert [e.view.case.id for e in listed] == [case_id]
    assert len(history.events) == shown.events == shown.case.version
    assert rebuilt.legal and rebuilt.matches
    rows = [(r["actor"], r["role"], r["action"]) for r in access_log(application.db, case_id)]
    assert rows == [
        ("wendy", "caseworker", "case show"),
        ("wendy", "caseworker", "cases"),
        ("audrey", "auditor", "audit history"),
        ("audrey", "auditor", "audit replay"),
    ]


def test_a_refusal_through_another_door_is_recorded_and_writes_nothing(desk: Desk) -> None:
    case_id = _case(desk)
    application = desk.app()
    before = cases.read(application, case_id)

    with pytest.raises(NotPermitted):
        cases.pause(application, API_AUDITOR, case_id, "family abroad")
    with pytest.raises(NotPermitted):
        cases.advance(application, API_AUDITOR, case_id, "begin_enquiries", {})

    assert cases.read(application, case_id) == before
    refused = [(r["actor"], r["detail"].split(":")[0]) for r in desk.refusals()]
    assert sorted(refused) == [("audrey", "case.advance"), ("audrey", "case.pause")]


def test_advance_through_another_door_shows_the_case_it_wrote(desk: Desk) -> None:
    case_id = _case(desk)
    application = desk.app()

    done = cases.advance(application, WEB, case_id, "begin_enquiries", {})

    assert done.event.actor == "wendy"
    assert done.view == cases.read(application, case_id)
