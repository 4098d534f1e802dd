"""The auditors' tables and queries: chain verification in pages, signed checkpoints, the
access log, legal holds and retention erasure.

Nothing here loads all events of all cases at once: chains are walked from one keyset-paged
stream of events merged with a paged stream of cases, and checkpoints are written and checked
in pages too. Signing is handed in as a function, so this module knows no key.

Verifying reads events with the driver's own cursor, not as rows mapped to records: plain
values (the stored body, the evidence as the bytes of its stored JSON text, the columns the
body must match), in keyset pages handed on in small chunks, so `engine.audit.verify_stored`
builds no record and dumps no JSON per event (bench figure 9).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Generator, Iterator, Mapping, Sequence
from datetime import datetime
from functools import partial
from itertools import chain
from operator import itemgetter
from typing import Any, cast

from sqlalchemy import (
    Column,
    Connection,
    Engine,
    ForeignKey,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    and_,
    insert,
    or_,
    select,
    tuple_,
    update,
)

from engine.audit import (
    ERASED_TRIGGER,
    KEEP_ON_ERASURE,
    BrokenLink,
    CaseHead,
    ChainReport,
    StoredEvent,
    canonical_json,
    is_redacted,
    redact,
    seal,
    verify_stored,
)
from engine.errors import ConcurrentUpdate
from engine.ports import Actor, CaseRecord, EventRecord, TimerRecord
from storage.rows import case_from_row, event_from_row, timer_from_row
from storage.tables import (
    UTCDateTime,
    case_table,
    child_table,
    definition_table,
    event_table,
    outbox_table,
    timer_table,
)

metadata = MetaData()
"""The tables of migration 0002 (kept apart from storage.tables, which another module owns)."""

checkpoint_table = Table(
    "audit_checkpoint",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("created_at", UTCDateTime, nullable=False),
    Column("cases", Integer, nullable=False),
    Column("heads_sha256", String(64), nullable=False),
    Column("key_id", String(64), nullable=False),
    Column("payload", Text, nullable=False),
    Column("signature", String(128), nullable=False),
)
checkpoint_head_table = Table(
    "audit_checkpoint_head",
    metadata,
    Column("checkpoint_id", Integer, ForeignKey("audit_checkpoint.id"), primary_key=True),
    Column("case_id", Integer, primary_key=True),
    Column("seq", Integer, nullable=False),
    Column("hash", String(64), nullable=False),
)
access_log_table = Table(
    "access_log",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("at", UTCDateTime, nullable=False),
    Column("actor", String(200), nullable=False),
    Column("role", String(32), nullable=False),
    Column("case_id", Integer, nullable=False),
    Column("action", String(64), nullable=False),
    Column("detail", Text, nullable=False),
)
legal_hold_table = Table(
    "legal_hold",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("case_id", Integer, nullable=False),
    Column("reason", Text, nullable=False),
    Column("placed_by", String(200), nullable=False),
    Column("placed_at", UTCDateTime, nullable=False),
    Column("released_by", String(200)),
    Column("released_at", UTCDateTime),
)
erasure_table = Table(
    "erasure",
    metadata,
    Column("case_id", Integer, primary_key=True),
    Column("erased_at", UTCDateTime, nullable=False),
    Column("actor", String(200), nullable=False),
    Column("events", Integer, nullable=False),
)

ERASED_TEXT = "[erased under the retention policy]"
EVENT_PAGE = 5000
CASE_PAGE = 1000
HEAD_PAGE = 5000
CHUNK = 256
"""Events handed from the driver's cursor to the checks at a time (`stream_stored_events`)."""
_BODY = itemgetter(4)
"""A stored event's body (`engine.audit.StoredEvent`)."""


# --- streams ---------------------------------------------------------------------------------
def stream_events(engine: Engine, case_id: int | None = None) -> Iterator[EventRecord]:
    """Every event (of one case, or of all), by case then seq, in keyset pages."""
    e = event_table.c
    last_case, last_seq = (case_id if case_id is not None else -1), 0
    while True:
        query = select(event_table)
        if case_id is not None:
            query = query.where(e.case_id == case_id, e.seq > last_seq)
        else:
            query = query.where(
                or_(e.case_id > last_case, and_(e.case_id == last_case, e.seq > last_seq))
            )
        query = query.order_by(e.case_id, e.seq).limit(EVENT_PAGE)
        with engine.connect() as conn:
            page = [event_from_row(r) for r in conn.execute(query)]
        yield from page
        if len(page) < EVENT_PAGE:
            return
        last_case, last_seq = page[-1].case_id, page[-1].seq


