"""The driver layer under the unit of work: SQLAlchemy Core statements compiled once per
dialect and run on the driver's own cursor (`run_query`, `run_many`), each value converted by
its column type's own bind or result processor.

SQLAlchemy's per-call machinery in `execute` cost more than SQLite's own work on the hot path
(bench/, issue 7); here a statement is compiled once and its rows go to the driver as plain
tuples or dicts. Statements are cached by identity: build them once, at import
(`storage.statements`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from operator import itemgetter
from typing import Any

import orjson
from sqlalchemy import JSON, Connection

from storage.tables import UTCDateTime


class _Compiled:
    """A statement compiled once for a dialect and a set of parameter names, with each
    parameter's bind processor (the column type's own conversion, e.g. aware UTC times and
    JSON), executed as driver SQL: SQLAlchemy's per-row work in `execute` cost more than
    SQLite's own on the hot path (bench/, issue 7)."""

    def __init__(self, statement: Any, keys: tuple[str, ...], dialect: Any) -> None:
        self.statement = statement  # held, so its id() keys this cache entry safely
        compiled = statement.compile(dialect=dialect, column_keys=list(keys))
        self.sql: str = compiled.string
        self.positional = compiled.positiontup is not None
        self.names = list(compiled.positiontup) if self.positional else list(compiled.binds)
        self.values = itemgetter(*self.names)
        self.processors = [
            (i, p)
            for i, name in enumerate(self.names)
            if (p := _processor(compiled.binds[name].type, dialect)) is not None
        ]

    def params(self, rows: Sequence[Mapping[str, Any]]) -> list[Any]:
        """The rows as the driver takes them (tuples for `?`, dicts for `%(name)s`)."""
        values, processors, single = self.values, self.processors, len(self.names) == 1
        converted: list[Any] = []
        for row in rows:
            out = [values(row)] if single else list(values(row))
            for i, process in processors:
                out[i] = process(out[i])
            converted.append(tuple(out))
        if self.positional:
            return converted
        return [dict(zip(self.names, out, strict=True)) for out in converted]


def _processor(type_: Any, dialect: Any) -> Callable[[Any], Any] | None:
    """The type's bind processor; for times, remembered per value (a batch writes the same
    `now` and the same due times many times over)."""
    process: Callable[[Any], Any] | None = type_.dialect_impl(dialect).bind_processor(dialect)
    if process is not None and dialect.name == "sqlite" and isinstance(type_, JSON):
        return _json_bind(type_, dialect, process)
    if process is None or not isinstance(type_, UTCDateTime):
        return process
    seen: dict[Any, Any] = {}

    def remembered(value: Any) -> Any:
        if value not in seen:
            if len(seen) > 10_000:
                seen.clear()
            seen[value] = process(value)
        return seen[value]

    return remembered


