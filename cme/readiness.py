"""`cme check`: is this installation configured to operate safely?

Each check is a small function of the `App` that yields `Problem`s; `CHECKS` lists them in the
order they are reported. Adding a check is one line in `CHECKS`. `cme check --json` prints
`{"ok": bool, "problems": [{"area": str, "message": str}]}` and exits 1 when not ok.

What is checked (README, "Configuration required for safe operation"):

* recipients: MASH, the CMEO, the service manager and the EHE team each have an address; the
  recipients file (schools, other authorities) exists, is valid, and lists some of each;
* mail: every configured address is on `CME_MAIL_ALLOWED_DOMAINS`; an SMTP gateway is configured
  with consistent TLS settings, or the `.eml` folder is in use on purpose
  (`CME_MAIL_FILES_ONLY=true`, a demonstration or test system): otherwise nothing reaches anyone;
* calendar: today and the next `HORIZON` school days have loaded term dates, on the authority's
  calendar and on every school's own (else deadlines are provisional);
* audit: `CME_AUDIT_KEY_FILE` names a readable Ed25519 private key (signed checkpoints).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import asdict, dataclass
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from cme.bootstrap import App
    from cme.settings import Settings
    from engine.calendar import SchoolCalendar

HORIZON = 60
"""School days ahead that must have loaded term dates."""

ROLE_VARIABLES = {
    "mash": "CME_MASH_EMAIL",
    "cmeo": "CME_CMEO_EMAIL",
    "manager": "CME_MANAGER_EMAIL",
    "ehe_officer": "CME_EHE_EMAIL",
}
"""Where each fixed recipient role's address is configured."""