def stream_cases(engine: Engine, case_id: int | None = None) -> Iterator[CaseHead]:
    """(id, version, head_hash) of every case (or one), by id, in keyset pages read by the
    driver."""
    one = case_id is not None
    where = "id = ?" if one else "id > ?"
    sql = _placeholders(
        engine,
        f'SELECT id, version, head_hash FROM "case" WHERE {where} ORDER BY id LIMIT ?',  # noqa: S608 - fixed text
    )

    def pages() -> Iterator[list[CaseHead]]:
        last = case_id if one else 0
        while True:
            with engine.connect() as conn:
                end = yield from _in_chunks(conn, sql, (last, HEAD_PAGE), HEAD_PAGE)
            if end is None or one:
                return
            last = end[0]

    return chain.from_iterable(pages())


_HEADER = 'json_array(actor, from_state, role, to_state, "trigger")'
_SQLITE_COLUMNS = (
    "case_id, seq, prev_hash, hash, body, CAST(evidence AS BLOB), {header}, "
    "replace(at, ' ', 'T'), NULL"
)
_STORED_COLUMNS = {
    "sqlite": _SQLITE_COLUMNS.format(header=_HEADER),
    "postgresql": (
        "case_id, seq, prev_hash, hash, body, convert_to(evidence::text, 'UTF8'), "
        'json_build_array(actor, from_state, role, to_state, "trigger")::text, '
        "to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US'), NULL"
    ),
}
"""What `engine.audit.verify_stored` checks of an event, as the driver reads it: the evidence
as the UTF-8 bytes of its stored JSON text (hashed as they are), the header columns as one JSON
array (one text for the five: SQLite's json_array is cheaper than five columns), the time as
UTC text, `YYYY-MM-DDTHH:MM:SS.ffffff` (SQLite's stored form with the T the body has)."""
_SAFE_COLUMNS = {
    "sqlite": _SQLITE_COLUMNS.format(
        header="CASE WHEN typeof(actor) = 'text' AND typeof(from_state) = 'text' "
        "AND typeof(role) = 'text' AND typeof(to_state) = 'text' "
        f"AND typeof(\"trigger\") = 'text' THEN {_HEADER} END"
    ),
}
"""Read again this way after the fast read failed: SQLite's json_array refuses a BLOB, which a
column can hold only if someone wrote one past the triggers. Such a header reads as NULL, and
verify names the event's columns as changed."""


def stream_stored_events(engine: Engine, case_id: int | None = None) -> Iterator[StoredEvent]:
    """Every event (of one case, or of all) as `verify_stored` checks it, by case then seq,
    in keyset pages read by the driver. Events stored without a body (before migration 0004)
    come with their whole record."""
    dialect = engine.dialect.name
    if dialect not in _STORED_COLUMNS:
        return _with_record(stream_events(engine, case_id))
    where = "case_id = ? AND seq > ?" if case_id is not None else "(case_id, seq) > (?, ?)"

    def sql(columns: str) -> str:
        return _placeholders(
            engine,
            f"SELECT {columns} FROM event WHERE {where} "  # noqa: S608 - fixed text
            "ORDER BY case_id, seq LIMIT ?",
        )

    safe = _SAFE_COLUMNS.get(dialect)
    start = (case_id if case_id is not None else -1), 0
    reads = _StoredReads(engine, sql(_STORED_COLUMNS[dialect]), safe and sql(safe), start)
    return chain.from_iterable(reads.pages())


class _StoredReads:
    """`stream_stored_events`' keyset pages: each read by the driver's cursor from just after
    the last event handed on, with the `safe` SQL from where the `fast` one failed."""

    def __init__(self, engine: Engine, fast: str, safe: str | None, after: tuple[int, int]):
        self.engine, self.sql, self.safe, self.after = engine, fast, safe, after

    def pages(self) -> Iterator[list[StoredEvent]]:
        error = self.engine.dialect.loaded_dbapi.Error
        while True:
            with self.engine.connect() as conn:
                try:
                    read = yield from self._page(conn)
                except error:
                    if self.safe is None or self.sql == self.safe:
                        raise
                    self.sql = self.safe  # from the last event handed on
                    continue
            if read < EVENT_PAGE:
                return

    def _page(self, conn: Connection) -> Generator[list[StoredEvent], None, int]:
        amend = partial(_with_records, conn, self.after)
        read = 0
        for chunk in _in_chunks(conn, self.sql, (*self.after, EVENT_PAGE), EVENT_PAGE, amend):
            read += len(chunk)
            yield chunk
            self.after = chunk[-1][0], chunk[-1][1]
        return read


