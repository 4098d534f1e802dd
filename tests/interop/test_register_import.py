"""Issue 17: a register brought in honestly. Every bad row is reported (row number, field,
column, rule) and nothing is written on a dry run or when any row is bad; with
`--skip-bad-rows` the good rows become cases in their states, each opened by an `imported`
event carrying its source row, deadlines projected from the register's dates; replay and
verify hold; the register export is access-logged."""

from __future__ import annotations

import csv
import io
import json
from datetime import date, timedelta
from pathlib import Path

import pytest

from tests.interop.conftest import TODAY, Dump, ok_json, run

pytestmark = pytest.mark.usefixtures("database")

ROOT = Path(__file__).parents[2]
MAPPING = ROOT / "docs" / "register-mapping.yaml"
SAMPLE = ROOT / "docs" / "register-sample.csv"
HEADER = [
    "Ref",
    "Forename",
    "Surname",
    "DOB",
    "UPN",
    "Sex",
    "Address",
    "Town",
    "Postcode",
    "School DfE number",
    "School",
    "First day absent",
    "Reason",
    "Risk flags",
    "Parents",
    "Notes",
    "Referred",
    "Status",
    "Status date",
    "Outcome",
    "Deletion ground",
    "Date removed",
]


def d(day: date) -> str:
    return day.strftime("%d/%m/%Y")


def good(ref: str, status: str = "Enquiries", **cells: str) -> dict[str, str]:
    opened = TODAY - timedelta(days=20)
    row = dict.fromkeys(HEADER, "")
    row.update(
        {
            "Ref": ref,
            "Forename": "Amy",
            "Surname": "Sample",
            "DOB": "12/03/2015",
            "Sex": "F",
            "School DfE number": "8212001",
            "School": "Example Primary",
            "First day absent": d(opened - timedelta(days=7)),
            "Referred": d(opened),
            "Status": status,
            "Status date": d(opened + timedelta(days=2)),
        }
    )
    row.update(cells)
    return row


BAD = {
    3: ("date_of_birth", {"DOB": "2015-03-12"}),
    5: ("status", {"Status": "Lost"}),
    6: ("surname", {"Surname": ""}),
    8: ("upn", {"UPN": "Z801200001001"}),
    9: ("outcome", {"Status": "Closed"}),
    10: ("status_since", {"Status date": d(TODAY - timedelta(days=40))}),
    11: ("opened_on", {"Referred": d(TODAY + timedelta(days=3))}),
    13: ("reference", {"Ref": "R2"}),
}
"""Row number (the header is row 1) -> the field it breaks and how."""


def register(tmp_path: Path, rows: int = 14) -> Path:
    lines = []
    for number in range(2, rows + 2):
        field_cells = BAD.get(number, ("", {}))[1]
        lines.append(good(f"R{number}", **field_cells))
    lines[-1] = good(
        "R-closed", "Closed", Outcome="Moved abroad", **{"Status date": d(TODAY - timedelta(1))}
    )
    lines[-2] = good("R-lost", "Awaiting CTF upload", **{"Deletion ground": "i"})
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, HEADER)
    writer.writeheader()
    writer.writerows(lines)
    path = tmp_path / "register.csv"
    path.write_text(buffer.getvalue() + "only,three,cells\n", encoding="utf-8")
    return path


def test_the_sample_in_docs_imports(tmp_path: Path) -> None:
    done = ok_json("import", "register", str(SAMPLE), "--mapping", str(MAPPING), "--dry-run")
    assert done["bad_rows"] == []
    assert done["good"] == 3
    assert done["written"] is False


def test_a_dry_run_lists_every_bad_row_and_writes_nothing(tmp_path: Path, db_dump: Dump) -> None:
    path = register(tmp_path)
    before = db_dump()
    for flags in (["--dry-run"], [], ["--dry-run", "--skip-bad-rows"]):
        result = run("import", "register", str(path), "--mapping", str(MAPPING), *flags, "--json")
        done = json.loads(result.stdout)
        assert result.exit_code == (0 if "--skip-bad-rows" in flags else 2), result.output
        found = {(b["row"], b["field"]) for b in done["bad_rows"]}
        for number, (field, _) in BAD.items():
            assert (number, field) in found, (number, field, done["bad_rows"])
        assert (16, "row") in found  # the line with three cells
        assert done["bad"] == len(BAD) + 1
        assert done["written"] is False
        assert db_dump() == before
    text = run("import", "register", str(path), "--mapping", str(MAPPING), "--dry-run").output
    assert "row 3: date_of_birth (column 'DOB'): must be a date written as 31/12/2025" in text


