"""Case references in addresses: `/cases/CME-000001` (or the bare number) names case 1."""

from __future__ import annotations

import re

from starlette.exceptions import HTTPException

_REF = re.compile(r"(?:CME-)?0*([1-9]\d{0,17})", re.IGNORECASE)
MAX_ID = 2**63 - 1


def case_id_of(ref: str) -> int:
    """The case id a reference names.

    Raises:
        HTTPException: 404 when `ref` is not a case reference.
    """
    found = _REF.fullmatch(ref)
    if found is None or int(found.group(1)) > MAX_ID:
        raise HTTPException(status_code=404)
    return int(found.group(1))
