"""Bulk seeding: many open cases, their children, opening events and timers, fast.

Rows match the schema the application creates (`App.check_schema()` runs the migrations first)
and what `Engine.open_case` would have written: each case's facts and child come from the
workflow's own intake rule and priority rule, its opening event is sealed like the engine's own
`event_body` + `chain_hash`, with the body text it hashed stored beside it and its evidence
stored as canonical JSON text, as the application writes both (checked against
`engine.audit.seal` on rows of every chunk, so the chains verify), and its timers are projected
with `engine.timers.project` from the chart.

To stay within minutes at 1,000,000 cases, referrals come in `VARIANTS` shapes (names, schools,
risk flags) reused round-robin, and the canonical JSON of each shape's event body is rendered once
with markers where the case id and time go.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from bench.common import ACTOR_NAME, ACTOR_ROLE, START, log

VARIANTS = 1000
CHUNK = 25_000
OPEN_STEP = timedelta(seconds=30)
"""Cases are opened 30 s apart, ending an hour before START."""
DUE_STEP = timedelta(seconds=30)
"""Timers of the `poll` profile fall due 30 s apart, from a day after START."""
POLL_FIRST_DUE = START + timedelta(days=1)

FORENAMES = ["Sam", "Alex", "Jo", "Priya", "Tomasz", "Amina", "Leo", "Maya", "Yusuf", "Ella"]
SURNAMES = ["Testchild", "Example", "Sample", "Fictional", "Specimen", "Dummy", "Mock"]
SCHOOLS = [("8212001", "Example Primary"), ("8214002", "Sample Academy"), ("8213003", "Mock High")]


def sql_time(moment: datetime) -> str:
    """How SQLAlchemy stores a UTC moment in SQLite (naive text)."""
    return moment.strftime("%Y-%m-%d %H:%M:%S.%f")


def pg_time(moment: datetime) -> str:
    """A UTC moment as PostgreSQL timestamptz text."""
    return moment.strftime("%Y-%m-%d %H:%M:%S.%f+00")


@dataclass
class Variant:
    """One shape of referral: what open_case would store for it."""

    priority: str
    upn: str | None
    child_json: str
    facts_json: str
    evidence: dict[str, Any]
    evidence_json: str
    body: dict[str, Any]
    timers: dict[str, Any] = field(default_factory=dict)
    """Timer name -> TimerRecord projected at opening."""


@dataclass
class Templates:
    """Everything needed to write rows for case i."""

    workflow: str
    definition_hash: str
    initial: str
    variants: list[Variant]

    def variant(self, i: int) -> Variant:
        """The shape case i takes."""
        return self.variants[i % len(self.variants)]


def referral(v: int, high: bool) -> dict[str, Any]:
    """A fictional school referral, shape v."""
    school_id, school_name = SCHOOLS[v % len(SCHOOLS)]
    return {
        "child": {
            "forename": FORENAMES[v % len(FORENAMES)],
            "surname": f"{SURNAMES[v % len(SURNAMES)]}{v}",
            "date_of_birth": f"{2012 + v % 6}-0{1 + v % 9}-1{v % 10}",
            "upn": "H801200001001",
        },
        "school": {"id": school_id, "name": school_name},
        "first_absence_date": "2025-10-06",
        "reason": "did not return after a weekend",
        "risk_flags": ["runaway"] if high else [],
        "referrer": {
            "name": "Ms Head",
            "organisation": school_name,
            "email": "head@example.sch.uk",
        },
    }


def _json_ready(value: Any) -> Any:
    return json.loads(json.dumps(value, default=lambda d: d.isoformat()))


def build_templates(
    app: Any, high_every: int = 10, workflow: str = "school-referral"
) -> Templates:
    """Shapes of case: every `high_every`-th is high risk (1: all of them)."""
    from engine.audit import OPEN_TRIGGER, canonical_json, event_body
    from engine.ports import CaseRecord
    from engine.timers import project, timers_entering

    engine = app.engine
    definition = app.registry.current(workflow)
    intake = engine.rules.intakes[definition.intake]
    priority_rule = engine.rules.priority_rules[definition.priority_rule]
    variants = []
    for v in range(VARIANTS):
        raw = referral(v, high=v % high_every == 0)
        checked = intake(raw, START)
        facts, child = checked.facts, checked.child
        evidence = {"referral": _json_ready(raw), "facts": _json_ready(facts)}
        priority = priority_rule(facts)
        case = CaseRecord(
            id=0,
            workflow=workflow,
            definition_hash=definition.version,
            state=definition.initial,
            priority=priority,
            version=0,
            facts=facts,
            opened_at=START,
            state_entered_at=START,
            updated_at=START,
        )
        calendar = engine.calendars.for_case(case)
        timers = {}
        for spec, scope in timers_entering(definition, None, definition.initial):
            timer = project(
                spec, scope, case, START, calendar, engine.settings.deadline_overrides, START
            )
            if timer is not None:
                timers[spec.name] = timer
        body = event_body(
            0, 1, OPEN_TRIGGER, "", definition.initial, ACTOR_NAME, ACTOR_ROLE, START, evidence
        )
        variants.append(
            Variant(
                priority=priority,
                upn=child.get("upn"),
                child_json=json.dumps(_json_ready(child)),
                facts_json=json.dumps(_json_ready(facts)),
                evidence=evidence,
                evidence_json=canonical_json(evidence).decode("utf-8"),
                body=body,
                timers=timers,
            )
        )
    return Templates(workflow, definition.version, definition.initial, variants)


# -- hashing ---------------------------------------------------------------------------------
SENTINEL_ID = 987654321987654321
SENTINEL_AT = "@@at@@"


def opened_at(i: int, n: int) -> datetime:
    """When case i of n was opened."""
    return START - timedelta(hours=1) - OPEN_STEP * (n - i)


def canonical_template(body: dict[str, Any]) -> str:
    """The engine's canonical JSON of an opening event body, with markers where the case id
    and the time go (the only parts that differ between cases of one shape)."""
    from engine.audit import canonical_json

    marked = dict(body)
    marked["case_id"] = SENTINEL_ID
    marked["at"] = SENTINEL_AT
    return canonical_json(marked).decode("utf-8")


def fast_hash(template: str, prev: bytes, case_id: int, at: str) -> str:
    """sha256(prev_hash || canonical JSON), as engine.audit.chain_hash computes it."""
    text = template.replace(str(SENTINEL_ID), str(case_id), 1).replace(SENTINEL_AT, at, 1)
    return hashlib.sha256(prev + text.encode("utf-8")).hexdigest()


def check_hashes(
    t: Templates, n: int, sample: Sequence[int], got: dict[int, tuple[str, str, str]]
) -> None:
    """Refuse to seed if our fast hashing drifted from `engine.audit.seal`: `got` holds each
    sampled case's (head hash, opening event's hash, its stored body)."""
    from engine.audit import OPEN_TRIGGER, seal
    from engine.ports import GENESIS_HASH

    for i in sample:
        v = t.variant(i)
        sealed = seal(
            case_id=i,
            seq=1,
            trigger=OPEN_TRIGGER,
            from_state="",
            to_state=t.initial,
            actor=ACTOR_NAME,
            role=ACTOR_ROLE,
            at=opened_at(i, n),
            evidence=v.evidence,
            prev_hash=GENESIS_HASH,
        )
        if (sealed.hash, sealed.hash, sealed.body) != got[i]:
            raise RuntimeError(
                f"seeded hash or body of case {i} differs from engine.audit.seal: event_body "
                "changed shape; update bench/seed.py"
            )


# -- rows, generated by the database ----------------------------------------------------------
# Each chunk of cases is four INSERT ... SELECT statements over a generated series of ids joined
# to the shapes (a temporary table), so the rows never pass through Python one by one; only the
# sha256 of each opening event is computed per row (SQLite: a Python function; PostgreSQL: its
# built-in sha256()).


def poll_due(i: int) -> datetime:
    """When case i's timer falls due in the `poll` profile."""
    return POLL_FIRST_DUE + DUE_STEP * i


