"""One row of a register, checked: the referral it gives through the chart's intake rule (as
of the day the case was opened), its status, dates and outcome, the chart fields it sets.
Returns the case to write, or every rule the row breaks (cme/services/register_import.py).
"""

from __future__ import annotations

from contextlib import suppress
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from cme.bootstrap import App
    from cme.services.register_import import BadRow, RegisterMapping
    from engine.definition import WorkflowDefinition
    from engine.importing import ImportedCase

NOON = timedelta(hours=12)


class RowChecker:
    """Checks rows against one mapping and one chart."""

    def __init__(
        self, app: App, mapping: RegisterMapping, definition: WorkflowDefinition, file_name: str
    ) -> None:
        from engine.clock import local_date

        self.app, self.mapping, self.definition = app, mapping, definition
        self.file_name = file_name
        self.today = local_date(app.clock.now())
        self.intake = app.engine.rules.intakes[definition.intake] if definition.intake else None
        self.references: dict[str, int] = {}
        self.referrer = {
            "name": mapping.defaults.get("referrer_name", "CME register import"),
            "organisation": mapping.defaults.get(
                "referrer_organisation", app.settings.authority_name
            ),
        }

    # -- reading cells ---------------------------------------------------------------------
    def _raw(self, cells: dict[str, str], name: str) -> str:
        column = self.mapping.columns.get(name)
        value = cells.get(column, "").strip() if column else ""
        return value or self.mapping.defaults.get(name, "")

    def _word(self, name: str, value: str) -> str:
        table = self.mapping.values.get(name)
        if table is None:
            return value
        return table.get(value, table.get(value.lower(), value))

    def _date(self, value: str) -> date:
        return datetime.strptime(value, self.mapping.date_format).date()  # noqa: DTZ007

    # -- one row ---------------------------------------------------------------------------
    def check(self, number: int, cells: dict[str, str]) -> ImportedCase | list[BadRow]:
        """The case a row gives, or every rule it breaks."""
        from cme.services.register_import import DATES, BadRow, intake_field
        from engine.clock import start_of_local_day
        from engine.errors import OpeningRefused
        from engine.importing import ImportedCase

        bad: list[BadRow] = []

        def fail(name: str, rule: str) -> None:
            bad.append(BadRow(number, name, self.mapping.columns.get(name), rule))

        values = {name: self._raw(cells, name) for name in self.mapping.columns}
        for name, value in self.mapping.defaults.items():
            values.setdefault(name, value)
        dates: dict[str, date] = {}
        for name in DATES:
            if values.get(name):
                try:
                    dates[name] = self._date(values[name])
                except ValueError:
                    example = date(2025, 12, 31).strftime(self.mapping.date_format)
                    fail(
                        name,
                        f"must be a date written as {example} "
                        f"({self.mapping.date_format}), got {values[name][:20]!r}",
                    )
        reference = values.get("reference", "")
        if reference:
            if reference in self.references:
                fail("reference", f"appears again (first in row {self.references[reference]})")
            else:
                self.references[reference] = number
        opened = dates.get("opened_on")
        since = dates.get("status_since", opened)
        if "opened_on" not in dates and "opened_on" not in {b.field for b in bad}:
            fail("opened_on", "is required: the day the case was opened")
        if opened is not None and opened > self.today:
            fail("opened_on", f"cannot be in the future (today is {self.today.isoformat()})")
        for name in ("status_since", "removed_on"):
            day = dates.get(name)
            if day is not None and day > self.today:
                fail(name, f"cannot be in the future (today is {self.today.isoformat()})")
        if opened is not None and since is not None and since < opened:
            fail("status_since", f"cannot be before the case was opened ({opened.isoformat()})")
        state = self._state(values.get("status", ""), fail)
        outcome = self._outcome(state, values.get("outcome", ""), fail)
        facts = self._facts(cells, fail)
        referral = self._referral(values, dates)
        intake: Any = None
        if self.intake is not None and opened is not None:
            try:
                intake = self.intake(referral, start_of_local_day(opened) + NOON)
            except OpeningRefused as exc:
                for p in exc.problems:
                    fail(intake_field(p.field), p.rule)
        if bad or state is None or opened is None or since is None:
            return bad
        child = dict(intake.child) if intake is not None else dict(referral.get("child") or {})
        all_facts = {**(intake.facts if intake is not None else referral), **facts}
        return ImportedCase(
            state=state,
            facts=all_facts,
            child=child,
            opened_at=start_of_local_day(opened),
            state_entered_at=start_of_local_day(since),
            source={"file": self.file_name, "row": number, "values": dict(cells)},
            outcome=outcome,
            extra=self._extra(reference, dates.get("removed_on")),
        )

    @staticmethod
    def _extra(reference: str, removed_on: date | None) -> dict[str, Any]:
        """The register's own reference and removal date, kept in the `imported` event."""
        extra: dict[str, Any] = {"register_reference": reference} if reference else {}
        if removed_on is not None:
            extra["removed_on"] = removed_on.isoformat()
        return extra

    def _state(self, value: str, fail: Any) -> str | None:
        if not value:
            fail("status", "is required: the case's status in the register")
            return None
        state = self._word("status", value)
        if state not in self.definition.states:
            known = ", ".join(self.mapping.values.get("status", {}) or self.definition.states)
            fail("status", f"{value[:40]!r} is not a status the mapping knows (known: {known})")
            return None
        return state

    def _outcome(self, state: str | None, value: str, fail: Any) -> str | None:
        if state is None:
            return None
        spec = self.definition.states[state]
        if not spec.final:
            if value:
                fail("outcome", f"only a closed case has an outcome (status is {state})")
            return None
        outcome = self._word("outcome", value) if value else ""
        if outcome not in spec.outcomes:
            fail("outcome", f"a closed case needs one of: {', '.join(spec.outcomes)}")
            return None
        return outcome

    def _facts(self, cells: dict[str, str], fail: Any) -> dict[str, Any]:
        from engine.evidence import ValueRefused, parse_value

        found: dict[str, Any] = {}
        for name, column in self.mapping.facts.items():
            raw = cells.get(column, "").strip()
            if not raw:
                continue
            spec = self.definition.fields[name]
            if spec.type.value == "date":
                with suppress(ValueError):  # parse_value names the rule
                    raw = self._date(raw).isoformat()
            try:
                found[name] = parse_value(spec, self._word(name, raw), self.app.clock.now())
            except ValueRefused as exc:
                fail(name, f"{exc} (column {column!r})")
        return found

    def _referral(self, values: dict[str, str], dates: dict[str, date]) -> dict[str, Any]:
        sep = self.mapping.separator
        child: dict[str, Any] = {
            "forename": values.get("forename") or None,
            "surname": values.get("surname") or None,
            "date_of_birth": dates["date_of_birth"].isoformat()
            if "date_of_birth" in dates
            else values.get("date_of_birth") or None,
        }
        if values.get("upn"):
            child["upn"] = values["upn"]
        if values.get("gender"):
            child["gender"] = self._word("gender", values["gender"])
        if values.get("address_line1") or values.get("postcode"):
            child["address"] = {
                k: values[f]
                for k, f in (
                    ("line1", "address_line1"),
                    ("line2", "address_line2"),
                    ("town", "town"),
                    ("postcode", "postcode"),
                )
                if values.get(f)
            }
        referral: dict[str, Any] = {
            "child": child,
            "reason": values.get("reason") or "Brought in from the authority's CME register",
            "referrer": {
                "name": values.get("referrer_name") or self.referrer["name"],
                "organisation": values.get("referrer_organisation")
                or self.referrer["organisation"],
                **({"email": values["referrer_email"]} if values.get("referrer_email") else {}),
            },
            "risk_flags": [
                self._word("risk_flags", f.strip())
                for f in values.get("risk_flags", "").split(sep)
                if f.strip()
            ],
        }
        school = {
            k: values[f]
            for k, f in (("id", "school_id"), ("name", "school_name"))
            if values.get(f)
        }
        if school:
            referral["school"] = school
        for name in ("first_absence_date", "leave_end_date"):
            if name in dates:
                referral[name] = dates[name].isoformat()
            elif values.get(name):
                referral[name] = values[name]
        parents = [p.strip() for p in values.get("parents", "").split(sep) if p.strip()]
        if parents:
            referral["parents"] = parents
        if values.get("notes"):
            referral["notes"] = values["notes"]
        return referral
