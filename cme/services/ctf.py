"""Common Transfer Files (CTF), for every door: write one for a case's child (`export_ctf`),
and read one a school sent (`import_ctf`).

Export: the source is the authority (`CME_LA_NUMBER`, `CME_LA_ESTAB`; refused when the LA
number is not set), the destination a LAESTAB, `XXXXXXX` (not known: the lost-pupil area) or
`MMMMMMM` (abroad); the file is validated against the schema (`CME_CTF_XSD`, else the one cme
ships) before it is written, and the export is recorded on the case (`ctf_exported`: file
name, destination, sequence, the file's sha256) and in the access log.

Import: the file is read by `cme.interop.xmlsafe` (no DTD, entity or external reference, at
most 50 MB, UTF-8); every pupil's UPN and dates are validated and every decision is taken
before anything is written. A pupil whose UPN matches one case is attached to it
(`ctf_received`); one matched only by name and date of birth is a possible duplicate and is
never merged silently: it is refused (listing the cases) unless a new case is asked for, when
the new case is opened and the possible duplicates reported.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cme.services.errors import Refused
from cme.services.permissions import authorize

if TYPE_CHECKING:
    from cme.bootstrap import App
    from cme.interop.ctf_format import Document, Pupil
    from cme.services.principal import Principal

MAX_SEQUENCE = 999
ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
REMOVAL_WORDS = {
    "i": "9(1)(i) absent 20 school days, whereabouts unknown",
    "h": "9(1)(h) did not return within 10 school days of agreed leave",
    "g": "9(1)(g) no longer ordinarily resident within a reasonable distance",
    "f": "9(1)(f) parents educating the pupil otherwise than at school",
}
"""The deletion grounds (2024 regulations, reg 9(1)) as the CTF's `LeavingReason`."""


@dataclass(frozen=True, slots=True)
class CtfExported:
    """A CTF written for a case."""

    case_id: int
    path: Path
    file_name: str
    destination: str
    sequence: int
    sha256: str

    def as_json(self) -> dict[str, Any]:
        """What `cme ctf export --json` prints."""
        return {
            "case_id": self.case_id,
            "path": str(self.path),
            "file_name": self.file_name,
            "destination": self.destination,
            "sequence": self.sequence,
            "sha256": self.sha256,
        }


@dataclass(frozen=True, slots=True)
class PupilOutcome:
    """What an import did with one pupil."""

    upn: str | None
    action: str
    """`attached` (to an existing case) or `opened` (a new case)."""
    case_id: int
    possible_duplicates: tuple[int, ...] = ()

    def as_json(self) -> dict[str, Any]:
        """One entry of `cme ctf import --json`'s `pupils`."""
        return {
            "upn": self.upn,
            "action": self.action,
            "case_id": self.case_id,
            "possible_duplicates": list(self.possible_duplicates),
        }


@dataclass(frozen=True, slots=True)
class CtfImported:
    """What an import did, pupil by pupil."""

    file_name: str
    source: str
    version: str
    pupils: tuple[PupilOutcome, ...] = field(default_factory=tuple)

    def as_json(self) -> dict[str, Any]:
        """What `cme ctf import --json` prints."""
        return {
            "file_name": self.file_name,
            "source": self.source,
            "ctf_version": self.version,
            "pupils": [p.as_json() for p in self.pupils],
        }


