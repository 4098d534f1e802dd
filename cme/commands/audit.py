"""Auditors' commands: the audit key (keygen and loading), checkpoint, legal hold and erasure.
`verify` is in cme/commands/audit_verify.py; history, replay, export and access in
cme/commands/audit_read.py; `workflow migrate` in cme/commands/workflow_migrate.py (their logic
in cme/services/).

Settings used here (read by cme.settings, keys loaded by cme.audit_keys):
`CME_AUDIT_KEY_FILE` (Ed25519 private key, PEM: signs checkpoints and exports, and verifies
them), `CME_AUDIT_PUBLIC_KEY_FILE` (verification only, for a host that must not sign) and
`CME_RETENTION_YEARS` (default 6: years after closure before a case's personal data is erased).
Exit status: 0 all well; 1 verification found something broken (or replay a difference);
2 a refusal, naming its rule.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from cme import audit_keys
from cme.console import (
    ActorOpt,
    CaseId,
    JsonOpt,
    RoleOpt,
    current_settings,
    dump,
    get_app,
    refusals,
    refuse,
)
from cme.services.identity import cli_principal
from cme.services.verify import key_id

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import (
        Ed25519PrivateKey,
        Ed25519PublicKey,
    )

    from cme.settings import Settings

KEY_ENV = "CME_AUDIT_KEY_FILE"
PUBLIC_KEY_ENV = "CME_AUDIT_PUBLIC_KEY_FILE"
EXIT_BROKEN = 1

__all__ = ["key_id"]  # the scheduler's checkpoint names its key with it

KeyOpt = Annotated[
    Path | None,
    typer.Option("--key", help=f"Ed25519 private key (PEM); default: ${KEY_ENV}."),
]


# --- keys --------------------------------------------------------------------------------------
def _settings(as_json: bool) -> Settings:
    """The configuration in force; a malformed one is a refusal (exit 2), naming the variable."""
    from cme.settings import SettingsInvalid

    try:
        return current_settings()
    except SettingsInvalid as exc:
        refuse(str(exc), as_json, "SettingsInvalid")


def _private_key(path: Path | None, as_json: bool) -> Ed25519PrivateKey | None:
    try:
        return audit_keys.load_private_key(path or _settings(as_json).audit_key_file)
    except audit_keys.BadKey as exc:
        refuse(str(exc), as_json, "BadKey")


def _public_key(path: Path | None, as_json: bool) -> Ed25519PublicKey | None:
    settings = _settings(as_json)
    try:
        return audit_keys.load_public_key(
            path or settings.audit_key_file, settings.audit_public_key_file
        )
    except audit_keys.BadKey as exc:
        refuse(str(exc), as_json, "BadKey")


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


def checkpoint(key: KeyOpt = None, as_json: JsonOpt = False, role: RoleOpt = None) -> None:
    """Record the head (seq, hash) of every chain, signed with the audit key."""
    from cme.services.tick import checkpoint as sign_heads

    private = _private_key(key, as_json)
    if private is None:
        refuse(f"audit_key: no signing key: set {KEY_ENV} or pass --key", as_json, "BadKey")
    with refusals(as_json):
        application = get_app()
        principal = cli_principal(application, None, role, "audit.checkpoint")
        try:
            result = sign_heads(application, principal, key_id(private.public_key()), private.sign)
        except ValueError as exc:
            refuse(f"chain_broken: {exc}", as_json, "ChainBroken")
    if as_json:
        dump(result)
    else:
        typer.echo(
            f"checkpoint {result['id']}: {result['cases']} chains, heads "
            f"{result['heads_sha256'][:16]}, signed by {result['key_id'][:16]}"
        )


# --- retention (cme/services/retention.py) -----------------------------------------------------
def hold(
    case_id: CaseId,
    reason: Annotated[str | None, typer.Option("--reason", help="Why (required to hold).")] = None,
    release: Annotated[bool, typer.Option("--release", help="Release the hold.")] = False,
    actor: ActorOpt = None,
    role: RoleOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Put a case under legal hold (no erasure while it lasts), or release it."""
    from cme.services import retention

    with refusals(as_json):
        retention.hold_reason(reason, release)  # bad input opens no database
        application = get_app()
        principal = cli_principal(application, actor, role, retention.hold_action(release))
        state = retention.hold(application, principal, case_id, reason, release)
    result = state.as_json()
    if as_json:
        dump(result)
    else:
        typer.echo(
            f"case {case_id}: under legal hold since {result['since']} ({result['reason']})"
            if state.held
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
    from cme.services import retention

    if not due:
        refuse("erase_scope: say what to erase: --due (every case past retention)", as_json)
    _settings(as_json)  # a malformed configuration is refused before anything is opened
    with refusals(as_json):
        application = get_app()
        principal = cli_principal(application, actor, role, retention.erase_action(dry_run))
        done = retention.erase_due(application, principal, dry_run)
    if as_json:
        dump(done.as_json())
    else:
        verb = "would erase" if dry_run else "erased"
        typer.echo(
            f"{verb} {len(done.erased)} case(s) closed before {done.closed_before:%Y-%m-%d}: "
            + (", ".join(c["ref"] for c in done.erased) or "none")
        )
        for s in done.skipped:
            typer.echo(f"skipped {s['ref']}: {s['reason']}")
    if done.skipped:
        raise typer.Exit(EXIT_BROKEN)


def register(groups: dict[str, typer.Typer]) -> None:
    """Add the keys, checkpoints, legal hold and erasure to `cme audit` (verify:
    cme/commands/audit_verify.py; history, replay, export, access: cme/commands/audit_read.py;
    `cme workflow migrate`: cme/commands/workflow_migrate.py)."""
    audit = groups["audit"]
    audit.command("checkpoint")(checkpoint)
    audit.command("keygen")(keygen)
    audit.command("hold")(hold)
    audit.command("erase")(erase)
