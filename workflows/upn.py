"""Unique Pupil Number (UPN): normalising, check letter and validation.

A UPN has 13 characters (DfE "Unique Pupil Numbers (UPN)" guidance; see LAW.md):

    position 1       check letter
    positions 2-4    LA number (3 digits)
    positions 5-8    establishment number (4 digits)
    positions 9-10   year of allocation (2 digits)
    positions 11-13  serial number (3 digits)

A temporary UPN ends in a letter instead of its last digit. The check letter is found by
multiplying characters 2-13 by weights 2-13, summing, taking the remainder mod 23 and reading it
off ``CHECK_LETTERS``; a final letter counts as its 0-based position in that same table.

An unknown UPN is allowed (a referral from the public rarely has one); callers pass ``None`` and do
not call ``validate_upn``. A malformed one is refused with the reason from ``validate_upn``.
"""

from __future__ import annotations

# DfE UPN check-letter table: 0-22, with I, O and S left out.
CHECK_LETTERS = "ABCDEFGHJKLMNPQRTUVWXYZ"

UPN_LENGTH = 13

_FORBIDDEN_LETTERS = frozenset("IOS")
_DIGITS_MESSAGE = "characters 2-13 must be digits (the last may be a letter for a temporary UPN)"


def normalise_upn(s: str) -> str:
    """Return a UPN as stored: every kind of whitespace removed, letters in upper case.

    Args:
        s: The UPN as typed or received, e.g. ``" h801 2000 01001 "``.

    Returns:
        The normalised text, e.g. ``"H801200001001"``. It is not validated.
    """
    return "".join(s.split()).upper()


def _body_error(body12: str) -> str | None:
    """Say what is wrong with characters 2-13 of a UPN, or None when they are well formed."""
    if len(body12) != UPN_LENGTH - 1 or not body12.isascii():
        return _DIGITS_MESSAGE
    if not body12[:-1].isdigit():
        return _DIGITS_MESSAGE
    last = body12[-1]
    if last.isdigit():
        return None
    if last.isalpha() and last in _FORBIDDEN_LETTERS:
        return f"the last character of a temporary UPN cannot be I, O or S (got {last})"
    if last not in CHECK_LETTERS:
        return _DIGITS_MESSAGE
    return None


def check_letter(body12: str) -> str:
    """Compute the check letter for characters 2-13 of a UPN.

    Args:
        body12: The 12 characters after the check letter: 11 digits, then a digit or (temporary
            UPN) a letter from ``CHECK_LETTERS``. Lower case is accepted.

    Returns:
        The check letter, one of ``CHECK_LETTERS``.

    Raises:
        ValueError: ``body12`` is not 12 well-formed characters; the message says why.
    """
    body = body12.upper()
    error = _body_error(body)
    if error is not None:
        raise ValueError(error)
    # DfE rule: character n (n = 2..13) is multiplied by weight n; a final letter counts as its
    # position in the check-letter table.
    total = 0
    for weight, char in enumerate(body, start=2):
        value = int(char) if char.isdigit() else CHECK_LETTERS.index(char)
        total += weight * value
    return CHECK_LETTERS[total % 23]


def validate_upn(upn: str) -> str | None:
    """Check a UPN and say, in plain words, what is wrong with it.

    The UPN is normalised first (``normalise_upn``), so spaces and lower case are accepted.

    Args:
        upn: The UPN to check.

    Returns:
        None when the UPN is valid; otherwise the reason, e.g.
        ``"UPN check letter should be H, not Z"``.
    """
    value = normalise_upn(upn)
    if not value:
        return "UPN is empty (leave it out when it is not known)"
    if len(value) != UPN_LENGTH:
        return f"UPN must be {UPN_LENGTH} characters (got {len(value)})"
    body_error = _body_error(value[1:])
    if body_error is not None:
        return body_error
    expected = check_letter(value[1:])
    given = value[0]
    if not given.isascii() or not given.isalpha():
        return f"the first character of a UPN must be its check letter (should be {expected})"
    if given in _FORBIDDEN_LETTERS:
        return f"UPN check letter cannot be I, O or S (got {given}); it should be {expected}"
    if given != expected:
        return f"UPN check letter should be {expected}, not {given}"
    return None


def is_valid_upn(upn: str) -> bool:
    """Return True when ``validate_upn`` finds nothing wrong with ``upn``."""
    return validate_upn(upn) is None
