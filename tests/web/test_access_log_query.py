"""`cme serve`'s access log never carries a query string (an API search names a child)."""

from __future__ import annotations

import logging

from cme.commands.serve import WithoutQuery


def test_the_access_log_line_keeps_the_path_and_drops_the_search() -> None:
    record = logging.LogRecord(
        "uvicorn.access",
        logging.INFO,
        __file__,
        1,
        '%s - "%s %s HTTP/%s" %d',
        ("127.0.0.1:5000", "GET", "/api/v1/cases?search=Sam+Example", "1.1", 200),
        None,
    )

    assert WithoutQuery().filter(record)

    line = record.getMessage()
    assert "/api/v1/cases" in line and "Sam" not in line and "search" not in line
