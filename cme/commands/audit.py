"""Auditors' commands: verify, checkpoint, keygen, replay, history, export, access, hold, erase,
and `workflow migrate`.

Settings read here from the environment (cme.settings is another module's):
`CME_AUDIT_KEY_FILE` (Ed25519 private key, PEM: signs checkpoints and exports, and verifies
them), `CME_AUDIT_PUBLIC_KEY_FILE` (verification only, for a host that must not sign) and
`CME_RETENTION_YEARS` (default 6: years after closure before a case's personal data is erased).
Exit status: 0 all well; 1 verification found something broken (or replay a difference);
2 a refusal, naming its rule.
"""

from __future__ import annotations

import hashlib
import json
import os
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from cme.access import reader
from cme.console import (
    MAX_ID,
    ActorOpt,
    CaseId,
    JsonOpt,
    RoleOpt,
    deadline_json,
    dump,
    get_app,
    refusals,
    refuse,
)
from cme.services.identity import acting

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import (
        Ed25519PrivateKey,
        Ed25519PublicKey,
    )

    from cme.bootstrap import App
    from engine.audit import BrokenLink
    from engine.ports import EventRecord

KEY_ENV = "CME_AUDIT_KEY_FILE"
PUBLIC_KEY_ENV = "CME_AUDIT_PUBLIC_KEY_FILE"
RETENTION_ENV = "CME_RETENTION_YEARS"
DEFAULT_RETENTION_YEARS = 6
EXIT_BROKEN = 1

KeyOpt = Annotated[
    Path | None,
    typer.Option("--key", help=f"Ed25519 private key (PEM); default: ${KEY_ENV}."),
]


# --- keys --------------------------------------------------------------------------------------
def key_id(public: Ed25519PublicKey) -> str:
    """sha256 of the raw public key, hex: names the key that signed."""
    from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

    return hashlib.sha256(public.public_bytes(Encoding.Raw, PublicFormat.Raw)).hexdigest()


def _private_key(path: Path | None, as_json: bool) -> Ed25519PrivateKey | None:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
    from cryptography.hazmat.primitives.serialization import load_pem_private_key

    path = path or (Path(os.environ[KEY_ENV]) if os.environ.get(KEY_ENV) else None)
    if path is None:
        return None
    try:
        key = load_pem_private_key(path.read_bytes(), password=None)
    except (OSError, ValueError) as exc:
        refuse(f"audit_key: cannot load the private key {path}: {exc}", as_json, "BadKey")
    if not isinstance(key, Ed25519PrivateKey):
        refuse(f"audit_key: {path} is not an Ed25519 private key", as_json, "BadKey")
    return key


def _public_key(path: Path | None, as_json: bool) -> Ed25519PublicKey | None:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
    from cryptography.hazmat.primitives.serialization import load_pem_public_key

    private = _private_key(path, as_json)
    if private is not None:
        return private.public_key()
    public_path = os.environ.get(PUBLIC_KEY_ENV)
    if not public_path:
        return None
    try:
        key = load_pem_public_key(Path(public_path).read_bytes())
    except (OSError, ValueError) as exc:
        refuse(f"audit_key: cannot load the public key {public_path}: {exc}", as_json, "BadKey")
    if not isinstance(key, Ed25519PublicKey):
        refuse(f"audit_key: {public_path} is not an Ed25519 public key", as_json, "BadKey")
    return key


def _signature_ok(public: Ed25519PublicKey, signature_hex: str, payload: bytes) -> bool:
    from cryptography.exceptions import InvalidSignature

    try:
        public.verify(bytes.fromhex(signature_hex), payload)
    except (InvalidSignature, ValueError):
        return False
    return True


