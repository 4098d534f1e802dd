"""A CTF about a child whose only case with that UPN is closed is a new episode, not an update:
the closed case is reported as a possible duplicate, never written to silently."""

from __future__ import annotations

import csv
import io
import json
from datetime import timedelta
from pathlib import Path

import pytest

from tests.interop.conftest import TODAY, Dump, ok_json, run
from tests.interop.test_ctf_hostile import ctf
from tests.interop.test_register_import import HEADER, MAPPING, d, good

pytestmark = pytest.mark.usefixtures("database")


def closed_case(tmp_path: Path) -> int:
    row = good(
        "R1",
        "Closed",
        UPN="H801200001001",
        Forename="Sam",
        Surname="Testchild",
        DOB="01/05/2014",
        Outcome="Back in school",
        **{"Status date": d(TODAY - timedelta(days=1))},
    )
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, HEADER)
    writer.writeheader()
    writer.writerow(row)
    path = tmp_path / "register.csv"
    path.write_text(buffer.getvalue(), encoding="utf-8")
    done = ok_json("import", "register", str(path), "--mapping", str(MAPPING))
    return int(done["case_ids"][0])


def test_a_closed_case_with_the_upn_is_reported_not_written(tmp_path: Path, db_dump: Dump) -> None:
    old = closed_case(tmp_path)
    path = tmp_path / "ctf.xml"
    path.write_text(ctf(), encoding="utf-8")
    before = db_dump()
    refused = run("ctf", "import", str(path), "--json")
    assert refused.exit_code == 2
    error = json.loads(refused.stdout)["error"]
    assert (error["kind"], error["cases"]) == ("PossibleDuplicates", [old])
    assert db_dump() == before

    opened = ok_json(
        "ctf",
        "import",
        str(path),
        "--open-case",
        "school-referral",
        "--first-absence-date",
        (TODAY - timedelta(days=10)).isoformat(),
    )
    pupil = opened["pupils"][0]
    assert pupil["action"] == "opened"
    assert pupil["possible_duplicates"] == [old]
    history = ok_json("audit", "history", str(old))
    events = history["events"] if isinstance(history, dict) else history
    assert [e["trigger"] for e in events] == ["imported"]

    attached = ok_json("ctf", "import", str(path), "--attach", str(old))
    assert attached["pupils"][0] == {
        "upn": "H801200001001",
        "action": "attached",
        "case_id": old,
        "possible_duplicates": [],
    }
