"""Every exception the engine raises on purpose belongs to the error tree (engine/errors.py),
the tree drawn in its docstring is the tree in the code, and the classes that also subclass a
built-in are still caught as that built-in."""

from __future__ import annotations

import ast
import inspect
import re
from datetime import date, datetime
from pathlib import Path

import pytest

import engine
from engine import errors
from engine.audit import canonical_json
from engine.calendar import SchoolCalendar, TermRange
from engine.clock import utc
from engine.errors import EngineError

ENGINE = Path(engine.__file__).parent
TREE = {
    name: cls
    for name, cls in vars(errors).items()
    if inspect.isclass(cls) and issubclass(cls, BaseException)
}


def raised_names(path: Path) -> list[tuple[int, str]]:
    """(line, class name) of every `raise Name(...)` / `raise Name` in a module."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Raise) and node.exc is not None:
            exc = node.exc.func if isinstance(node.exc, ast.Call) else node.exc
            if isinstance(exc, ast.Name):
                found.append((node.lineno, exc.id))
    return found


def test_every_exception_the_engine_raises_is_in_the_error_tree() -> None:
    outside = [
        f"{path.relative_to(ENGINE.parent)}:{line}: raise {name}"
        for path in sorted(ENGINE.glob("*.py"))
        for line, name in raised_names(path)
        if name not in TREE or not issubclass(TREE[name], EngineError)
    ]
    assert outside == [], "raised outside engine/errors.py's tree:\n" + "\n".join(outside)


def test_no_exception_class_is_defined_outside_the_error_tree() -> None:
    defined = [
        f"{path.name}: {node.name}"
        for path in sorted(ENGINE.glob("*.py"))
        if path.name != "errors.py"
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
        if isinstance(node, ast.ClassDef)
        and any(
            isinstance(b, ast.Name)
            and (b.id.endswith(("Error", "Refused")) or b.id == "Exception")
            for b in node.bases
        )
    ]
    assert defined == []


def test_the_tree_in_the_docstring_is_the_tree_in_the_code() -> None:
    doc = errors.__doc__ or ""
    drawn: dict[str, str] = {}  # class -> parent, from the indentation of the drawing
    stack: list[tuple[int, str]] = []
    for line in doc.splitlines():
        match = re.match(r"^([ │├└─]*)([A-Z]\w+)", line)
        if match is None or match.group(2) not in TREE:
            continue
        depth = len(match.group(1))
        while stack and stack[-1][0] >= depth:
            stack.pop()
        drawn[match.group(2)] = stack[-1][1] if stack else ""
        stack.append((depth, match.group(2)))
    in_code = {
        name: next((b.__name__ for b in cls.__bases__ if issubclass(b, EngineError)), "")
        for name, cls in TREE.items()
        if issubclass(cls, EngineError)
    }
    assert drawn == in_code


def test_classes_that_also_subclass_a_builtin_are_caught_as_it() -> None:
    with pytest.raises(ValueError, match="naive") as naive:
        utc(datetime(2025, 11, 3, 9, 0))
    with pytest.raises(TypeError, match="floats") as floats:
        canonical_json({"x": 0.5})
    with pytest.raises(ValueError, match="overlap") as overlap:
        SchoolCalendar(
            "Luton",
            [
                TermRange(date(2025, 9, 1), date(2025, 10, 1)),
                TermRange(date(2025, 9, 15), date(2025, 12, 1)),
            ],
        )

    assert isinstance(naive.value, errors.ContractBroken)
    assert isinstance(floats.value, errors.UnauditableValue)
    assert isinstance(overlap.value, errors.CalendarInvalid)


def test_the_refusals_named_in_the_issue_are_in_the_tree_where_callers_import_them() -> None:
    from cme.bootstrap import SchemaError
    from engine.deadlines import ClockRefused
    from engine.evidence import ValueRefused

    assert issubclass(ClockRefused, errors.TransitionRefused)
    assert issubclass(ValueRefused, EngineError) and issubclass(ValueRefused, ValueError)
    assert issubclass(SchemaError, EngineError)
