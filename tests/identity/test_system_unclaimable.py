"""Issue 13 item 2: no person can pass as the system.

`system` and `system:` actors cannot be claimed through any door (CLI flags, CME_ROLE,
CME_ACTOR, another door's principal); a step whose only role is `system` is fired by the
scheduler alone, and `cme tick` acts as the system whatever the environment says.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from cme.services import cases
from cme.services.errors import NotPermitted, SystemReserved
from cme.services.principal import SCHEDULER, Principal
from engine import SYSTEM_TIMER, Actor
from tests.identity.conftest import Desk, cme
from tests.support import school_referral


def _high_risk_case(desk: Desk) -> int:
    application = desk.app()
    application.check_schema()
    referral = school_referral(risk_flags=["runaway"])
    return application.engine.open_case("school-referral", referral, Actor("c", "cmeo")).case.id


def _events(desk: Desk, case_id: int) -> list[dict[str, object]]:
    return list(cme("audit", "history", str(case_id), "--json"))


@pytest.mark.parametrize(
    ("flags", "env"),
    [
        (["--role", "system", "--actor", "system:timer"], {}),
        (["--role", "system"], {}),
        (["--role", "SYSTEM"], {}),
        (["--actor", "system:timer"], {}),
        (["--actor", " System:Rule"], {}),
        ([], {"CME_ROLE": "system"}),
        ([], {"CME_ACTOR": "system:timer"}),
        ([], {"CME_ROLE": "system", "CME_ACTOR": "system:timer"}),
        (["--role", "cmeo"], {"CME_ACTOR": "system:timer"}),
    ],
)
def test_the_system_cannot_be_claimed_on_the_command_line(
    desk: Desk, monkeypatch: pytest.MonkeyPatch, flags: list[str], env: dict[str, str]
) -> None:
    case_id = _high_risk_case(desk)
    before = _events(desk, case_id)
    for name, value in env.items():
        monkeypatch.setenv(name, value)

    refused = cme(
        "case", "advance", str(case_id), "escalate_automatically", *flags, "--json", code=2
    )

    assert refused["error"]["kind"] == "SystemReserved"
    assert "can never be claimed" in refused["error"]["message"]
    monkeypatch.delenv("CME_ROLE", raising=False)
    monkeypatch.delenv("CME_ACTOR", raising=False)
    assert _events(desk, case_id) == before
    assert desk.refusals()[0]["detail"].startswith("case.advance: ")


def test_a_timer_only_step_is_refused_to_every_person_whatever_the_role(desk: Desk) -> None:
    case_id = _high_risk_case(desk)
    before = _events(desk, case_id)

    for role in ("caseworker", "cmeo", "mash"):
        refused = cme(
            "case",
            "advance",
            str(case_id),
            "escalate_automatically",
            "--role",
            role,
            "--json",
            code=2,
        )
        assert refused["error"]["kind"] == "NotPermitted"
        assert "only the scheduler fires it" in refused["error"]["message"]

    assert _events(desk, case_id) == before
    assert [r["role"] for r in desk.refusals()] == ["mash", "cmeo", "caseworker"]


def test_other_doors_cannot_claim_the_system_either(desk: Desk) -> None:
    case_id = _high_risk_case(desk)
    application = desk.app()

    with pytest.raises(SystemReserved):
        cases.advance(
            application,
            Principal("mallory", "system", "web"),
            case_id,
            "escalate_automatically",
            {},
        )
    with pytest.raises(NotPermitted):
        cases.advance(
            application, Principal("eve", "cmeo", "api"), case_id, "escalate_automatically", {}
        )
    applied = cases.advance(application, SCHEDULER, case_id, "escalate_automatically", {})

    assert (applied.event.actor, applied.event.role) == ("system:timer", "system")
    assert SCHEDULER.actor == SYSTEM_TIMER


@pytest.mark.parametrize(
    "env",
    [
        {"CME_ROLE": "auditor", "CME_ACTOR": "mallory"},
        {"CME_ROLE": "bogus"},
        {"CME_ROLE": "system", "CME_ACTOR": "system:impostor"},
    ],
)
def test_tick_acts_as_the_system_whatever_the_environment_claims(
    desk: Desk, monkeypatch: pytest.MonkeyPatch, env: dict[str, str]
) -> None:
    case_id = _high_risk_case(desk)
    desk.clock.advance(timedelta(days=8))  # past 5 school days from Mon 3 Nov 2025
    for name, value in env.items():
        monkeypatch.setenv(name, value)

    cme("tick", "--json")

    monkeypatch.delenv("CME_ROLE")
    monkeypatch.delenv("CME_ACTOR", raising=False)
    fired = [e for e in _events(desk, case_id) if e["trigger"] == "escalate_automatically"]
    assert [(e["actor"], e["role"]) for e in fired] == [("system:timer", "system")]
    assert desk.refusals() == []
