"""The only writers of SLA clocks: the facts ticket events establish, and the derived columns
(due, warning and next-check times) recomputed from them in bulk.

Listeners (``zabota.sla.listeners``) call ``clock_created``, ``message_added`` and
``ticket_changed`` after the ticket's transaction commits; each is idempotent (conditional
UPDATEs of facts, then a recompute of that one clock), so a repeated or late event does no harm.

``recompute(ticket_ids)`` is the one computation for one clock or a million: it loads the facts
with one joined query per chunk, computes in Python (``zabota.sla.rules``) and writes with one
``executemany`` UPDATE per chunk. ``start_recompute(reason=...)`` records a ``RecomputeJob`` and
enqueues the task that recomputes every unsolved ticket's clock, chunk by chunk, updating the
job's progress (``done``/``total``) as it goes.

Deliberately not here: the settings pages' saves (``zabota.sla.config``) and the per-minute job
that fires warnings and breaches (``zabota.sla.jobs``).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, datetime
from typing import Any

from django.db import connection, transaction

from zabota.core import clock
from zabota.customers.models import Contact, Organization
from zabota.sla.models import RecomputeJob, SlaAlert, TicketClock
from zabota.sla.rules import AlertKey, Derived, Facts, PolicyBook, compute
from zabota.tickets.choices import UNSOLVED, MessageKind
from zabota.tickets.models import Message, Ticket

logger = logging.getLogger(__name__)

CHUNK = 10_000

_C = TicketClock._meta.db_table
_T = Ticket._meta.db_table
_CT = Contact._meta.db_table
_O = Organization._meta.db_table
_A = SlaAlert._meta.db_table

_FACTS_SQL = f"""
SELECT c.ticket_id, t.status, t.priority, t.kind, t.channel, t.inbox_id,
       COALESCE(t.organization_id, rc.organization_id), o.tier_id, t.created_at, t.solved_at,
       c.policy_id, c.first_response_at, c.awaiting_since, c.resolution_elapsed,
       c.resolution_running_since, c.resolved_at, c.responses_paused
FROM {_C} c
JOIN {_T} t ON t.id = c.ticket_id
JOIN {_CT} rc ON rc.id = t.requester_id
LEFT JOIN {_O} o ON o.id = COALESCE(t.organization_id, rc.organization_id)
"""  # noqa: S608  (table names from the models, values as parameters)

# For the whole-table walk: start from the tickets in id order. SQLite would otherwise take the
# status index and sort every unsolved ticket again for each chunk (two seconds a chunk at a
# million); NOT INDEXED leaves it the rowid range, in order, and the clock by its key.
_BULK_FACTS_SQL = f"""
SELECT c.ticket_id, t.status, t.priority, t.kind, t.channel, t.inbox_id,
       COALESCE(t.organization_id, rc.organization_id), o.tier_id, t.created_at, t.solved_at,
       c.policy_id, c.first_response_at, c.awaiting_since, c.resolution_elapsed,
       c.resolution_running_since, c.resolved_at, c.responses_paused
FROM {_T} t {{hint}}
JOIN {_C} c ON c.ticket_id = t.id
JOIN {_CT} rc ON rc.id = t.requester_id
LEFT JOIN {_O} o ON o.id = COALESCE(t.organization_id, rc.organization_id)
WHERE t.id > %s AND t.status IN ({{marks}})
ORDER BY t.id LIMIT %s
"""  # noqa: S608


def bulk_facts_sql() -> str:
    hint = "NOT INDEXED" if connection.vendor == "sqlite" else ""
    return _BULK_FACTS_SQL.format(hint=hint, marks=",".join(["%s"] * len(_UNSOLVED))) + _lock()


def _lock() -> str:
    """Lock the clock rows read, until the chunk is written, so an event's update of a fact in
    between waits instead of being overwritten. SQLite's IMMEDIATE transactions already hold
    the write lock from the start."""
    return " FOR UPDATE OF c" if connection.vendor == "postgresql" else ""


_UPDATE_SQL = f"""
UPDATE {_C} SET policy_id = %s, resolution_elapsed = %s, resolution_running_since = %s,
    resolved_at = %s, responses_paused = %s,
    first_response_due_at = %s, first_response_warn_at = %s,
    next_response_due_at = %s, next_response_warn_at = %s,
    resolution_due_at = %s, resolution_warn_at = %s, resolution_target = %s, business_metrics = %s,
    due_at = %s, warn_at = %s, next_check_at = %s, updated_at = %s
