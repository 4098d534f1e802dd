"""`cme outbox list|retry` and `cme notifications preview`: the outbox, for operators.

`outbox list` shows what was queued, sent, deferred or given up on (never the bodies: they
carry personal data); `outbox retry ID` queues a failed or deferred message again now; it is
sent on the next `cme tick`. A message that failed because its role had no address takes the
address configured since (refused while there is still none). `notifications preview TEMPLATE
CASE_ID` renders one template for a case, as the engine would at the case's last event, without
queuing anything.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Any

import typer

from cme.access import reader, record
from cme.console import MAX_ID, CaseId, JsonOpt, RoleOpt, dump, get_app, refusals, refuse
from cme.services.identity import cli_principal

if TYPE_CHECKING:
    from cme.bootstrap import App
    from engine.ports import OutboxMessage

STATUSES = ("pending", "sending", "sent", "deferred", "failed")

outbox_app = typer.Typer(no_args_is_help=True, help="Read and retry queued notifications.")
notifications_app = typer.Typer(no_args_is_help=True, help="Review notification templates.")


def register(groups: dict[str, typer.Typer]) -> None:
    """Add `outbox` and `notifications` to the `cme` command."""
    groups["app"].add_typer(outbox_app, name="outbox")
    groups["app"].add_typer(notifications_app, name="notifications")


def _when(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def message_json(m: OutboxMessage) -> dict[str, Any]:
    """One outbox row as `outbox list --json` prints it (no bodies)."""
    from engine.ports import case_ref

    return {
        "id": m.id,
        "case_id": m.case_id,
        "case_ref": case_ref(m.case_id),
        "event_seq": m.event_seq,
        "template": m.template,
        "recipient_role": m.recipient_role,
        "recipient": m.recipient,
        "subject": m.subject,
        "status": m.status,
        "attempts": m.attempts,
        "next_attempt_at": _when(m.next_attempt_at),
        "last_error": m.last_error,
        "created_at": _when(m.created_at),
        "sent_at": _when(m.sent_at),
    }


@outbox_app.command("list")
def outbox_list(
    status: Annotated[
        str | None, typer.Option(help=f"Only messages in this status ({', '.join(STATUSES)}).")
    ] = None,
    case: Annotated[int | None, typer.Option("--case", help="Only this case's messages.")] = None,
    limit: Annotated[int, typer.Option(min=1, max=10000)] = 100,
    as_json: JsonOpt = False,
) -> None:
    """Queued notifications, newest first: status, attempts, next attempt, last error."""
    from storage.outbox import SqlOutboxStore

    if status is not None and status not in STATUSES:
        refuse(f"unknown status '{status}' (known: {', '.join(STATUSES)})", as_json)
    with refusals(as_json):
        application = get_app()
        reader(application)
        rows = [
            message_json(m)
            for m in SqlOutboxStore(application.db).list(status=status, case_id=case, limit=limit)
        ]
    if as_json:
        dump(rows)
        return
    from rich.console import Console
    from rich.table import Table

    table = Table(
        "id",
        "case",
        "template",
        "to",
        "status",
        "tries",
        "next attempt / sent",
        "last error",
        title=f"Outbox ({len(rows)})",
    )
    for r in rows:
        table.add_row(
            str(r["id"]),
            r["case_ref"],
            r["template"],
            f"{r['recipient_role']} <{r['recipient']}>",
            r["status"],
            str(r["attempts"]),
            (r["sent_at"] or r["next_attempt_at"] or "-")[:19],
            r["last_error"] or "-",
        )
    Console().print(table)


@outbox_app.command("retry")
def outbox_retry(
    message_id: Annotated[int, typer.Argument(min=1, max=MAX_ID)],
    as_json: JsonOpt = False,
    role: RoleOpt = None,
) -> None:
    """Queue a failed or deferred message again now (sent on the next `cme tick`)."""
    from cme.services.outbox import retry

    with refusals(as_json):
        application = get_app()
        principal = cli_principal(application, None, role, "outbox.retry")
        message = retry(application, principal, message_id)
    if as_json:
        dump(message_json(message))
    else:
        typer.echo(
            f"outbox {message_id} ({message.template} to {message.recipient_role}) queued "
            f"again; it is sent on the next `cme tick`."
        )


@notifications_app.command("preview")
def notifications_preview(template: str, case_id: CaseId, as_json: JsonOpt = False) -> None:
    """Render TEMPLATE for a case, as it would be sent after the case's last event."""
    from notifications.errors import NotificationError

    with refusals(as_json):
        application = get_app()
        who = reader(application)
        try:
            preview = render_preview(application, template, case_id)
        except NotificationError as exc:
            refuse(str(exc), as_json, type(exc).__name__)
        record(application, who, case_id, "notifications preview", template)
    if as_json:
        dump(preview)
        return
    typer.echo(f"Subject: {preview['subject']}")
    for r in preview["recipients"]:
        typer.echo(f"To: {r['recipient']} ({r['role']})")
    if preview["missing_roles"]:
        typer.echo(f"No address configured for: {', '.join(preview['missing_roles'])}")
    typer.echo("")
    typer.echo(preview["text"])


def render_preview(application: App, template: str, case_id: int) -> dict[str, Any]:
    """The subject, text and HTML of `template` for a case, and who it would go to.

    The context is the engine's own (`bootstrap.ContextBuilder`) at the case's last event;
    the deadline is the latest of the case's deadlines that sends this template, if any.
    """
    from cme.bootstrap import ContextBuilder
    from engine import MessageTrail
    from storage import queries
    from storage.unit_of_work import SqlUnitOfWork

    case = application.engine.get(case_id)
    definition = application.registry.compiled(case.definition_hash).definition
    events = queries.events(application.db, case_id)
    timers = [t for t in queries.all_timers(application.db, case_id) if template in t.notify]
    deadline = {**timers[-1].provenance, "name": timers[-1].name} if timers else None
    child: dict[str, Any] = {}
    if case.child_id is not None:
        with SqlUnitOfWork(application.db) as uow:
            child = uow.child(case.child_id)
    pending = [t for t in queries.all_timers(application.db, case_id) if t.status == "pending"]
    trail = MessageTrail(lambda: events, pending)
    context = ContextBuilder(application.settings)(
        case, definition, events[-1], child, deadline, trail
    )
    renderer = application.renderer
    subject, text, html = renderer.render_one(template, context)
    recipients = renderer.recipients.resolve(template, context)
    return {
        "template": template,
        "case_id": case.id,
        "case_ref": case.ref,
        "event_seq": events[-1].seq,
        "subject": subject,
        "text": text,
        "html": html,
        "recipients": [{"role": role, "recipient": address} for role, address in recipients],
        "missing_roles": renderer.recipients.missing(template, context),
    }
