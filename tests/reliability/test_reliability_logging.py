"""`cme.log`: the redacting filter and the formatters (the session-wide PII scan is in
tests/conftest.py: it fails the run if any record of the suite carries a sample child's data)."""

from __future__ import annotations

import io
import json
import logging

import pytest

from cme.log import RedactingFilter, configure_logging, redact


@pytest.mark.parametrize(
    ("text", "gone"),
    [
        ("upn H801200001001 refused", "H801200001001"),
        ("temporary upn h80120000100A", "h80120000100A"),
        ("dob=2014-05-01", "2014-05-01"),
        ("{'date_of_birth': '2015-03-12'}", "2015-03-12"),
        ("born 12/03/2015", "12/03/2015"),
        ("mail to sam.testchild@example.com failed", "sam.testchild"),
        ("{'forename': 'Amira', 'surname': 'Haddad'}", "Haddad"),
        ("forename=Amira", "Amira"),
        ("lives at LU1 1AA", "LU1 1AA"),
    ],
)
def test_redact_masks_personal_data(text: str, gone: str) -> None:
    """Each kind of personal data is masked."""
    masked = redact(text)
    assert gone not in masked and "[redacted]" in masked


def test_redact_keeps_what_operators_need() -> None:
    """Case references, triggers, states, roles, due dates, hashes and domains stay."""
    line = (
        "case CME-000001 begin_enquiries received->enquiries by eve (caseworker); "
        "due_on 2025-11-10; hash " + "a" * 64 + "; to mash@luton.gov.uk"
    )
    assert redact(line) == line.replace("mash@", "[redacted]@")


def test_the_filter_masks_arguments_extras_and_tracebacks() -> None:
    """`log.info("%s", upn)`, extra fields and exception text are all masked; nothing dropped."""
    stream = io.StringIO()
    logger = logging.getLogger("tests.pii_selftest.redaction")
    logger.propagate = False
    handler = logging.StreamHandler(stream)
    handler.addFilter(RedactingFilter())
    logger.addHandler(handler)
    try:
        logger.warning("child %s born %s", "H801200001001", "2014-05-01", extra={"who": "x@y.org"})
        try:
            raise ValueError("bad upn H801200001001")
        except ValueError:
            logger.exception("failed")
    finally:
        logger.removeHandler(handler)
        logger.propagate = True
    out = stream.getvalue()
    assert "H801200001001" not in out and "2014-05-01" not in out
    assert out.count("[redacted]") >= 3 and "failed" in out


def test_configure_logging_writes_redacted_json_lines() -> None:
    """One JSON object a line, with level, logger and message; a second call replaces the
    first handler; SQLAlchemy is held at WARNING (its INFO lines carry statement parameters)."""
    stream = io.StringIO()
    root = logging.getLogger()
    level = root.level
    try:
        configure_logging("INFO", stream=stream)
        handler = configure_logging("INFO", stream=stream)
        logging.getLogger("tests.pii_selftest.apply").info(
            "case %s %s %s->%s by %s",
            "CME-000001",
            "begin_enquiries",
            "received",
            "enquiries",
            "eve (upn H801200001001)",
        )
        lines = [json.loads(line) for line in stream.getvalue().splitlines()]
        assert [h for h in root.handlers if h.get_name() == "cme"] == [handler]
        assert logging.getLogger("sqlalchemy").level == logging.WARNING
    finally:
        root.removeHandler(handler)
        root.setLevel(level)
    assert len(lines) == 1
    assert lines[0]["level"] == "info" and lines[0]["logger"] == "tests.pii_selftest.apply"
    assert lines[0]["message"].startswith("case CME-000001 begin_enquiries received->enquiries")
    assert "H801200001001" not in lines[0]["message"]


def test_the_session_scan_is_installed_and_catches_a_leak() -> None:
    """The conftest hook's handler is on the root logger, sees our packages' DEBUG records,
    and (a separate instance, so this run stays clean) flags a name, a UPN and a birth date."""
    from tests.conftest import _PII_HANDLER, PiiLeakHandler

    before = _PII_HANDLER.seen
    logging.getLogger("cme.test").debug("a harmless line about CME-000001")
    assert _PII_HANDLER in logging.getLogger().handlers
    assert _PII_HANDLER.seen == before + 1

    probe = PiiLeakHandler()
    for message in ("Sam Testchild", "upn Z801200001001", "dob 2014-05-01", "CME-000001"):
        probe.handle(logging.LogRecord("engine.apply", logging.INFO, "", 0, message, None, None))
    assert probe.seen == 4 and len(probe.leaks) == 3
