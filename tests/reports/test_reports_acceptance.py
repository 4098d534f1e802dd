"""Issue 16's acceptance: every figure of each report over the known cases (conftest.py), the
same bytes when last month's report is run again after this month's activity (a correction,
a chart migration, a resumed and closed case, a new case), and the DfE return counting each
child once across episodes."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from cme.bootstrap import App
from cme.reports.render import FORMATS, render
from cme.services import reports
from cme.services.errors import NotPermitted, Refused
from storage.tables import access_log_table
from tests.reports.conftest import AUDITOR, CMEO, WORKER, World, december, local

NOVEMBER_FIGURES: dict[str, Any] = {
    "referrals": {
        "total": 2,
        "by_route": {"out-of-school-referral": 1, "school-referral": 1},
        "by_reason": {"other": 1, "unrecorded": 1},
    },
    "open_at_end": {
        "total": 3,
        "by_state": {"enquiries": 1, "received": 2},
        "by_risk": {"high": 1, "standard": 2},
    },
    "closures": {
        "total": 1,
        "by_outcome": {"located_and_returned": 1},
        "resolution": {
            "cases": 1,
            "calendar_days": {"median": 31, "p90": 31},
            "school_days": {"median": 18, "p90": 18},  # half term 27-31 Oct not counted
        },
        "days_to_resolution": [31],
    },
    "deadlines": [
        {
            "deadline": "missing_four_weeks",
            "title": "Four-week notices to the CMEO",
            "met": 1,
            "missed": 1,
            "overdue_open": 0,
        },
        {
            "deadline": "ctf_upload_due",
            "title": "CTF uploads within 15 school days",
            "met": 0,
            "missed": 0,
            "overdue_open": 0,
        },
        {
            "deadline": "mash_acknowledgement",
            "title": "MASH acknowledgements within a working day",
            "met": 1,
            "missed": 0,
            "overdue_open": 0,
        },
        {
            "deadline": "la_confirmation",
            "title": "Other-LA confirmations within 20 school days",
            "met": 0,
            "missed": 0,
            "overdue_open": 0,
        },
    ],
    "mash": {
        "escalations": 1,
        "by_trigger": {"raise_concern": 1},
        "acknowledged": 1,
        "acknowledgement_minutes": {"median": 300, "p90": 300},
        "awaiting_acknowledgement_at_end": 0,
    },
    "pauses": {"started": 1, "resumed": 0, "paused_at_end": 1},
    "other_la": {"unconfirmed_at_end": 0},
    "caseload": {"Ann Officer": 2, "Cal Worker": 1},
}
SERIES_TO_NOVEMBER = [  # (month, open at its end, out-of-school referrals, school referrals)
    ("2024-12", 0, 0, 0),
    *((f"2025-{m:02d}", 0, 0, 0) for m in range(1, 6)),
    ("2025-06", 0, 1, 1),
    ("2025-07", 0, 0, 1),
    ("2025-08", 1, 0, 1),
    ("2025-09", 1, 1, 1),
    ("2025-10", 2, 0, 1),
    ("2025-11", 3, 1, 1),
]


def _series(doc: dict[str, Any]) -> list[tuple[str, int, int, int]]:
    return [
        (
            m["month"],
            m["open_at_end"],
            m["referrals"]["out-of-school-referral"],
            m["referrals"]["school-referral"],
        )
        for m in doc["figures"]["series"]["months"]
    ]


def test_the_monthly_report_gives_every_figure_and_the_same_bytes_after_later_activity(
    world: World, app_factory: Callable[..., App], db_url: str, tmp_path: Path
) -> None:
    world.clock.set(local(2025, 12, 1, 9))
    doc = reports.monthly(world.app, CMEO, "2025-11")
    assert doc["as_of"] == "2025-12-01T00:00:00+00:00"
    assert doc["period"] == {"label": "2025-11", "first": "2025-11-01", "last": "2025-11-30"}
    figures = dict(doc["figures"])
    series = figures.pop("series")
    assert figures == NOVEMBER_FIGURES
    assert series["routes"] == ["out-of-school-referral", "school-referral"]
    assert _series(doc) == SERIES_TO_NOVEMBER
    before = {fmt: render(doc, fmt) for fmt in FORMATS}

    december(world, app_factory, db_url, tmp_path)
    world.clock.set(local(2026, 1, 20))
    again = reports.monthly(world.current, AUDITOR, "2025-11")
    for fmt in FORMATS:
        assert render(again, fmt).encode() == before[fmt].encode(), fmt
    # ... while December's report sees December: the migrated state, C5's closure, C6
    december_doc = reports.monthly(world.current, CMEO, "2025-12")
    dec = december_doc["figures"]
    assert dec["open_at_end"]["by_state"] == {"enquiries_made": 1, "received": 2}
    assert dec["closures"]["by_outcome"] == {"not_cme": 1}
    assert dec["pauses"] == {"started": 0, "resumed": 1, "paused_at_end": 0}
    assert dec["referrals"] == {
        "total": 1,
        "by_route": {"school-referral": 1},
        "by_reason": {"unrecorded": 1},
    }


def test_the_html_report_has_four_inline_charts_and_no_personal_data(world: World) -> None:
    world.clock.set(local(2025, 12, 1, 9))
    page = render(reports.monthly(world.app, CMEO, "2025-11"), "html")
    assert page.count("<svg") == 4
    assert "@media print" in page
    for secret in ("Testchild", "H801200001001", "2014-05-01", "Example", "police check"):
        assert secret not in page
    assert "Ann Officer" in page  # staff caseload, not children
    assert render(reports.monthly(world.app, CMEO, "2025-11"), "html") == page


def test_the_dfe_returns_count_children_once_and_keep_the_reason_of_their_time(
    world: World, app_factory: Callable[..., App], db_url: str, tmp_path: Path
) -> None:
    world.clock.set(local(2025, 12, 1, 9))
    autumn_before = reports.dfe_return(world.app, CMEO, "2025/26", "autumn")
    december(world, app_factory, db_url, tmp_path)
    world.clock.set(local(2026, 1, 20))
    autumn = reports.dfe_return(world.current, CMEO, "2025/26", "autumn")
    assert render(autumn, "json") == render(autumn_before, "json")
    a = autumn["figures"]
    assert a["missing_on_census_date"] == 1  # C2 alone: C1 closed 25 Sep, C3 opened 20 Oct
    assert a["by_sex"] == {"female": 0, "male": 1, "unknown": 0}
    assert {k: v for k, v in a["by_year_group"].items() if v} == {"year_9": 1}
    assert a["by_length_missing"] == {"up_to_12_weeks": 0, "over_12_weeks": 0, "unknown": 1}
    assert {k: v for k, v in a["by_primary_reason"].items() if v} == {"moved_abroad_believed": 1}
    # 2024/25: child A's two episodes and child E's two (no UPN: name and date of birth)
    assert a["missing_in_previous_academic_year"] == {"academic_year": "2024/25", "children": 2}
    assert a["cases_without_primary_reason"] == []

    spring = reports.dfe_return(world.current, CMEO, "2025/26", "spring")["figures"]
    assert spring["census_date"] == "2026-01-15"
    assert spring["deadline"] == "2026-02-12"
    assert spring["missing_on_census_date"] == 3  # C2, C4, C6
    assert spring["by_sex"] == {"female": 1, "male": 1, "unknown": 1}
    assert {k: v for k, v in spring["by_year_group"].items() if v} == {
        "year_5": 1,
        "year_6": 1,
        "year_9": 1,
    }
    assert spring["by_length_missing"] == {"up_to_12_weeks": 1, "over_12_weeks": 1, "unknown": 1}
    assert {k: v for k, v in spring["by_primary_reason"].items() if v} == {
        "temporary_accommodation": 1,  # C2's reason as corrected in December
        "other": 1,
        "unrecorded": 1,
    }
    assert spring["cases_without_primary_reason"] == [f"CME-{world.ids['C6']:06d}"]
    rounded = reports.dfe_return(world.current, CMEO, "2025/26", "spring", round_figures=True)
    assert rounded["figures"]["missing_on_census_date"] == 0  # 3 to the nearest 10
    assert rounded["figures"]["rounded"].startswith("nearest 10")


def test_the_annual_report_covers_the_school_or_the_financial_year(world: World) -> None:
    world.clock.set(local(2025, 12, 1, 9))
    school = reports.annual(world.app, AUDITOR, "2024", "school")["figures"]
    assert school["referrals"]["by_route"] == {
        "out-of-school-referral": 1,
        "school-referral": 3,
    }
    assert school["closures"]["by_outcome"] == {"located_and_returned": 1, "not_cme": 2}
    assert school["closures"]["resolution"] == {
        "cases": 3,
        "calendar_days": {"median": 18, "p90": 20},
        "school_days": {"median": 14, "p90": 14},
    }
    assert school["open_at_end"]["total"] == 1  # P4, open over the summer
    assert school["deadlines"][0]["overdue_open"] == 1  # P4's notice, never sent
    with pytest.raises(Refused, match="--year: 2025/26 financial year has not ended"):
        reports.annual(world.app, AUDITOR, "2025", "financial")


def test_the_register_names_children_for_permitted_roles_and_logs_each_case(
    world: World,
) -> None:
    world.clock.set(local(2025, 12, 1, 9))
    doc = reports.register(world.app, AUDITOR, "2025-11-30T12:00:00+00:00")
    rows = doc["figures"]["cases"]
    assert [(r["forename"], r["state"], r["primary_reason"]) for r in rows] == [
        ("Pat", "received", "moved_abroad_believed"),
        ("Alex", "enquiries", "other"),
        ("Jo", "received", "unrecorded"),
    ]
    assert rows[2]["pause_reason"] == "awaiting a police check"
    assert "Jo,Sample,2011-06-01" in render(doc, "csv")
    with world.app.db.connect() as conn:
        logged = conn.execute(
            select(access_log_table.c.case_id).where(
                access_log_table.c.action == "report register"
            )
        ).scalars()
        assert sorted(logged) == sorted(world.ids[c] for c in ("C2", "C4", "C5"))
    with pytest.raises(NotPermitted):
        reports.register(world.app, WORKER)
    with pytest.raises(NotPermitted):
        reports.monthly(world.app, WORKER, "2025-11")


def test_bad_periods_are_refused_naming_the_flag(world: World) -> None:
    world.clock.set(local(2025, 12, 1, 9))
    cases: list[tuple[Callable[[], Any], str]] = [
        (lambda: reports.monthly(world.app, CMEO, "2025-13"), "--month"),
        (lambda: reports.monthly(world.app, CMEO, "2025-12"), "--month"),
        (lambda: reports.annual(world.app, CMEO, "2024", "calendar"), "--basis"),
        (lambda: reports.dfe_return(world.app, CMEO, "2025-26", "autumn"), "--year"),
        (lambda: reports.dfe_return(world.app, CMEO, "2019/20", "autumn"), "--year"),
        (lambda: reports.dfe_return(world.app, CMEO, "2025/26", "winter"), "--term"),
        (lambda: reports.dfe_return(world.app, CMEO, "2025/26", "spring"), "--census-date"),
        (
            lambda: reports.dfe_return(world.app, CMEO, "2025/26", "autumn", "2024-10-03"),
            "--census-date",
        ),
        (lambda: reports.register(world.app, CMEO, "yesterday"), "--as-of"),
        (lambda: reports.register(world.app, CMEO, "2026-01-01"), "--as-of"),
    ]
    for call, flag in cases:
        with pytest.raises(Refused) as refused:
            call()
        assert str(refused.value).startswith(flag), (flag, str(refused.value))
        assert refused.value.kind == "BadInput"
