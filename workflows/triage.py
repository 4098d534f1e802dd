"""Risk triage of a CME case from its risk flags (PROCESS.md, "Risk and priority").

A case is high risk when any high-risk flag holds; high-risk cases sort first and run on shorter
deadlines. A child protection concern, a child protection plan, an allocated social worker or a
looked-after child means an immediate referral to MASH (DfE statutory guidance "Children missing
education", August 2024: do not wait for the 10 or 20 school-day clocks).

Unknown flags are refused (``ValueError``) rather than ignored, so that a misspelt flag cannot
quietly lower a child's priority; ``unknown_flags`` lets a caller check first.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from types import MappingProxyType
from typing import Literal

Priority = Literal["high", "standard"]

RISK_FLAGS: Mapping[str, str] = MappingProxyType(
    {
        "child_protection_plan": "child protection plan",
        "looked_after": "looked-after child",
        "runaway": "young runaway",
        "offending": "offending behaviour",
        "child_in_need": "child 'in need'",
        "domestic_abuse": "domestic abuse at home",
        "specific_vulnerability": (
            "vulnerabilities under safeguarding in specific circumstances (CSE, trafficking, "
            "FGM, radicalisation, forced marriage, honour-based violence)"
        ),
        "parental_vulnerability": (
            "parental substance misuse, mental illness or learning disability"
        ),
        "ehc_plan": "education, health and care (EHC) plan",
        "child_protection_concern": "child protection concern",
        "allocated_social_worker": "allocated social worker",
    }
)

# PROCESS.md "Risk and priority", plus a child protection concern and an allocated social worker.
# An EHC plan alone is not high risk (but it blocks removal from roll).
HIGH_RISK_FLAGS: frozenset[str] = frozenset(
    {
        "child_protection_plan",
        "looked_after",
        "runaway",
        "offending",
        "child_in_need",
        "domestic_abuse",
        "specific_vulnerability",
        "parental_vulnerability",
        "child_protection_concern",
        "allocated_social_worker",
    }
)

# DfE statutory guidance "Children missing education" (August 2024, LAW.md): refer immediately
# to MASH when the missing child has a social worker or a child protection plan, or there are
# safeguarding concerns - do not wait for the 10 or 20 day clocks. A looked-after child always
# has a social worker (the local authority looking after the child allocates one), so a missing
# looked-after child is referred at once too.
IMMEDIATE_MASH_FLAGS: frozenset[str] = frozenset(
    {
        "child_protection_concern",
        "child_protection_plan",
        "allocated_social_worker",
        "looked_after",
    }
)

# PROCESS.md chart 2 step 5: no removal from roll while looked after, with an EHC plan, or with
# child-protection concerns (a child protection plan is taken to carry such concerns).
REMOVAL_BLOCKING_FLAGS: frozenset[str] = frozenset(
    {"looked_after", "ehc_plan", "child_protection_concern", "child_protection_plan"}
)


def unknown_flags(flags: Iterable[str]) -> list[str]:
    """List the flags that are not risk flags, in the order given, without repeats.

    Args:
        flags: Flags as recorded on a referral or case.

    Returns:
        The flags that are not keys of ``RISK_FLAGS``; empty when all are known.
    """
    seen: list[str] = []
    for flag in _as_flags(flags):
        if flag not in RISK_FLAGS and flag not in seen:
            seen.append(flag)
    return seen


def priority(flags: Iterable[str]) -> Priority:
    """Return a case's priority from its risk flags.

    Args:
        flags: The case's risk flags (keys of ``RISK_FLAGS``).

    Returns:
        ``"high"`` when any flag is in ``HIGH_RISK_FLAGS``, else ``"standard"``.

    Raises:
        ValueError: A flag is unknown; the message names it.
    """
    known = _checked(flags)
    return "high" if known & HIGH_RISK_FLAGS else "standard"


def needs_immediate_mash_referral(flags: Iterable[str]) -> bool:
    """Return True when the case must go to MASH at once.

    Args:
        flags: The case's risk flags (keys of ``RISK_FLAGS``).

    DfE statutory guidance "Children missing education" (August 2024): "refer immediately to
    MASH or police when the missing child has a social worker or a child protection plan, or
    there are safeguarding concerns - do not wait for the 10 or 20 day clocks" (LAW.md). Every
    looked-after child has a social worker, so a looked-after child is referred at once.

    Returns:
        True for a child protection concern, a child protection plan, an allocated social
        worker or a looked-after child.

    Raises:
        ValueError: A flag is unknown; the message names it.
    """
    return bool(_checked(flags) & IMMEDIATE_MASH_FLAGS)


def _as_flags(flags: Iterable[str]) -> list[str]:
    """Materialise ``flags``, refusing a bare string (which would iterate as characters)."""
    if isinstance(flags, str):
        raise TypeError(f"flags must be a collection of flags, not the string {flags!r}")
    return list(flags)


def _checked(flags: Iterable[str]) -> frozenset[str]:
    """Return ``flags`` as a set, raising ValueError when any is not a risk flag."""
    values = _as_flags(flags)
    unknown = unknown_flags(values)
    if unknown:
        raise ValueError(
            f"unknown risk flag(s): {', '.join(unknown)}; known flags are {', '.join(RISK_FLAGS)}"
        )
    return frozenset(values)