LATER = START + timedelta(days=30)


def timer_shapes(t: Templates, profile: str) -> list[tuple[Any, ...]]:
    """(v, name, scope, trigger, notify, provenance, due or None = spread, status) rows.

    open: the timers opening started (the four-week one already fired);
    poll: one pending timer per case, due 30 s apart from a day after START (nothing due at
    START): high-risk cases wait on the automatic MASH escalation, others on the stalled
    reminder; catchup: case i's automatic escalation falls due at START + 1 s * i (a clock
    set to START + 1 s * k finds k due: the scheduler was down), the stalled reminder is
    pending a month later, the four-week one fired.
    """
    rows = []
    for v, variant in enumerate(t.variants):
        for name, timer in variant.timers.items():
            due: datetime | None = timer.due_at
            status = "fired" if timer.due_at <= START else "pending"
            if profile == "poll":
                wanted = "high_risk_unlocated" if variant.priority == "high" else "case_stalled"
                if name != wanted:
                    continue
                due, status = None, "pending"
            elif profile == "catchup" and name == "high_risk_unlocated":
                due, status = None, "pending"  # case i's falls due at START + 30 s * i
            elif profile == "catchup" and status == "pending":
                due = LATER
            rows.append(
                (
                    v,
                    name,
                    timer.scope,
                    timer.trigger,
                    json.dumps(list(timer.notify)),
                    json.dumps(dict(timer.provenance)),
                    due,
                    status,
                )
            )
    return rows