def test_skip_bad_rows_imports_the_good_ones_honestly(tmp_path: Path) -> None:
    path = register(tmp_path)
    done = ok_json("import", "register", str(path), "--mapping", str(MAPPING), "--skip-bad-rows")
    assert done["written"] is True
    assert done["imported"] == 14 - len(BAD)
    ids = done["case_ids"]
    states = {c["id"]: c["state"] for c in ok_json("cases", "--closed", "--limit", "100")}
    assert sorted(states) == sorted(ids)
    assert sorted(states.values()).count("enquiries") == len(ids) - 2
    assert "lost_pupil_upload" in states.values()

    lost = next(i for i, s in states.items() if s == "lost_pupil_upload")
    shown = ok_json("case", "show", str(lost))
    assert shown["facts"]["removal_ground"] == "i"
    assert shown["opened_at"][:10] in {
        (TODAY - timedelta(days=n)).isoformat() for n in (20, 21)
    }  # local midnight, in UTC
    # the deadline of the state counts from the register's status date, not from today
    upload = next(t for t in shown["timers"] if t["rule"].startswith("CTF uploaded"))
    assert upload["anchor"] == (TODAY - timedelta(days=18)).isoformat()

    history = ok_json("audit", "history", str(lost))
    events = history["events"] if isinstance(history, dict) else history
    assert [e["trigger"] for e in events] == ["imported"]  # no invented earlier steps
    first = events[0]
    assert first["seq"] == 1
    assert first["evidence"]["source"]["values"]["Ref"] == "R-lost"
    assert first["evidence"]["source"]["row"] == 14
    assert first["evidence"]["register_reference"] == "R-lost"

    closed = next(i for i, s in states.items() if s == "closed")
    assert ok_json("case", "show", str(closed))["outcome"] == "moved_abroad"

    for case_id in ids:
        replayed = ok_json("audit", "replay", str(case_id))
        assert replayed["legal"], replayed["problems"]
        assert not replayed["differences"], replayed
    assert run("audit", "verify").exit_code == 0
    access = ok_json("audit", "access", str(ids[0]))
    assert any(r["action"] == "register import" for r in access)


def test_an_imported_case_goes_on_like_any_other(tmp_path: Path) -> None:
    path = register(tmp_path, rows=4)
    done = ok_json("import", "register", str(path), "--mapping", str(MAPPING), "--skip-bad-rows")
    case_id = str(done["case_ids"][0])
    assert ok_json("case", "show", case_id)["state"] == "enquiries"
    made_on = (TODAY - timedelta(days=1)).isoformat()
    advanced = run(
        "case",
        "advance",
        case_id,
        "record_enquiry",
        "--set",
        "enquiry_method=telephone",
        "--set",
        "made_by=la",
        "--set",
        f"made_on={made_on}",
        "--set",
        "summary=rang",
        "--no-input",
        "--json",
    )
    assert advanced.exit_code == 0, advanced.output
    assert ok_json("audit", "replay", case_id)["legal"]


@pytest.mark.parametrize(
    ("mapping", "said"),
    [
        ("workflow: nowhere\ncolumns: {}\n", "workflow"),
        ("workflow: school-referral\ncolumns: {forename: Nope}\n", "columns.forename"),
        ("workflow: school-referral\ncolumns: {forename: Forename, shoe: Sex}\n", "shoe"),
        ("- a list\n", "YAML mapping"),
        ("workflow: school-referral\ndefaults: [a]\nfacts: 3\n", "defaults: must map"),
    ],
)
def test_a_bad_mapping_is_refused(tmp_path: Path, db_dump: Dump, mapping: str, said: str) -> None:
    path = register(tmp_path, rows=2)
    mapping_path = tmp_path / "mapping.yaml"
    mapping_path.write_text(mapping, encoding="utf-8")
    before = db_dump()
    result = run("import", "register", str(path), "--mapping", str(mapping_path), "--json")
    assert result.exit_code == 2
    assert said in json.loads(result.stdout)["error"]["message"]
    assert db_dump() == before


def test_a_register_not_in_utf8_is_refused(tmp_path: Path, db_dump: Dump) -> None:
    path = tmp_path / "register.csv"
    path.write_bytes(",".join(HEADER).encode() + "\nR1,Zo\u00eb\n".encode("latin-1"))
    before = db_dump()
    result = run("import", "register", str(path), "--mapping", str(MAPPING))
    assert result.exit_code == 2
    assert "not UTF-8" in result.output
    assert db_dump() == before


def test_the_register_export_is_access_logged(tmp_path: Path) -> None:
    path = register(tmp_path, rows=3)
    done = ok_json("import", "register", str(path), "--mapping", str(MAPPING), "--skip-bad-rows")
    out = tmp_path / "register-out.csv"
    result = run("export", "register", "--format", "csv", "--out", str(out))
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(out.read_text(encoding="utf-8").splitlines()))
    assert [int(r["id"]) for r in rows] == done["case_ids"]
    assert rows[0]["surname"] == "Sample"
    as_json = json.loads(run("export", "register", "--format", "json").stdout)
    assert len(as_json) == len(rows)
    for case_id in done["case_ids"]:
        actions = [r["action"] for r in ok_json("audit", "access", str(case_id))]
        assert actions.count("register export") == 2
    assert run("export", "register", "--format", "xml").exit_code == 2


def test_an_auditor_may_not_import(tmp_path: Path, db_dump: Dump) -> None:
    path = register(tmp_path, rows=2)
    before = db_dump()
    result = run("import", "register", str(path), "--mapping", str(MAPPING), "--role", "auditor")
    assert result.exit_code == 2
    assert "may not" in result.output
    assert db_dump() != before  # the refusal itself is kept in the access log
    assert "register.import" in db_dump()
