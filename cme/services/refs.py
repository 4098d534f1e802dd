"""Case references for every door: `CME-000001` (any case, leading zeros optional) or the
bare id (`1`) names case 1. The CLI's case arguments, the web's paths and the API parse
through `parse_case_ref`; anything else is refused, naming the field."""

from __future__ import annotations

import re

from cme.services.errors import Refused

MAX_ID = 2**31 - 1
"""Ids are 32-bit signed integers in the database (`Integer`, PostgreSQL's `integer`): a
larger number names no row, and is never sent to the database (PostgreSQL would fail on it)."""
_REFERENCE = re.compile(r"(?:CME-?)?(\d{1,19})", re.IGNORECASE)


class BadCaseReference(Refused):
    """Text that names no case: not `CME-000001` nor a positive whole number."""

    def __init__(self, text: str, field: str, beyond: bool = False) -> None:
        shown = ascii(text)[:40]
        why = (
            f"names no case: case ids go up to {MAX_ID}"
            if beyond
            else "is not a case reference (give one like CME-000001, or the case's id)"
        )
        super().__init__(f"{field}: {shown} {why}", kind="BadCaseReference", field=field)


def parse_case_ref(text: str, field: str = "case") -> int:
    """The case id `text` names (`CME-000042`, `cme-42`, `000042` or `42`: 42).

    Raises:
        BadCaseReference: anything else (empty, other text, 0), or an id beyond the largest
            the database holds (`MAX_ID`).
    """
    found = _REFERENCE.fullmatch(text.strip()) if isinstance(text, str) else None
    if found is None:
        raise BadCaseReference(str(text), field)
    number = int(found.group(1))
    if number < 1:
        raise BadCaseReference(text, field)
    if number > MAX_ID:
        raise BadCaseReference(text, field, beyond=True)
    return number
