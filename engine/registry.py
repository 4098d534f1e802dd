"""Definitions by workflow name and by version, each compiled once and shared by every case."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from engine.compiler import CompiledWorkflow
from engine.definition import WorkflowDefinition
from engine.errors import DefinitionError

VersionSource = Callable[[str], WorkflowDefinition | None]
"""Finds a definition version that is no longer in the files (stored with the cases)."""


class DefinitionRegistry:
    """The current definition of each workflow, and every version cases are pinned to."""

    def __init__(
        self, definitions: Iterable[WorkflowDefinition] = (), fallback: VersionSource | None = None
    ) -> None:
        self._current: dict[str, WorkflowDefinition] = {}
        self._by_version: dict[str, CompiledWorkflow] = {}
        self._fallback = fallback
        for definition in definitions:
            self.add(definition)

    def add(self, definition: WorkflowDefinition, current: bool = True) -> None:
        """Register a version (and make it the one new cases take, unless `current=False`)."""
        if current:
            self._current[definition.workflow] = definition
        if definition.version not in self._by_version:
            self._by_version[definition.version] = CompiledWorkflow(definition)

    def current(self, workflow: str) -> WorkflowDefinition:
        """The version new cases of `workflow` are opened on."""
        try:
            return self._current[workflow]
        except KeyError:
            known = ", ".join(sorted(self._current)) or "none"
            raise DefinitionError(workflow, f"unknown workflow (known: {known})") from None

    def compiled(self, version: str) -> CompiledWorkflow:
        """The compiled machine for a pinned version."""
        found = self._by_version.get(version)
        if found is None and self._fallback is not None:
            definition = self._fallback(version)
            if definition is not None:
                self.add(definition, current=False)
                found = self._by_version[version]
        if found is None:
            raise DefinitionError(
                version[:12], "no definition with this version is loaded or stored"
            )
        return found

    def workflows(self) -> list[WorkflowDefinition]:
        """The current definition of every workflow."""
        return list(self._current.values())