def _in_chunks(
    conn: Connection,
    sql: str,
    params: tuple[Any, ...],
    page: int,
    amend: Callable[[list[Any], Any], list[Any]] | None = None,
) -> Generator[list[Any], None, Any]:
    """The rows of one keyset page (at most `page`), handed on in small chunks as the driver's
    cursor reads them: a whole page of texts would fall out of the CPU's caches before it is
    used. `amend(chunk, last row before it or None)` may replace a chunk's rows.

    Returns:
        The page's last row, or None when the page was the last.
    """
    cursor = conn.connection.cursor()
    try:
        cursor.execute(sql, params)
        read, last = 0, None
        while rows := cursor.fetchmany(CHUNK):
            chunk = cast("list[Any]", rows)  # the drivers' fetchmany gives a list
            if amend is not None:
                chunk = amend(chunk, last)
            read += len(chunk)
            last = chunk[-1]
            yield chunk
    finally:
        cursor.close()
    return last if read == page else None


def _with_records(
    conn: Connection, page_after: tuple[int, int], chunk: list[StoredEvent], before: Any
) -> list[StoredEvent]:
    """The chunk with each event stored without a body given its whole record, read in one
    query over the chunk's range (`before`: the row read before the chunk; None: the chunk
    starts the page, after `page_after`)."""
    if None not in map(_BODY, chunk):
        return chunk
    e = event_table.c
    key = tuple_(e.case_id, e.seq)
    after = page_after if before is None else (before[0], before[1])
    last = chunk[-1]
    records = {
        (r.case_id, r.seq): event_from_row(r)
        for r in conn.execute(
            select(event_table).where(
                e.body.is_(None), key > tuple_(*after), key <= tuple_(last[0], last[1])
            )
        )
    }
    return [row if row[4] is not None else (*row[:8], records[(row[0], row[1])]) for row in chunk]


def _with_record(events: Iterator[EventRecord]) -> Iterator[StoredEvent]:
    """Records as stored events checked the slow way (a database with no fast read here)."""
    for e in events:
        yield (e.case_id, e.seq, e.prev_hash, e.hash, None, b"", None, "", e)


def _placeholders(engine: Engine, sql: str) -> str:
    """`?` placeholders in the driver's own style (psycopg: `%s`)."""
    return sql if engine.dialect.paramstyle == "qmark" else sql.replace("?", "%s")


def verify_chains(engine: Engine, case_id: int | None = None) -> ChainReport:
    """Walk every chain (or one), naming the first broken link of each case.

    Besides each link, the end of the chain must be where the case row says it is (its
    version and head hash): a deleted tail the case row does not know of is caught here.
    """
    return verify_stored(stream_cases(engine, case_id), stream_stored_events(engine, case_id))


# --- checkpoints -----------------------------------------------------------------------------
def _head_line(case_id: int, seq: int, hash_: str) -> bytes:
    return f"{case_id}:{seq}:{hash_}\n".encode("ascii")


