"""An actor cannot pass for `system:timer` or another person (hostile-tester probe C): in
no-accounts mode a claimed actor with control or invisible characters, with letters of mixed
scripts after NFKC and casefold, or whose skeleton starts with `system` is refused (exit 2,
the rule named, nothing written); so is such an account name. On SQLite and PostgreSQL."""

from __future__ import annotations

import pytest

from cme.services.actor_names import check_actor_name, skeleton
from tests.identity.conftest import Desk, cme

SPOOFS = {
    "ѕystem:timer": "mix scripts (Cyrillic, Latin)",  # Cyrillic dze
    "σystem:timer": "mix scripts (Greek, Latin)",
    "ＳＹＳＴＥＭ:timer": "looks like `system`",  # fullwidth: NFKC makes it Latin
    "ѕуѕтем:timer": "mix scripts (Cyrillic, Latin)",
    "ѕуѕтем": "looks like `system`",  # all Cyrillic
    "system\u200b:timer": "invisible",
    "\u202eremit:metsys": "invisible",
    "sys\ntem": "line breaks",
}


@pytest.mark.parametrize("actor", list(SPOOFS))
def test_an_actor_imitating_the_system_is_refused(desk: Desk, actor: str) -> None:
    case_id = desk.open_case()
    before = desk.snapshot()

    result = cme("case", "pause", str(case_id), "--reason", "away", "--actor", actor, code=2)

    assert SPOOFS[actor] in " ".join(result.output.split())
    assert desk.snapshot() == before


def test_the_rule_applies_to_cme_actor_too(desk: Desk, monkeypatch: pytest.MonkeyPatch) -> None:
    case_id = desk.open_case()
    monkeypatch.setenv("CME_ACTOR", "ѕystem:timer")

    refused = cme("case", "pause", str(case_id), "--reason", "away", "--json", code=2)

    assert refused["error"]["kind"] == "ActorSpoofing"
    assert refused["error"]["field"] == "actor"


def test_an_account_name_imitating_the_system_is_refused(
    desk: Desk, monkeypatch: pytest.MonkeyPatch
) -> None:
    desk.app().check_schema()
    monkeypatch.setenv("CME_ROLE", "admin")

    refused = cme("user", "add", "ѕуѕтем", "--role", "admin", "--login", "x", "--json", code=2)

    assert refused["error"]["field"] == "name"


@pytest.mark.parametrize("name", ["bob", "Ms Müller", "Zoë O'Brien", "Σοφία", "Ольга", "李 Smith"])
def test_ordinary_names_in_one_script_pass(name: str) -> None:
    check_actor_name(name)


def test_the_skeleton_reads_look_alikes_as_latin() -> None:
    assert skeleton("ＳＹＳＴＥＭ") == "system"
    assert skeleton("ѕуѕтем") == "system"
    assert skeleton("Systém") == "system"
