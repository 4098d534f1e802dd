"""Subject lines worked out once per wording, then filled in.

A subject is one line, such as `{{ case.ref }}: child protection concern — referral to MASH`
plus a re-send note when `extra.escalation.send > 1`. A catch-up renders it for thousands of
cases whose lines differ only in the reference, and a jinja2 render (a new context, an
evaluation context, the template's code) cost about ten microseconds a line. So each subject
file is read once into a `Plan`: the values it prints as they are (`case.ref`: *filled*) and
the values its wording depends on (`extra.escalation.send`, a function called: *keyed*). The
line is rendered by jinja2 once per distinct keyed values, with a marker standing for each
filled value, and afterwards the markers are replaced by the case's values.

That gives the line jinja2 would, because a plan is made only for a template built of plain
pieces (output, constants, lookups by name, comparisons, arithmetic, conditional expressions,
calls of the environment's own pure functions), and a value is used only when it is of an
exact type whose equality means the same text (`str`, `int`, `bool`, None). Anything else (a
missing value, a filter, a loop, a dict printed whole, a marker that does not come back where
it was put) is rendered by jinja2 as before, so errors are raised exactly as they were.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import jinja2
from jinja2 import nodes

Step = tuple[bool, Any, bool]
"""One step of a lookup: (True, name, _) for `a.name`, (False, key, _) for `a[key]`; the last
is whether a plain dict's item is what jinja2 reads there (not for `a.items`, a dict method)."""
Path = tuple[str, tuple[Step, ...]]
"""A value the template looks up: the context name and the steps after it."""

_PLAIN_TYPES = frozenset({str, int, bool, type(None)})
_PLAIN_NODES = (
    nodes.Template,
    nodes.Output,
    nodes.TemplateData,
    nodes.Const,
    nodes.CondExpr,
    nodes.Compare,
    nodes.Operand,
    nodes.Concat,
    nodes.BinExpr,
    nodes.UnaryExpr,
)
_MARK = "\x00"
_LIMIT = 512
"""Lines kept per subject file (distinct keyed values); past that the store starts again."""


class _NotPlain(Exception):
    """The line cannot be worked out from a plan: jinja2 renders it."""


@dataclass(frozen=True, slots=True)
class Plan:
    """What a subject file prints as it is (`filled`) and what its wording reads (`keyed`)."""

    filled: tuple[Path, ...]
    keyed: tuple[Path, ...]


def _path(node: nodes.Node) -> Path | None:
    steps: list[Step] = []
    while True:
        if isinstance(node, nodes.Getattr):
            steps.append((True, node.attr, not hasattr(dict, node.attr)))
            node = node.node
        elif isinstance(node, nodes.Getitem) and isinstance(node.arg, nodes.Const):
            steps.append((False, node.arg.value, True))
            node = node.node
        elif isinstance(node, nodes.Name) and node.ctx == "load":
            return node.name, tuple(reversed(steps))
        else:
            return None


def _read(node: nodes.Node, keyed: list[Path]) -> None:
    """Add every lookup under `node` to `keyed`; raise `_NotPlain` at anything else."""
    path = _path(node) if isinstance(node, nodes.Getattr | nodes.Getitem | nodes.Name) else None
    if path is not None:
        keyed.append(path)
        return
    if isinstance(node, nodes.Call):
        # a function called by name (its object is part of the key, and must be pure)
        if (
            node.kwargs
            or node.dyn_args
            or node.dyn_kwargs
            or not isinstance(node.node, nodes.Name)
        ):
            raise _NotPlain
        keyed.append((node.node.name, ()))
        for arg in node.args:
            _read(arg, keyed)
        return
    if not isinstance(node, _PLAIN_NODES):
        raise _NotPlain
    for child in node.iter_child_nodes():
        _read(child, keyed)


def make_plan(template: nodes.Template) -> Plan | None:
    """The plan of a parsed subject file, or None when jinja2 must render it every time."""
    filled: list[Path] = []
    keyed: list[Path] = []
    try:
        for output in template.body:
            if not isinstance(output, nodes.Output):
                return None
            for node in output.nodes:
                path = _path(node)
                if path is not None:
                    filled.append(path)
                else:
                    _read(node, keyed)
    except _NotPlain:
        return None
    return Plan(tuple(p for p in filled if p not in keyed), tuple(dict.fromkeys(keyed)))


@dataclass(slots=True)
class _File:
    """A subject file's plan, its template's globals and the lines worked out so far."""

    plan: Plan
    globals: Mapping[str, Any]
    lines: dict[tuple[Any, ...], tuple[str, ...]]


