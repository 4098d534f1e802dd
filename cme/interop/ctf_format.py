"""The Common Transfer File (CTF) as XML: the part of the DfE specification cme writes and
reads, built and read with lxml. No case, no database: the services map cases to and from
these records (cme/services/ctf.py).

Element names follow the published CTF specification (LAW.md, "Common Transfer File"):

    CTfile
      Header        DocumentName, CTFversion, DateTime, DocumentQualifier, SupplierID,
                    SourceSchool {LEA, Estab, SchoolName, AcademicYear}, DestSchool {LEA, Estab}
      CTFpupilData
        Pupil       UPN, Surname, Forename, DOB, Sex,
                    Address {AddressLines {AddressLine1, AddressLine2, AddressLine3}, PostCode},
                    Contacts {Contact {Order, Surname, Forename, RelationshipCode}},
                    SchoolHistory {School {LEA, Estab, SchoolName, LeavingDate,
                    LeavingReason}}

Reading is tolerant of the versions in use: any `CTFversion`, a namespace (CTFs before 2011
carried one), `Gender` for `Sex` (before CTF 19), a BS7666 address (PAON, Street, Town,
PostTown) for address lines. A file's name is `LLLEEEE_CTF_DDDdddd_NNN.xml`: source LAESTAB,
destination LAESTAB (`XXXXXXX` when unknown, `MMMMMMM` when moved abroad), sequence.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from lxml import etree

from cme.interop.xmlsafe import child, children, text_of

CTF_VERSION = "25.0"
"""The CTF version written (the specification's number for the 2025/26 school year)."""
DOCUMENT_NAME = "Common Transfer File"
SUPPLIER_ID = "cme"
UNKNOWN_DESTINATION = "XXXXXXX"
"""Destination not known: the lost-pupil area of School to School (LAW.md)."""
ABROAD = "MMMMMMM"
"""The pupil moved abroad."""
DESTINATION = re.compile(r"^(\d{7}|XXXXXXX|MMMMMMM)$")
FILE_NAME = re.compile(r"^(\d{3}(?:\d{4}|LLLL))_CTF_(\d{7}|XXXXXXX|MMMMMMM)_(\d{3})\.xml$")
SEXES = {"female": "F", "male": "M", "other": "U", "not_known": "U"}
"""cme's genders to the CTF's `Sex` codes (U: not known or not given)."""
FROM_SEX = {"F": "female", "M": "male", "U": "not_known", "W": "not_known"}
SCHEMA = Path(__file__).with_name("ctf.xsd")
"""The schema cme writes to (tests/interop/ctf.xsd is the same file, kept equal by a test)."""


@dataclass(frozen=True, slots=True)
class School:
    """One entry of a pupil's school history."""

    lea: str
    estab: str
    name: str | None = None
    leaving_date: str | None = None
    leaving_reason: str | None = None


@dataclass(frozen=True, slots=True)
class Contact:
    """A person with parental responsibility or a contact, in order of priority."""

    order: int
    surname: str
    forename: str | None = None
    relationship: str | None = None


@dataclass(frozen=True, slots=True)
class Pupil:
    """A pupil's core data as a CTF carries it (dates as YYYY-MM-DD)."""

    upn: str | None
    surname: str | None
    forename: str | None
    dob: str | None
    sex: str | None = None
    address_lines: tuple[str, ...] = ()
    postcode: str | None = None
    contacts: tuple[Contact, ...] = ()
    history: tuple[School, ...] = ()


@dataclass(frozen=True, slots=True)
class Header:
    """Who sent the file, to whom, when, in which CTF version."""

    source_lea: str
    source_estab: str
    destination: str
    date_time: str
    """Local time, `YYYY-MM-DDThh:mm:ss`."""
    academic_year: str
    version: str = CTF_VERSION
    source_name: str | None = None


@dataclass(frozen=True, slots=True)
class Document:
    """A whole CTF."""

    header: Header
    pupils: tuple[Pupil, ...] = field(default_factory=tuple)


def file_name(source_lea: str, source_estab: str, destination: str, sequence: int) -> str:
    """`LLLEEEE_CTF_DDDdddd_NNN.xml`."""
    return f"{source_lea}{source_estab}_CTF_{destination}_{sequence:03d}.xml"


def _add(parent: etree._Element, tag: str, text: str | None = None) -> etree._Element:
    node = etree.SubElement(parent, tag)
    if text is not None:
        node.text = text
    return node


def build(document: Document) -> etree._Element:
    """The `CTfile` element of `document`."""
    h = document.header
    root = etree.Element("CTfile")
    header = _add(root, "Header")
    _add(header, "DocumentName", DOCUMENT_NAME)
    _add(header, "CTFversion", h.version)
    _add(header, "DateTime", h.date_time)
    _add(header, "DocumentQualifier", "full")
    _add(header, "SupplierID", SUPPLIER_ID)
    source = _add(header, "SourceSchool")
    _add(source, "LEA", h.source_lea)
    _add(source, "Estab", h.source_estab)
    if h.source_name:
        _add(source, "SchoolName", h.source_name)
    _add(source, "AcademicYear", h.academic_year)
    dest = _add(header, "DestSchool")
    _add(dest, "LEA", h.destination[:3])
    _add(dest, "Estab", h.destination[3:])
    data = _add(root, "CTFpupilData")
    for p in document.pupils:
        _pupil(_add(data, "Pupil"), p)
    return root


def _pupil(node: etree._Element, p: Pupil) -> None:
    for tag, value in (
        ("UPN", p.upn),
        ("Surname", p.surname),
        ("Forename", p.forename),
        ("DOB", p.dob),
        ("Sex", p.sex),
    ):
        if value:
            _add(node, tag, value)
    if p.address_lines or p.postcode:
        address = _add(node, "Address")
        if p.address_lines:
            lines = _add(address, "AddressLines")
            for i, line in enumerate(p.address_lines[:5], start=1):
                _add(lines, f"AddressLine{i}", line)
        if p.postcode:
            _add(address, "PostCode", p.postcode)
    if p.contacts:
        contacts = _add(node, "Contacts")
        for c in p.contacts:
            contact = _add(contacts, "Contact")
            _add(contact, "Order", str(c.order))
            _add(contact, "Surname", c.surname)
            if c.forename:
                _add(contact, "Forename", c.forename)
            if c.relationship:
                _add(contact, "RelationshipCode", c.relationship)
    if p.history:
        history = _add(node, "SchoolHistory")
        for s in p.history:
            school = _add(history, "School")
            _add(school, "LEA", s.lea)
            _add(school, "Estab", s.estab)
            for tag, value in (
                ("SchoolName", s.name),
                ("LeavingDate", s.leaving_date),
                ("LeavingReason", s.leaving_reason),
            ):
                if value:
                    _add(school, tag, value)


def read(root: etree._Element) -> Document:
    """The records of a parsed CTF (nothing validated here but the shape; see the service).

    Raises:
        ValueError: the root is not `CTfile`, or the header lacks its source or destination.
    """
    if root.tag.rsplit("}", 1)[-1] != "CTfile":
        raise ValueError(f"the root element is <{root.tag}>, not <CTfile>")
    header = child(root, "Header")
    lea, estab = text_of(header, "SourceSchool", "LEA"), text_of(header, "SourceSchool", "Estab")
    dest_lea, dest_estab = (
        text_of(header, "DestSchool", "LEA"),
        text_of(header, "DestSchool", "Estab"),
    )
    if header is None or not lea or not estab:
        raise ValueError("the Header has no SourceSchool LEA and Estab")
    parsed = Header(
        source_lea=lea,
        source_estab=estab,
        destination=f"{dest_lea or ''}{dest_estab or ''}",
        date_time=text_of(header, "DateTime") or "",
        academic_year=text_of(header, "SourceSchool", "AcademicYear") or "",
        version=text_of(header, "CTFversion") or "",
        source_name=text_of(header, "SourceSchool", "SchoolName"),
    )
    pupils = tuple(_read_pupil(p) for p in children(child(root, "CTFpupilData"), "Pupil"))
    return Document(parsed, pupils)


def _read_pupil(node: etree._Element) -> Pupil:
    address = child(node, "Address")
    lines: list[str] = []
    plain = child(address, "AddressLines")
    if plain is not None:
        lines = [t for i in range(1, 6) if (t := text_of(plain, f"AddressLine{i}")) is not None]
    else:
        bs = child(address, "BS7666Address")
        street = " ".join(t for t in (text_of(bs, "PAON"), text_of(bs, "Street")) if t is not None)
        lines = [
            t
            for t in (
                text_of(bs, "SAON"),
                street or None,
                text_of(bs, "Locality"),
                text_of(bs, "Town") or text_of(bs, "PostTown"),
            )
            if t
        ]
    contacts = tuple(
        Contact(
            order=int(order) if (order := text_of(c, "Order")) and order.isdigit() else i,
            surname=text_of(c, "Surname") or "",
            forename=text_of(c, "Forename"),
            relationship=text_of(c, "RelationshipCode") or text_of(c, "Relationship"),
        )
        for i, c in enumerate(children(child(node, "Contacts"), "Contact"), start=1)
    )
    history = tuple(
        School(
            lea=text_of(s, "LEA") or "",
            estab=text_of(s, "Estab") or "",
            name=text_of(s, "SchoolName"),
            leaving_date=text_of(s, "LeavingDate"),
            leaving_reason=text_of(s, "LeavingReason"),
        )
        for s in children(child(node, "SchoolHistory"), "School")
    )
    return Pupil(
        upn=text_of(node, "UPN"),
        surname=text_of(node, "Surname"),
        forename=text_of(node, "Forename"),
        dob=text_of(node, "DOB"),
        sex=text_of(node, "Sex") or text_of(node, "Gender"),
        address_lines=tuple(lines),
        postcode=text_of(address, "PostCode"),
        contacts=contacts,
        history=history,
    )
