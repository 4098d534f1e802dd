"""`cme case open` (from a file, flags or prompts, with the duplicate check), `cme case note`,
`cme case assign`, `cme case correct` and `cme case letter`: the casework features of issue
15, each a call to the application layer (cme/services/casework.py, letters.py).

Refusals exit 2 naming the field or rule; `--json` prints one document.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from cme.console import (
    ActorOpt,
    CaseId,
    JsonOpt,
    RoleOpt,
    dump,
    get_app,
    interactive,
    refusals,
    refuse,
)
from cme.services.identity import cli_principal

if TYPE_CHECKING:
    from engine.ports import EventRecord

Opt = typer.Option


def register(groups: dict[str, typer.Typer]) -> None:
    """Add the casework commands to `cme case`."""
    case = groups["case"]
    case.command("open")(case_open)
    case.command("note")(case_note)
    case.command("assign")(case_assign)
    case.command("correct")(case_correct)
    case.command("letter")(case_letter)


Text = str | None
FLAGS: dict[str, str] = {
    "forename": "child.forename",
    "surname": "child.surname",
    "date_of_birth": "child.date_of_birth",
    "upn": "child.upn",
    "gender": "child.gender",
    "address_line1": "child.address.line1",
    "address_line2": "child.address.line2",
    "town": "child.address.town",
    "postcode": "child.address.postcode",
    "school_id": "school.id",
    "school_name": "school.name",
    "first_absence_date": "first_absence_date",
    "leave_end_date": "leave_end_date",
    "reason": "reason",
    "referrer_name": "referrer.name",
    "referrer_organisation": "referrer.organisation",
    "referrer_email": "referrer.email",
    "referrer_phone": "referrer.phone",
    "notes": "notes",
}
"""Each flag of `cme case open` and the referral field it gives."""
ASKED = (
    ("child.forename", "Child's first name", False),
    ("child.surname", "Child's last name", False),
    ("child.date_of_birth", "Date of birth (YYYY-MM-DD)", False),
    ("child.upn", "UPN (optional, Enter to skip)", False),
    ("school.name", "School name", True),
    ("first_absence_date", "First day of absence (YYYY-MM-DD)", True),
    ("reason", "Reason for the referral", False),
    ("referrer.name", "Referrer's name", False),
    ("referrer.organisation", "Referrer's organisation", False),
)
"""What `cme case open` asks at a terminal when neither file nor flag gave it (school: the
school route only)."""


def case_open(
    workflow: Annotated[str, Opt(help="school-referral or out-of-school-referral")],
    file: Annotated[
        Path | None, Opt("--file", help="The referral as JSON (- for standard input).")
    ] = None,
    forename: Annotated[Text, Opt(help="The child's first name.")] = None,
    surname: Annotated[Text, Opt(help="The child's last name.")] = None,
    date_of_birth: Annotated[Text, Opt(help="YYYY-MM-DD.")] = None,
    upn: Annotated[Text, Opt(help="Unique pupil number.")] = None,
    gender: Annotated[Text, Opt(help="female, male, other or not_known.")] = None,
    address_line1: Annotated[Text, Opt()] = None,
    address_line2: Annotated[Text, Opt()] = None,
    town: Annotated[Text, Opt()] = None,
    postcode: Annotated[Text, Opt()] = None,
    school_id: Annotated[Text, Opt(help="The school's number.")] = None,
    school_name: Annotated[Text, Opt()] = None,
    first_absence_date: Annotated[Text, Opt(help="YYYY-MM-DD.")] = None,
    leave_end_date: Annotated[Text, Opt(help="YYYY-MM-DD.")] = None,
    reason: Annotated[Text, Opt(help="Why the child is referred.")] = None,
    risk_flag: Annotated[list[str] | None, Opt(help="A risk flag (repeat).")] = None,
    referrer_name: Annotated[Text, Opt()] = None,
    referrer_organisation: Annotated[Text, Opt()] = None,
    referrer_email: Annotated[Text, Opt()] = None,
    referrer_phone: Annotated[Text, Opt()] = None,
    parent: Annotated[list[str] | None, Opt(help="A parent's full name (repeat).")] = None,
    sibling: Annotated[list[str] | None, Opt(help="A sibling's full name (repeat).")] = None,
    notes: Annotated[Text, Opt()] = None,
    open_anyway: Annotated[
        bool,
        Opt("--open-anyway", help="Open even if an open case matches (recorded on the case)."),
    ] = False,
    no_input: Annotated[bool, Opt("--no-input", help="Never prompt.")] = False,
    actor: ActorOpt = None,
    role: RoleOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Open a case from a referral: a JSON file (UTF-8, at most 4 MiB), flags, or prompts at
    a terminal; flags win over the file. Refused (exit 2) when the referral matches an open
    case (same UPN, or same name and date of birth) unless --open-anyway."""
    from cme.services.referral_form import referral_from_fields

    given = dict(locals())
    base: dict[str, Any] = {}
    if file is not None:
        from cme.inputs import InputRefused, load_json, read_text

        try:
            loaded = load_json(read_text(file))
        except InputRefused as exc:
            refuse(str(exc), as_json, "BadInput")
        if not isinstance(loaded, dict):
            refuse("--file: the referral must be a JSON object", as_json, "BadInput")
        base = loaded
    fields: dict[str, Any] = {f: given[k] for k, f in FLAGS.items() if given[k] is not None}
    for name, values in (("risk_flags", risk_flag), ("parents", parent), ("siblings", sibling)):
        if values:
            fields[name] = list(values)
    referral = referral_from_fields(fields, base)
    if interactive() and not no_input and not as_json:
        _ask_missing(referral, fields, workflow == "school-referral")
        referral = referral_from_fields(fields, base)
    from cme.services import casework

    with refusals(as_json):
        application = get_app()
        principal = cli_principal(application, actor, role, "case.open")
        opened = casework.open_referral(application, principal, workflow, referral, open_anyway)
        data, applied = opened.view.as_json(), opened.applied
    if as_json:
        dump(data)
        return
    typer.echo(f"Opened {data['ref']} (id {data['id']}) on {workflow}.")
    if applied.event.evidence.get("opening"):
        matched = ", ".join(applied.event.evidence["opening"].get("matches", []))
        typer.echo(f"Opened anyway, though open case(s) matched: {matched} (recorded).")
    if applied.followed_by:
        typer.echo(
            "Referred to MASH at once: " + ", ".join(f.event.trigger for f in applied.followed_by)
        )