# --- export ------------------------------------------------------------------------------------
def export_ctf(
    app: App, principal: Principal, case_id: int, destination: str, out_dir: Path
) -> CtfExported:
    """Write a CTF for a case's child into `out_dir` and record it on the case.

    Raises:
        Refused: no LA number configured, a destination not of the three forms, a child
            without the identity a CTF needs, no sequence left, or a file that does not
            validate.
    """
    from cme.access import record
    from cme.interop import ctf_format as fmt
    from cme.interop.xmlsafe import to_bytes, validate
    from engine.clock import local_date
    from storage.interop import ctf_sequences_used
    from storage.read_models import case_rows

    authorize(app, principal, "ctf.export", case_id)
    settings = app.settings
    if not settings.la_number:
        raise Refused(
            "CME_LA_NUMBER is not set: a CTF names the authority that sends it (its three-digit "
            "LA number, e.g. 821 for Luton); set it and try again",
            "SettingsInvalid",
        )
    destination = destination.strip().upper()
    if not fmt.DESTINATION.match(destination):
        raise Refused(
            f"--to {destination[:20]!r}: must be a LAESTAB (7 digits), XXXXXXX (destination "
            "not known: the lost-pupil area) or MMMMMMM (moved abroad)",
            "BadInput",
        )
    if not out_dir.is_dir():
        raise Refused(f"--out {out_dir}: not a folder that exists", "BadInput")
    rows = case_rows(app.db, case_id)
    now = app.clock.now()
    pupil = _pupil_of(app, case_id, rows.child, rows.case.facts)
    source_estab = settings.la_estab
    taken = set(ctf_sequences_used(app.db, destination))
    prefix = f"{settings.la_number}{source_estab}_CTF_{destination}_"
    taken |= {
        int(p.name[len(prefix) : len(prefix) + 3])
        for p in out_dir.glob(f"{prefix}[0-9][0-9][0-9].xml")
    }
    sequence = max(taken, default=0) + 1
    if sequence > MAX_SEQUENCE:
        raise Refused(f"no sequence number is left for destination {destination} (999 used)")
    today = local_date(now)
    header = fmt.Header(
        source_lea=settings.la_number,
        source_estab=source_estab,
        destination=destination,
        date_time=now.astimezone(_zone()).strftime("%Y-%m-%dT%H:%M:%S"),
        academic_year=str(today.year if today.month >= 9 else today.year - 1),
        source_name=settings.authority_name,
    )
    root = fmt.build(fmt.Document(header, (pupil,)))
    problems = validate(root, settings.ctf_xsd or fmt.SCHEMA)
    if problems:
        raise Refused(
            "the CTF does not validate against its schema, so none was written: "
            + "; ".join(problems[:5]),
            "CtfInvalid",
            problems=problems,
        )
    data = to_bytes(root)
    name = fmt.file_name(settings.la_number, source_estab, destination, sequence)
    target = out_dir / name
    partial = out_dir / f".{name}.partial"
    partial.write_bytes(data)
    digest = hashlib.sha256(data).hexdigest()
    try:
        app.engine.record(
            case_id,
            "ctf_exported",
            {
                "file_name": name,
                "destination": destination,
                "sequence": sequence,
                "ctf_version": header.version,
                "sha256": digest,
            },
            principal.actor,
        )
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    partial.replace(target)
    record(app, principal.actor, case_id, "ctf export", name)
    return CtfExported(case_id, target, name, destination, sequence, digest)


def _zone() -> Any:
    from engine.clock import LOCAL_ZONE

    return LOCAL_ZONE


def _pupil_of(app: App, case_id: int, child: dict[str, Any], facts: dict[str, Any]) -> Pupil:
    from cme.interop import ctf_format as fmt
    from engine.chain import IMPORTED_TRIGGER
    from engine.clock import local_date
    from storage.queries import events as events_of

    missing = [k for k in ("upn", "surname", "forename", "date_of_birth") if not child.get(k)]
    if missing:
        raise Refused(
            f"case {case_id}: the child's {', '.join(missing)} not recorded: a CTF identifies "
            "the pupil by UPN, names and date of birth (a temporary UPN will do)",
            "CtfRefused",
            missing=missing,
        )
    address = child.get("address")
    if isinstance(address, dict):
        lines = tuple(str(address[k]) for k in ("line1", "line2", "town") if address.get(k))
        postcode = address.get("postcode")
    else:
        lines, postcode = ((str(address),) if address else ()), None
    contacts = tuple(
        fmt.Contact(i, *_split_name(name), relationship="PAR")
        for i, name in enumerate(facts.get("parents") or [], start=1)
    )
    history: tuple[fmt.School, ...] = ()
    school = facts.get("school") or {}
    school_id = str(school.get("id") or "")
    if re.fullmatch(r"\d{7}", school_id):
        left_on, ground = None, facts.get("removal_ground")
        for event in reversed(events_of(app.db, case_id)):
            if "removal_ground" in event.evidence or event.trigger == "record_home_education":
                left_on = local_date(event.at).isoformat()
                ground = event.evidence.get("removal_ground", ground or "f")
                break
            if event.trigger == IMPORTED_TRIGGER:  # the register's removal date, when given
                left_on = event.evidence.get("removed_on") or None
                break
        history = (
            fmt.School(
                school_id[:3],
                school_id[3:],
                school.get("name"),
                left_on,
                REMOVAL_WORDS.get(str(ground)) if ground else None,
            ),
        )
    return fmt.Pupil(
        upn=str(child["upn"]),
        surname=str(child["surname"]),
        forename=str(child["forename"]),
        dob=str(child["date_of_birth"]),
        sex=fmt.SEXES.get(str(child.get("gender"))),
        address_lines=lines,
        postcode=str(postcode) if postcode else None,
        contacts=contacts,
        history=history,
    )


def _split_name(name: str) -> tuple[str, str | None]:
    """(surname, forename) of a full name: the last word is the surname."""
    words = str(name).split()
    if len(words) < 2:
        return str(name), None
    return words[-1], " ".join(words[:-1])


