"""The domain-free machinery: CTFs of older versions read, the file-name pattern, CSV cells a
spreadsheet would run neutralised, a CSV's bad lines numbered as a spreadsheet numbers them."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from cme.interop import ctf_format as fmt
from cme.interop.tabular import read_csv, write_csv
from cme.interop.xmlsafe import XmlRefused, parse_bytes

OLD = b"""<?xml version="1.0" encoding="utf-8"?>
<CTfile xmlns="http://www.dcsf.gov.uk/schemas/cbds">
  <Header><CTFversion>10.0</CTFversion><DateTime>2010-05-12T10:00:00</DateTime>
    <SourceSchool><LEA>821</LEA><Estab>2001</Estab><SchoolName>Old School</SchoolName>
    </SourceSchool><DestSchool><LEA>XXX</LEA><Estab>XXXX</Estab></DestSchool></Header>
  <CTFpupilData><Pupil><UPN>H801200001001</UPN><Surname>Testchild</Surname>
    <Forename>Sam</Forename><DOB>2014-05-01</DOB><Gender>M</Gender>
    <Address><BS7666Address><PAON>12</PAON><Street>Example Road</Street><Town>Luton</Town>
    </BS7666Address><PostCode>LU1 1AA</PostCode></Address>
    <SchoolHistory><School><LEA>821</LEA><Estab>2001</Estab><LeavingDate>2010-04-01</LeavingDate>
    </School></SchoolHistory></Pupil></CTFpupilData>
</CTfile>
"""


def test_an_older_ctf_with_a_namespace_and_gender_is_read() -> None:
    document = fmt.read(parse_bytes(OLD, "old.xml"))
    assert document.header.version == "10.0"
    assert document.header.destination == "XXXXXXX"
    pupil = document.pupils[0]
    assert (pupil.upn, pupil.surname, pupil.forename, pupil.dob, pupil.sex) == (
        "H801200001001",
        "Testchild",
        "Sam",
        "2014-05-01",
        "M",
    )
    assert pupil.address_lines == ("12 Example Road", "Luton")
    assert pupil.postcode == "LU1 1AA"
    assert pupil.history[0].leaving_date == "2010-04-01"


def test_a_ctf_is_only_a_ctfile() -> None:
    with pytest.raises(ValueError, match="CTfile"):
        fmt.read(parse_bytes(b"<Pupil/>", "x.xml"))
    with pytest.raises(XmlRefused, match="not well-formed"):
        parse_bytes(b"<CTfile>", "x.xml")


@pytest.mark.parametrize(
    ("args", "name"),
    [
        (("821", "LLLL", "XXXXXXX", 1), "821LLLL_CTF_XXXXXXX_001.xml"),
        (("821", "2001", "8262001", 12), "8212001_CTF_8262001_012.xml"),
        (("821", "LLLL", "MMMMMMM", 999), "821LLLL_CTF_MMMMMMM_999.xml"),
    ],
)
def test_file_names_follow_the_pattern(args: tuple[str, str, str, int], name: str) -> None:
    assert fmt.file_name(*args) == name
    assert fmt.FILE_NAME.match(name)


def test_cells_a_spreadsheet_would_run_are_neutralised() -> None:
    out = io.StringIO()
    write_csv(("a", "b"), [{"a": "=HYPERLINK(1)", "b": "@SUM(A1)"}, {"a": "Sam", "b": None}], out)
    assert out.getvalue().splitlines() == ["a,b", "'=HYPERLINK(1),'@SUM(A1)", "Sam,"]


def test_bad_csv_lines_are_numbered_as_a_spreadsheet_numbers_them(tmp_path: Path) -> None:
    path = tmp_path / "r.csv"
    path.write_text('a,b\n1,2\n\n3\n"multi\nline",4\n5,6,7\n', encoding="utf-8")
    table = read_csv(path)
    assert [n for n, _ in table.rows] == [2, 5]
    assert [n for n, _ in table.problems] == [4, 6]
