"""Process charts drawn from the YAML by `transitions`' own diagram support (Mermaid)."""

from __future__ import annotations

import re

from transitions.extensions import GraphMachine

from engine.compiler import machine_kwargs
from engine.definition import WorkflowDefinition


def mermaid(definition: WorkflowDefinition) -> str:
    """A Mermaid `stateDiagram-v2` of the chart (system-only steps included, dashed)."""
    kwargs = machine_kwargs(definition)
    kwargs.pop("model")
    kwargs.pop("ignore_invalid_triggers")
    # internal steps (to: SAME) change nothing on the chart: leave them out of the picture
    kwargs["transitions"] = [t for t in kwargs["transitions"] if t["dest"] is not None]
    machine = GraphMachine(graph_engine="mermaid", title=definition.title, **kwargs)
    source: str = machine.get_graph().source
    lines = source.splitlines()
    if lines and lines[0] == "---":  # transitions writes a bare title; Mermaid wants `title:`
        lines = lines[lines.index("---", 1) + 1 :]
    # drop the active-state styling lines: a chart has no "current" state
    body = [ln for ln in lines if ln.strip() and not re.match(r"\s*(class|classdef)\s", ln, re.I)]
    return "\n".join(["---", f"title: {definition.title}", "---", *body]) + "\n"
