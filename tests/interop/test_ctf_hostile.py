"""Issue 17: a hostile CTF (billion laughs, external entity, 50 MB, wrong encoding) is refused
with exit 2 and nothing written (the database dump is the same before and after); a pupil
whose UPN or dates break a rule is refused naming the field; possible duplicates are reported,
never merged."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.interop.conftest import Dump, ok_json, open_case, run

pytestmark = pytest.mark.usefixtures("database")

PUPIL = (
    "<Pupil><UPN>{upn}</UPN><Surname>Testchild</Surname><Forename>Sam</Forename>"
    "<DOB>{dob}</DOB><Sex>F</Sex></Pupil>"
)


def ctf(pupils: str = "", upn: str = "H801200001001", dob: str = "2014-05-01") -> str:
    body = pupils or PUPIL.format(upn=upn, dob=dob)
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n<CTfile><Header>'
        "<DocumentName>Common Transfer File</DocumentName><CTFversion>24.0</CTFversion>"
        "<DateTime>2025-11-03T09:00:00</DateTime><DocumentQualifier>full</DocumentQualifier>"
        "<SourceSchool><LEA>821</LEA><Estab>2001</Estab><SchoolName>Example Primary</SchoolName>"
        "<AcademicYear>2025</AcademicYear></SourceSchool>"
        "<DestSchool><LEA>821</LEA><Estab>LLLL</Estab></DestSchool></Header>"
        f"<CTFpupilData>{body}</CTFpupilData></CTfile>\n"
    )


LAUGHS = (
    '<?xml version="1.0"?>\n<!DOCTYPE lolz [<!ENTITY lol "lol">'
    + "".join(
        f'<!ENTITY lol{i} "{("&lol" + (str(i - 1) if i > 1 else "") + ";") * 10}">'
        for i in range(1, 10)
    )
    + "]>\n<CTfile>&lol9;</CTfile>\n"
)
XXE = (
    '<?xml version="1.0"?>\n<!DOCTYPE CTfile [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>\n'
    "<CTfile><Header/><CTFpupilData><Pupil><Surname>&xxe;</Surname></Pupil></CTFpupilData>"
    "</CTfile>\n"
)
PARAMETER = (
    '<?xml version="1.0"?>\n<!DOCTYPE CTfile [<!ENTITY % remote SYSTEM '
    '"http://127.0.0.1:9/evil.dtd"> %remote;]>\n<CTfile/>\n'
)


def hostile_files(tmp: Path) -> dict[str, Path]:
    files = {
        "billion_laughs": LAUGHS.encode(),
        "external_entity": XXE.encode(),
        "parameter_entity": PARAMETER.encode(),
        "utf16": ctf().replace("UTF-8", "UTF-16").encode("utf-16"),
        "latin1_declared": ctf()
        .replace("UTF-8", "ISO-8859-1")
        .replace("Sam", "S\u00e9m")
        .encode("latin-1"),
        "latin1_undeclared": ctf().replace("Sam", "S\u00e9m").encode("latin-1"),
        "not_xml": b"Forename,Surname\nSam,Testchild\n",
        "not_a_ctf": b'<?xml version="1.0"?><html><body/></html>',
    }
    paths = {}
    for name, data in files.items():
        path = tmp / f"{name}.xml"
        path.write_bytes(data)
        paths[name] = path
    big = tmp / "fifty_mb.xml"
    with big.open("wb") as handle:
        handle.write(ctf().encode()[: -len("</CTfile>\n")])
        handle.write(b"<!--" + b"x" * (50 * 1024 * 1024) + b"-->")
        handle.write(b"</CTfile>\n")
    paths["fifty_mb"] = big
    return paths


@pytest.mark.parametrize(
    "name",
    [
        "billion_laughs",
        "external_entity",
        "parameter_entity",
        "utf16",
        "latin1_declared",
        "latin1_undeclared",
        "not_xml",
        "not_a_ctf",
        "fifty_mb",
    ],
)
def test_a_hostile_ctf_is_refused_and_nothing_written(
    tmp_path: Path, db_dump: Dump, name: str
) -> None:
    open_case(tmp_path)  # a database with a case the file could attach to
    before = db_dump()
    path = hostile_files(tmp_path)[name]
    for extra in ([], ["--open-case", "school-referral", "--first-absence-date", "2025-10-01"]):
        result = run("ctf", "import", str(path), *extra, "--json")
        assert result.exit_code == 2, (name, result.output[-400:])
        error = json.loads(result.stdout)["error"]
        assert error["kind"] == "BadInput", error
        assert "root:" not in result.output  # /etc/passwd never read
    assert db_dump() == before


def test_the_refusals_say_why(tmp_path: Path) -> None:
    paths = hostile_files(tmp_path)
    said = {
        name: " ".join(run("ctf", "import", str(p)).output.split()) for name, p in paths.items()
    }
    assert "DOCTYPE" in said["billion_laughs"]
    assert "DOCTYPE" in said["external_entity"]
    assert "UTF-8" in said["utf16"]
    assert "ISO-8859-1" in said["latin1_declared"]
    assert "not UTF-8" in said["latin1_undeclared"]
    assert "50 MB" in said["fifty_mb"]
    assert "not a CTF" in said["not_a_ctf"]


@pytest.mark.parametrize(
    ("upn", "dob", "field"),
    [
        ("Z801200001001", "2014-05-01", "Pupil[1].UPN"),
        ("H801200001001", "2014-02-30", "Pupil[1].DOB"),
        ("H801200001001", "01/05/2014", "Pupil[1].DOB"),
    ],
)
def test_a_bad_upn_or_date_is_refused_naming_the_field(
    tmp_path: Path, db_dump: Dump, upn: str, dob: str, field: str
) -> None:
    path = tmp_path / "bad.xml"
    path.write_text(ctf(upn=upn, dob=dob), encoding="utf-8")
    before = db_dump()
    result = run("ctf", "import", str(path), "--open-case", "school-referral", "--json")
    assert result.exit_code == 2
    error = json.loads(result.stdout)["error"]
    assert field in [p["field"] for p in error["problems"]]
    assert db_dump() == before


def test_a_name_and_birth_date_match_is_a_possible_duplicate_never_merged(
    tmp_path: Path, db_dump: Dump
) -> None:
    case_id = open_case(tmp_path)  # Sam Testchild, 2014-05-01, UPN H801200001001
    path = tmp_path / "other_upn.xml"
    path.write_text(ctf(upn="B801200005001"), encoding="utf-8")
    before = db_dump()
    refused = run("ctf", "import", str(path), "--json")
    assert refused.exit_code == 2
    error = json.loads(refused.stdout)["error"]
    assert error["kind"] == "PossibleDuplicates"
    assert error["cases"] == [case_id]
    assert db_dump() == before

    first = "2025-10-06"
    opened = ok_json(
        "ctf",
        "import",
        str(path),
        "--open-case",
        "school-referral",
        "--first-absence-date",
        first,
    )
    pupil = opened["pupils"][0]
    assert pupil["action"] == "opened"
    assert pupil["case_id"] != case_id
    assert pupil["possible_duplicates"] == [case_id]


def test_a_new_case_needs_its_first_absence(tmp_path: Path, db_dump: Dump) -> None:
    path = tmp_path / "ctf.xml"
    path.write_text(ctf(), encoding="utf-8")
    before = db_dump()
    result = run("ctf", "import", str(path), "--open-case", "school-referral")
    assert result.exit_code == 2
    assert "--first-absence-date" in result.output
    assert db_dump() == before


def test_an_attached_ctf_is_recorded_on_the_case(tmp_path: Path) -> None:
    case_id = open_case(tmp_path)
    path = tmp_path / "ctf.xml"
    path.write_text(ctf(), encoding="utf-8")
    done = ok_json("ctf", "import", str(path))
    assert done["pupils"][0] == {
        "upn": "H801200001001",
        "action": "attached",
        "case_id": case_id,
        "possible_duplicates": [],
    }
    history = ok_json("audit", "history", str(case_id))
    events = history["events"] if isinstance(history, dict) else history
    received = [e for e in events if e["trigger"] == "ctf_received"]
    assert received[0]["evidence"]["pupil"]["upn"] == "H801200001001"
    assert run("audit", "verify", str(case_id)).exit_code == 0
