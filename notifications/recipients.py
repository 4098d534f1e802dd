"""Who each notification goes to, and which mail domains may receive personal data.

`TEMPLATE_RECIPIENTS` is PROCESS.md's "Notifications" table as data, plus the escalation
ladder and the CMEO alerts. `Recipients` turns a template's roles into addresses for one case;
`AllowList` is the last gate before anything leaves: LAW.md ("Secure email") says the engine
refuses personal data to a domain not on the configured allow-list.

This module reads files only in `load_recipients_file`; it never sends anything.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from email.utils import parseaddr
from pathlib import Path
from types import MappingProxyType
from typing import Any, Literal, assert_never

import yaml

from notifications.errors import RecipientNotAllowed, RecipientsFileError

Role = Literal["cmeo", "mash", "ehe_officer", "manager", "school", "caseworker", "other_la"]
"""A recipient role (PROCESS.md, "Who is involved")."""

TEMPLATE_RECIPIENTS: Mapping[str, tuple[Role, ...]] = MappingProxyType(
    {
        "referral_received": ("cmeo",),
        "missing_four_weeks": ("cmeo",),
        "mash_escalation": ("mash",),
        "escalation_unacknowledged": ("cmeo",),
        "escalation_to_manager": ("manager",),
        "mash_decision_overdue": ("cmeo",),
        "pro_forma": ("cmeo",),
        "ctf_overdue": ("school", "cmeo"),
        "case_stalled": ("caseworker",),
        "ehe_handover": ("ehe_officer",),
        "la_transfer": ("other_la",),
        "la_confirmation_overdue": ("cmeo",),
        "la_escalation_to_manager": ("manager",),
        "delivery_failed": ("cmeo",),
        "tracking_review": ("cmeo",),
        "school_age_ended": ("cmeo",),
    }
)
"""The roles each template goes to (PROCESS.md, "Notifications (secure email)")."""

MAX_FILE_BYTES = 1024 * 1024
"""A recipients file lists a few hundred schools; over 1 MiB it is not one."""
_FIXED_ROLES = ("cmeo", "mash", "ehe_officer", "manager")
_FILE_KEYS = frozenset({*_FIXED_ROLES, "schools", "las"})
_ADDRESS = re.compile(r"^[^@\s<>\"(),;:]+@([A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+)$")


FALLBACK_ROLES: Mapping[tuple[str, Role], Role] = MappingProxyType(
    {("delivery_failed", "cmeo"): "manager"}
)
"""(template, role) -> the role it goes to when that role has no address: the CMEO's alert
that a message could not be delivered goes to the service manager when the CMEO itself has no
address (nobody would hear of the failure otherwise)."""


@dataclass(frozen=True, slots=True)
class Addressing:
    """Where one role's copy of a template goes, or why it cannot go anywhere.

    Attributes:
        role: the role the copy is for (a fallback role when the first one has no address).
        address: the address, or None when none is configured.
        reason: why there is no address, naming what to configure ("" when there is one).
    """

    role: str
    address: str | None
    reason: str = ""


@dataclass(frozen=True, slots=True)
class Recipients:
    """The addresses notifications go to, by role.

    Attributes:
        cmeo: the Children Missing Education Officer's (team) mailbox.
        mash: MASH's secure mailbox.
        ehe_officer: the Elective Home Education team's mailbox.
        manager: the service manager (the last rung of the MASH escalation ladder).
        schools: school id (as in the case's `school`) -> the school's CME contact.
        las: LA number ("821") -> that authority's CME contact.
        sources: role -> where its address is configured (e.g. "CME_MASH_EMAIL"), named in the
            reason a message cannot be addressed; `school` and `other_la` name the file.
    """

    cmeo: str | None = None
    mash: str | None = None
    ehe_officer: str | None = None
    manager: str | None = None
    schools: Mapping[str, str] = field(default_factory=dict)
    las: Mapping[str, str] = field(default_factory=dict)
    sources: Mapping[str, str] = field(default_factory=dict)

    def resolve(self, template: str, context: Mapping[str, Any]) -> list[tuple[str, str]]:
        """`(role, address)` for each of the template's roles that has an address.

        `case_stalled` goes to `case.caseworker_email` when the context has one, else to the
        CMEO's address (the CMEO is the caseworker in chart 1), still under the role
        `caseworker`. An address already chosen for an earlier role is not repeated.

        Raises:
            KeyError: `template` is not in `TEMPLATE_RECIPIENTS`.
        """
        return [(a.role, a.address) for a in self.addressing(template, context) if a.address]

    def addressing(self, template: str, context: Mapping[str, Any]) -> list[Addressing]:
        """Every role of the template, with its address or the reason it has none.

        A role without an address falls back to `FALLBACK_ROLES` when that has one. An
        address already chosen for an earlier role is not repeated.

        Raises:
            KeyError: `template` is not in `TEMPLATE_RECIPIENTS`.
        """
        chosen: list[Addressing] = []
        for first in TEMPLATE_RECIPIENTS[template]:
            role, address = first, self._address(first, context)
            reason = "" if address else self.unaddressed_reason(first, context)
            fallback = FALLBACK_ROLES.get((template, first))
            if not address and fallback is not None:
                role, address = fallback, self._address(fallback, context)
                if not address:
                    source = self.sources.get(fallback)
                    reason += f" nor for role {fallback}" + (f" (set {source})" if source else "")
            if not address:
                chosen.append(Addressing(first, None, reason))
            elif all(address.lower() != (a.address or "").lower() for a in chosen):
                chosen.append(Addressing(role, address))
        return chosen

    def case_free(self, template: str) -> bool:
        """Whether `addressing` gives every case the same answer for `template`: each of its
        roles, and each role it falls back to, is a fixed one (the CMEO, MASH, the EHE officer,
        the manager), whose address and reason read nothing of the case."""
        roles = TEMPLATE_RECIPIENTS.get(template, ())
        return bool(roles) and all(
            role in _FIXED_ROLES and FALLBACK_ROLES.get((template, role), role) in _FIXED_ROLES
            for role in roles
        )

    def unaddressed_reason(self, role: Role, context: Mapping[str, Any]) -> str:
        """Why `role` has no address for this case, and what to configure, e.g. "no address
        configured for role mash (set CME_MASH_EMAIL)"."""
        case = context.get("case") or {}
        extra = context.get("extra") or {}
        source = self.sources.get(role)
        text = f"no address configured for role {role}"
        if role == "school":
            school = case.get("school")
            if school is None:
                return f"{text}: the case names no school"
            return f"{text}: school {school}" + (
                f" (add it under 'schools' in {source})" if source else ""
            )
        if role == "other_la":
            other = extra.get("other_la")
            if other is None:
                return f"{text}: the case names no other authority"
            return f"{text}: LA {other}" + (f" (add it under 'las' in {source})" if source else "")
        if role == "caseworker":
            source = self.sources.get("cmeo")
            return f"{text}: the case names no caseworker and the CMEO has no address" + (
                f" (set {source})" if source else ""
            )
        return text + (f" (set {source})" if source else "")

    def may_address(self, template: str) -> bool:
        """Whether any role of `template` could have an address, whatever the case: a fixed
        role's address is configured, a school's or another LA's contacts are, or the role is
        the caseworker (a case may name its own). Unknown templates: True (rendering will say
        what is wrong)."""
        roles = TEMPLATE_RECIPIENTS.get(template)
        if roles is None:
            return True
        for role in roles:
            if role in _FIXED_ROLES and getattr(self, role):
                return True
            if (role == "school" and self.schools) or (role == "other_la" and self.las):
                return True
            if role == "caseworker":
                return True
        return False

    def missing(self, template: str, context: Mapping[str, Any]) -> list[str]:
        """The template's roles that have no address configured for this case (nor, where
        the role has one, for its fallback)."""
        return [a.role for a in self.addressing(template, context) if not a.address]

    def _address(self, role: Role, context: Mapping[str, Any]) -> str | None:
        case = context.get("case") or {}
        extra = context.get("extra") or {}
        match role:
            case "cmeo" | "mash" | "ehe_officer" | "manager":
                address: str | None = getattr(self, role)
                return address
            case "school":
                school = case.get("school")
                return self.schools.get(str(school)) if school is not None else None
            case "caseworker":
                return case.get("caseworker_email") or self.cmeo
            case "other_la":
                other = extra.get("other_la")
                return self.las.get(str(other)) if other is not None else None
            case _:
                assert_never(role)


def load_recipients_file(path: Path | str) -> Recipients:
    """Read a recipients YAML file.

    The file holds any of `cmeo`, `mash`, `ehe_officer`, `manager` (one address each),
    `schools` (school id -> address) and `las` (LA number -> address)::

        cmeo: cme@luton.gov.uk
        schools: {"8212001": office@ashfield.luton.sch.uk}
        las: {"822": cme@bedford.gov.uk}

    Numbers written without quotes are read as their digits (`822` -> "822").

    Raises:
        RecipientsFileError: unreadable, not a mapping, an unknown key (the allowed ones are
            listed), or a value that is not one plain email address.
    """
    source = str(path)
    try:
        with Path(path).open("rb") as handle:
            raw = handle.read(MAX_FILE_BYTES + 1)
        if len(raw) > MAX_FILE_BYTES:
            raise RecipientsFileError(source, f"larger than {MAX_FILE_BYTES} bytes")
        data = yaml.safe_load(raw.decode("utf-8"))
    except RecursionError:
        raise RecipientsFileError(source, "cannot read the file: nested too deeply") from None
    except (OSError, ValueError, yaml.YAMLError) as exc:  # ValueError: a 5,000-digit number
        reason = " ".join(str(exc).split())[:300]
        raise RecipientsFileError(source, f"cannot read the file: {reason}") from exc
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise RecipientsFileError(source, "expected a mapping at the top level")
    unknown = sorted(str(k) for k in data if k not in _FILE_KEYS)
    if unknown:
        allowed = ", ".join(sorted(_FILE_KEYS))
        found = ", ".join(unknown)
        raise RecipientsFileError(source, f"unknown key(s) {found}; allowed: {allowed}")
    roles = {r: _checked_address(source, r, data[r]) for r in _FIXED_ROLES if r in data}
    return Recipients(
        cmeo=roles.get("cmeo"),
        mash=roles.get("mash"),
        ehe_officer=roles.get("ehe_officer"),
        manager=roles.get("manager"),
        schools=_checked_table(source, "schools", data.get("schools")),
        las=_checked_table(source, "las", data.get("las")),
    )


def _checked_table(source: str, key: str, table: object) -> Mapping[str, str]:
    if table is None:
        return MappingProxyType({})
    if not isinstance(table, dict):
        raise RecipientsFileError(source, f"'{key}' must map an id to an address")
    for k in table:
        if not re.fullmatch(r"[A-Za-z0-9_.-]{1,40}", str(k)):
            raise RecipientsFileError(
                source, f"'{key}' ids are letters, digits, '.', '_' or '-' (got {ascii(k)[:50]})"
            )
    return MappingProxyType(
        {str(k): _checked_address(source, f"{key}.{k}", v) for k, v in table.items()}
    )


def _checked_address(source: str, where: str, value: object) -> str:
    if not isinstance(value, str) or not _ADDRESS.match(value.strip()):
        raise RecipientsFileError(
            source, f"'{where}' is not one plain email address: {ascii(value)[:80]}"
        )
    return value.strip()


def address_domain(address: str) -> str | None:
    """The lower-case domain of a single plain address, or None if it is not one."""
    _, spec = parseaddr(address)
    match = _ADDRESS.match(spec)
    if not match or spec.count("@") != 1:
        return None
    return match.group(1).lower().rstrip(".")


@dataclass(frozen=True, slots=True)
class AllowList:
    """Mail domains that may receive personal data about a child (LAW.md, "Secure email").

    A domain admits itself and its subdomains (`luton.gov.uk` admits
    `schools.luton.gov.uk`), case-insensitively. An empty allow-list means "not configured",
    and admits nothing: sending a child's details nowhere is safer than anywhere.

    Attributes:
        domains: the admitted domains, e.g. `frozenset({"luton.gov.uk", "nhs.net"})`.
    """

    domains: frozenset[str]

    def __post_init__(self) -> None:
        cleaned = frozenset(d.strip().lstrip("@.").rstrip(".").lower() for d in self.domains)
        object.__setattr__(self, "domains", frozenset(d for d in cleaned if d))

    def is_allowed(self, address: str) -> bool:
        """Whether `address` is one plain address on an admitted domain."""
        domain = address_domain(address)
        return domain is not None and any(
            domain == d or domain.endswith("." + d) for d in self.domains
        )

    def check(self, address: str) -> None:
        """Refuse an address the allow-list does not admit, saying why.

        Raises:
            RecipientNotAllowed: the address is malformed, the allow-list is empty, or the
                domain is not on it.
        """
        if self.is_allowed(address):
            return
        domain = address_domain(address)
        if domain is None:
            reason = f"'{address}' is not one plain email address"
        elif not self.domains:
            reason = (
                f"the mail domain allow-list is empty (not configured), so nothing may be sent "
                f"to {domain}; configure the allowed domains"
            )
        else:
            listed = ", ".join(sorted(self.domains))
            reason = (
                f"the domain {domain} is not on the allow-list ({listed}); "
                "personal data is sent only to listed domains"
            )
        raise RecipientNotAllowed(address, reason)
