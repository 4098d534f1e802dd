"""Reading an audit export (JSONL) for `cme audit verify --file`, shape first.

Each line is one JSON object (by `cme.inputs.load_json`'s rules) of a known kind with the keys
and types `cme audit export` writes. A file that is not shaped like an export is refused
(exit 2) naming the line and the rule; an export that is shaped right but altered is for the
verifier to find (exit 1).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from cme.inputs import MAX_EXPORT_BYTES, InputRefused, load_json, read_capped
from engine.evidence import StoredValueUnreadable, parse_utc

_TEXT, _INT, _MAP = str, int, dict
SHAPES: dict[str, dict[str, type | tuple[type, ...]]] = {
    "case": {
        "case_id": _INT,
        "definition_version": _TEXT,
        "state": _TEXT,
        "version": _INT,
        "head_hash": _TEXT,
    },
    "definition": {"version": _TEXT, "source": _TEXT},
    "event": {
        "case_id": _INT,
        "seq": _INT,
        "trigger": _TEXT,
        "from": _TEXT,
        "to": _TEXT,
        "actor": _TEXT,
        "role": _TEXT,
        "at": _TEXT,
        "evidence": _MAP,
        "prev_hash": _TEXT,
        "hash": _TEXT,
        "body": (_TEXT, type(None)),
    },
    "signature": {"key_id": _TEXT, "sha256": _TEXT, "signature": _TEXT},
}


def read_export(file: Path) -> tuple[bytes, list[dict[str, Any]]]:
    """The file's bytes and its lines as objects; raise `InputRefused` naming the line."""
    raw = read_export_bytes(file)
    return raw, parse_export(raw, str(file))


def read_export_bytes(file: Path) -> bytes:
    """The file's bytes, at most `MAX_EXPORT_BYTES`; raise `InputRefused` past that."""
    return read_capped(file, "--file", MAX_EXPORT_BYTES, ", the most `audit verify --file` reads")


def parse_export(raw: bytes, file: str) -> list[dict[str, Any]]:
    """An export's lines as objects, each checked for its shape; raise `InputRefused` naming
    the line (deep nesting, huge numbers, a line that is not an object of a known kind)."""
    docs: list[dict[str, Any]] = []
    for number, line in enumerate(raw.splitlines(), start=1):
        if not line.strip():
            continue
        where = f"--file: {file} line {number}"
        try:
            text = line.decode("utf-8")
        except UnicodeDecodeError:
            raise InputRefused(f"{where}: not UTF-8 text") from None
        doc = load_json(text, where)
        docs.append(_checked(doc, where))
    if not any(d["kind"] == "case" for d in docs):
        raise InputRefused(f"--file: {file} has no case line (not a cme export)")
    if any(d["kind"] == "signature" for d in docs[:-1]):
        raise InputRefused(f"--file: {file} has a signature line before its end")
    return docs


def _checked(doc: Any, where: str) -> dict[str, Any]:
    if not isinstance(doc, dict):
        raise InputRefused(f"{where}: must be a JSON object (not a cme export)")
    kind = doc.get("kind")
    if not isinstance(kind, str) or kind not in SHAPES:
        raise InputRefused(f"{where}: 'kind' must be one of {', '.join(SHAPES)}")
    for key, wanted in SHAPES[kind].items():
        value = doc.get(key)
        if not isinstance(value, wanted) or isinstance(value, bool):
            raise InputRefused(f"{where}: a {kind} line needs '{key}' of the right type")
    if kind == "event":
        try:
            parse_utc(doc["at"])
        except StoredValueUnreadable:
            raise InputRefused(f"{where}: 'at' is not a date and time") from None
    return doc
