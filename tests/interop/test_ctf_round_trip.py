"""Issue 17: a case's CTF, exported and imported into an empty database, gives the same child;
the XML validates against the schema kept here; the file name follows the pattern; the export
is recorded on the case."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from lxml import etree

from cme.interop.ctf_format import SCHEMA
from tests.interop.conftest import TODAY, ok_json, open_case, run

pytestmark = pytest.mark.usefixtures("database")

XSD = Path(__file__).with_name("ctf.xsd")
NAME = re.compile(r"^\d{3}(\d{4}|LLLL)_CTF_(\d{7}|XXXXXXX|MMMMMMM)_\d{3}\.xml$")
CHILD = {
    "forename": "Sam",
    "surname": "Testchild",
    "date_of_birth": "2014-05-01",
    "upn": "H801200001001",
    "gender": "female",
    "address": {"line1": "12 Example Road", "town": "Luton", "postcode": "LU1 1AA"},
}


def schema_valid(path: Path) -> None:
    schema = etree.XMLSchema(etree.parse(str(XSD)))
    document = etree.parse(str(path))
    assert schema.validate(document), schema.error_log


def test_the_shipped_schema_is_the_one_the_tests_keep() -> None:
    assert SCHEMA.read_bytes() == XSD.read_bytes()


def test_round_trip_gives_the_same_child(
    tmp_path: Path, database: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    case_id = open_case(tmp_path, child=dict(CHILD), parents=["Pat Testchild"])
    out = tmp_path / "out"
    out.mkdir()
    done = ok_json("ctf", "export", str(case_id), "--out", str(out))
    path = Path(done["path"])
    assert path.name == "821LLLL_CTF_XXXXXXX_001.xml"
    assert NAME.match(path.name)
    schema_valid(path)
    root = etree.parse(str(path)).getroot()
    assert root.findtext("Header/SourceSchool/LEA") == "821"
    assert root.findtext("Header/DestSchool/LEA") == "XXX"
    assert root.findtext("CTFpupilData/Pupil/UPN") == "H801200001001"
    assert root.findtext("CTFpupilData/Pupil/Contacts/Contact/Surname") == "Testchild"
    assert root.findtext("CTFpupilData/Pupil/SchoolHistory/School/Estab") == "2001"

    history = ok_json("audit", "history", str(case_id))
    events = history["events"] if isinstance(history, dict) else history
    exported = [e for e in events if e["trigger"] == "ctf_exported"]
    assert len(exported) == 1
    assert exported[0]["evidence"]["file_name"] == path.name

    # the sequence goes on per destination
    again = ok_json("ctf", "export", str(case_id), "--out", str(out))
    assert again["file_name"] == "821LLLL_CTF_XXXXXXX_002.xml"
    other = ok_json("ctf", "export", str(case_id), "--out", str(out), "--to", "8262001")
    assert other["file_name"] == "821LLLL_CTF_8262001_001.xml"
    schema_valid(Path(other["path"]))

    # into an empty database
    monkeypatch.setenv("CME_DATABASE_URL", f"sqlite:///{tmp_path}/empty.db")
    first = (TODAY.replace(day=1)).isoformat()
    imported = ok_json(
        "ctf",
        "import",
        str(path),
        "--open-case",
        "school-referral",
        "--first-absence-date",
        first,
    )
    assert [p["action"] for p in imported["pupils"]] == ["opened"]
    new_id = imported["pupils"][0]["case_id"]
    shown = ok_json("case", "show", str(new_id))
    child = shown["child"]
    for key in ("forename", "surname", "date_of_birth", "upn"):
        assert child[key] == CHILD[key], key
    # the child's stored details, as the register export gives them
    exported_rows = run("export", "register", "--format", "json")
    assert exported_rows.exit_code == 0, exported_rows.output
    import json

    rows = json.loads(exported_rows.stdout)
    assert rows[0]["gender"] == "female"
    assert rows[0]["school_id"] == "8212001"

    # the same file again: attached to the case holding the UPN, no second case
    attached = ok_json("ctf", "import", str(path))
    assert attached["pupils"][0]["action"] == "attached"
    assert attached["pupils"][0]["case_id"] == new_id
    assert len(ok_json("cases", "--closed")) == 1


def test_export_without_an_la_number_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    case_id = open_case(tmp_path, child=dict(CHILD))
    monkeypatch.delenv("CME_LA_NUMBER")
    result = run("ctf", "export", str(case_id), "--out", str(tmp_path))
    assert result.exit_code == 2
    assert "CME_LA_NUMBER" in result.output
    assert not list(tmp_path.glob("*.xml"))


@pytest.mark.parametrize("to", ["XXXXXXXX", "82120", "abcdefg"])
def test_a_bad_destination_is_refused(tmp_path: Path, to: str) -> None:
    case_id = open_case(tmp_path, child=dict(CHILD))
    result = run("ctf", "export", str(case_id), "--out", str(tmp_path), "--to", to)
    assert result.exit_code == 2
    assert "--to" in result.output


def test_a_child_without_upn_gets_no_ctf(tmp_path: Path) -> None:
    child = {k: v for k, v in CHILD.items() if k != "upn"}
    case_id = open_case(tmp_path, child=child)
    result = run("ctf", "export", str(case_id), "--out", str(tmp_path))
    assert result.exit_code == 2
    assert "upn" in result.output
    assert not list(tmp_path.glob("*.xml"))


def test_moved_abroad_goes_to_mmmmmmm(tmp_path: Path) -> None:
    case_id = open_case(tmp_path, child=dict(CHILD))
    done = ok_json("ctf", "export", str(case_id), "--out", str(tmp_path), "--to", "MMMMMMM")
    assert done["file_name"] == "821LLLL_CTF_MMMMMMM_001.xml"
    schema_valid(Path(done["path"]))
