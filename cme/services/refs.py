"""Case references for every door: `CME-000001` (any case, leading zeros optional) or the
bare id (`1`) names case 1. The CLI's case arguments, the web's paths and the API parse
through `parse_case_ref`; anything else is refused, naming the field."""

from __future__ import annotations

import re

from cme.services.errors import Refused

MAX_ID = 2**63 - 1
"""Ids are 64-bit signed integers in the database: a larger number names no row."""
_REFERENCE = re.compile(r"(?:CME-?)?(\d{1,19})", re.IGNORECASE)


class BadCaseReference(Refused):
    """Text that names no case: not `CME-000001` nor a positive whole number."""

    def __init__(self, text: str, field: str) -> None:
        shown = ascii(text)[:40]
        super().__init__(
            f"{field}: {shown} is not a case reference (give one like CME-000001, or the "
            "case's id)",
            kind="BadCaseReference",
            field=field,
        )


def parse_case_ref(text: str, field: str = "case") -> int:
    """The case id `text` names (`CME-000042`, `cme-42`, `000042` or `42`: 42).

    Raises:
        BadCaseReference: anything else (empty, other text, 0, beyond the largest id).
    """
    found = _REFERENCE.fullmatch(text.strip()) if isinstance(text, str) else None
    if found is None:
        raise BadCaseReference(str(text), field)
    number = int(found.group(1))
    if not 1 <= number <= MAX_ID:
        raise BadCaseReference(text, field)
    return number
