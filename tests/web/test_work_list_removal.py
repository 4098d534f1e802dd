"""A case that may be removed from roll once its school days have passed says from when in the
work list, the day `removal_ground_met` itself counts: "Removal not before ...", a bound the
step's other rules may still refuse, and nothing once the day has come (the row never says
removal is allowed); with no term dates for a day counted, that the date is not known."""

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


def test_the_row_says_from_when_removal_may_be_allowed_and_nothing_after(web: Web) -> None:
    waiting = open_case(web.app, first_absence_date="2025-10-27")
    elsewhere = open_case(web.app)  # still in received: removal is not its next step
    _to_housing_check(web, waiting)
    allowed = _allowed_by_the_guard(web, waiting)
    client = web.client()
    sign_in(client, "cara")

    before = client.get("/cases").text

    assert f"Removal not before {day_words(allowed)}" in before
    assert before.count("Removal not before") == 1, elsewhere

    _at(web, f"{allowed.isoformat()}T09:00")
    client = web.client()  # weeks later: the first session timed out long ago
    sign_in(client, "cara")
    after = client.get("/cases").text

    assert "Removal not before" not in after and "Removal allowed" not in after
    with pytest.raises(GuardsFailed) as refused:  # other rules (enquiries) still block it
        web.app.engine.apply(waiting, "remove_from_roll", REMOVAL, EWO)
    blocks = {b.guard for b in refused.value.blocks}
    assert "removal_ground_met" not in blocks and "enquiries_over_four_weeks" in blocks


def test_a_count_over_days_without_term_dates_gives_no_date(web: Web) -> None:
    # absent from 20 Aug 2025: the count starts in 2024/25, for which no term dates are shipped
    case_id = open_case(web.app, first_absence_date="2025-08-20")
    _to_housing_check(web, case_id)
    client = web.client()
    sign_in(client, "cara")

    page = client.get("/cases").text

    assert "Removal date not known (no term dates)" in page
    assert "Removal not before" not in page
    with pytest.raises(GuardsFailed) as refused:
        web.app.engine.apply(case_id, "remove_from_roll", REMOVAL, EWO)
    assert "school_days_on_term_dates" in {b.guard for b in refused.value.blocks}