# --- import ------------------------------------------------------------------------------------
def read_ctf(path: Path) -> Document:
    """A CTF read safely and checked: every pupil's UPN, names and dates.

    Raises:
        Refused: the file is refused (`BadInput`) or a pupil breaks a rule (`CtfRefused`,
            with `problems`: each field and rule).
    """
    from cme.interop import ctf_format as fmt
    from cme.interop.xmlsafe import XmlRefused, parse_untrusted

    try:
        root = parse_untrusted(path)
    except XmlRefused as exc:
        raise Refused(str(exc), "BadInput") from None
    try:
        document = fmt.read(root)
    except ValueError as exc:
        raise Refused(f"FILE: {path}: not a CTF: {exc}", "BadInput") from None
    problems = _problems(document)
    if problems:
        lines = "\n".join(f"  - {p['field']}: {p['rule']}" for p in problems)
        raise Refused(f"The CTF cannot be imported:\n{lines}", "CtfRefused", problems=problems)
    return document


def _problems(document: Document) -> list[dict[str, str]]:
    from workflows.upn import validate_upn

    found: list[dict[str, str]] = []
    if not document.pupils:
        found.append({"field": "CTFpupilData", "rule": "holds no Pupil"})
    for i, p in enumerate(document.pupils, start=1):
        where = f"Pupil[{i}]"
        if p.upn and (reason := validate_upn(p.upn)) is not None:
            found.append({"field": f"{where}.UPN", "rule": reason})
        for tag, value in (("Surname", p.surname), ("Forename", p.forename)):
            if not value:
                found.append({"field": f"{where}.{tag}", "rule": "is required"})
        dates = [("DOB", p.dob, True)] + [
            (f"SchoolHistory.School[{j}].LeavingDate", s.leaving_date, False)
            for j, s in enumerate(p.history, start=1)
        ]
        for tag, value, required in dates:
            rule = _date_rule(value, required)
            if rule:
                found.append({"field": f"{where}.{tag}", "rule": rule})
    return found


def _date_rule(value: str | None, required: bool) -> str | None:
    if not value:
        return "is required (YYYY-MM-DD)" if required else None
    if not ISO_DATE.match(value):
        return f"must be a date as YYYY-MM-DD (got {value[:20]!r})"
    try:
        date.fromisoformat(value)
    except ValueError:
        return f"no such day ({value})"
    return None


def referral_of(
    document: Document, pupil: Pupil, file_name: str, first_absence: str | None
) -> dict[str, Any]:
    """The referral a pupil of a CTF gives (for the chart's intake rule)."""
    from cme.interop import ctf_format as fmt

    child: dict[str, Any] = {
        "forename": pupil.forename,
        "surname": pupil.surname,
        "date_of_birth": pupil.dob,
    }
    if pupil.upn:
        child["upn"] = pupil.upn
    if pupil.sex in fmt.FROM_SEX:
        child["gender"] = fmt.FROM_SEX[pupil.sex]
    if pupil.address_lines and pupil.postcode:
        lines = list(pupil.address_lines)
        address = {"line1": lines[0], "postcode": pupil.postcode}
        if len(lines) > 2:
            address["line2"] = ", ".join(lines[1:-1])
        if len(lines) > 1:
            address["town"] = lines[-1]
        child["address"] = address
    h = document.header
    last = pupil.history[-1] if pupil.history else None
    school_id = f"{last.lea}{last.estab}" if last else f"{h.source_lea}{h.source_estab}"
    school_name = (last.name if last else None) or h.source_name
    referral: dict[str, Any] = {
        "child": child,
        "school": {"id": school_id, **({"name": school_name} if school_name else {})},
        "reason": f"Common Transfer File {file_name} received from {h.source_lea}{h.source_estab}",
        "referrer": {
            "name": f"Common Transfer File {file_name}"[:200],
            "organisation": (h.source_name or f"LA {h.source_lea}")[:200],
        },
    }
    parents = [" ".join(filter(None, (c.forename, c.surname))) for c in pupil.contacts]
    if parents:
        referral["parents"] = [p for p in parents if p]
    if first_absence:
        referral["first_absence_date"] = first_absence
    return referral


def pupil_json(document: Document, pupil: Pupil, file_name: str) -> dict[str, Any]:
    """The CTF's data about one pupil, as kept in the `ctf_received` event."""
    from dataclasses import asdict

    h = document.header
    return {
        "file_name": file_name,
        "ctf_version": h.version,
        "source": f"{h.source_lea}{h.source_estab}",
        "destination": h.destination,
        "sent_at": h.date_time,
        "pupil": asdict(pupil),
    }
