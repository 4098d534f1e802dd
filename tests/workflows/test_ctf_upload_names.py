"""Issue 17: `record_ctf_upload` takes the name of the CTF cme writes as the authority
(`821LLLL_CTF_XXXXXXX_NNN.xml`, the establishment `LLLL` marking an LA as sender) and the name of
a lost-pupil CTF exported for the case; a school's CTF to any other destination is still
refused, and `removed_on` belongs only to a case brought in from a register without it."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

import pytest

from engine import GuardsFailed
from engine.ports import EventRecord
from tests.workflows.test_guards import CMEO, REMOVAL, at_housing_check
from workflows.rules import CTF_FILE, exported_lost_pupil_ctf

if TYPE_CHECKING:
    from engine import Engine
    from tests.workflows.conftest import Desk


@pytest.mark.parametrize(
    ("name", "takes"),
    [
        ("8212001_CTF_XXXXXXX_001.xml", True),  # a school's
        ("821LLLL_CTF_XXXXXXX_001.xml", True),  # the authority's, as cme writes it
        ("821LLLL_CTF_MMMMMMM_012.xml", True),  # moved abroad
        ("821LLLL_CTF_8232001_001.xml", False),  # to a school: not the lost-pupil area
        ("82LLLLL_CTF_XXXXXXX_001.xml", False),
        ("LLLLLLL_CTF_XXXXXXX_001.xml", False),
        ("821llll_CTF_XXXXXXX_001.xml", False),
        ("821LLLL_CTF_XXXXXXX_01.xml", False),
    ],
)
def test_the_lost_pupil_file_name(name: str, takes: bool) -> None:
    assert bool(CTF_FILE.match(name)) is takes


def _exported(name: str, destination: str) -> EventRecord:
    return EventRecord(
        case_id=1,
        seq=2,
        trigger="ctf_exported",
        from_state="lost_pupil_upload",
        to_state="lost_pupil_upload",
        actor="alice",
        role="cmeo",
        at=datetime(2025, 11, 6, 10),
        evidence={"file_name": name, "destination": destination},
        prev_hash="",
        hash="",
    )


def test_a_name_exported_for_the_case_counts_only_when_it_went_to_the_lost_pupil_area() -> None:
    odd = "cme-export.xml"
    assert exported_lost_pupil_ctf([_exported(odd, "XXXXXXX")], odd)
    assert exported_lost_pupil_ctf([_exported(odd, "MMMMMMM")], odd)
    assert not exported_lost_pupil_ctf([_exported(odd, "MMMMMMM")], odd, ("XXXXXXX",))
    assert not exported_lost_pupil_ctf([_exported(odd, "8232001")], odd)
    assert not exported_lost_pupil_ctf([_exported(odd, "XXXXXXX")], "other.xml")


def test_the_authoritys_own_ctf_is_recorded_as_uploaded(desk: Desk) -> None:
    case_id = at_housing_check(desk)
    desk.do(case_id, "remove_from_roll", **REMOVAL)
    desk.do(
        case_id,
        "record_ctf_upload",
        uploaded_on="2025-11-06",
        file_name="821LLLL_CTF_XXXXXXX_001.xml",
    )
    assert desk.state(case_id) == "tracking"


def test_a_case_with_its_removal_recorded_takes_no_removed_on(desk: Desk) -> None:
    case_id = at_housing_check(desk)
    desk.do(case_id, "remove_from_roll", **REMOVAL)

    with desk.nothing_written(case_id), pytest.raises(GuardsFailed) as e:
        desk.do(
            case_id,
            "record_ctf_upload",
            CMEO,
            uploaded_on="2025-11-06",
            file_name="821LLLL_CTF_XXXXXXX_001.xml",
            removed_on="2025-11-01",
        )
    (block,) = e.value.blocks
    assert block.guard == "ctf_not_before_removal"
    assert block.reason == (
        "'removed_on' is only for a case brought in from a register without the removal "
        "date: this case records its removal on 2025-11-06 - leave it out"
    )


def test_the_name_of_a_ctf_exported_for_the_case_is_taken(desk: Desk, engine: Engine) -> None:
    case_id = at_housing_check(desk)
    desk.do(case_id, "remove_from_roll", **REMOVAL)
    odd = "821LLLL_CTF_XXXXXXX_001 (copy).xml"  # as a caseworker's download may rename it
    with pytest.raises(GuardsFailed):
        desk.do(case_id, "record_ctf_upload", uploaded_on="2025-11-06", file_name=odd)
    engine.record(case_id, "ctf_exported", {"file_name": odd, "destination": "XXXXXXX"}, CMEO)
    desk.do(case_id, "record_ctf_upload", uploaded_on="2025-11-06", file_name=odd)
    assert desk.state(case_id) == "tracking"
