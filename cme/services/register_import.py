"""`import_register`: an authority's existing CME register (CSV) brought in, each row a case in
the state the register gives, by one audited `imported` event (`engine.importing`).

The mapping (YAML; docs/register-mapping.yaml) names the workflow, the CSV column of each cme
field, how the register writes dates, and how its words map to cme's (statuses to chart
states, genders, outcomes, risk flags). Each row is checked as a referral is (the chart's
intake rule), as of the day the case was opened; its status must be a state of the chart, its
dates in order and not in the future, a closed case's outcome one its state allows. Every bad
row is reported with its row number (the header is row 1), field, column and rule.

Nothing is written when the run is a dry run, or when any row is bad, unless
`skip_bad_rows`: then the good rows are written, all in one transaction, and the bad ones
reported. The import and every case it wrote are kept in the access log.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cme.services.errors import Refused
from cme.services.permissions import authorize

if TYPE_CHECKING:
    from cme.bootstrap import App
    from cme.interop.tabular import Table
    from cme.services.principal import Principal
    from engine.definition import WorkflowDefinition
    from engine.importing import ImportedCase

FIELDS = (
    "reference",
    "forename",
    "surname",
    "date_of_birth",
    "upn",
    "gender",
    "address_line1",
    "address_line2",
    "town",
    "postcode",
    "school_id",
    "school_name",
    "first_absence_date",
    "leave_end_date",
    "reason",
    "risk_flags",
    "parents",
    "notes",
    "referrer_name",
    "referrer_organisation",
    "referrer_email",
    "opened_on",
    "status",
    "status_since",
    "outcome",
    "removed_on",
)
"""The cme fields a mapping may take from a column."""
REQUIRED = ("forename", "surname", "date_of_birth", "opened_on", "status")
DATES = (
    "date_of_birth",
    "first_absence_date",
    "leave_end_date",
    "opened_on",
    "status_since",
    "removed_on",
)
LISTS = ("risk_flags", "parents")
INTAKE_FIELDS = {
    "child.forename": "forename",
    "child.surname": "surname",
    "child.date_of_birth": "date_of_birth",
    "child.upn": "upn",
    "child.gender": "gender",
    "child.address.line1": "address_line1",
    "child.address.line2": "address_line2",
    "child.address.town": "town",
    "child.address.postcode": "postcode",
    "school": "school_id",
    "school.id": "school_id",
    "school.name": "school_name",
    "referrer.name": "referrer_name",
    "referrer.organisation": "referrer_organisation",
    "referrer.email": "referrer_email",
}
"""An intake rule's field -> the mapping's field (to name the register's column)."""
Progress = Callable[[str, int, int], None]
"""(phase, done, total): `checking` the rows, then `writing` the cases."""


@dataclass(frozen=True, slots=True)
class BadRow:
    """One rule a row breaks."""

    row: int
    field: str
    column: str | None
    rule: str

    def as_json(self) -> dict[str, Any]:
        """One entry of `bad_rows`."""
        return {"row": self.row, "field": self.field, "column": self.column, "rule": self.rule}


@dataclass(frozen=True, slots=True)
class RegisterImport:
    """What an import found and did."""

    rows: int
    good: int
    bad_rows: tuple[BadRow, ...]
    case_ids: tuple[int, ...]
    written: bool
    dry_run: bool
    workflow: str

    @property
    def bad_row_numbers(self) -> list[int]:
        """Each bad row once."""
        return sorted({b.row for b in self.bad_rows})

    def as_json(self) -> dict[str, Any]:
        """What `cme import register --json` prints."""
        return {
            "workflow": self.workflow,
            "rows": self.rows,
            "good": self.good,
            "bad": len(self.bad_row_numbers),
            "bad_rows": [b.as_json() for b in self.bad_rows],
            "written": self.written,
            "dry_run": self.dry_run,
            "imported": len(self.case_ids),
            "case_ids": list(self.case_ids),
        }


@dataclass
class RegisterMapping:
    """A mapping file, checked."""

    workflow: str
    columns: dict[str, str]
    date_format: str = "%Y-%m-%d"
    separator: str = ";"
    values: dict[str, dict[str, str]] = field(default_factory=dict)
    defaults: dict[str, str] = field(default_factory=dict)
    facts: dict[str, str] = field(default_factory=dict)


def import_register(
    app: App,
    principal: Principal,
    csv_path: Path,
    mapping_path: Path,
    dry_run: bool = False,
    skip_bad_rows: bool = False,
    progress: Progress | None = None,
) -> RegisterImport:
    """Check every row of a register and (unless refused) write the good ones as cases.

    Raises:
        Refused: the file or the mapping cannot be read or breaks a rule (`BadInput`,
            `MappingInvalid`): nothing was written.
    """
    from cme.access import record_many
    from cme.inputs import InputRefused
    from cme.interop.tabular import load_yaml, read_csv

    authorize(app, principal, "register.import")
    try:
        raw_mapping = load_yaml(mapping_path, "--mapping")
        table = read_csv(csv_path)
    except InputRefused as exc:
        raise Refused(str(exc), "BadInput") from None
    mapping = _mapping(app, raw_mapping, table)
    definition = app.registry.current(mapping.workflow)
    items, bad = _check_rows(app, mapping, definition, table, csv_path.name, progress)
    bad_rows = tuple(sorted(bad, key=lambda b: b.row))
    rows = len(table.rows) + len({n for n, _ in table.problems})
    result = RegisterImport(rows, len(items), bad_rows, (), False, dry_run, mapping.workflow)
    if dry_run or (bad_rows and not skip_bad_rows) or not items:
        return result
    total = len(items)

    def step(done: int) -> None:
        if progress is not None:
            progress("writing", done, total)

    written = app.engine.import_cases(mapping.workflow, items, principal.actor, step)
    ids = [w.case.id for w in written]
    record_many(app, principal.actor, ids, "register import", csv_path.name[:200])
    return RegisterImport(rows, len(items), bad_rows, tuple(ids), True, dry_run, mapping.workflow)


def _mapping(app: App, raw: Any, table: Table) -> RegisterMapping:
    problems: list[str] = []
    if not isinstance(raw, dict):
        raise Refused(
            "--mapping: must be a YAML mapping (see docs/register-mapping.yaml)", "MappingInvalid"
        )
    known = {"workflow", "columns", "date_format", "list_separator", "values", "defaults", "facts"}
    problems += [f"{k}: is not a known key" for k in raw if k not in known]
    workflow = raw.get("workflow")
    definition: WorkflowDefinition | None = None
    try:
        definition = app.registry.current(str(workflow))
    except Exception:  # noqa: BLE001 - any lookup failure names the workflow
        problems.append(f"workflow: {workflow!r} is not a workflow cme knows")
    columns = raw.get("columns") or {}
    if not isinstance(columns, dict):
        problems.append("columns: must map cme fields to CSV columns")
        columns = {}
    for name, column in columns.items():
        if name not in FIELDS:
            problems.append(f"columns.{name}: is not a field (known: {', '.join(FIELDS)})")
        elif str(column) not in table.header:
            problems.append(f"columns.{name}: the CSV has no column {column!r}")
    for key in ("defaults", "facts"):
        if not isinstance(raw.get(key) or {}, dict):
            problems.append(f"{key}: must map a field to a value")
            raw[key] = {}
    defaults = {str(k): str(v) for k, v in (raw.get("defaults") or {}).items()}
    for name in REQUIRED:
        if name not in columns and not (name == "status_since" or name in defaults):
            problems.append(f"columns.{name}: is required")
    for name in defaults:
        if name not in FIELDS:
            problems.append(f"defaults.{name}: is not a field")
    values = raw.get("values") or {}
    if not isinstance(values, dict) or not all(isinstance(v, dict) for v in values.values()):
        problems.append("values: must map a field to {register word: cme word}")
        values = {}
    facts = {str(k): str(v) for k, v in (raw.get("facts") or {}).items()}
    if definition is not None:
        for target in (values.get("status") or {}).values():
            if str(target) not in definition.states:
                problems.append(f"values.status: {target!r} is not a state of {workflow}")
        for name, column in facts.items():
            if name not in definition.fields:
                problems.append(f"facts.{name}: is not a field of the chart {workflow}")
            elif column not in table.header:
                problems.append(f"facts.{name}: the CSV has no column {column!r}")
    if problems:
        raise Refused("--mapping: " + "; ".join(problems), "MappingInvalid", problems=problems)
    return RegisterMapping(
        workflow=str(workflow),
        columns={str(k): str(v) for k, v in columns.items()},
        date_format=str(raw.get("date_format") or "%Y-%m-%d"),
        separator=str(raw.get("list_separator") or ";"),
        values={str(k): {str(a): str(b) for a, b in v.items()} for k, v in values.items()},
        defaults=defaults,
        facts=facts,
    )


def _check_rows(
    app: App,
    mapping: RegisterMapping,
    definition: WorkflowDefinition,
    table: Table,
    file_name: str,
    progress: Progress | None,
) -> tuple[list[ImportedCase], list[BadRow]]:
    from cme.services.register_rows import RowChecker

    bad = [BadRow(n, "row", None, why) for n, why in table.problems]
    checker = RowChecker(app, mapping, definition, file_name)
    items: list[ImportedCase] = []
    total = len(table.rows)
    for done, (number, cells) in enumerate(table.rows, start=1):
        found = checker.check(number, cells)
        if isinstance(found, list):
            bad += found
        else:
            items.append(found)
        if progress is not None and (done % 100 == 0 or done == total):
            progress("checking", done, total)
    return items, bad


def intake_field(name: str) -> str:
    """The mapping field an intake rule's field comes from (itself when not known)."""
    return INTAKE_FIELDS.get(name, name)


def column_of(mapping: RegisterMapping, name: str) -> str | None:
    """The CSV column a mapping field is read from."""
    return mapping.columns.get(name)


__all__ = ["BadRow", "RegisterImport", "import_register"]
