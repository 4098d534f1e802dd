"""Files and documents a person hands to a command: bounded, UTF-8, JSON within sane limits.

Every `--file` the CLI reads (a referral, an audit export) goes through `read_text`: at most
`MAX_INPUT_BYTES` (so `/dev/zero` is refused, not read for ever), strict UTF-8 (a Windows-1252
export is named as such, not half read). JSON goes through `load_json`: no NaN or Infinity,
integers of at most `MAX_INT_DIGITS` digits (a case id is below 2^63), nesting at most
`MAX_DEPTH` deep, no lone surrogate (it cannot be stored or printed). Each refusal is an
`InputRefused` whose message names the file and the rule.
"""

from __future__ import annotations

import json
import math
import sys
from pathlib import Path
from typing import Any

MAX_INPUT_BYTES = 4 * 1024 * 1024
"""4 MiB: a referral is a few KB; an audit export of one case rarely passes 1 MB."""
MAX_DEPTH = 64
"""A referral nests 3 deep, an export line 6: deeper is not ours."""
MAX_INT_DIGITS = 19
"""Enough for any 64-bit id (2^63 - 1 has 19 digits)."""
MAX_EXPORT_BYTES = 256 * 1024 * 1024
"""256 MiB: the largest audit export `audit verify --file` reads."""


SURROGATE = "holds a lone surrogate (\\ud800-\\udfff), which is not a character"


class InputRefused(ValueError):
    """A file or document breaks a rule (the message names the file and the rule)."""


def read_capped(path: Path | str, what: str, limit: int, why: str) -> bytes:
    """The bytes of `path` (`-`: standard input), at most `limit`. Refuse an unreadable input,
    naming `what` (the option), and a larger one, ending the message with `why`."""
    try:
        if str(path) == "-":
            data = sys.stdin.buffer.read(limit + 1)
        else:
            with Path(path).open("rb") as handle:
                data = handle.read(limit + 1)
    except OSError as exc:
        raise InputRefused(f"{what}: cannot read {path}: {exc.strerror or exc}") from None
    if len(data) > limit:
        raise InputRefused(f"{what}: {path} is larger than {limit // (1024 * 1024)} MiB{why}")
    return data


def read_text(path: Path | str, what: str = "--file", limit: int = MAX_INPUT_BYTES) -> str:
    """The UTF-8 text of `path` (`-`: standard input), at most `limit` bytes."""
    data = read_capped(path, what, limit, f" ({limit} bytes), the most this command reads")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputRefused(
            f"{what}: {path} is not UTF-8 text (byte 0x{data[exc.start]:02x} at offset "
            f"{exc.start}): save it as UTF-8"
        ) from None


def _int(text: str) -> int:
    digits = text.lstrip("-")
    if len(digits) > MAX_INT_DIGITS:
        raise InputRefused(f"a number has {len(digits)} digits (at most {MAX_INT_DIGITS})")
    return int(text)


def _float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise InputRefused(f"the number {text[:20]} is out of range")
    return value


def _constant(text: str) -> Any:
    raise InputRefused(f"{text} is not a JSON number")


def load_json(text: str, what: str = "--file") -> Any:
    """Parse one JSON document by the rules above."""
    try:
        value = json.loads(text, parse_int=_int, parse_float=_float, parse_constant=_constant)
    except InputRefused as exc:
        raise InputRefused(f"{what}: not accepted: {exc}") from None
    except json.JSONDecodeError as exc:
        raise InputRefused(f"{what}: not valid JSON (line {exc.lineno}: {exc.msg})") from None
    except RecursionError:
        raise InputRefused(f"{what}: nested more than {MAX_DEPTH} deep") from None
    except ValueError as exc:  # the interpreter's own limits (digits of an integer)
        raise InputRefused(f"{what}: not accepted: {exc}") from None
    problem = _problem(value)
    if problem is not None:
        raise InputRefused(f"{what}: not accepted: {problem}")
    return value


def _problem(value: Any) -> str | None:
    """Too deep, or a string that is not valid Unicode text (a lone surrogate)."""
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if depth > MAX_DEPTH:
            return f"nested more than {MAX_DEPTH} deep"
        if isinstance(item, str):
            if not _encodable(item):
                return f"a text {SURROGATE}"
        elif isinstance(item, dict):
            for key, inner in item.items():
                if not _encodable(key):
                    return f"a key {SURROGATE}"
                stack.append((inner, depth + 1))
        elif isinstance(item, list):
            stack.extend((inner, depth + 1) for inner in item)
    return None


def _encodable(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


__all__ = ["MAX_DEPTH", "MAX_INPUT_BYTES", "InputRefused", "load_json", "read_text"]
