"""Actor names that could pass for someone else are refused (Unicode TR39's anti-spoofing
rules, in the small): the audit trail names every actor, and `system:timer` must be the
scheduler alone.

A claimed actor (`--actor`, `CME_ACTOR`, an account name) is refused when, after NFKC and
casefold, its letters mix scripts (Latin with Cyrillic or Greek: `ѕystem:timer` with a
Cyrillic ѕ), or when its skeleton (NFKC, casefold, marks and invisible characters dropped,
Cyrillic and Greek look-alikes read as the Latin letters they imitate) starts with `system`.
Control and invisible characters are refused before this (`engine.text`).
"""

from __future__ import annotations

import unicodedata
from typing import Any

from cme.services.errors import IdentityRefused

EAST_ASIAN = frozenset({"CJK", "HIRAGANA", "KATAKANA", "HANGUL", "BOPOMOFO"})
"""Scripts TR39's "highly restrictive" level lets a Latin name mix with."""

LOOKALIKES = str.maketrans(
    {
        # Cyrillic (lower case: the names are casefolded first)
        "а": "a", "в": "b", "е": "e", "ё": "e", "һ": "h", "н": "h", "і": "i", "ї": "i",
        "ј": "j", "к": "k", "м": "m", "о": "o", "р": "p", "ԛ": "q", "с": "c", "ѕ": "s",
        "т": "t", "у": "y", "ү": "y", "х": "x", "ԁ": "d", "ԝ": "w", "ɡ": "g",
        # Greek
        "α": "a", "β": "b", "ε": "e", "η": "n", "ι": "i", "κ": "k", "μ": "u", "ν": "v",
        "ο": "o", "ρ": "p", "σ": "o", "ς": "s", "τ": "t", "υ": "u", "χ": "x", "γ": "y",
        # Latin look-alikes
        "ı": "i", "ȷ": "j", "ſ": "s", "ʏ": "y", "ꜱ": "s", "ᴛ": "t", "ᴇ": "e", "ᴍ": "m",
    }
)  # fmt: skip
SYSTEM = "system"


def skeleton(name: str) -> str:
    """What `name` looks like: NFKC, casefold, marks and invisible characters dropped, and
    look-alike letters read as the Latin letters they imitate."""
    folded = unicodedata.normalize("NFKC", name).casefold()
    decomposed = unicodedata.normalize("NFD", folded)
    kept = "".join(c for c in decomposed if unicodedata.category(c) not in ("Mn", "Me", "Cf"))
    return kept.translate(LOOKALIKES).strip()


def scripts(name: str) -> set[str]:
    """The scripts of the letters of `name` after NFKC and casefold (`LATIN`, `CYRILLIC`...)."""
    found: set[str] = set()
    for char in unicodedata.normalize("NFKC", name).casefold():
        if unicodedata.category(char).startswith("L"):
            word = unicodedata.name(char, "UNKNOWN").split(" ")[0]
            found.add("CJK" if word.startswith("CJK") else word)
    return found


def _mixed(found: set[str]) -> bool:
    if len(found) <= 1:
        return False
    return not found <= {"LATIN"} | EAST_ASIAN


class ActorSpoofing(IdentityRefused):
    """An actor name that could pass for another (mixed scripts, or the system's skeleton)."""

    def __init__(self, what: str, value: str, rule: str) -> None:
        self.what, self.value = what, value
        super().__init__(f"{what} '{value}' is refused: {rule}")

    def details(self) -> dict[str, Any]:
        """Which value was refused."""
        return {"field": self.what, self.what: self.value}


def check_actor_name(value: str, what: str = "actor") -> None:
    """Refuse an actor name that could imitate another actor.

    Raises:
        ActorSpoofing: the name mixes scripts, or its skeleton starts with `system`.
    """
    found = scripts(value)
    if _mixed(found):
        raise ActorSpoofing(
            what,
            value,
            f"its letters mix scripts ({', '.join(sorted(s.title() for s in found))}), which "
            "could imitate another actor's name (Unicode TR39 anti-spoofing rule: one script "
            "per name)",
        )
    if skeleton(value).startswith(SYSTEM):
        raise ActorSpoofing(
            what,
            value,
            "it looks like `system` (after NFKC, casefold and look-alike letters), and `system` "
            "actors are the scheduler's and the engine's alone",
        )