class SubjectLines:
    """Renders subject files through their plans (see the module docstring).

    Args:
        env: the renderer's environment (its `getattr`/`getitem` are the lookups used).
        template: the loaded template of a file (its globals merged once).
        render: how a file is rendered by jinja2, with the renderer's error reporting.
        pure: the functions the templates may call whose result is fixed by their arguments
            (the renderer's `template_title` and `role_title`; not jinja2's `lipsum`).
    """

    def __init__(
        self,
        env: jinja2.Environment,
        template: Callable[[str], jinja2.Template],
        render: Callable[[str, Mapping[str, Any]], str],
        pure: Sequence[Callable[..., Any]],
    ) -> None:
        self._env, self._template, self._render = env, template, render
        self._files: dict[str, _File | None] = {}
        self._pure: dict[int, Any] = {id(f): f for f in pure}

    def render(self, file: str, context: Mapping[str, Any]) -> str:
        """The file rendered with `context`: the text jinja2 gives, whitespace as it gives."""
        entry = self._files[file] if file in self._files else self._entry(file)
        if entry is None:
            return self._render(file, context)
        plan, found = entry.plan, entry.globals
        try:
            key = tuple([self._keyed(self._value(p, context, found)) for p in plan.keyed])
            filled = [self._value(p, context, found) for p in plan.filled]
        except _NotPlain:
            return self._render(file, context)
        pieces = entry.lines.get(key)
        if pieces is None:
            pieces = self._pieces(file, plan, context)
            if pieces is None:
                return self._render(file, context)
            if len(entry.lines) >= _LIMIT:
                entry.lines.clear()
            entry.lines[key] = pieces
        out = [pieces[0]]
        for value, piece in zip(filled, pieces[1:], strict=True):
            if type(value) is not str:  # printed as str() of it: only text is sure to match
                return self._render(file, context)
            out += (value, piece)
        return "".join(out)

    def _entry(self, file: str) -> _File | None:
        """The file's plan, made once (None, and jinja2 renders it, when it has none or
        cannot be read or parsed: rendering then reports that as it always did)."""
        loader = self._env.loader
        try:
            source = loader.get_source(self._env, file)[0] if loader is not None else None
            plan = None if source is None else make_plan(self._env.parse(source))
            found = None if plan is None else self._template(file).globals
        except jinja2.TemplateError:
            return None
        entry = self._files[file] = None if plan is None else _File(plan, found or {}, {})
        return entry

    def _value(self, path: Path, context: Mapping[str, Any], found: Mapping[str, Any]) -> Any:
        """A lookup as the template makes it: the context's name (else a global), then each
        step by jinja2's own `getattr`/`getitem`; a missing value is not for a plan."""
        name, steps = path
        value = context[name] if name in context else found.get(name, jinja2.utils.missing)
        if value is jinja2.utils.missing:
            raise _NotPlain
        for attribute, key, item in steps:
            if item and type(value) is dict and key in value:
                value = value[key]  # what jinja2's lookups give for a plain dict's item
                continue
            value = self._env.getattr(value, key) if attribute else self._env.getitem(value, key)
            if isinstance(value, jinja2.Undefined):
                raise _NotPlain
        return value

    def _keyed(self, value: Any) -> Any:
        if type(value) in _PLAIN_TYPES:
            return type(value), value
        if id(value) in self._pure and self._pure[id(value)] is value:
            return "function", id(value)
        raise _NotPlain

    def _pieces(self, file: str, plan: Plan, context: Mapping[str, Any]) -> tuple[str, ...] | None:
        """The line's fixed text between its filled values: rendered by jinja2 with a marker
        in place of each (None when a marker does not come back once, in order)."""
        marked: dict[str, Any] = dict(context)
        for i, (name, steps) in enumerate(plan.filled):
            if not _put(marked, name, steps, f"{_MARK}{i}{_MARK}"):
                return None
        parts = self._render(file, marked).split(_MARK)
        if parts[1::2] != [str(i) for i in range(len(plan.filled))]:
            return None
        return tuple(parts[0::2])


def _put(container: dict[Any, Any], name: Any, steps: Sequence[Step], value: str) -> bool:
    """Set the value at `name` + `steps` in a copy of each dict on the way (False when the
    way is not plain dicts whose keys jinja2 would read as items)."""
    if not steps:
        container[name] = value
        return True
    inner = container.get(name)
    (_, key, item), rest = steps[0], steps[1:]
    if not item or type(inner) is not dict or key not in inner:
        return False
    container[name] = inner = dict(inner)
    return _put(inner, key, rest, value)
