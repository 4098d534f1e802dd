"""CSV and YAML from and to other systems: bounded, strict UTF-8, rows numbered as a
spreadsheet shows them (the header is row 1), cells that a spreadsheet would run as a formula
neutralised on the way out.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import yaml

from cme.inputs import InputRefused, read_text

MAX_CSV_BYTES = 256 * 1024 * 1024
"""256 MiB: a register of 100,000 cases is about 30 MB."""
MAX_MAPPING_BYTES = 256 * 1024
MAX_CELL = 4000
"""Characters in one cell: a register's notes run to a paragraph or two."""
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True, slots=True)
class Table:
    """A CSV file: its header and its rows (row number, column -> cell)."""

    header: tuple[str, ...]
    rows: Sequence[tuple[int, dict[str, str]]]
    problems: Sequence[tuple[int, str]]
    """Rows that are not well-formed CSV for this header: (row number, what is wrong)."""


def read_csv(path: Path | str, what: str = "FILE") -> Table:
    """Read a CSV register (UTF-8, a header row, comma-separated).

    Raises:
        InputRefused: unreadable, too large, not UTF-8, no header or a header repeating a name.
    """
    text = read_text(path, what, MAX_CSV_BYTES)
    csv.field_size_limit(MAX_CELL * 4)
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = tuple(h.strip() for h in next(reader))
    except StopIteration:
        raise InputRefused(f"{what}: {path} is empty: a header row is required") from None
    except csv.Error as exc:
        raise InputRefused(f"{what}: {path}: the header is not CSV ({exc})") from None
    if not any(header):
        raise InputRefused(f"{what}: {path}: the header row names no column")
    seen: set[str] = set()
    for name in header:
        if name in seen:
            raise InputRefused(f"{what}: {path}: the header names the column {name!r} twice")
        seen.add(name)
    rows: list[tuple[int, dict[str, str]]] = []
    problems: list[tuple[int, str]] = []
    number = 1
    while True:
        number += 1
        try:
            cells = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            problems.append((number, f"not CSV ({exc})"))
            continue
        if not any(c.strip() for c in cells):
            continue  # a blank line
        if len(cells) != len(header):
            problems.append((number, f"has {len(cells)} cells where the header has {len(header)}"))
            continue
        long = next((h for h, c in zip(header, cells, strict=True) if len(c) > MAX_CELL), None)
        if long is not None:
            problems.append((number, f"column {long!r} is longer than {MAX_CELL} characters"))
            continue
        rows.append((number, dict(zip(header, cells, strict=True))))
    return Table(header, rows, problems)


def load_yaml(path: Path | str, what: str) -> Any:
    """A small YAML document (a mapping file), read safely (no tags, no aliases beyond
    YAML's own)."""
    text = read_text(path, what, MAX_MAPPING_BYTES)
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise InputRefused(f"{what}: {path} is not valid YAML ({exc})") from None


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, list | tuple):
        value = ";".join(str(v) for v in value)
    text = str(value)
    return "'" + text if text.startswith(FORMULA_START) else text


def write_csv(columns: Sequence[str], rows: Iterable[Mapping[str, Any]], stream: IO[str]) -> int:
    """Write a header and one line per row; return the number of rows. A cell beginning
    with `=`, `+`, `-`, `@` or a control is prefixed with `'` (a spreadsheet would run it)."""
    writer = csv.writer(stream, lineterminator="\r\n")
    writer.writerow(columns)
    count = 0
    for row in rows:
        writer.writerow([_cell(row.get(c)) for c in columns])
        count += 1
    return count


def write_json(rows: Iterable[Mapping[str, Any]], stream: IO[str]) -> int:
    """Write a JSON array, one object per line, without holding every row; return the count."""
    count = 0
    stream.write("[")
    for row in rows:
        stream.write(",\n" if count else "\n")
        stream.write(json.dumps(dict(row), ensure_ascii=False, default=str))
        count += 1
    stream.write("\n]\n")
    return count


def iter_rows(table: Table) -> Iterator[tuple[int, dict[str, str]]]:
    """The table's rows."""
    yield from table.rows