_WHY = {
    "mash": "a child-protection concern could not be referred to MASH",
    "cmeo": "the CME officer would not be told of referrals, deadlines or failed messages",
    "manager": "the escalation ladder has no last rung, and nobody is told when the CME "
    "officer cannot be",
    "ehe_officer": "elective home education hand-overs could not be sent",
}


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing that keeps the installation from operating safely."""

    area: str
    message: str


Check = Callable[["App"], Iterable[Problem]]


def recipient_sources(settings: Settings) -> dict[str, str]:
    """Role -> where its address is configured, named when a message cannot be addressed."""
    file = "the recipients file (CME_RECIPIENTS_FILE)"
    return {**ROLE_VARIABLES, "school": file, "other_la": file}


def check_recipients(app: App) -> Iterator[Problem]:
    """MASH, the CMEO, the manager and the EHE team each have an address."""
    for role, variable in ROLE_VARIABLES.items():
        if not getattr(app.settings, _SETTING[role]):
            yield Problem(
                "recipients",
                f"no address configured for role {role} (set {variable}): {_WHY[role]}",
            )


_SETTING = {
    "mash": "mash_email",
    "cmeo": "cmeo_email",
    "manager": "manager_email",
    "ehe_officer": "ehe_email",
}


def check_recipients_file(app: App) -> Iterator[Problem]:
    """The recipients file exists, is valid, lists schools and other authorities, and sets no
    role address it would be ignored for."""
    from notifications.errors import RecipientsFileError
    from notifications.recipients import load_recipients_file

    path = app.settings.recipients_file
    if path is None:
        yield Problem(
            "recipients",
            "no recipients file (set CME_RECIPIENTS_FILE): schools and other authorities have "
            "no address, so CTF reminders to schools and transfers to another authority "
            "cannot be sent",
        )
        return
    try:
        found = load_recipients_file(path)
    except RecipientsFileError as exc:
        yield Problem("recipients", f"the recipients file cannot be used: {exc}")
        return
    for key, what in (("schools", "schools"), ("las", "other authorities")):
        if not getattr(found, key):
            yield Problem(
                "recipients", f"the recipients file {path} lists no {what} (under '{key}')"
            )
    for role, variable in ROLE_VARIABLES.items():
        if getattr(found, role):
            yield Problem(
                "recipients",
                f"the recipients file {path} sets '{role}', which is not used: set {variable}",
            )


def _addresses(app: App) -> Iterator[tuple[str, str]]:
    """(where, address) of every configured address."""
    from notifications.errors import RecipientsFileError
    from notifications.recipients import load_recipients_file

    for role, variable in ROLE_VARIABLES.items():
        value = getattr(app.settings, _SETTING[role])
        if value:
            yield variable, value
    if app.settings.recipients_file is not None:
        try:
            found = load_recipients_file(app.settings.recipients_file)
        except RecipientsFileError:
            return  # reported by check_recipients_file
        for school, address in found.schools.items():
            yield f"school {school} (recipients file)", address
        for la, address in found.las.items():
            yield f"LA {la} (recipients file)", address


def check_allow_list(app: App) -> Iterator[Problem]:
    """The allow-list is set, and admits every configured address."""
    from cme.delivery import allowed_domains
    from notifications.recipients import AllowList

    allow = AllowList(allowed_domains(app))
    if not allow.domains:
        yield Problem(
            "mail",
            "the mail allow-list is empty (set CME_MAIL_ALLOWED_DOMAINS): no message may be "
            "sent to anyone",
        )
        return
    for where, address in _addresses(app):
        if not allow.is_allowed(address):
            yield Problem(
                "mail",
                f"{where} <{address}> is not on the allow-list "
                f"({', '.join(sorted(allow.domains))}): messages to it would be refused",
            )


def check_mail_transport(app: App) -> Iterator[Problem]:
    """An SMTP gateway with consistent TLS settings, or the .eml folder on purpose."""
    s = app.settings
    if not s.smtp_host:
        if not s.mail_files_only:
            yield Problem(
                "mail",
                f"no SMTP gateway configured (set CME_SMTP_HOST): messages are only written "
                f"as .eml files to {s.outbox_dir} and reach nobody (set "
                "CME_MAIL_FILES_ONLY=true if that is intended, on a demonstration system)",
            )
        return
    if s.smtp_tls == "implicit" and s.smtp_port == 587:
        yield Problem(
            "mail",
            "CME_SMTP_TLS=implicit on port 587 (the STARTTLS port): use port 465, or "
            "CME_SMTP_TLS=starttls",
        )
    if s.smtp_tls == "starttls" and s.smtp_port == 465:
        yield Problem(
            "mail",
            "CME_SMTP_TLS=starttls on port 465 (the implicit-TLS port): use port 587, or "
            "CME_SMTP_TLS=implicit",
        )
    if bool(s.smtp_username) != bool(s.smtp_password):
        yield Problem("mail", "set both CME_SMTP_USERNAME and CME_SMTP_PASSWORD, or neither")
    if s.smtp_ca_file is not None and not _readable(s.smtp_ca_file):
        yield Problem("mail", f"CME_SMTP_CA_FILE {s.smtp_ca_file} cannot be read")


def coverage_problems(calendar: SchoolCalendar, today: date, horizon: int = HORIZON) -> list[str]:
    """Why today or the next `horizon` school days are not covered by loaded term dates
    (empty when they are). Each message names the school year and how to load it."""
    from engine.calendar import school_year_label

    problems: list[str] = []
    missing = calendar.uncovered_school_years(today, today)
    if missing:
        problems.append(
            f"today ({today.isoformat()}) is not covered by loaded term dates: none are "
            f"loaded for {school_year_label(missing[0])}"
        )
    ahead = calendar.add_school_days(today, horizon)
    if ahead.provisional:
        problems.append(
            f"the next {horizon} school days (to {ahead.day.isoformat()}) are counted "
            f"provisionally: {ahead.reason}"
        )
    return problems


def calendar_fix(app: App) -> str:
    """How to load missing term dates."""
    return (
        f"add the term dates to {app.settings.calendar} (CME_CALENDAR), or import a school's "
        "feed with `cme calendar import FILE --school ID`"
    )


def check_calendar(app: App) -> Iterator[Problem]:
    """Today and the next `HORIZON` school days have term dates, on every calendar."""
    from engine.clock import local_date

    today = local_date(app.clock.now())
    authority = app.calendars.for_school(None)
    calendars = [("the authority's calendar", authority)]
    for school in app.calendars.school_ids:
        own = app.calendars.for_school(school)
        if own.terms != authority.terms:
            calendars.append((f"school {school}'s calendar", own))
    for name, calendar in calendars:
        for problem in coverage_problems(calendar, today):
            yield Problem("calendar", f"{name}: {problem}; {calendar_fix(app)}")


def check_audit_key(app: App) -> Iterator[Problem]:
    """A readable Ed25519 signing key for audit checkpoints."""
    path = app.settings.audit_key_file
    if path is None:
        yield Problem(
            "audit",
            "no audit signing key (set CME_AUDIT_KEY_FILE; create one with `cme audit keygen`): "
            "the nightly checkpoints that prove the history was not rewritten are not signed",
        )
        return
    try:
        from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
        from cryptography.hazmat.primitives.serialization import load_pem_private_key

        key: Any = load_pem_private_key(Path(path).read_bytes(), password=None)
    except (OSError, ValueError, TypeError) as exc:
        yield Problem("audit", f"CME_AUDIT_KEY_FILE {path} cannot be read as a private key: {exc}")
        return
    if not isinstance(key, Ed25519PrivateKey):
        yield Problem("audit", f"CME_AUDIT_KEY_FILE {path} is not an Ed25519 private key")


def _readable(path: Path) -> bool:
    try:
        with Path(path).open("rb"):
            return True
    except OSError:
        return False


def check_identity(app: App) -> Iterator[Problem]:
    """Roles come from accounts bound to logins, and somebody can still administer them."""
    from cme.services.identity import identity_problems

    for area, message in identity_problems(app.db):
        yield Problem(area, message)


CHECKS: list[Check] = [
    check_identity,
    check_recipients,
    check_recipients_file,
    check_allow_list,
    check_mail_transport,
    check_calendar,
    check_audit_key,
]
"""Every readiness check, in report order: add one here."""


def run_checks(app: App, checks: Iterable[Check] | None = None) -> dict[str, Any]:
    """`{"ok": bool, "problems": [{"area", "message"}]}` for `cme check`."""
    problems = [asdict(p) for check in (CHECKS if checks is None else checks) for p in check(app)]
    return {"ok": not problems, "problems": problems}
