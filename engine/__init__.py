"""cme's domain-free workflow runtime.

A case is a row, its history an append-only hash chain of events, and a declarative workflow
definition decides which event may come next. This package imports none of the project's
other packages and does no I/O beyond reading definition and calendar files.
"""

from engine.apply import (
    Action,
    Applied,
    Engine,
    EngineSettings,
    EvidenceField,
    MessageTrail,
    TickReport,
)
from engine.audit import BrokenLink, Replayed, canonical_json, replay, seal, verify_chain
from engine.clock import Clock, SystemClock
from engine.definition import FieldType, Unit, WorkflowDefinition
from engine.errors import (
    ActorNotPermitted,
    CaseNotFound,
    ConcurrentUpdate,
    DefinitionError,
    EngineError,
    EvidenceInvalid,
    GuardsFailed,
    OpeningRefused,
    TransitionRefused,
    TriggerNotAvailable,
)
from engine.loader import Known, load_definition_file, parse_definition
from engine.ports import SYSTEM_RULE, SYSTEM_TIMER, Actor, CaseRecord, EventRecord, case_ref
from engine.registry import DefinitionRegistry
from engine.rules import Intake, Rules

__all__ = [
    "SYSTEM_RULE",
    "SYSTEM_TIMER",
    "Action",
    "Actor",
    "ActorNotPermitted",
    "Applied",
    "BrokenLink",
    "CaseNotFound",
    "CaseRecord",
    "Clock",
    "ConcurrentUpdate",
    "DefinitionError",
    "DefinitionRegistry",
    "Engine",
    "EngineError",
    "EngineSettings",
    "EventRecord",
    "EvidenceField",
    "EvidenceInvalid",
    "FieldType",
    "GuardsFailed",
    "Intake",
    "Known",
    "MessageTrail",
    "OpeningRefused",
    "Replayed",
    "Rules",
    "SystemClock",
    "TickReport",
    "TransitionRefused",
    "TriggerNotAvailable",
    "Unit",
    "WorkflowDefinition",
    "canonical_json",
    "case_ref",
    "load_definition_file",
    "parse_definition",
    "replay",
    "seal",
    "verify_chain",
]
