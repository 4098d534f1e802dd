"""Shared fixtures: databases (a SQLite file; PostgreSQL when CME_TEST_POSTGRES_URL is set)."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

PG_URL = os.environ.get("CME_TEST_POSTGRES_URL")
PG_SKIP = "PostgreSQL tests need CME_TEST_POSTGRES_URL (set by .ci/run)"


@pytest.fixture(autouse=True)
def _a_test_system_writes_mail_to_files(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests are a test system: mail written to `.eml` files is intended (CME_MAIL_FILES_ONLY),
    so `cme tick` does not fail for want of an SMTP host. A test of that rule unsets it."""
    monkeypatch.setenv("CME_MAIL_FILES_ONLY", "true")


@pytest.fixture(scope="session")
def pg_server_url() -> str:
    if not PG_URL:
        pytest.skip(PG_SKIP)
    return PG_URL


@pytest.fixture
def pg_url(pg_server_url: str) -> Iterator[str]:
    """A fresh PostgreSQL database for one test, dropped afterwards."""
    name = f"cme_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(
        pg_server_url.replace("postgresql://", "postgresql+psycopg://", 1),
        isolation_level="AUTOCOMMIT",
    )
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(pg_server_url).set(database=name)
    try:
        yield url.render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path: os.PathLike[str]) -> str:
    """The same test on a SQLite file and on PostgreSQL."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path}/cme.db"
    return str(request.getfixturevalue("pg_url"))


@pytest.fixture
def app_factory() -> Iterator[object]:
    """Build apps with `tests.support.make_app`; their connection pools are closed after."""
    from tests.support import make_app

    built: list[object] = []

    def factory(url: str, *args: object, **kwargs: object) -> object:
        application = make_app(url, *args, **kwargs)  # type: ignore[arg-type]
        built.append(application)
        return application

    yield factory
    for application in built:
        application.db.dispose()  # type: ignore[attr-defined]


# --- PII redaction: no log record of the whole run may carry a sample child's personal data ---
# (issue 6). A handler on the root logger, installed before any test runs, sees every record
# our packages emit (their loggers are opened to DEBUG for the run; the libraries keep their
# levels, so SQLAlchemy does not start logging statements) and keeps the ones that leak.

import logging  # noqa: E402 - appended section, kept together
import re  # noqa: E402

SAMPLE_PII = (
    # tests/support.py, tests/workflows/conftest.py, notifications/testing.py, cme/demo.py
    "Testchild",
    "Sam Testchild",
    "Sam Example",
    "Alex Example",
    "Pat Example",
    "Amira",
    "Haddad",
    "Amy Sample",
    "12 Example Road",
    "LU1 1AA",
    "2014-05-01",
    "2013-02-10",
    "2015-03-12",
    "2015-03-14",
    "H801200001001",
)
UPN_SHAPE = re.compile(r"\b[A-Z]\d{11}[0-9A-Z]\b")
OUR_LOGGERS = ("engine", "workflows", "storage", "notifications", "cme")
PII_SELFTEST = "tests.pii_selftest"
"""Records under this logger carry personal data on purpose (tests of the redaction itself)."""


class PiiLeakHandler(logging.Handler):
    """Keeps every record whose message or traceback holds a sample child's data."""

    def __init__(self) -> None:
        super().__init__(logging.NOTSET)
        self.seen = 0
        self.leaks: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.seen += 1
        if record.name == PII_SELFTEST or record.name.startswith(PII_SELFTEST + "."):
            return
        try:
            text = record.getMessage()
        except (TypeError, ValueError):
            text = f"{record.msg!s} {record.args!r}"
        if record.exc_info:
            text += "\n" + logging.Formatter().formatException(record.exc_info)
        found = [p for p in SAMPLE_PII if p in text] + UPN_SHAPE.findall(text)
        if found:
            self.leaks.append(f"{record.name} {record.levelname}: {found}: {text[:500]!r}")


_PII_HANDLER = PiiLeakHandler()


def pytest_sessionstart(session: pytest.Session) -> None:
    logging.getLogger().addHandler(_PII_HANDLER)
    for name in OUR_LOGGERS:
        logging.getLogger(name).setLevel(logging.DEBUG)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    logging.getLogger().removeHandler(_PII_HANDLER)
    if _PII_HANDLER.leaks:
        import sys

        sys.stderr.write(
            f"\nPII REDACTION TEST FAILED: {len(_PII_HANDLER.leaks)} of {_PII_HANDLER.seen} log "
            "records carry a sample child's personal data:\n"
        )
        for leak in _PII_HANDLER.leaks[:20]:
            sys.stderr.write(f"  {leak}\n")
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
