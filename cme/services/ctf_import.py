"""`import_ctf`: a school's Common Transfer File, read into cases (see cme/services/ctf.py for
the reading and the rules).

Every decision is taken before anything is written: the file is read and checked, each
pupil's cases are looked up, each new case's referral is put through the chart's intake rule.
A refusal at any of these writes nothing. Then, pupil by pupil: attach to the one case with
the pupil's UPN (`--attach CASE` names it instead), or open a case (only when asked), reporting
every case matched by name and date of birth as a possible duplicate, never merged.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cme.services.ctf import CtfImported, PupilOutcome, pupil_json, read_ctf, referral_of
from cme.services.errors import Refused
from cme.services.permissions import authorize

if TYPE_CHECKING:
    from cme.bootstrap import App
    from cme.services.principal import Principal


@dataclass(frozen=True, slots=True)
class _Plan:
    index: int
    upn: str | None
    attach_to: int | None
    referral: dict[str, Any] | None
    duplicates: tuple[int, ...]
    data: dict[str, Any]


def import_ctf(
    app: App,
    principal: Principal,
    path: Path,
    open_workflow: str | None = None,
    attach: int | None = None,
    first_absence_date: str | None = None,
) -> CtfImported:
    """Read a CTF and attach each pupil to its case, or open one (`open_workflow`).

    Raises:
        Refused: the file or a pupil refused; a pupil with no case and no `open_workflow`;
            possible duplicates without `open_workflow` or `attach`; several cases with the
            pupil's UPN.
        OpeningRefused: a new case's referral breaks the chart's intake rule.
    """
    from storage.interop import matching_cases

    authorize(app, principal, "ctf.import")
    if open_workflow is not None:
        authorize(app, principal, "case.open")
    document = read_ctf(path)
    name = Path(path).name
    if attach is not None and len(document.pupils) != 1:
        raise Refused(
            f"--attach: the CTF holds {len(document.pupils)} pupils; --attach names the case "
            "of a file with one pupil",
            "BadInput",
        )
    if attach is not None:
        app.engine.get(attach)  # CaseNotFound, before anything is written
    plans: list[_Plan] = []
    for i, pupil in enumerate(document.pupils, start=1):
        from workflows.upn import normalise_upn

        upn = normalise_upn(pupil.upn) if pupil.upn else None
        data = pupil_json(document, pupil, name)
        if attach is not None:
            plans.append(_Plan(i, upn, attach, None, (), data))
            continue
        matches = matching_cases(
            app.db, upn, pupil.forename or "", pupil.surname or "", pupil.dob or ""
        )
        by_upn = [m.case_id for m in matches if m.by == "upn" and not m.closed]
        closed = tuple(m.case_id for m in matches if m.by == "upn" and m.closed)
        by_name = closed + tuple(m.case_id for m in matches if m.by == "name_and_dob")
        where = f"Pupil[{i}]" + (f" (UPN {upn})" if upn else "")
        if len(by_upn) > 1:
            raise Refused(
                f"{where}: {len(by_upn)} cases hold this UPN ({_ids(by_upn)}): name the one to "
                "attach to with --attach CASE",
                "PossibleDuplicates",
                cases=by_upn,
            )
        if by_upn:
            plans.append(_Plan(i, upn, by_upn[0], None, by_name, data))
            continue
        if open_workflow is None:
            if by_name:
                raise Refused(
                    f"{where}: no open case holds this UPN, but {_ids(by_name)} match it (closed) "
                    "or the names and date of birth (possible duplicates, not merged): attach "
                    "with --attach CASE, or open a new case with --open-case WORKFLOW",
                    "PossibleDuplicates",
                    cases=list(by_name),
                )
            raise Refused(
                f"{where}: no case matches this pupil: open one with --open-case WORKFLOW",
                "NoMatch",
            )
        referral = referral_of(document, pupil, name, first_absence_date)
        plans.append(_Plan(i, upn, None, referral, by_name, data))
    _check_intakes(app, open_workflow, plans)
    return CtfImported(
        name,
        f"{document.header.source_lea}{document.header.source_estab}",
        document.header.version,
        tuple(_carry_out(app, principal, open_workflow, plan) for plan in plans),
    )


def _ids(ids: list[int] | tuple[int, ...]) -> str:
    return ", ".join(f"case {i}" for i in ids)


def _check_intakes(app: App, workflow: str | None, plans: list[_Plan]) -> None:
    """Every new case's referral through the chart's intake rule, before anything is written
    (the refusal names the pupil's fields)."""
    from engine.errors import FieldProblem, OpeningRefused

    if workflow is None:
        return
    definition = app.registry.current(workflow)
    if definition.intake is None:
        return
    intake = app.engine.rules.intakes[definition.intake]
    now = app.clock.now()
    problems: list[FieldProblem] = []
    for plan in plans:
        if plan.referral is None:
            continue
        try:
            intake(plan.referral, now)
        except OpeningRefused as exc:
            problems += [
                FieldProblem(f"Pupil[{plan.index}] {p.field}", _hint(p)) for p in exc.problems
            ]
    if problems:
        raise OpeningRefused(problems)


def _hint(problem: Any) -> str:
    if problem.field == "first_absence_date":
        return f"{problem.rule}: a CTF does not carry it; give --first-absence-date"
    return str(problem.rule)


def _carry_out(app: App, principal: Principal, workflow: str | None, plan: _Plan) -> PupilOutcome:
    from cme.access import record
    from cme.services import cases

    if plan.attach_to is not None:
        app.engine.record(plan.attach_to, "ctf_received", plan.data, principal.actor)
        record(app, principal.actor, plan.attach_to, "ctf import", plan.data["file_name"])
        return PupilOutcome(plan.upn, "attached", plan.attach_to, plan.duplicates)
    if workflow is None or plan.referral is None:  # pragma: no cover - planned above
        raise Refused("nothing to do for this pupil")
    opened = cases.open_case(app, principal, workflow, plan.referral)
    case_id = opened.view.case.id
    app.engine.record(case_id, "ctf_received", plan.data, principal.actor)
    return PupilOutcome(plan.upn, "opened", case_id, plan.duplicates)
