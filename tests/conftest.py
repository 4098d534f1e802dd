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