def record_checkpoint(
    engine: Engine, now: datetime, key_id: str, sign: Callable[[bytes], bytes]
) -> dict[str, Any]:
    """Record the head (seq, hash) of every chain and sign the lot, in one transaction.

    Each head is read from the event the case row points at; a case whose row and chain
    disagree is refused (ValueError) so a checkpoint never blesses a broken chain's end.

    Returns:
        The checkpoint: id, created_at, cases, heads_sha256, key_id, payload, signature.
    """
    c, e = case_table.c, event_table.c
    digest = hashlib.sha256()
    count, last = 0, 0
    with engine.begin() as conn:
        previous = conn.execute(
            select(checkpoint_table.c.payload, checkpoint_table.c.signature)
            .order_by(checkpoint_table.c.id.desc())
            .limit(1)
        ).first()
        checkpoint_id = conn.execute(
            insert(checkpoint_table)
            .values(
                created_at=now, cases=0, heads_sha256="", key_id=key_id, payload="", signature=""
            )
            .returning(checkpoint_table.c.id)
        ).scalar_one()
        while True:
            rows = conn.execute(
                select(c.id, c.version, c.head_hash, e.hash)
                .select_from(
                    case_table.outerjoin(event_table, and_(e.case_id == c.id, e.seq == c.version))
                )
                .where(c.id > last)
                .order_by(c.id)
                .limit(CASE_PAGE)
            ).all()
            heads = []
            for case_id, version, head_hash, event_hash in rows:
                if event_hash != head_hash:
                    raise ValueError(
                        f"case {case_id}: its row says version {version} ({head_hash[:12]}) but "
                        "no such event ends its chain; run `cme audit verify`"
                    )
                digest.update(_head_line(case_id, version, head_hash))
                heads.append(
                    {
                        "checkpoint_id": checkpoint_id,
                        "case_id": case_id,
                        "seq": version,
                        "hash": head_hash,
                    }
                )
            if heads:
                conn.execute(insert(checkpoint_head_table), heads)
            count += len(rows)
            if len(rows) < CASE_PAGE:
                break
            last = rows[-1][0]
        previous_sha = (
            hashlib.sha256(
                previous.payload.encode() + bytes.fromhex(previous.signature)
            ).hexdigest()
            if previous
            else ""
        )
        payload = canonical_json(
            {
                "checkpoint": checkpoint_id,
                "created_at": now.isoformat(),
                "cases": count,
                "heads_sha256": digest.hexdigest(),
                "key_id": key_id,
                "previous_sha256": previous_sha,
            }
        ).decode()
        signature = sign(payload.encode()).hex()
        conn.execute(
            update(checkpoint_table)
            .where(checkpoint_table.c.id == checkpoint_id)
            .values(
                cases=count,
                heads_sha256=digest.hexdigest(),
                payload=payload,
                signature=signature,
            )
        )
    return {
        "id": checkpoint_id,
        "created_at": now.isoformat(),
        "cases": count,
        "heads_sha256": digest.hexdigest(),
        "key_id": key_id,
        "payload": payload,
        "signature": signature,
    }


def latest_checkpoint(engine: Engine) -> dict[str, Any] | None:
    """The newest checkpoint, or None."""
    with engine.connect() as conn:
        row = conn.execute(
            select(checkpoint_table).order_by(checkpoint_table.c.id.desc()).limit(1)
        ).first()
    return None if row is None else dict(row._mapping)


def check_checkpoint(
    engine: Engine, checkpoint: dict[str, Any], case_id: int | None = None
) -> tuple[str, list[BrokenLink]]:
    """Check the chains against a checkpoint's heads, in pages.

    Every case it lists must still exist, and its chain must still hold an event at the
    recorded seq with the recorded hash (a deleted tail or case is named here).

    Returns:
        The sha256 of the heads as stored now (all cases only; "" for one case), and the
        problems, one per case.
    """
    h, c, e = checkpoint_head_table.c, case_table.c, event_table.c
    digest = hashlib.sha256()
    problems: list[BrokenLink] = []
    last = -1
    cid = checkpoint["id"]
    while True:
        query = (
            select(h.case_id, h.seq, h.hash, c.id.label("case_row"), e.hash.label("event_hash"))
            .select_from(
                checkpoint_head_table.outerjoin(case_table, c.id == h.case_id).outerjoin(
                    event_table, and_(e.case_id == h.case_id, e.seq == h.seq)
                )
            )
            .where(h.checkpoint_id == cid, h.case_id > last)
            .order_by(h.case_id)
            .limit(CASE_PAGE)
        )
        if case_id is not None:
            query = query.where(h.case_id == case_id)
        with engine.connect() as conn:
            rows = conn.execute(query).all()
        for r in rows:
            digest.update(_head_line(r.case_id, r.seq, r.hash))
            where = f"checkpoint {cid} ({checkpoint['created_at']:%Y-%m-%d %H:%M} UTC)"
            if r.case_row is None:
                problems.append(
                    BrokenLink(r.case_id, r.seq, f"the case was deleted: {where} lists it")
                )
            elif r.event_hash is None:
                problems.append(
                    BrokenLink(
                        r.case_id,
                        r.seq,
                        f"the chain no longer reaches seq {r.seq} recorded by {where} "
                        "(its tail was deleted)",
                        r.hash,
                        "",
                    )
                )
            elif r.event_hash != r.hash:
                problems.append(
                    BrokenLink(
                        r.case_id,
                        r.seq,
                        f"event {r.seq} is not the one {where} recorded",
                        r.hash,
                        r.event_hash,
                    )
                )
        if len(rows) < CASE_PAGE:
            break
        last = rows[-1].case_id
    return ("" if case_id is not None else digest.hexdigest()), problems


