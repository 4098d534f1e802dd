"""Reports on a schedule, through a real SMTP server (aiosmtpd, STARTTLS, AUTH): last month's
report to the manager on the first school day, once; the DfE return reminder to the CMEO ten
school days before its deadline, once; no personal data in either."""

from __future__ import annotations

from datetime import date

from cme.bootstrap import App
from cme.scheduler import one_pass
from cme.services.report_mail import reminder_day
from engine.testing import FakeClock
from tests.integration.delivery.conftest import (  # noqa: F401 - fixtures, reused
    Gateway,
    MakeApp,
    clock,
    delivery_app,
    gateway,
    gateways,
)
from tests.integration.notifications.conftest import (  # noqa: F401 - fixtures, reused
    _collect_garbage,
    _quiet_mail_log,
    ca,
    ca_file,
)
from tests.reports.conftest import build_until_november, local


def _clock(app: App) -> FakeClock:
    assert isinstance(app.clock, FakeClock)
    return app.clock


def _subjects(gateway: Gateway, prefix: str) -> list[tuple[str, str]]:  # noqa: F811
    return [
        (str(r.message["To"]), str(r.message["Subject"]))
        for r in gateway.inbox.received
        if str(r.message["Subject"]).startswith(prefix)
    ]


def _bodies(gateway: Gateway, prefix: str) -> str:  # noqa: F811
    parts = []
    for r in gateway.inbox.received:
        if str(r.message["Subject"]).startswith(prefix):
            parts += [p.get_content() for p in r.message.walk() if not p.is_multipart()]
    return "\n".join(parts)


def test_the_monthly_report_goes_to_the_manager_once_on_the_first_school_day(
    delivery_app: MakeApp,  # noqa: F811
    gateway: Gateway,  # noqa: F811
) -> None:
    app = delivery_app(gateway, report_mail=True)
    build_until_november(app, _clock(app))
    _clock(app).set(local(2025, 11, 30, 12))
    assert one_pass(app)["report_mail"]["queued"] == 1  # October's, as the scheduler was down
    _clock(app).set(local(2025, 12, 1, 7))  # Mon 1 Dec, a school day
    result = one_pass(app)["report_mail"]
    assert result == {"queued": 1, "unaddressed": [], "sent": 1, "failed": 0}
    prefix = "CME monthly service performance report"
    assert _subjects(gateway, prefix) == [
        ("manager@luton.gov.uk", f"{prefix}: 2025-10"),
        ("manager@luton.gov.uk", f"{prefix}: 2025-11"),
    ]
    body = _bodies(gateway, f"{prefix}: 2025-11")
    assert "<svg" in body and "| school-referral | 1 |" in body
    for secret in ("Testchild", "H801200001001", "2014-05-01", "police check"):
        assert secret not in body
    _clock(app).set(local(2025, 12, 2, 9))
    assert one_pass(app)["report_mail"] == {"queued": 0, "unaddressed": [], "sent": 0, "failed": 0}
    assert len(_subjects(gateway, prefix)) == 2


def test_the_cmeo_is_reminded_of_the_dfe_return_ten_school_days_before(
    delivery_app: MakeApp,  # noqa: F811
    gateway: Gateway,  # noqa: F811
) -> None:
    app = delivery_app(gateway, report_mail=True)
    calendar = app.calendars.for_school(None)
    assert reminder_day(calendar, date(2026, 2, 12)) == date(2026, 1, 29)
    _clock(app).set(local(2026, 1, 28, 9))
    one_pass(app)
    assert _subjects(gateway, "DfE CME return") == []
    _clock(app).set(local(2026, 1, 29, 9))
    one_pass(app)
    _clock(app).set(local(2026, 2, 2, 9))
    one_pass(app)
    assert _subjects(gateway, "DfE CME return") == [
        ("cme@luton.gov.uk", "DfE CME return due 2026-02-12: spring 2025/26")
    ]
    body = _bodies(gateway, "DfE CME return")
    assert "cme report dfe-return --term spring --year 2025/26" in body
    assert "census day 2026-01-15" in body


def test_no_manager_address_is_reported_not_skipped(
    delivery_app: MakeApp,  # noqa: F811
    gateway: Gateway,  # noqa: F811
) -> None:
    app = delivery_app(gateway, report_mail=True, manager_email="")
    _clock(app).set(local(2025, 12, 1, 9))
    result = one_pass(app)["report_mail"]
    assert result["unaddressed"] == [
        "monthly_report 2025-11: no manager address (CME_MANAGER_EMAIL)"
    ]
