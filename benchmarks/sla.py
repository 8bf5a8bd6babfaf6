"""Scenario "sla_recompute": an admin changed a policy; recompute every open ticket's clock.

``zabota bench --scenario sla_recompute [--sla-tickets N]`` (default a million) prepares its own
database (SQLite ``var/bench/zabota-sla-N.sqlite3``, or PostgreSQL ``zabota_bench_sla_N``) with N
unsolved tickets and their clock rows, written by bulk SQL (bypassing the actions on purpose),
the demo calendars and policies; then, in a fresh process, it times
``zabota.sla.actions.recompute_all`` (what the background job runs) and, for comparison, the
database floor: reading the same facts and writing the same rows with no computation.

Run as ``python -m benchmarks.sla --tickets N`` with DATABASE_URL set; prints one JSON line:
``{"scenario": "sla_recompute", "tickets": N, "seconds": .., "raw_seconds": .., "ratio": ..}``.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from typing import Any

CHUNK = 20_000


def _seed(n: int, log: Any) -> None:
    from django.db import connection, transaction

    from zabota.sla.demo import seed_policies
    from zabota.sla.models import TicketClock
    from zabota.tickets.models import Ticket

    seed_policies()
    have = Ticket.objects.count()
    if have < n:
        _write_tickets(have, n, log)
    c = TicketClock._meta.db_table
    t = Ticket._meta.db_table
    with transaction.atomic(), connection.cursor() as cur:
        cur.execute(
            f"""INSERT INTO {c} (ticket_id, first_response_at, awaiting_since, resolution_elapsed,
                    resolution_running_since, responses_paused, business_metrics, updated_at)
                SELECT id, CASE WHEN id %% 2 = 0 THEN created_at END,
                       CASE WHEN id %% 4 = 0 THEN created_at END,
                       0, created_at, %s, 0, created_at
                FROM {t} WHERE NOT EXISTS (SELECT 1 FROM {c} x WHERE x.ticket_id = {t}.id)""",  # noqa: S608
            [False],
        )
    log("seeded")


def _write_tickets(have: int, n: int, log: Any) -> None:
    from django.db import connection, transaction

    from zabota.customers.models import Contact, Organization, Tier
    from zabota.tickets.models import Ticket

    orgs: list[int] = []
    for name in ("Platinum", "Gold", "Standard"):
        tier, _ = Tier.objects.get_or_create(name=name, defaults={"rank": len(orgs) + 1})
        org, _ = Organization.objects.get_or_create(name=f"SLA bench {name}", defaults={"tier": tier})
        orgs.append(org.pk)
    contacts = []
    for i, org_id in enumerate(orgs):
        contact, _ = Contact.objects.get_or_create(name=f"SLA bench contact {i}", organization_id=org_id)
        contacts.append((contact.pk, org_id))
    pg = connection.vendor == "postgresql"
    start = datetime.now(UTC) - timedelta(days=30)
    statuses = ["open", "open", "open", "open", "open", "new", "pending", "on_hold", "open", "new"]
    channels = ["email", "chat", "portal", "email", "api"]
    kinds = ["question", "problem", "billing", "feature_request"]
    t = Ticket._meta.db_table
    cols = "number, subject, status, priority, kind, channel, requester_id, organization_id, custom_fields, created_at, updated_at"
    sql = f"INSERT INTO {t} ({cols}) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)"  # noqa: S608
    base = 10_000_000_000
    log(f"writing {n - have} tickets ...")
    for lo in range(have, n, CHUNK):
        rows = []
        for i in range(lo, min(n, lo + CHUNK)):
            contact_id, org_id = contacts[i % 3]
            at = start + timedelta(seconds=i * 2.5 % (30 * 86400))
            ts: Any = at if pg else at.replace(tzinfo=None).isoformat(" ")
            rows.append(
                (
                    base + i,
                    f"SLA bench ticket {i}",
                    statuses[i % 10],
                    1 + i % 4,
                    kinds[i % 4],
                    channels[i % 5],
                    contact_id,
                    org_id,
                    "{}",
                    ts,
                    ts,
                )
            )
        with transaction.atomic(), connection.cursor() as cur:
            cur.executemany(sql, rows)


def _raw_floor() -> float:
    """Read the facts and write the same rows without computing anything (the database's part)."""
    from django.db import connection, transaction

    from zabota.sla import actions

    started = time.perf_counter()
    last = 0
    w = actions._writer()
    stamp = w(time.time())
    while True:
        with transaction.atomic():
            with connection.cursor() as cur:
                cur.execute(actions.bulk_facts_sql(), [last, *actions._UNSOLVED, actions.CHUNK])
                rows = cur.fetchall()
            if not rows:
                break
            last = rows[-1][0]
            params = [
                (row[10], row[13], stamp, None, False, stamp, stamp, None, None, stamp, stamp)
                + (28800, 5, stamp, stamp, stamp, stamp, row[0])
                for row in rows
            ]
            actions.write_clocks(params)
    return time.perf_counter() - started


def measure(n: int) -> dict[str, Any]:
    import django

    django.setup()
    from zabota.sla.actions import count_unsolved, recompute_all

    _seed(n, lambda m: print(m, file=sys.stderr))
    total = count_unsolved()
    raw = _raw_floor()
    started = time.perf_counter()
    done = recompute_all()
    seconds = time.perf_counter() - started
    return {
        "scenario": "sla_recompute",
        "tickets": total,
        "recomputed": done,
        "seconds": round(seconds, 2),
        "raw_seconds": round(raw, 2),
        "ratio": round(seconds / raw, 2) if raw else None,
    }


def run_sla(engine: str, n: int, *, postgres_url: str | None, log: Any) -> dict[str, Any]:
    """Prepare the scenario's database and measure in a child process (from ``zabota bench``)."""
    from benchmarks.runner import _env, _zabota, database_url

    url = database_url(engine, n, postgres_url).replace(f"zabota-{n}", f"zabota-sla-{n}")
    url = url.replace(f"zabota_bench_{n}", f"zabota_bench_sla_{n}")
    if url.startswith("postgres"):
        import psycopg

        head, _, name = url.rpartition("/")
        with psycopg.connect(f"{head}/postgres", autocommit=True) as conn:
            if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
                conn.execute(f'CREATE DATABASE "{name}"')
    subprocess.run(_zabota("migrate", "--noinput", "-v0"), env=_env(url), check=True)
    log(f"sla_recompute: {n:,} open tickets on {engine} ...")
    out = subprocess.run(
        [sys.executable, "-m", "benchmarks.sla", "--tickets", str(n)],
        env=_env(url),
        check=True,
        stdout=subprocess.PIPE,
        text=True,
    ).stdout
    report = dict(json.loads(out.strip().splitlines()[-1]))
    report["database"] = engine
    return report


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--tickets", type=int, default=1_000_000)
    args = parser.parse_args()
    print(json.dumps(measure(args.tickets)))


if __name__ == "__main__":
    main()
