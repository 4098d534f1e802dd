"""Strict rendering that names what is missing: `_StrictUndefined` raises `_MissingValue` with
the dotted path of the value (`extra.other_la`), read from a copy of the context whose mappings
know where they sit (`_with_paths`); filters refuse a wrong kind of value (`_BadValue`)."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from types import TracebackType
from typing import Any

import jinja2

from notifications.catalogue import TEMPLATES_DIR as TEMPLATES_DIR  # where the templates live


class _MissingValue(jinja2.UndefinedError):
    """Raised by `_StrictUndefined`; carries the dotted path of the missing value."""

    def __init__(self, variable: str | None = None) -> None:
        self.variable = variable or "?"
        super().__init__(f"'{self.variable}' is undefined")


class _BadValue(jinja2.TemplateRuntimeError):
    """A filter got a value of the wrong kind (e.g. a naive datetime)."""


def _defined(value: Any) -> None:
    """Make a filter fail like any other use of a missing value (StrictUndefined raises on
    `str`), rather than with a confusing type error."""
    if isinstance(value, jinja2.Undefined):
        str(value)


class _Node(dict[str, Any]):
    """A context mapping that remembers where it sits (`case`, `event.evidence`)."""

    __slots__ = ("_cme_path",)

    def __init__(self, values: Mapping[str, Any], path: str) -> None:
        super().__init__(values)
        self._cme_path = path


def _with_paths(value: Any, path: str = "") -> Any:
    """Copy the context so that each nested mapping knows its dotted path."""
    if isinstance(value, Mapping):
        return _Node(
            {str(k): _with_paths(v, f"{path}.{k}" if path else str(k)) for k, v in value.items()},
            path,
        )
    if isinstance(value, list | tuple):
        return [_with_paths(v, f"{path}[{i}]") for i, v in enumerate(value)]
    return value


class _StrictUndefined(jinja2.StrictUndefined):
    """`StrictUndefined` whose error names the full path (`extra.other_la`), not "dict object"."""

    __slots__ = ()

    def __init__(
        self,
        hint: str | None = None,
        obj: Any = jinja2.utils.missing,
        name: str | None = None,
        exc: type[jinja2.TemplateRuntimeError] = _MissingValue,
    ) -> None:
        super().__init__(hint, obj, name, _MissingValue)

    @property
    def _undefined_message(self) -> str:
        if self._undefined_hint:
            return self._undefined_hint
        parent = getattr(self._undefined_obj, "_cme_path", "")
        name = self._undefined_name
        if isinstance(name, str):
            return f"{parent}.{name}" if parent else name
        return f"{parent}[{name!r}]"


def _template_position(tb: TracebackType | None, fallback: str) -> tuple[str, int | None]:
    """The innermost template file and line in a traceback jinja2 has rewritten."""
    found: tuple[str, int | None] = (fallback, None)
    while tb is not None:
        filename = tb.tb_frame.f_code.co_filename
        if filename.endswith(".j2"):
            found = (Path(filename).name, tb.tb_lineno)
        tb = tb.tb_next
    return found
