"""Measures the scenarios against a running server and its database; prints one JSON object.

Run by `zabota bench` as a child process with DATABASE_URL pointing at the benchmark database
(``python -m benchmarks.measure --base-url URL``). For every scenario it reports:

- ``p50_ms`` / ``p95_ms``: the whole HTTP request over loopback (keep-alive), as a client sees it;
- ``query_p95_ms``: database time of the SQL Zabota itself runs for the same operation;
- ``raw_p95_ms``: the best hand-written SQL producing the same answer (``benchmarks.raw``);
- ``ratio``: query_p95_ms / raw_p95_ms, the cost of the ORM and our query shapes.
"""

from __future__ import annotations

import argparse
import functools
import http.client
import json
import os
import random
import statistics
import sys
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode, urlsplit


def pct(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


class Client:
    """Keep-alive HTTP: the API with a bearer token, or the workspace pages with a session cookie."""

    def __init__(self, base_url: str, token: str = "", session: str = ""):
        u = urlsplit(base_url)
        self.conn = http.client.HTTPConnection(u.hostname or "127.0.0.1", u.port, timeout=60)
        if session:
            self.headers = {"Cookie": f"sessionid={session}"}
        else:
            self.headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}

    def call(self, method: str, path: str, body: Any = None) -> tuple[int, float, bytes]:
        data = None if body is None else json.dumps(body)
        started = time.perf_counter()
        try:
            self.conn.request(method, path, body=data, headers=self.headers)
            resp = self.conn.getresponse()
        except (BrokenPipeError, ConnectionResetError, http.client.RemoteDisconnected):
            # The server closed a keep-alive connection left idle by another scenario: reconnect.
            self.conn.close()
            started = time.perf_counter()
            self.conn.request(method, path, body=data, headers=self.headers)
            resp = self.conn.getresponse()
        payload = resp.read()
        return resp.status, (time.perf_counter() - started) * 1000, payload