def keygen(
    out: Annotated[Path, typer.Option("--out", help="Where to write the private key (PEM).")],
    as_json: JsonOpt = False,
) -> None:
    """Create an Ed25519 key for signing checkpoints (and OUT.pub, its public half)."""
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
    from cryptography.hazmat.primitives.serialization import (
        Encoding,
        NoEncryption,
        PrivateFormat,
        PublicFormat,
    )

    from cme.files import write_output

    public_out = out.with_name(out.name + ".pub")
    if out.exists() or public_out.exists():
        refuse(f"key_exists: {out} (or {public_out}) exists; it is never overwritten", as_json)
    key = Ed25519PrivateKey.generate()
    url = get_app(check_schema=False).settings.database_url
    private_pem = key.private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption())
    public_pem = key.public_key().public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo)
    # Keys are never overwritten: no --force.
    write_output(out, private_pem, force=False, database_url=url, as_json=as_json)
    write_output(public_out, public_pem, force=False, database_url=url, as_json=as_json)
    result = {"private_key": str(out), "public_key": str(public_out)}
    result["key_id"] = key_id(key.public_key())
    if as_json:
        dump(result)
    else:
        typer.echo(
            f"wrote {out} (keep it secret; set {KEY_ENV}) and {public_out}; "
            f"key id {result['key_id'][:16]}"
        )


# --- verify and checkpoint -------------------------------------------------------------------
def _link_json(link: BrokenLink) -> dict[str, Any]:
    from engine.ports import case_ref

    return {
        "case_id": link.case_id,
        "ref": case_ref(link.case_id),
        "seq": link.seq,
        "problem": link.problem,
        "expected": link.expected,
        "stored": link.stored,
    }


def _checkpoint_status(
    application: App, case_id: int | None, key: Path | None, as_json: bool
) -> tuple[dict[str, Any] | None, list[BrokenLink]]:
    from engine.audit import BrokenLink
    from storage.audit import check_checkpoint, latest_checkpoint

    checkpoint = latest_checkpoint(application.db)
    if checkpoint is None:
        return None, []
    heads_sha, problems = check_checkpoint(application.db, checkpoint, case_id)
    status: dict[str, Any] = {
        "id": checkpoint["id"],
        "created_at": checkpoint["created_at"].isoformat(),
        "cases": checkpoint["cases"],
        "key_id": checkpoint["key_id"],
    }
    try:
        payload = json.loads(checkpoint["payload"])
    except ValueError:
        payload = {}
    altered = payload.get("heads_sha256") != checkpoint["heads_sha256"] or (
        case_id is None and heads_sha != checkpoint["heads_sha256"]
    )
    if altered:
        problems.append(
            BrokenLink(0, 0, f"checkpoint {checkpoint['id']}: its list of heads was altered")
        )
    public = _public_key(key, as_json)
    if public is None:
        status["signature"] = f"not checked: no key (set {KEY_ENV} or {PUBLIC_KEY_ENV})"
    elif key_id(public) != checkpoint["key_id"] or payload.get("key_id") != key_id(public):
        status["signature"] = "invalid: signed by another key"
    elif _signature_ok(public, checkpoint["signature"], checkpoint["payload"].encode()):
        status["signature"] = "valid"
    else:
        status["signature"] = "invalid"
    if status["signature"].startswith("invalid"):
        problems.append(
            BrokenLink(0, 0, f"checkpoint {checkpoint['id']}: signature {status['signature']}")
        )
    return status, problems


