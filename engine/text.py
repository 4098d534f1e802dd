"""Free text from people: normalised (NFC), bounded, and free of control and invisible characters.

A name, an actor or any other single-line value may not hold a line break of any kind (CR,
LF, U+0085, U+2028, U+2029), a control character, a bidirectional override (U+202E shows
"evil" as "live"), a zero-width character (U+200B) or anything else unicode calls "format"
(Cf), a lone surrogate, a private-use or unassigned code point: each could forge a line in a
mail body or hide what a caseworker reads. Multi-line text (a summary, the notes) may also
hold line feeds and tabs; a CR LF becomes LF.
"""

from __future__ import annotations

import unicodedata

from engine.errors import TextRefused as TextRefused  # raised here, defined in the tree

REFUSED_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"})
"""Control, format (invisible), surrogate, private use, unassigned, line and paragraph
separators."""
MULTILINE_ALLOWED = frozenset({"\n", "\t"})


def _bad_character(text: str, allowed: frozenset[str]) -> str | None:
    for index, char in enumerate(text):
        if char in allowed:
            continue
        if unicodedata.category(char) in REFUSED_CATEGORIES:
            name = unicodedata.name(char, "") if unicodedata.category(char) != "Cs" else ""
            label = f"U+{ord(char):04X}" + (f" {name}" if name else "")
            return f"{label} at position {index + 1}"
    return None


def clean(text: str, max_length: int, multiline: bool = False) -> str:
    """`text` stripped and NFC-normalised; raise `TextRefused` if it breaks a rule.

    Rules: at most `max_length` characters; no control or invisible character (for
    `multiline`, line feeds and tabs are allowed and CR LF becomes LF).
    """
    if len(text) > 4 * max_length + 16:  # refuse the absurd before normalising it
        raise TextRefused(f"must be at most {max_length} characters (got {len(text)})")
    if multiline:
        text = text.replace("\r\n", "\n")
    bad = _bad_character(text, MULTILINE_ALLOWED if multiline else frozenset())
    if bad is not None:
        kind = "control or invisible characters" + ("" if multiline else " or line breaks")
        raise TextRefused(f"must not contain {kind} (found {bad})")
    text = unicodedata.normalize("NFC", text).strip()
    if len(text) > max_length:
        raise TextRefused(f"must be at most {max_length} characters (got {len(text)})")
    return text


def single_line(text: str, max_length: int = 200) -> str:
    """One line of text (a name, an actor, an id): see `clean`."""
    return clean(text, max_length)


__all__ = ["TextRefused", "clean", "single_line"]