def timed_db(fn: Callable[[], Any]) -> float:
    """Milliseconds the database spent in the queries ``fn`` ran (measured around execute)."""
    from django.db import connection

    spent = [0.0]

    def wrapper(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        t = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            spent[0] += time.perf_counter() - t

    with connection.execute_wrapper(wrapper):
        fn()
    return spent[0] * 1000


def timed_raw(fn: Callable[[Any, bool], None], *, write: bool = False) -> float:
    from django.db import connection, transaction

    pg = connection.vendor == "postgresql"
    started = time.perf_counter()
    if write:
        with transaction.atomic(), connection.cursor() as cur:
            fn(cur.cursor, pg)
    else:
        with connection.cursor() as cur:
            fn(cur.cursor, pg)
    return (time.perf_counter() - started) * 1000


class PageBrowser:
    """Renders workspace pages in this process as ``agent`` (Django's test client), so that the
    database time of a page can be measured like the API's; ``session_key`` signs in over HTTP."""

    def __init__(self, agent: Any):
        from django.test import Client as DjangoClient

        self.client = DjangoClient()
        self.client.force_login(agent, backend="django.contrib.auth.backends.ModelBackend")
        self.session_key = self.client.cookies["sessionid"].value

    def get(self, path: str) -> None:
        response = self.client.get(path)
        if response.status_code != 200:
            raise SystemExit(f"{path} answered {response.status_code}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--base-url", required=True)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--warmup", type=int, default=20)
    args = parser.parse_args()

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "zabota.config.settings")
    import django

    django.setup()
    from django.db import connection, transaction

    from benchmarks import raw
    from benchmarks.text import COMMON_WORD, RARE_WORD
    from zabota.accounts.actions import create_or_update_agent, create_token
    from zabota.accounts.models import Team
    from zabota.core import clock
    from zabota.core.search import normalise
    from zabota.customers.models import Contact
    from zabota.tickets import actions
    from zabota.tickets.api import present_detail, present_row
    from zabota.tickets.models import Tag, Ticket
    from zabota.tickets.queries import TicketFilter, list_tickets, search_tickets

    team = Team.objects.get(name="Support")
    agent, _ = create_or_update_agent(email="bench@agents.zabota.test", role="agent", name="Bench Agent")
    team.members.add(agent)
    _, token = create_token(agent=agent, name="bench")
    client = Client(args.base_url, token)
    tag = Tag.objects.get(name="billing")
    max_id = Ticket.objects.order_by("-id").values_list("id", flat=True).first() or 1
    requester_ids = list(Contact.objects.order_by("id").values_list("id", flat=True)[:1000])
    rng = random.Random(1)
    pg = connection.vendor == "postgresql"

    results: dict[str, Any] = {}

    def scenario(
        key: str,
        http_call: Callable[[int], tuple[str, str, Any]],
        orm: Callable[[int], Any],
        raw_fn: Callable[[int], tuple[Callable[[Any, bool], None], bool]],
        expect: int = 200,
        via: Client = client,
    ) -> None:
        http_ms: list[float] = []
        query_ms: list[float] = []
        raw_ms: list[float] = []
        for i in range(args.warmup + args.requests):
            method, path, body = http_call(i)
            status, ms, payload = via.call(method, path, body)
            if status != expect:
                raise SystemExit(f"scenario {key}: {method} {path} answered {status}: {payload[:300]!r}")
            q = timed_db(functools.partial(orm, i))
            fn, write = raw_fn(i)
            r = timed_raw(fn, write=write)
            if i >= args.warmup:
                http_ms.append(ms)
                query_ms.append(q)
                raw_ms.append(r)
        results[key] = {
            "p50_ms": round(statistics.median(http_ms), 2),
            "p95_ms": round(pct(http_ms, 0.95), 2),
            "query_p95_ms": round(pct(query_ms, 0.95), 3),
            "raw_p95_ms": round(pct(raw_ms, 0.95), 3),
            "ratio": round(pct(query_ms, 0.95) / max(pct(raw_ms, 0.95), 1e-3), 2),
            "requests": len(http_ms),
        }
        print(f"  {key}: {results[key]}", file=sys.stderr, flush=True)

    queue_statuses = ["new", "open"]

    def queue_flt(tagged: bool) -> TicketFilter:
        return TicketFilter(
            status=list(queue_statuses), team_id=team.pk, sort="queue", tag="billing" if tagged else None
        )

    qs_a = urlencode(
        [("team_id", team.pk), ("status", "new"), ("status", "open"), ("sort", "queue"), ("limit", 50)]
    )
    scenario(
        "a",
        lambda i: ("GET", f"/api/v1/tickets?{qs_a}", None),
        lambda i: [present_row(t) for t in list_tickets(agent, queue_flt(False), limit=50).items],
        lambda i: (lambda cur, pg: raw.queue(cur, pg, team.pk, queue_statuses, None), False),
    )
    scenario(
        "b",
        lambda i: ("GET", f"/api/v1/tickets?{qs_a}&tag=billing", None),
        lambda i: [present_row(t) for t in list_tickets(agent, queue_flt(True), limit=50).items],
        lambda i: (lambda cur, pg: raw.queue(cur, pg, team.pk, queue_statuses, tag.pk), False),
    )

    def search_scenario(key: str, word: str) -> None:
        stem = normalise(word)
        scenario(
            key,
            lambda i: ("GET", f"/api/v1/search?q={word}&limit=25", None),
            lambda i: [present_row(t) for t in search_tickets(agent, word, limit=25).items],
            lambda i: (lambda cur, pg: raw.search(cur, pg, stem), False),
        )

    search_scenario("c", RARE_WORD)
    search_scenario("d", COMMON_WORD)
    # (e) A ticket the agent may see, different on every request.
    visible_ids: list[int] = []
    while len(visible_ids) < args.warmup + args.requests:
        ids = [rng.randint(1, max_id) for _ in range(200)]
        visible_ids += list(
            Ticket.objects.filter(id__in=ids).exclude(team__name="Security").values_list("id", flat=True)
        )
    scenario(
        "e",
        lambda i: ("GET", f"/api/v1/tickets/{visible_ids[i]}", None),
        lambda i: present_detail(agent, visible_ids[i]),
        lambda i: (lambda cur, pg: raw.ticket_page(cur, pg, visible_ids[i]), False),
    )

    # The agent workspace's two hot pages, as a signed-in agent's browser loads them: the inbox's
    # "My teams" view (the queue of scenario a, rendered as HTML with counts loaded separately)
    # and the ticket page (scenario e's ticket with its timeline, properties and customer panel).
    page = PageBrowser(agent)
    web = Client(args.base_url, session=page.session_key)
    ticket_numbers = dict(Ticket.objects.filter(id__in=visible_ids).values_list("id", "number"))
    scenario(
        "inbox_page",
        lambda i: ("GET", "/inbox/teams/", None),
        lambda i: page.get("/inbox/teams/"),
        lambda i: (lambda cur, pg: raw.queue(cur, pg, team.pk, queue_statuses, None), False),
        via=web,
    )
    scenario(
        "ticket_page",
        lambda i: ("GET", f"/tickets/{ticket_numbers[visible_ids[i]]}/", None),
        lambda i: page.get(f"/tickets/{ticket_numbers[visible_ids[i]]}/"),
        lambda i: (lambda cur, pg: raw.ticket_page(cur, pg, visible_ids[i]), False),
        via=web,
    )

    def create_body(i: int) -> dict[str, Any]:
        return {
            "subject": f"Benchmark ticket {i}",
            "body": "The export does not work since this morning.",
            "requester_id": requester_ids[i % len(requester_ids)],
            "team_id": team.pk,
        }

    def orm_create(i: int) -> None:
        actions.create_ticket(
            actor=agent,
            requester=Contact.objects.get(pk=requester_ids[i % len(requester_ids)]),
            subject=f"Benchmark ticket {i}",
            body_text="The export does not work since this morning.",
            team=team,
        )

    scenario(
        "f",
        lambda i: ("POST", "/api/v1/tickets", create_body(i)),
        orm_create,
        lambda i: (
            lambda cur, pg: raw.create_ticket(
                cur,
                pg,
                i,
                requester_ids[i % len(requester_ids)],
                team.pk,
                clock.now() if pg else clock.now().isoformat(sep=" "),
            ),
            True,
        ),
        expect=201,
    )
    # (g) Replies go to unsolved tickets of the team; each request its own ticket where possible.
    open_ids = list(
        Ticket.objects.filter(team=team, status__in=["open", "pending", "new", "on_hold"])
        .order_by("-id")
        .values_list("id", flat=True)[: 3 * (args.warmup + args.requests)]
    )

    def reply_target(i: int, offset: int) -> int:
        return open_ids[(3 * i + offset) % len(open_ids)]

    scenario(
        "g",
        lambda i: (
            "POST",
            f"/api/v1/tickets/{reply_target(i, 0)}/replies",
            {"body": "We are looking into it now."},
        ),
        lambda i: actions.reply(
            actor=agent, ticket_id=reply_target(i, 1), body_text="We are looking into it now."
        ),
        lambda i: (
            lambda cur, pg: raw.post_reply(
                cur, pg, reply_target(i, 2), agent.pk, clock.now() if pg else clock.now().isoformat(sep=" ")
            ),
            True,
        ),
        expect=201,
    )
    with transaction.atomic():
        pass
    print(
        json.dumps(
            {
                "tickets": Ticket.objects.count(),
                "database": "postgresql" if pg else "sqlite",
                "scenarios": results,
            }
        )
    )


if __name__ == "__main__":
    main()
