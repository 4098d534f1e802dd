"""Case references in addresses: `/cases/CME-000001` (or the bare number) names case 1, parsed
by the application layer's one parser (`cme.services.refs.parse_case_ref`, as the CLI's)."""

from __future__ import annotations

from starlette.exceptions import HTTPException

from cme.services.refs import MAX_ID as MAX_ID


def case_id_of(ref: str) -> int:
    """The case id a reference names.

    Raises:
        HTTPException: 404 when `ref` is not a case reference.
    """
    from cme.services.refs import BadCaseReference, parse_case_ref

    try:
        return parse_case_ref(ref)
    except BadCaseReference:
        raise HTTPException(status_code=404) from None