# --- the access log --------------------------------------------------------------------------
def record_access(
    engine: Engine,
    at: datetime,
    actor: str,
    role: str,
    case_ids: Sequence[int],
    action: str,
    detail: str = "",
) -> None:
    """Append one row per case read to the access log, in one transaction."""
    if not case_ids:
        return
    with engine.begin() as conn:
        conn.execute(
            insert(access_log_table),
            [
                {
                    "at": at,
                    "actor": actor,
                    "role": role,
                    "case_id": case_id,
                    "action": action,
                    "detail": detail,
                }
                for case_id in case_ids
            ],
        )


def access_log(engine: Engine, case_id: int, limit: int = 1000) -> list[dict[str, Any]]:
    """Reads of a case, oldest first."""
    a = access_log_table.c
    with engine.connect() as conn:
        rows = conn.execute(
            select(access_log_table).where(a.case_id == case_id).order_by(a.at, a.id).limit(limit)
        )
        return [dict(r._mapping) for r in rows]


# --- legal holds and erasure -----------------------------------------------------------------
def active_hold(engine: Engine, case_id: int) -> dict[str, Any] | None:
    """The case's legal hold in force, or None."""
    h = legal_hold_table.c
    with engine.connect() as conn:
        row = conn.execute(
            select(legal_hold_table).where(h.case_id == case_id, h.released_at.is_(None))
        ).first()
    return None if row is None else dict(row._mapping)


def place_hold(engine: Engine, case_id: int, reason: str, actor: str, now: datetime) -> None:
    """Put a case under legal hold (no erasure while it lasts)."""
    with engine.begin() as conn:
        conn.execute(
            insert(legal_hold_table).values(
                case_id=case_id, reason=reason, placed_by=actor, placed_at=now
            )
        )


def release_hold(engine: Engine, case_id: int, actor: str, now: datetime) -> int:
    """Release the case's holds in force; return how many."""
    h = legal_hold_table.c
    with engine.begin() as conn:
        return int(
            conn.execute(
                update(legal_hold_table)
                .where(h.case_id == case_id, h.released_at.is_(None))
                .values(released_by=actor, released_at=now)
            ).rowcount
        )


def erased(engine: Engine, case_id: int) -> dict[str, Any] | None:
    """When and by whom the case was erased, or None."""
    with engine.connect() as conn:
        row = conn.execute(select(erasure_table).where(erasure_table.c.case_id == case_id)).first()
    return None if row is None else dict(row._mapping)


def due_for_erasure(engine: Engine, closed_before: datetime) -> Iterator[CaseRecord]:
    """Closed cases closed before `closed_before`, not erased, not on hold, by id, in pages."""
    c, h = case_table.c, legal_hold_table.c
    held = select(h.case_id).where(h.released_at.is_(None))
    done = select(erasure_table.c.case_id)
    return _cases_where(
        engine,
        c.closed_at.is_not(None),
        c.closed_at < closed_before,
        c.id.not_in(held),
        c.id.not_in(done),
    )


def _cases_where(engine: Engine, *conditions: Any) -> Iterator[CaseRecord]:
    """The cases meeting `conditions`, by id, in keyset pages of `CASE_PAGE`."""
    c = case_table.c
    last = 0
    while True:
        query = select(case_table).where(c.id > last, *conditions).order_by(c.id)
        with engine.connect() as conn:
            page = [case_from_row(r) for r in conn.execute(query.limit(CASE_PAGE))]
        yield from page
        if len(page) < CASE_PAGE:
            return
        last = page[-1].id