def _ask_missing(referral: dict[str, Any], fields: dict[str, Any], school_route: bool) -> None:
    for name, prompt, school_only in ASKED:
        if school_only and not school_route:
            continue
        node: Any = referral
        for part in name.split("."):
            node = node.get(part) if isinstance(node, dict) else None
        if node in (None, ""):
            answer = str(typer.prompt(prompt, default="", show_default=False)).strip()
            if answer:
                fields[name] = answer


def _event_json(case_id: int, event: EventRecord) -> dict[str, Any]:
    from engine.evidence import format_utc
    from engine.ports import case_ref

    return {
        "id": case_id,
        "ref": case_ref(case_id),
        "seq": event.seq,
        "trigger": event.trigger,
        "state": event.to_state,
        "actor": event.actor,
        "role": event.role,
        "at": format_utc(event.at),
        "evidence": dict(event.evidence),
    }


def case_note(
    case_id: CaseId,
    text: Annotated[Text, Opt("--text", help="The note (prompted for at a terminal).")] = None,
    actor: ActorOpt = None,
    role: RoleOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Add a note to a case, in any state (escalated and with MASH included)."""
    from cme.services import casework

    if text is None and interactive() and not as_json:
        text = str(typer.prompt("Note", default="", show_default=False))
    with refusals(as_json):
        application = get_app()
        principal = cli_principal(application, actor, role, "case.note")
        event = casework.add_note(application, principal, case_id, text or "")
    _done(case_id, event, as_json, f"note added (event {event.seq})")


def case_assign(
    case_id: CaseId,
    to: Annotated[Text, Opt("--to", help="The account to give the case to.")] = None,
    unassign: Annotated[bool, Opt("--unassign", help="Take the case back from anyone.")] = False,
    actor: ActorOpt = None,
    role: RoleOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Assign a case to an account, reassign it, or (--unassign) take it back."""
    from cme.services import casework

    if (to is None) == (not unassign):
        refuse("give --to NAME or --unassign", as_json, "BadInput", field="to")
    with refusals(as_json):
        application = get_app()
        principal = cli_principal(application, actor, role, "case.assign")
        event = casework.assign(application, principal, case_id, to)
    who = event.evidence.get("assignee")
    _done(case_id, event, as_json, f"assigned to {who}" if who else "unassigned")


def case_correct(
    case_id: CaseId,
    set_: Annotated[
        list[str] | None,
        Opt("--set", help="FIELD=VALUE, e.g. child.forename=Sam (repeat; empty clears)."),
    ] = None,
    reason: Annotated[Text, Opt("--reason", help="Why (required).")] = None,
    actor: ActorOpt = None,
    role: RoleOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Correct a child's or a referral's details: before, after and the reason are recorded."""
    from cme.services import casework
    from cme.services.referral_form import CORRECTABLE, correction_from_fields

    fields: dict[str, str] = {}
    for item in set_ or []:
        name, sep, value = item.partition("=")
        if not sep or name.strip() not in CORRECTABLE:
            refuse(
                f"--set {ascii(item)[:60]}: expected FIELD=VALUE, FIELD one of "
                + ", ".join(CORRECTABLE),
                as_json,
                "BadInput",
            )
        fields[name.strip()] = value
    if not fields:
        refuse("--set: give at least one FIELD=VALUE to correct", as_json, "BadInput")
    child, facts = correction_from_fields(fields)
    with refusals(as_json):
        application = get_app()
        principal = cli_principal(application, actor, role, "case.correct")
        event = casework.correct(application, principal, case_id, child, facts, reason or "")
    _done(case_id, event, as_json, f"details corrected (event {event.seq})")


def case_letter(
    case_id: CaseId,
    out: Annotated[Path, Opt("--out", help="The HTML file to write (print it).")],
    force: Annotated[bool, Opt("--force", help="Replace OUT if it exists.")] = False,
    actor: ActorOpt = None,
    role: RoleOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Write the letter to the child's parents as a printable HTML page."""
    from cme.files import write_output
    from cme.services.letters import parent_letter

    with refusals(as_json):
        application = get_app()
        principal = cli_principal(application, actor, role, "case.letter")
        letter = parent_letter(application, principal, case_id)
        url = application.settings.database_url
        write_output(out, letter.page.encode("utf-8"), force=force, database_url=url,
                     as_json=as_json)  # fmt: skip
    if as_json:
        dump({"id": case_id, "ref": letter.ref, "file": str(out)})
    else:
        typer.echo(f"{letter.ref}: letter to parents written to {out}")


def _done(case_id: int, event: EventRecord, as_json: bool, said: str) -> None:
    from engine.ports import case_ref

    if as_json:
        dump(_event_json(case_id, event))
    else:
        typer.echo(f"{case_ref(case_id)}: {said}")
