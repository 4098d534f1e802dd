"""Use cases on one case, for every door. Today: advance (the others move here with issue 14).

A step whose only role in the chart is `system` (a deadline's trigger, an automatic rule) is
taken by the scheduler alone: from any other door it is refused, whatever role is claimed, and
the refusal is recorded in the access log like every other.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from cme.services.errors import NotPermitted
from cme.services.permissions import authorize

if TYPE_CHECKING:
    from cme.bootstrap import App
    from cme.services.principal import Principal
    from engine.apply import Applied


def advance(
    app: App,
    principal: Principal,
    case_id: int,
    trigger: str,
    evidence: Mapping[str, Any],
    expected_version: int | None = None,
) -> Applied:
    """Take `trigger` on a case as `principal`.

    Raises:
        ServiceRefusal: the role may not do casework, or the step is the scheduler's alone.
        TransitionRefused: the engine's refusals (an `ActorNotPermitted` is recorded in the
            access log first).
    """
    from cme.access import record_refusal
    from engine.errors import ActorNotPermitted

    authorize(app, principal, "case.advance", case_id, trigger)
    case = app.engine.get(case_id)
    definition = app.registry.compiled(case.definition_hash).definition
    if (
        trigger in definition.triggers
        and definition.is_system_only(trigger)
        and not principal.is_system
    ):
        refusal = NotPermitted(
            "case.advance",
            principal.role,
            ("the scheduler",),
            f"{trigger.replace('_', ' ')} on case {case.ref}",
            "a deadline or an automatic rule takes this step: only the scheduler fires it",
        )
        record_refusal(app, principal.who, principal.role, case_id, "case.advance", str(refusal))
        raise refusal
    try:
        return app.engine.apply(
            case_id, trigger, evidence, principal.actor, expected_version=expected_version
        )
    except ActorNotPermitted as refused:
        # issue 6: a step refused for the actor's role is kept in the access log
        record_refusal(app, principal.who, principal.role, case_id, "case.advance", str(refused))
        raise