WHERE ticket_id = %s
"""  # noqa: S608

_UNSOLVED = tuple(str(s) for s in UNSOLVED)

# PostgreSQL: one UPDATE ... FROM unnest(arrays) per chunk; a statement per row spent its time
# in the server's per-statement work (10,000 rows: 0.45 s instead of 1.2 s).
_PG_COLUMNS = [
    ("policy_id", "bigint"),
    ("resolution_elapsed", "integer"),
    ("resolution_running_since", "timestamptz"),
    ("resolved_at", "timestamptz"),
    ("responses_paused", "boolean"),
    ("first_response_due_at", "timestamptz"),
    ("first_response_warn_at", "timestamptz"),
    ("next_response_due_at", "timestamptz"),
    ("next_response_warn_at", "timestamptz"),
    ("resolution_due_at", "timestamptz"),
    ("resolution_warn_at", "timestamptz"),
    ("resolution_target", "integer"),
    ("business_metrics", "smallint"),
    ("due_at", "timestamptz"),
    ("warn_at", "timestamptz"),
    ("next_check_at", "timestamptz"),
    ("updated_at", "timestamptz"),
    ("ticket_id", "bigint"),
]
_PG_NAMES = ", ".join(n for n, _ in _PG_COLUMNS)
_PG_UPDATE_SQL = (
    f"UPDATE {_C} AS c SET "  # noqa: S608
    + ", ".join(f"{n} = v.{n}" for n, _ in _PG_COLUMNS[:-1])
    + " FROM unnest("
    + ", ".join(f"%s::{t}[]" for _, t in _PG_COLUMNS)
    + f") AS v({_PG_NAMES}) WHERE c.ticket_id = v.ticket_id"
)


def write_clocks(params: list[tuple[Any, ...]]) -> None:
    """Write computed clock rows (tuples in ``_UPDATE_SQL``'s parameter order)."""
    if not params:
        return
    with connection.cursor() as cur:
        if connection.vendor == "postgresql":
            cur.execute(_PG_UPDATE_SQL, [list(column) for column in zip(*params, strict=True)])
        else:
            cur.executemany(_UPDATE_SQL, params)


# ------------------------------------------------------------------ time conversions


_EPOCH = datetime(1970, 1, 1)  # naive UTC


def _ts(value: Any) -> float | None:
    """Epoch seconds of a datetime column as the driver returns it (aware, naive UTC or text)."""
    if value is None:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    if value.tzinfo is None:
        return float((value - _EPOCH).total_seconds())
    return float(value.timestamp())


def _writer() -> Callable[[float | None], Any]:
    """A converter of epoch seconds to what this database's driver stores for a datetime."""
    if connection.vendor == "sqlite":
        # Django keeps naive UTC text on SQLite; formatting it here is much faster than the
        # generic adapter for a million rows.
        utc = datetime.utcfromtimestamp  # naive UTC on purpose  # noqa: DTZ004

        def to_sqlite(ts: float | None) -> str | None:
            return None if ts is None else utc(ts).isoformat(" ")

        return to_sqlite

    def to_aware(ts: float | None) -> datetime | None:
        return None if ts is None else datetime.fromtimestamp(ts, UTC)

    return to_aware


def _facts(row: Sequence[Any]) -> Facts:
    return Facts(
        ticket_id=row[0],
        status=row[1],
        priority=row[2],
        kind=row[3],
        channel=row[4],
        inbox=row[5],
        org=row[6],
        tier=row[7],
        created_at=_ts(row[8]) or 0.0,
        solved_at=_ts(row[9]),
        policy_id=row[10],
        first_response_at=_ts(row[11]),
        awaiting_since=_ts(row[12]),
        resolution_elapsed=row[13] or 0,
        resolution_running_since=_ts(row[14]),
        resolved_at=_ts(row[15]),
        responses_paused=bool(row[16]),
    )


def _params(d: Derived, ticket_id: int, w: Callable[[float | None], Any], now: Any) -> tuple[Any, ...]:
    return (
        d.policy_id,
        d.resolution_elapsed,
        w(d.resolution_running_since),
        w(d.resolved_at),
        d.responses_paused,
        w(d.first_response_due_at),
        w(d.first_response_warn_at),
        w(d.next_response_due_at),
        w(d.next_response_warn_at),
        w(d.resolution_due_at),
        w(d.resolution_warn_at),
        d.resolution_target,
        d.business_metrics,
        w(d.due_at),
        w(d.warn_at),
        w(d.next_check_at),
        now,
        ticket_id,
    )


def _alerts(where: str, params: Sequence[Any]) -> dict[int, set[AlertKey]]:
    out: dict[int, set[AlertKey]] = {}
    with connection.cursor() as cur:
        cur.execute(f"SELECT ticket_id, metric, kind, due_at FROM {_A} WHERE {where}", params)  # noqa: S608
        for ticket_id, metric, kind, due_at in cur.fetchall():
            out.setdefault(ticket_id, set()).add((metric, kind, int((_ts(due_at) or 0) + 0.5)))
    return out


def _apply(rows: list[Sequence[Any]], alerts: dict[int, set[AlertKey]], book: PolicyBook, now: float) -> int:
    """Compute and write the clocks of ``rows`` (fact rows); returns how many were written."""
    if not rows:
        return 0
    w = _writer()
    stamp = w(now)
    empty: frozenset[AlertKey] = frozenset()
    params = []
    for row in rows:
        f = _facts(row)
        params.append(_params(compute(f, book, now, alerts.get(f.ticket_id, empty)), f.ticket_id, w, stamp))
    write_clocks(params)
    return len(params)


# ------------------------------------------------------------------ recompute


def recompute(
    ticket_ids: Iterable[int], *, book: PolicyBook | None = None, now: datetime | None = None
) -> int:
    """Recompute the derived columns of these tickets' clocks (and bring the resolution clock's
    facts in step with each ticket's status), in chunks. Tickets without a clock are skipped.
    Returns how many clocks were written."""
    ids = sorted(set(ticket_ids))
    if not ids:
        return 0
    book = book or PolicyBook.load()
    now_ts = (now or clock.now()).timestamp()
    written = 0
    step = 900  # under every database's limit on query parameters
    for i in range(0, len(ids), step):
        part = ids[i : i + step]
        marks = ",".join(["%s"] * len(part))
        with transaction.atomic():
            with connection.cursor() as cur:
                cur.execute(f"{_FACTS_SQL} WHERE c.ticket_id IN ({marks}){_lock()}", part)
                rows = cur.fetchall()
            alerts = _alerts(f"ticket_id IN ({marks})", part)
            written += _apply(rows, alerts, book, now_ts)
    return written


def recompute_unsolved(
    *, after_id: int = 0, limit: int = CHUNK, book: PolicyBook, now: datetime | None = None
) -> tuple[int, int]:
    """Recompute the next ``limit`` unsolved tickets' clocks after ticket id ``after_id``
    (keyset pagination). Returns (how many, the last ticket id) — (0, after_id) at the end."""
    now_ts = (now or clock.now()).timestamp()
    with transaction.atomic():
        with connection.cursor() as cur:
            cur.execute(bulk_facts_sql(), [after_id, *_UNSOLVED, limit])
            rows = cur.fetchall()
        if not rows:
            return 0, after_id
        alerts = _alerts("ticket_id > %s AND ticket_id <= %s", [after_id, rows[-1][0]])
        return _apply(rows, alerts, book, now_ts), rows[-1][0]


def count_unsolved() -> int:
    return TicketClock.objects.filter(ticket__status__in=_UNSOLVED).count()


def recompute_all(*, job: RecomputeJob | None = None, chunk: int = CHUNK) -> int:
    """Recompute every unsolved ticket's clock now, in chunks; updates ``job``'s progress."""
    book = PolicyBook.load()
    now = clock.now()
    if job is not None:
        job.total = count_unsolved()
        job.started_at = clock.now()
        job.save(update_fields=["total", "started_at"])
    done, last = 0, 0
    while True:
        n, last = recompute_unsolved(after_id=last, limit=chunk, book=book, now=now)
        if not n:
            break
        done += n
        if job is not None:
            RecomputeJob.objects.filter(pk=job.pk).update(done=done)
    if job is not None:
        RecomputeJob.objects.filter(pk=job.pk).update(
            done=done, total=max(done, job.total), finished_at=clock.now()
        )
    return done


def start_recompute(*, reason: str) -> RecomputeJob:
    """Record a recompute job and run it in the background once the current transaction
    commits (an admin changed a policy or a calendar). The page polls the job's progress."""
    job = RecomputeJob.objects.create(reason=reason[:200], total=count_unsolved())

    def enqueue() -> None:
        from zabota.sla.tasks import run_recompute

        run_recompute(job.pk)

    transaction.on_commit(enqueue)
    return job


def run_recompute(job_id: int) -> None:
    """Run a recorded job (the task's body). A job that has finished is not run again."""
    job = RecomputeJob.objects.filter(pk=job_id, finished_at__isnull=True).first()
    if job is None:
        return
    try:
        recompute_all(job=job)
    except Exception as exc:
        logger.exception("SLA recompute job %s failed", job_id)
        RecomputeJob.objects.filter(pk=job_id).update(error=str(exc)[:2000], finished_at=clock.now())
        raise


# ------------------------------------------------------------------ clock facts from events


def ensure_clocks(ticket_ids: Iterable[int]) -> None:
    """Create missing clock rows (the resolution clock starting at the ticket's creation)."""
    ids = list(ticket_ids)
    have = set(TicketClock.objects.filter(ticket_id__in=ids).values_list("ticket_id", flat=True))
    missing = [i for i in ids if i not in have]
    if not missing:
        return
    created = Ticket.objects.filter(pk__in=missing).values_list("pk", "created_at")
    TicketClock.objects.bulk_create(
        [TicketClock(ticket_id=pk, resolution_running_since=at) for pk, at in created], ignore_conflicts=True
    )


def clock_created(ticket_id: int) -> None:
    """A ticket was created: its clock starts (first response and resolution from creation)."""
    clocks_created([ticket_id])


def clocks_created(ticket_ids: Sequence[int]) -> None:
    """Tickets were created (one, or a batch of imported mail): their clocks start."""
    ensure_clocks(ticket_ids)
    recompute(ticket_ids)


def message_added(*, ticket_id: int, message_id: int) -> None:
    """A public reply: an agent's answers the customer (first response, then the next response
    clock stops); a customer's after our first response starts the next response clock."""
    messages_added([(ticket_id, message_id)])


def messages_added(added: Sequence[tuple[int, int]]) -> None:
    """``message_added`` for many (ticket id, message id) pairs, in the order they were written.
    Only clocks whose facts changed (or that had to be created) are recomputed: a customer's
    first message on a ticket that we have not answered yet changes nothing."""
    if not added:
        return
    messages = {
        m["pk"]: m
        for m in Message.objects.filter(pk__in=[m for _, m in added], kind=MessageKind.REPLY).values(
            "pk", "created_at", "author_agent_id", "author_contact_id"
        )
    }
    ticket_ids = list(dict.fromkeys(t for t, m in added if m in messages))
    if not ticket_ids:
        return
    # Each clock's first response as it stands (None: not answered yet, or no clock yet).
    answered = dict(
        TicketClock.objects.filter(ticket_id__in=ticket_ids).values_list("ticket_id", "first_response_at")
    )
    ensure_clocks(ticket_ids)
    changed = {t for t in ticket_ids if t not in answered}
    with transaction.atomic():
        for ticket_id, message_id in added:
            msg = messages.get(message_id)
            if msg is None:
                continue
            at = msg["created_at"]
            clocks = TicketClock.objects.filter(ticket_id=ticket_id)
            if msg["author_agent_id"]:
                n = clocks.filter(first_response_at__isnull=True).update(first_response_at=at)
                n += clocks.filter(awaiting_since__lte=at).update(awaiting_since=None)
                answered[ticket_id] = answered.get(ticket_id) or at
            elif msg["author_contact_id"] and answered.get(ticket_id) is not None:
                n = clocks.filter(
                    first_response_at__isnull=False, first_response_at__lte=at, awaiting_since__isnull=True
                ).update(awaiting_since=at)
            else:
                n = 0  # a customer writing before our first response starts no clock
            if n:
                changed.add(ticket_id)
    recompute(changed)


def messages_moved(ticket_id: int) -> None:
    """Messages were moved onto this ticket (a merge): after our first response, the customer
    waits from their oldest public message after our last public reply, wherever it was
    written; the next response clock follows (none waiting: it stops)."""
    ensure_clocks([ticket_id])
    replies = Message.objects.filter(ticket_id=ticket_id, kind=MessageKind.REPLY)
    last_ours = (
        replies.filter(author_agent__isnull=False)
        .order_by("-created_at")
        .values_list("created_at", flat=True)
    ).first()
    waiting = replies.filter(author_agent__isnull=True, author_contact__isnull=False)
    if last_ours is not None:
        waiting = waiting.filter(created_at__gt=last_ours)
    since = waiting.order_by("created_at").values_list("created_at", flat=True).first()
    TicketClock.objects.filter(ticket_id=ticket_id, first_response_at__isnull=False).update(
        awaiting_since=since
    )
    recompute([ticket_id])


def ticket_changed(ticket_id: int) -> None:
    """A field changed: bring the resolution clock in step with the status, pick the policy
    again and recompute. Team and assignee changes change nothing here (hand-offs keep the
    clock), but recomputing is harmless, so this does not need to know which field changed."""
    ensure_clocks([ticket_id])
    recompute([ticket_id])


# ------------------------------------------------------------------ clocks for tickets without


def backfill_clocks() -> int:
    """Give every unsolved ticket without a clock one (facts read from its messages: our first
    public reply, the customer's oldest message after our last reply; the resolution clock from
    creation), then recompute every unsolved clock. For data that bypassed the actions: the bulk
    demo generator, imports, tickets older than the SLA app. Returns how many clocks it created.

    One INSERT ... SELECT, whatever the number of tickets. A pending ticket's resolution clock is
    counted as having run until now (we can't know when it went pending): a safe overestimate.
    """
    m = Message._meta.db_table
    agent_reply = f"m.ticket_id = t.id AND m.kind = '{MessageKind.REPLY}' AND m.author_agent_id IS NOT NULL"
    marks = ",".join(["%s"] * len(_UNSOLVED))
    sql = f"""
    INSERT INTO {_C} (ticket_id, first_response_at, awaiting_since, resolution_elapsed,
                      resolution_running_since, responses_paused, business_metrics, updated_at)
    SELECT t.id,
           (SELECT MIN(m.created_at) FROM {m} m WHERE {agent_reply}),
           (SELECT MIN(c.created_at) FROM {m} c
             WHERE c.ticket_id = t.id AND c.kind = '{MessageKind.REPLY}' AND c.author_agent_id IS NULL
               AND c.author_contact_id IS NOT NULL
               AND c.created_at > (SELECT MAX(m.created_at) FROM {m} m WHERE {agent_reply})),
           0, t.created_at, %s, 0, %s
    FROM {_T} t
    WHERE t.status IN ({marks}) AND NOT EXISTS (SELECT 1 FROM {_C} x WHERE x.ticket_id = t.id)
    """  # noqa: S608  (names from the models and enums; values as parameters)
    with transaction.atomic(), connection.cursor() as cur:
        cur.execute(sql, [False, connection.ops.adapt_datetimefield_value(clock.now()), *_UNSOLVED])
        created = max(cur.rowcount, 0)
    recompute_all()
    return created
