"""A case that waits only for its school days to pass before removal from roll says so in the
work list, with the day `removal_ground_met` itself would allow it: "Removal allowed from ...",
then "Removal allowed now"."""

from __future__ import annotations

import re
from datetime import date, datetime

import pytest

from cme.services.wording import day_words
from engine import Actor, GuardsFailed
from engine.clock import LOCAL_ZONE
from tests.web.conftest import Web, open_case, sign_in

EWO = Actor("bob", "caseworker")
REMOVAL = {"removal_ground": "i", "pro_forma_reason": "no trace at the last address"}


def _at(web: Web, moment: str) -> None:
    web.clock.set(datetime.fromisoformat(moment).replace(tzinfo=LOCAL_ZONE))


def _to_housing_check(web: Web, case_id: int) -> None:
    """An enquiry, three visits at different times of day, then the housing check."""
    apply = web.app.engine.apply
    _at(web, "2025-11-03T10:00")
    apply(case_id, "begin_enquiries", {}, EWO)
    enquiry = {"enquiry_method": "telephone", "made_by": "la", "made_on": "2025-11-03"}
    apply(case_id, "record_enquiry", {**enquiry, "summary": "no answer"}, EWO)
    for day, hour, trigger in (
        ("2025-11-03", "09:30", "record_first_visit"),
        ("2025-11-04", "14:00", "record_second_visit"),
        ("2025-11-05", "18:30", "record_third_visit"),
    ):
        _at(web, f"{day}T20:00")
        visit = {"visited_at": f"{day}T{hour}", "officer": "Bob EWO", "outcome": "no_contact"}
        apply(case_id, trigger, visit, EWO)
    _at(web, "2025-11-06T10:00")
    housing = {"checked_on": "2025-11-06", "housing_result": "no_trace"}
    apply(case_id, "check_housing", housing, EWO)


def _allowed_by_the_guard(web: Web, case_id: int) -> date:
    with pytest.raises(GuardsFailed) as refused:
        web.app.engine.apply(case_id, "remove_from_roll", REMOVAL, EWO)
    reasons = " ".join(b.reason for b in refused.value.blocks if b.guard == "removal_ground_met")
    found = re.search(r"removal allowed from (\d{4}-\d\d-\d\d)", reasons)
    assert found, reasons
    return date.fromisoformat(found[1])


def test_the_row_says_from_when_removal_is_allowed_then_that_it_is(web: Web) -> None:
    waiting = open_case(web.app, first_absence_date="2025-10-27")
    elsewhere = open_case(web.app)  # still in received: removal is not its next step
    _to_housing_check(web, waiting)
    allowed = _allowed_by_the_guard(web, waiting)
    client = web.client()
    sign_in(client, "cara")

    before = client.get("/cases").text

    assert f"Removal allowed from {day_words(allowed)}" in before
    assert before.count("Removal allowed") == 1, elsewhere

    _at(web, f"{allowed.isoformat()}T09:00")
    client = web.client()  # weeks later: the first session timed out long ago
    sign_in(client, "cara")
    after = client.get("/cases").text

    assert "Removal allowed now" in after
    with pytest.raises(GuardsFailed) as refused:  # other rules (enquiries) still block it
        web.app.engine.apply(waiting, "remove_from_roll", REMOVAL, EWO)
    assert "removal_ground_met" not in {b.guard for b in refused.value.blocks}  # not this one