def erase_case(
    engine: Engine, case_id: int, actor: Actor, now: datetime, why: Mapping[str, Any]
) -> int:
    """Redact the personal data of one case, in one transaction; return events redacted.

    Each event's evidence becomes its redacted form (its hash still verifies), except events
    that hold no personal data and replay needs (`migrated`); the child's details, the case's
    facts and the text of its messages are erased; an `erased` event (evidence: `why` and the
    count) is appended under the case's version (optimistic lock).

    Raises:
        ConcurrentUpdate: the case changed while it was being erased.
    """
    e = event_table.c
    count = 0
    with engine.begin() as conn:
        case = case_from_row(
            conn.execute(select(case_table).where(case_table.c.id == case_id)).one()
        )
        for row in conn.execute(
            select(e.id, e.trigger, e.evidence).where(e.case_id == case_id).order_by(e.seq)
        ).all():
            if row.trigger in KEEP_ON_ERASURE or is_redacted(row.evidence):
                continue
            conn.execute(
                update(event_table).where(e.id == row.id).values(evidence=redact(row.evidence))
            )
            count += 1
        event = seal(
            case.id,
            case.version + 1,
            ERASED_TRIGGER,
            case.state,
            case.state,
            actor.name,
            actor.role,
            now,
            {**why, "events_redacted": count},
            case.head_hash,
        )
        conn.execute(
            insert(event_table).values(
                case_id=event.case_id,
                seq=event.seq,
                trigger=event.trigger,
                from_state=event.from_state,
                to_state=event.to_state,
                actor=event.actor,
                role=event.role,
                at=event.at,
                evidence=dict(event.evidence),
                prev_hash=event.prev_hash,
                hash=event.hash,
                body=event.body,
            )
        )
        changed = conn.execute(
            update(case_table)
            .where(case_table.c.id == case_id, case_table.c.version == case.version)
            .values(
                facts={"redacted": True},
                pause_reason=None,
                version=event.seq,
                head_hash=event.hash,
                updated_at=now,
            )
        ).rowcount
        if changed != 1:
            raise ConcurrentUpdate(case.ref, case.version, case.version + 1, "", "")
        if case.child_id is not None:
            conn.execute(
                update(child_table)
                .where(child_table.c.id == case.child_id)
                .values(upn=None, details={"redacted": True})
            )
        conn.execute(
            update(outbox_table)
            .where(outbox_table.c.case_id == case_id)
            .values(subject=ERASED_TEXT, body_text=ERASED_TEXT, body_html=ERASED_TEXT)
        )
        conn.execute(
            insert(erasure_table).values(
                case_id=case_id, erased_at=now, actor=actor.name, events=count
            )
        )
    return count


# --- as-of reads, definitions, running cases -------------------------------------------------
def timers_as_of(engine: Engine, case_id: int, as_of: datetime | None) -> list[TimerRecord]:
    """The case's deadlines pending at `as_of` (None: now): created by then, not yet
    finished then."""
    t = timer_table.c
    query = select(timer_table).where(t.case_id == case_id)
    if as_of is None:
        query = query.where(t.status == "pending")
    else:
        query = query.where(
            t.created_at <= as_of, or_(t.finished_at.is_(None), t.finished_at > as_of)
        )
    with engine.connect() as conn:
        return [timer_from_row(r) for r in conn.execute(query.order_by(t.due_at, t.id))]


def outbox_as_of(engine: Engine, case_id: int, as_of: datetime | None) -> list[dict[str, Any]]:
    """The case's messages queued up to `as_of` (None: all), without their bodies."""
    o = outbox_table.c
    query = select(
        o.id, o.event_seq, o.template, o.recipient_role, o.recipient, o.subject, o.created_at
    ).where(o.case_id == case_id)
    if as_of is not None:
        query = query.where(o.created_at <= as_of)
    with engine.connect() as conn:
        return [dict(r._mapping) for r in conn.execute(query.order_by(o.created_at, o.id))]


def definition_versions(engine: Engine, workflow: str, prefix: str = "") -> list[str]:
    """Stored versions of a workflow whose hash starts with `prefix`."""
    d = definition_table.c
    with engine.connect() as conn:
        return list(
            conn.execute(
                select(d.version)
                .where(d.workflow == workflow, d.version.startswith(prefix, autoescape=True))
                .order_by(d.loaded_at)
            ).scalars()
        )


def running_cases(engine: Engine, workflow: str, not_on: str) -> Iterator[CaseRecord]:
    """Open cases of a workflow pinned to any version but `not_on`, by id, in pages."""
    c = case_table.c
    return _cases_where(
        engine, c.workflow == workflow, c.definition_hash != not_on, c.closed_at.is_(None)
    )
