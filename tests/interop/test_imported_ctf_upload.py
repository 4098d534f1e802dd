"""Issue 17: a case brought in from a register into `lost_pupil_upload` takes
`record_ctf_upload`, counted from the removal date the register gave (`removed_on` in the
mapping, kept in the `imported` event); without one it is refused naming `removed_on`, which the
step then takes. The CTF exported for such a case carries the register's removal date as the
leaving date, and the step takes the name of that file."""

from __future__ import annotations

import csv
import io
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from lxml import etree
from typer.testing import Result

from tests.interop.conftest import TODAY, Dump, dump, ok_json, run
from tests.interop.test_register_import import HEADER, MAPPING, d, good

pytestmark = pytest.mark.usefixtures("database")

REMOVED = TODAY - timedelta(days=18)  # the register's status date (opened 20 days ago, +2)
UPN = "H801200001001"


def imported_lost_pupil(tmp_path: Path, removed: str) -> str:
    """One case imported into lost_pupil_upload (removal ground i); its id."""
    row = good("R-lost", "Awaiting CTF upload", UPN=UPN, **{"Deletion ground": "i"})
    row["Date removed"] = removed
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, HEADER)
    writer.writeheader()
    writer.writerow(row)
    path = tmp_path / "register.csv"
    path.write_text(buffer.getvalue(), encoding="utf-8")
    done = ok_json("import", "register", str(path), "--mapping", str(MAPPING))
    (case_id,) = done["case_ids"]
    return str(case_id)


def upload(case_id: str, uploaded: str, name: str, *more: str) -> Result:
    return run(
        "case",
        "advance",
        case_id,
        "record_ctf_upload",
        "--set",
        f"uploaded_on={uploaded}",
        "--set",
        f"file_name={name}",
        *more,
        "--no-input",
        "--json",
    )


def events(case_id: str) -> list[dict[str, Any]]:
    history = ok_json("audit", "history", case_id)
    found: list[dict[str, Any]] = history["events"] if isinstance(history, dict) else history
    return found


def test_the_register_removal_date_counts_and_the_exported_ctf_carries_it(
    tmp_path: Path, database: str
) -> None:
    case_id = imported_lost_pupil(tmp_path, d(REMOVED))
    assert events(case_id)[0]["evidence"]["removed_on"] == REMOVED.isoformat()

    out = tmp_path / "out"
    out.mkdir()
    exported = ok_json("ctf", "export", case_id, "--out", str(out))
    root = etree.parse(exported["path"]).getroot()
    school = root.find("CTFpupilData/Pupil/SchoolHistory/School")
    assert school is not None
    assert school.findtext("LeavingDate") == REMOVED.isoformat()
    assert "9(1)(i)" in (school.findtext("LeavingReason") or "")

    before = dump(database)
    early = (REMOVED - timedelta(days=1)).isoformat()
    refused = upload(case_id, early, exported["file_name"])
    assert refused.exit_code == 2, refused.output
    assert f"before the pupil was removed from roll on {REMOVED.isoformat()}" in refused.output
    assert "as the register records it" in refused.output
    assert dump(database) == before

    done = upload(case_id, (TODAY - timedelta(days=1)).isoformat(), exported["file_name"])
    assert done.exit_code == 0, done.output
    assert ok_json("case", "show", case_id)["state"] == "tracking"
    assert ok_json("audit", "replay", case_id)["legal"]


def test_without_a_removal_date_the_step_asks_for_removed_on(
    tmp_path: Path, database: str
) -> None:
    case_id = imported_lost_pupil(tmp_path, "")
    assert "removed_on" not in events(case_id)[0]["evidence"]
    uploaded = (TODAY - timedelta(days=1)).isoformat()

    before = dump(database)
    refused = upload(case_id, uploaded, "821LLLL_CTF_XXXXXXX_001.xml")
    assert refused.exit_code == 2, refused.output
    said = " ".join(refused.output.split())
    assert "did not give the date the pupil was removed from roll" in said
    assert "give 'removed_on', the day the school removed the pupil from roll" in said

    later = upload(
        case_id, uploaded, "821LLLL_CTF_XXXXXXX_001.xml", "--set", f"removed_on={TODAY}"
    )
    assert later.exit_code == 2, later.output
    assert f"before the pupil was removed from roll on {TODAY.isoformat()}" in later.output
    assert dump(database) == before

    done = upload(
        case_id, uploaded, "821LLLL_CTF_XXXXXXX_001.xml", "--set", f"removed_on={REMOVED}"
    )
    assert done.exit_code == 0, done.output
    assert ok_json("case", "show", case_id)["state"] == "tracking"
    assert events(case_id)[-1]["evidence"]["removed_on"] == REMOVED.isoformat()

    # the exported CTF has no leaving date: the register gave none
    out = tmp_path / "out"
    out.mkdir()
    exported = ok_json("ctf", "export", case_id, "--out", str(out))
    school = (
        etree.parse(exported["path"]).getroot().find("CTFpupilData/Pupil/SchoolHistory/School")
    )
    assert school is not None
    assert school.findtext("LeavingDate") is None


def test_removed_on_must_agree_with_the_register(tmp_path: Path, db_dump: Dump) -> None:
    case_id = imported_lost_pupil(tmp_path, d(REMOVED))
    before = db_dump()
    other = (REMOVED - timedelta(days=3)).isoformat()
    refused = upload(
        case_id, TODAY.isoformat(), "821LLLL_CTF_XXXXXXX_001.xml", "--set", f"removed_on={other}"
    )
    assert refused.exit_code == 2, refused.output
    said = " ".join(refused.output.split())
    assert f"the register gave the removal from roll as {REMOVED.isoformat()}" in said
    assert db_dump() == before


def test_a_removal_date_in_the_future_is_a_bad_row(tmp_path: Path, db_dump: Dump) -> None:
    row = good("R-lost", "Awaiting CTF upload", **{"Deletion ground": "i"})
    row["Date removed"] = d(TODAY + timedelta(days=2))
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, HEADER)
    writer.writeheader()
    writer.writerow(row)
    path = tmp_path / "register.csv"
    path.write_text(buffer.getvalue(), encoding="utf-8")
    before = db_dump()
    result = run("import", "register", str(path), "--mapping", str(MAPPING), "--json")
    assert result.exit_code == 2, result.output
    assert "removed_on" in result.output and "cannot be in the future" in result.output
    assert db_dump() == before