def shape_rows(t: Templates) -> list[tuple[Any, ...]]:
    """(v, priority, upn, child, facts, evidence, canonical template) rows."""
    return [
        (
            v,
            s.priority,
            s.upn,
            s.child_json,
            s.facts_json,
            s.evidence_json,
            canonical_template(s.body),
        )
        for v, s in enumerate(t.variants)
    ]


CATCHUP_STEP = timedelta(seconds=1)
"""Catch-up escalations fall due 1 s apart: 10,000 within 3 hours, before any escalation's
one-working-day acknowledgement timer falls due."""


def spread_step(profile: str) -> int:
    """Seconds between the due times of successive cases' spread timers."""
    step = CATCHUP_STEP if profile == "catchup" else DUE_STEP
    return int(step.total_seconds())


def _epoch(moment: datetime) -> int:
    return int(moment.timestamp())


def seed_sqlite(path: str, t: Templates, n: int, profile: str) -> int:
    """Write cases 1..n into the SQLite database at `path` (schema already created, no other
    connection open); return the number of timer rows written."""
    from engine.ports import GENESIS_HASH

    conn = sqlite3.connect(path, isolation_level=None)
    conn.create_function(
        "sha256hex",
        1,
        lambda text: hashlib.sha256(text.encode("utf-8")).hexdigest(),
        deterministic=True,
    )
    conn.execute("PRAGMA synchronous=OFF")  # loading only; the application runs FULL
    conn.execute("PRAGMA cache_size=-262144")
    conn.execute("PRAGMA journal_mode=OFF")
    conn.execute(
        "CREATE TEMP TABLE shape (v INTEGER PRIMARY KEY, priority, upn, child, facts, "
        "evidence, tpl)"
    )
    conn.executemany("INSERT INTO shape VALUES (?, ?, ?, ?, ?, ?, ?)", shape_rows(t))
    conn.execute(
        "CREATE TEMP TABLE tshape (v, name, scope, trig, notify, provenance, due, status)"
    )
    conn.executemany(
        "INSERT INTO tshape VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        [
            (*r[:6], None if r[6] is None else sql_time(r[6]), r[7])
            for r in timer_shapes(t, profile)
        ],
    )
    conn.execute("CREATE INDEX temp.ix_tshape ON tshape (v)")
    nv = len(t.variants)
    e0 = _epoch(opened_at(0, n))
    p0 = _epoch(poll_due(0) if profile == "poll" else START)
    step = spread_step(profile)
    series = "WITH RECURSIVE seq(i) AS (SELECT ? UNION ALL SELECT i + 1 FROM seq WHERE i < ?) "
    timers = 0
    for a in range(1, n + 1, CHUNK):
        b = min(a + CHUNK, n + 1) - 1
        conn.execute("BEGIN")
        conn.execute(
            series + f"INSERT INTO child (id, upn, details) SELECT i, s.upn, s.child "
            f"FROM seq JOIN shape s ON s.v = i % {nv}",
            (a, b),
        )
        conn.execute(
            series + f'INSERT INTO "case" ({CASE_COLS}) '
            "SELECT i, ?, ?, ?, s.priority, 1, s.facts, i, t, t, t, NULL, NULL, "
            "sha256hex(? || replace(replace(s.tpl, ?, i), ?, iso)), NULL, NULL FROM ("
            "SELECT i, datetime(? + 30 * i, 'unixepoch') || '.000000' AS t, "
            "strftime('%Y-%m-%dT%H:%M:%S', ? + 30 * i, 'unixepoch') || '.000000Z' AS iso "
            f"FROM seq) JOIN shape s ON s.v = i % {nv}",
            (
                a,
                b,
                t.workflow,
                t.definition_hash,
                t.initial,
                GENESIS_HASH,
                str(SENTINEL_ID),
                SENTINEL_AT,
                e0,
                e0,
            ),
        )
        conn.execute(
            f"INSERT INTO event ({EVENT_COLS}) "
            "SELECT c.id, c.id, 1, 'open_case', '', c.state, ?, ?, c.opened_at, s.evidence, "
            "?, c.head_hash, replace(replace(s.tpl, ?, c.id), ?, "
            "replace(c.opened_at, ' ', 'T') || 'Z') "
            f'FROM "case" c JOIN shape s ON s.v = c.id % {nv} WHERE c.id BETWEEN ? AND ?',
            (ACTOR_NAME, ACTOR_ROLE, GENESIS_HASH, str(SENTINEL_ID), SENTINEL_AT, a, b),
        )
        cur = conn.execute(
            f"INSERT INTO timer ({TIMER_COLS}) "
            "SELECT c.id, ts.name, ts.scope, ts.trig, ts.notify, "
            "coalesce(ts.due, datetime(? + ? * c.id, 'unixepoch') || '.000000'), ts.status, "
            "c.opened_at, CASE WHEN ts.status = 'pending' THEN NULL ELSE c.opened_at END, "
            "CASE WHEN ts.status = 'fired' THEN 'due' END, ts.provenance "
            f'FROM "case" c JOIN tshape ts ON ts.v = c.id % {nv} '
            "WHERE c.id BETWEEN ? AND ? ORDER BY c.id",
            (p0, step, a, b),
        )
        timers += cur.rowcount
        conn.execute("COMMIT")
        sample = range(a, min(b, a + 2) + 1)
        got = {
            i: (head, hash_, body)
            for i, head, hash_, body in conn.execute(
                SAMPLE_SQL.replace("%s", "?"), (sample[0], sample[-1])
            ).fetchall()
        }
        check_hashes(t, n, sample, got)
        if n >= 200_000 and (b // CHUNK) % 8 == 0:
            log(f"  seeded {b:,} / {n:,} cases")
    conn.execute("PRAGMA journal_mode=WAL")
    conn.close()
    return timers


def seed_postgres(
    url: str, t: Templates, n: int, profile: str, part: int = 0, parts: int = 1
) -> int:
    """Write cases 1..n (the chunks of one `part` of `parts`) into the PostgreSQL database at
    `url`; return timer rows written. Call `finish_postgres` when every part is done."""
    import psycopg

    from engine.ports import GENESIS_HASH

    nv = len(t.variants)
    e0 = _epoch(opened_at(0, n))
    p0 = _epoch(poll_due(0) if profile == "poll" else START)
    step = spread_step(profile)
    timers = 0
    with psycopg.connect(url) as conn:
        conn.execute(
            "CREATE TEMP TABLE shape (v int PRIMARY KEY, priority text, upn text, child text, "
            "facts text, evidence text, tpl text)"
        )
        conn.execute(
            "CREATE TEMP TABLE tshape (v int, name text, scope text, trig text, notify text, "
            "provenance text, due timestamptz, status text)"
        )
        with conn.cursor() as cur:
            with cur.copy("COPY shape FROM STDIN") as copy:
                for row in shape_rows(t):
                    copy.write_row(row)
            with cur.copy("COPY tshape FROM STDIN") as copy:
                for row in timer_shapes(t, profile):
                    copy.write_row(row)
        for a in list(range(1, n + 1, CHUNK))[part::parts]:
            b = min(a + CHUNK, n + 1) - 1
            conn.execute(
                "INSERT INTO child (id, upn, details) SELECT i, s.upn, s.child::jsonb "
                f"FROM generate_series(%s::int, %s::int) i JOIN shape s ON s.v = mod(i, {nv})",
                (a, b),
            )
            conn.execute(
                f'INSERT INTO "case" ({CASE_COLS}) '
                "SELECT i, %s, %s, %s, s.priority, 1, s.facts::jsonb, i, "
                "to_timestamp(%s + 30 * i), to_timestamp(%s + 30 * i), "
                "to_timestamp(%s + 30 * i), NULL, NULL, "
                "encode(sha256(convert_to(%s || replace(replace(s.tpl, %s, i::text), %s, "
                "to_char(to_timestamp(%s + 30 * i) AT TIME ZONE 'UTC', "
                "'YYYY-MM-DD\"T\"HH24:MI:SS') || '.000000Z'), 'UTF8')), 'hex'), NULL, NULL "
                f"FROM generate_series(%s::int, %s::int) i JOIN shape s ON s.v = mod(i, {nv})",
                (
                    t.workflow,
                    t.definition_hash,
                    t.initial,
                    e0,
                    e0,
                    e0,
                    GENESIS_HASH,
                    str(SENTINEL_ID),
                    SENTINEL_AT,
                    e0,
                    a,
                    b,
                ),
            )
            conn.execute(
                f"INSERT INTO event ({EVENT_COLS}) "
                "SELECT c.id, c.id, 1, 'open_case', '', c.state, %s, %s, c.opened_at, "
                "s.evidence::jsonb, %s, c.head_hash, replace(replace(s.tpl, %s, c.id::text), "
                "%s, to_char(c.opened_at AT TIME ZONE 'UTC', "
                '\'YYYY-MM-DD"T"HH24:MI:SS.US"Z"\')) '
                f'FROM "case" c JOIN shape s ON s.v = mod(c.id, {nv}) '
                "WHERE c.id BETWEEN %s AND %s",
                (ACTOR_NAME, ACTOR_ROLE, GENESIS_HASH, str(SENTINEL_ID), SENTINEL_AT, a, b),
            )
            cur = conn.execute(
                f"INSERT INTO timer ({TIMER_COLS}) "
                "SELECT c.id, ts.name, ts.scope, ts.trig, ts.notify::jsonb, "
                "coalesce(ts.due, to_timestamp(%s + %s * c.id)), ts.status, c.opened_at, "
                "CASE WHEN ts.status = 'pending' THEN NULL ELSE c.opened_at END, "
                "CASE WHEN ts.status = 'fired' THEN 'due' END, ts.provenance::jsonb "
                f'FROM "case" c JOIN tshape ts ON ts.v = mod(c.id, {nv}) '
                "WHERE c.id BETWEEN %s AND %s ORDER BY c.id",
                (p0, step, a, b),
            )
            timers += cur.rowcount
            conn.commit()
            sample = range(a, min(b, a + 2) + 1)
            got = {
                i: (head, hash_, body)
                for i, head, hash_, body in conn.execute(
                    SAMPLE_SQL, (sample[0], sample[-1])
                ).fetchall()
            }
            check_hashes(t, n, sample, got)
    return timers


def finish_postgres(url: str) -> None:
    """Move the id sequences past the seeded ids; analyse, as autovacuum soon would."""
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        for table in ("child", '"case"', "event"):
            conn.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                f"(SELECT max(id) FROM {table}))"
            )
        conn.execute("ANALYZE")


CASE_COLS = (
    "id, workflow, definition_hash, state, priority, version, facts, child_id, opened_at, "
    "state_entered_at, updated_at, closed_at, outcome, head_hash, paused_since, pause_reason"
)
EVENT_COLS = (
    'id, case_id, seq, "trigger", from_state, to_state, actor, role, at, evidence, prev_hash, '
    "hash, body"
)
SAMPLE_SQL = (
    'SELECT c.id, c.head_hash, e.hash, e.body FROM "case" c JOIN event e '
    "ON e.case_id = c.id AND e.seq = 1 WHERE c.id BETWEEN %s AND %s"
)
"""Each sampled case's head hash, and its opening event's hash and body (`check_hashes`)."""
TIMER_COLS = (
    'case_id, name, scope, "trigger", notify, due_at, status, created_at, finished_at, '
    "reason, provenance"
)