def verify(
    case_id: Annotated[
        int | None, typer.Argument(help="Only this case.", min=1, max=MAX_ID)
    ] = None,
    file: Annotated[
        Path | None, typer.Option("--file", help="Verify an export (JSONL), no database.")
    ] = None,
    key: KeyOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Walk every hash chain (or one) and the latest signed checkpoint; name the first broken
    link of each case. Exit status 1 when anything is broken."""
    if file is not None:
        _verify_file(file, key, as_json)
        return
    from storage.audit import verify_chains

    with refusals(as_json):
        application = get_app()
        reader(application)
        if case_id is not None:
            application.engine.get(case_id)  # CaseNotFound is a refusal
        report = verify_chains(application.db, case_id)
        checkpoint, problems = _checkpoint_status(application, case_id, key, as_json)
    broken = sorted(report.broken + problems, key=lambda b: (b.case_id, b.seq))
    result = {
        "ok": not broken,
        "cases": report.cases,
        "events": report.events,
        "broken": [_link_json(b) for b in broken],
        "checkpoint": checkpoint,
    }
    if as_json:
        dump(result)
    else:
        for b in broken:
            where = f"{_link_json(b)['ref']} seq {b.seq}" if b.case_id else "checkpoint"
            line = f"BROKEN {where}: {b.problem}"
            if b.expected or b.stored:
                line += f" (expected {b.expected or '-'}, stored {b.stored or '-'})"
            typer.echo(line)
        cp = (
            f"; checkpoint {checkpoint['id']} of {checkpoint['created_at']}: "
            f"signature {checkpoint['signature']}"
            if checkpoint
            else "; no checkpoint yet (cme audit checkpoint)"
        )
        verdict = "all verify" if not broken else f"{len(broken)} broken"
        typer.echo(f"{report.cases} cases, {report.events} events: {verdict}{cp}")
    if broken:
        raise typer.Exit(EXIT_BROKEN)


def checkpoint(key: KeyOpt = None, as_json: JsonOpt = False, role: RoleOpt = None) -> None:
    """Record the head (seq, hash) of every chain, signed with the audit key."""
    from storage.audit import record_checkpoint

    private = _private_key(key, as_json)
    if private is None:
        refuse(f"audit_key: no signing key: set {KEY_ENV} or pass --key", as_json, "BadKey")
    with refusals(as_json):
        application = get_app()
        acting(application, "audit.checkpoint", None, role)
        try:
            result = record_checkpoint(
                application.db,
                application.clock.now(),
                key_id(private.public_key()),
                private.sign,
            )
        except ValueError as exc:
            refuse(f"chain_broken: {exc}", as_json, "ChainBroken")
    if as_json:
        dump(result)
    else:
        typer.echo(
            f"checkpoint {result['id']}: {result['cases']} chains, heads "
            f"{result['heads_sha256'][:16]}, signed by {result['key_id'][:16]}"
        )


# --- replay ----------------------------------------------------------------------------------
def _as_of(text: str | None, as_json: bool) -> datetime | None:
    from engine.clock import LOCAL_ZONE

    if text is None:
        return None
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=LOCAL_ZONE)
        return moment.astimezone(UTC)
    except (ValueError, OverflowError):
        refuse(
            f"--as-of {ascii(text)[:60]}: expected an ISO date-time within the calendar, "
            "e.g. 2025-11-10T09:00 (local time unless it has an offset)",
            as_json,
            "BadInput",
        )


def _event_json(e: EventRecord) -> dict[str, Any]:
    from engine.evidence import format_utc

    return {
        "seq": e.seq,
        "trigger": e.trigger,
        "from": e.from_state,
        "to": e.to_state,
        "actor": e.actor,
        "role": e.role,
        "at": format_utc(e.at),
        "evidence": dict(e.evidence),
        "prev_hash": e.prev_hash,
        "hash": e.hash,
    }


def replay_case(application: App, case_id: int, as_of: datetime | None) -> dict[str, Any]:
    """Rebuild a case as it stood at `as_of` (None: now) from its events and pinned versions."""
    from engine.audit import opening_version, replay
    from storage import queries
    from storage.audit import outbox_as_of, timers_as_of

    case = application.engine.get(case_id)
    events = queries.events(application.db, case_id)

    def definition(version: str) -> Any:
        return application.registry.compiled(version).definition

    start = opening_version(case.definition_hash, events)
    rebuilt = replay(definition(start), events, as_of, definition)
    shown = [e for e in events if as_of is None or e.at <= as_of]
    later = len(events) - len(shown)
    stored = {"state": case.state, "version": case.version, "head_hash": case.head_hash}
    replayed = {"state": rebuilt.state, "version": rebuilt.version, "head_hash": rebuilt.head_hash}
    differences = (
        [
            {"field": k, "replayed": replayed[k], "stored": stored[k]}
            for k in stored
            if stored[k] != replayed[k]
        ]
        + (
            [
                {
                    "field": "definition_version",
                    "replayed": rebuilt.definition_version,
                    "stored": case.definition_hash,
                }
            ]
            if rebuilt.definition_version != case.definition_hash
            else []
        )
        if later == 0
        else []
    )
    deadlines = [
        {**deadline_json(t), "created_at": t.created_at.isoformat(), "status_now": t.status}
        for t in timers_as_of(application.db, case_id, as_of)
    ]
    notifications = [
        {
            "event_seq": m["event_seq"],
            "template": m["template"],
            "recipient_role": m["recipient_role"],
            "recipient": m["recipient"],
            "queued_at": m["created_at"].isoformat(),
        }
        for m in outbox_as_of(application.db, case_id, as_of)
    ]
    return {
        "case_id": case.id,
        "ref": case.ref,
        "workflow": case.workflow,
        "as_of": as_of.isoformat() if as_of else None,
        "definition_version": rebuilt.definition_version,
        "state": rebuilt.state,
        "version": rebuilt.version,
        "head_hash": rebuilt.head_hash,
        "outcome": rebuilt.outcome,
        "facts": rebuilt.facts,
        "legal": not rebuilt.problems,
        "problems": rebuilt.problems,
        "events": [
            {k: v for k, v in _event_json(e).items() if k not in ("prev_hash", "hash")}
            for e in shown
        ],
        "later_events": later,
        "deadlines": deadlines,
        "notifications": notifications,
        "stored": stored,
        "differences": differences,
    }


def replay_command(
    case_id: CaseId,
    as_of: Annotated[
        str | None,
        typer.Option("--as-of", help="ISO moment (local time unless it has an offset)."),
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Rebuild a case from its events on the definition versions it ran on, as it stood at a
    moment: state, facts, evidence, pending deadlines, queued notifications, and any difference
    from the stored case. Exit status 1 if a step was not legal or the stored case differs."""
    from cme.access import record

    moment = _as_of(as_of, as_json)
    with refusals(as_json):
        application = get_app()
        result = replay_case(application, case_id, moment)
        record(application, application.actor(None, None), case_id, "audit replay", as_of or "")
    if as_json:
        dump(result)
    else:
        _print_replay(result)
    if result["problems"] or result["differences"]:
        raise typer.Exit(EXIT_BROKEN)


def _print_replay(r: dict[str, Any]) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console()
    when = r["as_of"] or "now"
    console.print(
        f"[bold]{r['ref']}[/] as of {when}: [bold]{r['state']}[/] (version {r['version']}, "
        f"definition {r['definition_version'][:12]}, head {r['head_hash'][:12]})"
    )
    if r["later_events"]:
        console.print(f"{r['later_events']} later event(s) are not shown")
    events = Table("seq", "at (UTC)", "step", "from -> to", "by", "evidence", title="Events")
    for e in r["events"]:
        shown = {k: v for k, v in e["evidence"].items() if k not in ("referral", "facts")}
        events.add_row(
            str(e["seq"]),
            e["at"][:16],
            e["trigger"],
            f"{e['from'] or '-'} -> {e['to']}",
            f"{e['actor']} ({e['role']})",
            ", ".join(f"{k}={v}" for k, v in shown.items()),
        )
    console.print(events)
    if r["deadlines"]:
        table = Table("deadline", "due", "counted", "calendar", title="Pending deadlines then")
        for t in r["deadlines"]:
            table.add_row(
                t["rule"],
                f"{t['due_on']} ({t['due_at']})",
                f"{t['after']} {t['unit']} from {t['counted_from']} ({t['anchor']})",
                f"{t['calendar']} {(t['calendar_hash'] or '')[:8]}",
            )
        console.print(table)
    if r["notifications"]:
        table = Table("seq", "template", "to", "queued", title="Notifications queued by then")
        for m in r["notifications"]:
            table.add_row(str(m["event_seq"]), m["template"], m["recipient"], m["queued_at"])
        console.print(table)
    for problem in r["problems"]:
        console.print(f"[red]not legal:[/] {problem}")
    for d in r["differences"]:
        console.print(
            f"[red]differs:[/] {d['field']}: replayed {d['replayed']}, stored {d['stored']}"
        )
    if not r["problems"] and not r["differences"]:
        console.print("[green]every step was legal; the stored case matches[/]")


# --- history, export, access -------------------------------------------------------------------
def history(case_id: CaseId, as_json: JsonOpt = False) -> None:
    """The case's events in order: who did what, when, with what evidence."""
    from cme.access import record
    from storage import queries

    with refusals(as_json):
        application = get_app()
        case = application.engine.get(case_id)
        events = [_event_json(e) for e in queries.events(application.db, case_id)]
        record(application, application.actor(None, None), case_id, "audit history")
    if as_json:
        dump(events)
        return
    from rich.console import Console
    from rich.table import Table

    from engine.clock import LOCAL_ZONE
    from engine.evidence import parse_utc

    table = Table(
        "seq",
        "when (local)",
        "step",
        "from -> to",
        "by",
        "evidence",
        "hash",
        title=f"History of {case.ref}",
    )
    for e in events:
        when = parse_utc(e["at"]).astimezone(LOCAL_ZONE).strftime("%Y-%m-%d %H:%M")
        shown = {k: v for k, v in e["evidence"].items() if k not in ("referral", "facts")}
        table.add_row(
            str(e["seq"]),
            when,
            e["trigger"],
            f"{e['from'] or '-'} -> {e['to']}",
            f"{e['actor']} ({e['role']})",
            ", ".join(f"{k}={v}" for k, v in shown.items()),
            e["hash"][:10],
        )
    Console().print(table)


def export(
    case_id: CaseId,
    out: Annotated[Path, typer.Option("--out", help="The JSONL file to write (owner-only).")],
    key: KeyOpt = None,
    force: Annotated[bool, typer.Option("--force", help="Replace OUT if it exists.")] = False,
    as_json: JsonOpt = False,
) -> None:
    """Write a case's events and the definition source(s) they ran on, one JSON document a
    line; signed with the audit key when one is configured."""
    from cme.access import record
    from cme.files import write_output
    from engine.audit import MIGRATED_TRIGGER, canonical_json, opening_version, sealed_text
    from storage import queries

    private = _private_key(key, as_json)
    with refusals(as_json):
        application = get_app()
        who = reader(application)
        case = application.engine.get(case_id)
        events = queries.events(application.db, case_id)
        versions = [opening_version(case.definition_hash, events)]
        versions += [
            str(e.evidence.get("to_version")) for e in events if e.trigger == MIGRATED_TRIGGER
        ]
        lines = [
            {
                "kind": "case",
                "case_id": case.id,
                "ref": case.ref,
                "workflow": case.workflow,
                "definition_version": case.definition_hash,
                "state": case.state,
                "version": case.version,
                "head_hash": case.head_hash,
                "exported_at": application.clock.now().isoformat(),
            }
        ]
        for version in dict.fromkeys(versions):
            d = application.registry.compiled(version).definition
            lines.append(
                {
                    "kind": "definition",
                    "version": version,
                    "workflow": d.workflow,
                    "source": d.source,
                }
            )
        lines += [
            {"kind": "event", "case_id": e.case_id, **_event_json(e), "body": sealed_text(e)}
            for e in events
        ]
        text = b"".join(canonical_json(line) + b"\n" for line in lines)
        if private is not None:
            signature = {
                "kind": "signature",
                "key_id": key_id(private.public_key()),
                "sha256": hashlib.sha256(text).hexdigest(),
                "signature": private.sign(text).hex(),
            }
            text += canonical_json(signature) + b"\n"
        write_output(
            out, text, force=force, database_url=application.settings.database_url, as_json=as_json
        )
        record(application, who, case_id, "audit export", out.name)
    result = {"case_id": case_id, "file": str(out), "events": len(events), "signed": bool(private)}
    if as_json:
        dump(result)
    else:
        signed = "signed" if private else "unsigned (no audit key)"
        typer.echo(f"wrote {out}: {len(events)} events of {case.ref}, {signed}")


def _verify_file(file: Path, key: Path | None, as_json: bool) -> None:
    """Verify an export with no database: definitions hash to their versions, the chain
    verifies and ends where the export says, replay is legal, the signature (if any) holds."""
    import workflows
    from cme.export_lines import read_export
    from cme.inputs import InputRefused
    from engine.audit import BrokenLink, opening_version, replay, walk_chain
    from engine.errors import DefinitionError
    from engine.evidence import parse_utc
    from engine.loader import parse_definition
    from engine.ports import EventRecord

    try:
        raw, docs = read_export(file)
    except InputRefused as exc:
        refuse(str(exc), as_json, "BadInput")
    head = next(d for d in docs if d["kind"] == "case")
    case_id = int(head["case_id"])
    problems: list[BrokenLink] = []
    definitions = {}
    for d in (d for d in docs if d.get("kind") == "definition"):
        actual = hashlib.sha256(d["source"].encode("utf-8")).hexdigest()
        if actual != d["version"]:
            problems.append(
                BrokenLink(
                    case_id,
                    0,
                    "a definition's source does not match its version",
                    d["version"],
                    actual,
                )
            )
            continue
        try:
            definitions[d["version"]] = parse_definition(
                d["source"], f"exported version {d['version'][:12]}", workflows.known()
            )
        except DefinitionError as exc:
            problems.append(BrokenLink(case_id, 0, f"definition {d['version'][:12]}: {exc}"))
    events = [
        EventRecord(
            case_id=int(d["case_id"]),
            seq=int(d["seq"]),
            trigger=d["trigger"],
            from_state=d["from"],
            to_state=d["to"],
            actor=d["actor"],
            role=d["role"],
            at=parse_utc(d["at"]),
            evidence=d["evidence"],
            prev_hash=d["prev_hash"],
            hash=d["hash"],
            body=str(d.get("body") or ""),
        )
        for d in docs
        if d.get("kind") == "event"
    ]
    end = walk_chain(case_id, events)
    if end.broken is not None:
        problems.append(end.broken)
    elif end.seq != head["version"] or end.hash != head["head_hash"]:
        problems.append(
            BrokenLink(
                case_id,
                end.seq,
                f"the chain ends at seq {end.seq} but the export says version {head['version']}",
                head["head_hash"],
                end.hash,
            )
        )
    replay_problems: list[str] = []
    start = opening_version(head["definition_version"], events)
    if start in definitions and end.broken is None:
        rebuilt = replay(definitions[start], events, None, lambda v: definitions[v])
        replay_problems = rebuilt.problems
        if rebuilt.state != head["state"]:
            replay_problems.append(f"replays to '{rebuilt.state}', export says '{head['state']}'")
    elif start not in definitions:
        replay_problems.append(f"the export lacks definition {start[:12]}")
    signature_doc = docs[-1] if docs and docs[-1].get("kind") == "signature" else None
    signature = "unsigned"
    if signature_doc is not None:
        signed = raw[: raw.rstrip(b"\n").rfind(b"\n") + 1]
        public = _public_key(key, as_json)
        if hashlib.sha256(signed).hexdigest() != signature_doc["sha256"]:
            signature = "invalid: the file was changed after signing"
        elif public is None:
            signature = f"not checked: no key (set {KEY_ENV} or {PUBLIC_KEY_ENV})"
        elif key_id(public) != signature_doc["key_id"]:
            signature = "invalid: signed by another key"
        else:
            ok = _signature_ok(public, signature_doc["signature"], signed)
            signature = "valid" if ok else "invalid"
    if signature.startswith("invalid"):
        problems.append(BrokenLink(case_id, 0, f"export signature {signature}"))
    result = {
        "ok": not problems and not replay_problems,
        "file": str(file),
        "case_id": case_id,
        "events": len(events),
        "broken": [_link_json(b) for b in problems],
        "replay_problems": replay_problems,
        "signature": signature,
    }
    if as_json:
        dump(result)
    else:
        for b in problems:
            typer.echo(f"BROKEN seq {b.seq}: {b.problem}")
        for p in replay_problems:
            typer.echo(f"NOT LEGAL: {p}")
        verdict = "verifies" if result["ok"] else "does NOT verify"
        typer.echo(
            f"{file}: {len(events)} events of case {case_id} {verdict}; signature {signature}"
        )
    if not result["ok"]:
        raise typer.Exit(EXIT_BROKEN)


def access(case_id: CaseId, as_json: JsonOpt = False) -> None:
    """Who read a case, when, and what they read."""
    from storage.audit import access_log

    with refusals(as_json):
        application = get_app()
        reader(application)
        rows = [
            {
                "at": r["at"].isoformat(),
                "actor": r["actor"],
                "role": r["role"],
                "case_id": r["case_id"],
                "action": r["action"],
                "detail": r["detail"],
            }
            for r in access_log(application.db, case_id)
        ]
    if as_json:
        dump(rows)
        return
    from rich.console import Console
    from rich.table import Table

    table = Table("when (UTC)", "who", "role", "read", "detail", title=f"Access to case {case_id}")
    for r in rows:
        table.add_row(r["at"][:19], r["actor"], r["role"], r["action"], r["detail"])
    Console().print(table)


# --- retention -------------------------------------------------------------------------------
def retention_years(as_json: bool) -> int:
    """`CME_RETENTION_YEARS` (default 6; from 1 to 100), by the settings' rule."""
    from cme.settings import SettingsInvalid, load_settings

    try:
        return load_settings().retention_years
    except SettingsInvalid as exc:
        refuse(str(exc), as_json, "SettingsInvalid")


def years_before(moment: datetime, years: int) -> datetime:
    """The same moment `years` calendar years earlier (29 Feb becomes 28 Feb)."""
    try:
        return moment.replace(year=moment.year - years)
    except ValueError:
        return moment.replace(year=moment.year - years, day=28)


def hold(
    case_id: CaseId,
    reason: Annotated[str | None, typer.Option("--reason", help="Why (required to hold).")] = None,
    release: Annotated[bool, typer.Option("--release", help="Release the hold.")] = False,
    actor: ActorOpt = None,
    role: RoleOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Put a case under legal hold (no erasure while it lasts), or release it."""
    from storage.audit import active_hold, erased, place_hold, release_hold

    if not release and not (reason or "").strip():
        refuse("hold_reason: a legal hold needs --reason", as_json, "BadInput")
    if reason is not None:
        from engine.text import TextRefused, clean

        try:
            reason = clean(reason, 500)
        except TextRefused as exc:
            refuse(f"hold_reason: {exc}", as_json, "BadInput")
    with refusals(as_json):
        application = get_app()
        application.engine.get(case_id)
        action = "audit.hold.release" if release else "audit.hold"
        who = acting(application, action, actor, role, case_id).actor
        now = application.clock.now()
        if release:
            released = release_hold(application.db, case_id, who.label, now)
            if not released:
                refuse(f"no_hold: case {case_id} is not under legal hold", as_json)
        else:
            if erased(application.db, case_id):
                refuse(f"already_erased: case {case_id} was erased; nothing to hold", as_json)
            if active_hold(application.db, case_id) is None:
                place_hold(application.db, case_id, reason or "", who.label, now)
        current = active_hold(application.db, case_id)
    result = {
        "case_id": case_id,
        "held": current is not None,
        "reason": current["reason"] if current else None,
        "since": current["placed_at"].isoformat() if current else None,
    }
    if as_json:
        dump(result)
    else:
        typer.echo(
            f"case {case_id}: under legal hold since {result['since']} ({result['reason']})"
            if current
            else f"case {case_id}: hold released"
        )


def erase(
    due: Annotated[bool, typer.Option("--due", help="Erase every case past retention.")] = False,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="List, erase nothing.")] = False,
    actor: ActorOpt = None,
    role: RoleOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Erase the personal data of closed cases past the retention period (CME_RETENTION_YEARS
    after closure, default 6) and not under legal hold; their chains still verify."""
    from storage.audit import due_for_erasure, erase_case, verify_chains

    if not due:
        refuse("erase_scope: say what to erase: --due (every case past retention)", as_json)
    years = retention_years(as_json)
    erased_cases: list[dict[str, Any]] = []
    skipped: list[dict[str, Any]] = []
    with refusals(as_json):
        application = get_app()
        who = acting(
            application, "audit.erase.dry_run" if dry_run else "audit.erase", actor, role
        ).actor
        now = application.clock.now()
        cutoff = years_before(now, years)
        for case in due_for_erasure(application.db, cutoff):
            item: dict[str, Any] = {
                "case_id": case.id,
                "ref": case.ref,
                "closed_at": case.closed_at.isoformat() if case.closed_at else None,
            }
            broken = verify_chains(application.db, case.id).broken
            if broken:
                skipped.append({**item, "reason": f"chain broken at seq {broken[0].seq}"})
                continue
            if not dry_run:
                item["events_redacted"] = erase_case(
                    application.db,
                    case.id,
                    who,
                    now,
                    {"retention_years": years, "closed_at": item["closed_at"]},
                )
            erased_cases.append(item)
    result = {
        "dry_run": dry_run,
        "retention_years": years,
        "closed_before": cutoff.isoformat(),
        "erased": erased_cases,
        "skipped": skipped,
    }
    if as_json:
        dump(result)
    else:
        verb = "would erase" if dry_run else "erased"
        typer.echo(
            f"{verb} {len(erased_cases)} case(s) closed before {cutoff:%Y-%m-%d}: "
            + (", ".join(c["ref"] for c in erased_cases) or "none")
        )
        for s in skipped:
            typer.echo(f"skipped {s['ref']}: {s['reason']}")
    if skipped:
        raise typer.Exit(EXIT_BROKEN)


# --- definition versions ----------------------------------------------------------------------
def migrate(
    name: str,
    to: Annotated[str, typer.Option("--to", help="The version (a unique hash prefix).")],
    map_: Annotated[
        list[str] | None,
        typer.Option("--map", help="OLD=NEW: the state a case in OLD goes to (repeat)."),
    ] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Plan only, write nothing.")] = False,
    actor: ActorOpt = None,
    role: RoleOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Move the running cases of a workflow onto a stored definition version, each with a
    `migrated` event and re-projected deadlines. Refused if a case's state is not in the new
    version and not mapped."""
    from engine.errors import ConcurrentUpdate
    from engine.migration import check_mapping, migrate_case, plan
    from storage.audit import definition_versions, running_cases

    mapping: dict[str, str] = {}
    for pair in map_ or []:
        old, sep, new = pair.partition("=")
        if not sep or not old.strip() or not new.strip():
            refuse(f"--map {pair!r}: expected OLD=NEW", as_json, "BadInput")
        mapping[old.strip()] = new.strip()
    with refusals(as_json):
        application = get_app()
        plan_only = "workflow.migrate.dry_run" if dry_run else "workflow.migrate"
        who = acting(application, plan_only, actor, role).actor
        found = definition_versions(application.db, name, to.lower())
        if not found:
            refuse(f"version_unknown: no stored version of {name} starts with {to!r}", as_json)
        if len(found) > 1:
            refuse(
                f"version_ambiguous: {to!r} names {len(found)} versions of {name}: "
                + ", ".join(v[:12] for v in found),
                as_json,
            )
        target = application.registry.compiled(found[0]).definition
        problems = check_mapping(target, mapping)
        if problems:
            refuse("; ".join(problems), as_json, "MappingRefused")
        steps = plan(list(running_cases(application.db, name, target.version)), target, mapping)
        blocked = [s for s in steps if s.problem]
        if blocked:
            refuse(
                "migration refused, nothing written: "
                + "; ".join(f"case {s.case_id}: {s.problem}" for s in blocked),
                as_json,
                "MigrationRefused",
                cases=[
                    {"case_id": s.case_id, "state": s.from_state, "rule": s.problem}
                    for s in blocked
                ],
            )
        done: list[dict[str, Any]] = []
        conflicts: list[dict[str, Any]] = []
        for step in steps:
            item: dict[str, Any] = {
                "case_id": step.case_id,
                "from_version": step.from_version,
                "from_state": step.from_state,
                "to_state": step.to_state,
            }
            if dry_run:
                done.append(item)
                continue
            try:
                case, started, cancelled = migrate_case(application.engine, step, target, who)
            except ConcurrentUpdate as exc:
                conflicts.append({**item, "reason": str(exc)})
                continue
            item.update(
                {
                    "version": case.version,
                    "deadlines_cancelled": cancelled,
                    "deadlines": {t.name: t.provenance.get("due_on") for t in started},
                }
            )
            done.append(item)
    result = {
        "workflow": name,
        "to_version": target.version,
        "dry_run": dry_run,
        "mapping": mapping,
        "cases": done,
        "conflicts": conflicts,
    }
    if as_json:
        dump(result)
    else:
        verb = "would move" if dry_run else "moved"
        typer.echo(f"{verb} {len(done)} case(s) of {name} to version {target.short_version}")
        for c in done:
            typer.echo(f"  case {c['case_id']}: {c['from_state']} -> {c['to_state']}")
        for c in conflicts:
            typer.echo(f"  case {c['case_id']} NOT moved: {c['reason']}", err=True)
    if conflicts:
        raise typer.Exit(2)


def register(groups: dict[str, typer.Typer]) -> None:
    """Add the auditors' commands to `cme audit` and `cme workflow migrate`."""
    audit = groups["audit"]
    audit.command("verify")(verify)
    audit.command("checkpoint")(checkpoint)
    audit.command("keygen")(keygen)
    audit.command("replay")(replay_command)
    audit.command("history")(history)
    audit.command("export")(export)
    audit.command("access")(access)
    audit.command("hold")(hold)
    audit.command("erase")(erase)
    groups["workflow"].command("migrate")(migrate)
