"""A JSON column's value is written on SQLite as SQLAlchemy's own bind processor would write
it (`storage.driver._json_bind` hands a dict or list straight to the serializer)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import JSON

from storage.database import make_engine
from storage.driver import _processor


@pytest.mark.parametrize(
    "value",
    [{"b": 1, "a": [1, "é"]}, [3, {"z": None}], {}, [], None, "text", 5, True, JSON.NULL],
)
def test_a_json_value_is_written_as_sqlalchemy_writes_it(tmp_path: Path, value: Any) -> None:
    dialect = make_engine(f"sqlite:///{tmp_path / 'x.db'}").dialect
    for column in (JSON(), JSON(none_as_null=True)):
        theirs = column.dialect_impl(dialect).bind_processor(dialect)
        ours = _processor(column, dialect)
        assert theirs is not None and ours is not None
        assert ours(value) == theirs(value)
