"""The auditors' views over HTTP: history, replay as of a moment (the earlier state), verify,
the access log and the export download; all read-only, all kept in the access log."""

from __future__ import annotations

import json
from datetime import timedelta

from cme.services.cases import advance, read
from cme.services.principal import Principal
from engine.clock import LOCAL_ZONE
from storage.history import access_log
from tests.webcase.conftest import Site, csrf_of, texts

CMEO = Principal("carol", "cmeo", "web")


def _moved_on(site: Site) -> tuple[int, str]:
    """A case opened, then (a day later) taken into enquiries; the local moment between."""
    case_id = site.open_case()
    between = site.clock.now() + timedelta(hours=2)
    site.clock.advance(timedelta(days=1))
    advance(site.app, CMEO, case_id, "begin_enquiries", {})
    return case_id, between.astimezone(LOCAL_ZONE).strftime("%d %m %Y %H:%M")


def test_history_lists_every_step(site: Site) -> None:
    case_id, _ = _moved_on(site)
    page = site.browser("auditor").get(f"/cases/CME-{case_id:06d}/history")
    assert page.status_code == 200
    titles = texts(page.text, "//h2[@class='moj-timeline__title']")
    assert titles == ["1. Open case", "2. Begin reasonable enquiries"]
    assert "by carol (cmeo)" in page.text
    assert [r["action"] for r in access_log(site.app.db, case_id)][-1] == "audit history"


def test_replay_as_of_a_moment_shows_the_earlier_state(site: Site) -> None:
    case_id, between = _moved_on(site)
    day, month, year, time = between.split()
    auditor = site.browser("auditor")
    earlier = auditor.get(
        f"/cases/{case_id}/replay",
        params={"day": day, "month": month, "year": year, "time": time},
    )
    assert earlier.status_code == 200
    assert "(received)" in texts(earlier.text, "//dd[@id='replay-state']")[0]
    known = texts(earlier.text, "//h3[.='What was known']/following-sibling::dl[1]//dd")
    assert "Mon 6 Oct 2025" in known  # the first day of absence, in words
    now = auditor.get(f"/cases/{case_id}/replay", params={"day": "", "time": ""})
    assert "(enquiries)" in texts(now.text, "//dd[@id='replay-state']")[0]
    assert read(site.app, case_id).case.state == "enquiries"
    replays = [r for r in access_log(site.app.db, case_id) if r["action"] == "audit replay"]
    assert len(replays) == 2 and replays[0]["detail"]


def test_replay_with_a_moment_missing_its_month_is_refused_on_the_field(site: Site) -> None:
    case_id, _ = _moved_on(site)
    page = site.browser("auditor").get(
        f"/cases/{case_id}/replay", params={"day": "3", "year": "2025", "time": "10:00"}
    )
    assert page.status_code == 400
    assert "must include a month" in page.text and 'href="#moment-day"' in page.text


def test_verify_access_log_and_export(site: Site) -> None:
    case_id, _ = _moved_on(site)
    auditor = site.browser("auditor")
    verified = auditor.get(f"/cases/{case_id}/verify")
    assert verified.status_code == 200 and "The history verifies" in verified.text

    access = auditor.get(f"/cases/{case_id}/access")
    assert access.status_code == 200
    assert "audit verify" in access.text

    download = auditor.get(f"/cases/{case_id}/export")
    assert download.status_code == 200
    assert (
        download.headers["content-disposition"]
        == f'attachment; filename="CME-{case_id:06d}.jsonl"'
    )
    lines = [json.loads(x) for x in download.content.splitlines()]
    assert lines[0]["kind"] == "case" and lines[0]["state"] == "enquiries"
    assert sum(1 for x in lines if x.get("kind") == "event") == 2
    actions = [r["action"] for r in access_log(site.app.db, case_id)]
    assert actions[-3:] == ["audit verify", "audit access", "audit export"]


def test_auditor_views_take_no_post(site: Site) -> None:
    case_id, _ = _moved_on(site)
    auditor = site.browser("auditor")
    token = csrf_of(auditor.get(f"/cases/{case_id}/history").text)
    before = read(site.app, case_id).case
    for view in ("history", "replay", "verify", "access", "export"):
        refused = auditor.post(f"/cases/{case_id}/{view}", data={"csrf_token": token})
        assert refused.status_code == 405, view
    assert read(site.app, case_id).case == before


def test_without_a_session_nothing_is_shown_or_changed(site: Site) -> None:
    from fastapi.testclient import TestClient

    from cme.web.app import create_app

    case_id = site.open_case()
    before = read(site.app, case_id).case
    with TestClient(create_app(site.app), follow_redirects=False) as stranger:
        for view in ("", "/history", "/replay", "/verify", "/access", "/export"):
            answer = stranger.get(f"/cases/{case_id}{view}")
            assert answer.status_code == 303, view
            assert answer.headers["location"].startswith("/sign-in?next=")
        posted = stranger.post(f"/cases/{case_id}/steps/begin_enquiries", data={"version": "1"})
        assert posted.status_code in (401, 403)
    assert read(site.app, case_id).case == before
    assert access_log(site.app.db, case_id) == []