def _json_bind(type_: JSON, dialect: Any, process: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """A JSON column's bind processor on SQLite, a dict or list going straight to the
    dialect's serializer: for those, SQLAlchemy's processor only checks it is not a null and
    calls the serializer (`JSON._make_bind_processor`); a batch writes seven a fired timer."""
    serialize = dialect._json_serializer
    if serialize is None or type_._str_impl.bind_processor(dialect) is not None:
        return process

    def bind(value: Any) -> Any:
        return serialize(value) if type(value) is dict or type(value) is list else process(value)

    return bind


_COMPILED: dict[tuple[int, str, tuple[str, ...]], _Compiled] = {}


def _result_processor(type_: Any, dialect: Any) -> Callable[[Any], Any] | None:
    """The type's result processor; JSON text on SQLite straight to the engine's decoder
    (SQLAlchemy's goes through two more calls per value)."""
    if dialect.name == "sqlite" and isinstance(type_, JSON):
        return _json_value
    process: Callable[[Any], Any] | None = type_.dialect_impl(dialect).result_processor(
        dialect, None
    )
    return process


def _json_value(value: str | bytes | None) -> Any:
    return None if value is None else orjson.loads(value)


class _Query:
    """A SELECT compiled once for a dialect, run on the driver's cursor, each column
    converted by its type's own result processor (as SQLAlchemy would, without its per-call
    machinery: a third of reading one case, half of reading a batch ahead).

    Its parameters are converted by their types' bind processors (a time to SQLite's text);
    an expanding one (IN) must need none (ids): checked when it is compiled.
    """

    def __init__(self, statement: Any, dialect: Any) -> None:
        self.statement = statement  # held, so its id() keys this cache entry safely
        self.compiled = compiled = statement.compile(dialect=dialect)
        self.sql: str = compiled.string
        self.positional = compiled.positiontup is not None
        self.expanding = any(b.expanding for b in compiled.binds.values())
        self.names = list(compiled.positiontup) if self.positional else list(compiled.binds)
        self.binds: dict[str, Callable[[Any], Any]] = {}
        for name, bind in compiled.binds.items():
            process = bind.type.dialect_impl(dialect).bind_processor(dialect)
            if process is not None and bind.expanding:
                raise TypeError(f"_Query: IN parameter {name!r} needs converting; use execute")
            if process is not None:
                self.binds[name] = process
        self.fixed = {  # values written into the statement, converted once
            n: self.binds[n](b.value) if n in self.binds else b.value
            for n, b in compiled.binds.items()
            if b.value is not None
        }
        self.keys = tuple(c.key for c in statement.selected_columns)
        self.processors = [
            (i, p)
            for i, column in enumerate(statement.selected_columns)
            if (p := _result_processor(column.type, dialect)) is not None
        ]

    def rows(self, conn: Connection, params: Mapping[str, Any]) -> list[dict[str, Any]]:
        """The rows, as dicts by column key."""
        keys = self.keys
        return [dict(zip(keys, row, strict=True)) for row in self.lists(conn, params)]

    def records(
        self,
        conn: Connection,
        params: Mapping[str, Any],
        make: Callable[..., Any],
        fields: Sequence[str],
        as_tuple: Sequence[str] = (),
    ) -> list[Any]:
        """The rows, each passed to `make` as its columns named by `fields`, in that order
        (a record built straight from the row, no dict between: a batch reads thousands)."""
        take = itemgetter(*(self.keys.index(f) for f in fields))
        tuples = [self.keys.index(f) for f in as_tuple]
        found = []
        for row in self.lists(conn, params):
            for i in tuples:
                row[i] = tuple(row[i])
            found.append(make(*take(row)))
        return found

    def lists(self, conn: Connection, params: Mapping[str, Any]) -> list[list[Any]]:
        """The rows, each a list of its converted columns in `keys` order."""
        sql, args = self._arguments(params)
        cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
        try:
            cursor.execute(sql, args)
            found = cursor.fetchall()
        finally:
            cursor.close()
        processors = self.processors
        result = []
        for raw in found:
            row = list(raw)
            for i, process in processors:
                row[i] = process(row[i])
            result.append(row)
        return result

    def _arguments(self, params: Mapping[str, Any]) -> tuple[str, Any]:
        if self.binds:
            params = {n: self.binds[n](v) if n in self.binds else v for n, v in params.items()}
        if self.expanding:  # IN (...): one placeholder per value, rendered per call
            state = self.compiled.construct_expanded_state({**self.fixed, **params})
            if self.positional:
                return state.statement, state.positional_parameters
            return state.statement, state.parameters
        values = {**self.fixed, **params}
        if self.positional:
            return self.sql, tuple(values[n] for n in self.names)
        return self.sql, {n: values[n] for n in self.names}


_QUERIES: dict[tuple[int, str], _Query] = {}


def driver_query(conn: Connection, statement: Any) -> _Query:
    """`statement` compiled for the connection's dialect, once (see `_Query`)."""
    key = (id(statement), conn.dialect.name)
    query = _QUERIES.get(key)
    if query is None or query.statement is not statement:
        query = _QUERIES[key] = _Query(statement, conn.dialect)
    return query


def run_query(conn: Connection, statement: Any, params: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Run a SELECT on the driver (see `_Query`); rows as dicts by column key."""
    return driver_query(conn, statement).rows(conn, params)


def run_many(conn: Connection, statement: Any, rows: Sequence[Mapping[str, Any]]) -> Any:
    """Execute `statement` once per row (executemany); every row has the same keys."""
    keys = tuple(rows[0])
    key = (id(statement), conn.dialect.name, keys)
    compiled = _COMPILED.get(key)
    if compiled is None or compiled.statement is not statement:
        compiled = _COMPILED[key] = _Compiled(statement, keys, conn.dialect)
    params = compiled.params(rows)
    cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
    try:
        if len(params) == 1:
            cursor.execute(compiled.sql, params[0])
        else:
            cursor.executemany(compiled.sql, params)
        return cursor.rowcount
    finally:
        cursor.close()
