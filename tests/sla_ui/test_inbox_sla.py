"""The inbox shows every ticket's nearest SLA clock, has the views "At risk" and "Breached", sorts
by the nearest due time and filters by SLA state, in the one TicketFilter the API shares.

Carol (Acme, tier Gold) is under the Gold policy (first response within an hour, 24/7); Erin
(Globex, no tier) is under no policy. Time is frozen on a Monday at 10:00 and moved by hand.
"""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import time_machine
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from tests.sla_ui.conftest import MONDAY, every_minute_policy
from tests.support import open_ticket
from zabota.accounts.models import Agent, Team
from zabota.customers.models import Contact, Organization
from zabota.tickets.actions import update_ticket
from zabota.tickets.models import Ticket
from zabota.tickets.queries import TicketFilter, list_tickets
from zabota.tickets.queues import builtin_filter, saved_filter

pytestmark = pytest.mark.django_db(transaction=True)
M = timedelta(minutes=1)


def numbers(html: str) -> list[int]:
    return [int(n) for n in re.findall(r'id="ticket-row-(\d+)"', html)]


def row(html: str, number: int) -> str:
    match = re.search(rf'id="ticket-row-{number}".*?</tr>', html, re.S)
    assert match, f"no row for #{number}"
    return match.group(0)


@pytest.fixture
def world(
    frozen: time_machine.Coordinates,
    admin: Agent,
    acme: Organization,
    carol_customer: Contact,
    erin_customer: Contact,
    support_team: Team,
    alice_agent: Agent,
) -> dict[str, Ticket]:
    """early: Carol's, opened at 10:00 (first response due 11:00, warning at 10:45);
    late: Carol's, opened at 10:30 (due 11:30); pending: Carol's, waiting on her (paused);
    untimed: Erin's, no policy."""
    assert acme.tier is not None
    every_minute_policy(admin, tiers=[acme.tier])
    early = open_ticket(carol_customer, "Early bird", team=support_team)
    frozen.shift(10 * M)
    pending = open_ticket(carol_customer, "Waiting on Carol", team=support_team)
    update_ticket(actor=alice_agent, ticket_id=pending.pk, status="pending")
    frozen.shift(20 * M)
    late = open_ticket(carol_customer, "Late riser", team=support_team)
    untimed = open_ticket(erin_customer, "No SLA here", team=support_team)
    return {"early": early, "late": late, "pending": pending, "untimed": untimed}


def page(client: Client, agent: Agent, url: str) -> str:
    client.force_login(agent)
    response = client.get(url)
    assert response.status_code == 200
    return response.content.decode()


def test_each_row_shows_its_nearest_clock(
    client: Client, frozen: time_machine.Coordinates, world: dict[str, Ticket], alice_agent: Agent
) -> None:
    frozen.move_to(MONDAY + 50 * M)
    html = page(client, alice_agent, "/inbox/open/")
    early = row(html, world["early"].number)
    assert "sla-at_risk" in early and "10m 00s left" in early and 'data-sla-due="2026-06-01T11:00:00' in early
    late = row(html, world["late"].number)
    assert "sla-running" in late and "40m 00s left" in late
    assert "sla-clock" not in row(html, world["untimed"].number)
    frozen.move_to(MONDAY + 61 * M)
    early = row(page(client, alice_agent, "/inbox/open/"), world["early"].number)
    assert "sla-breached" in early and "overdue by 1m 00s" in early


def test_at_risk_and_breached_views(
    client: Client, frozen: time_machine.Coordinates, world: dict[str, Ticket], alice_agent: Agent
) -> None:
    frozen.move_to(MONDAY + 50 * M)
    assert numbers(page(client, alice_agent, "/inbox/at-risk/")) == [world["early"].number]
    assert numbers(page(client, alice_agent, "/inbox/breached/")) == []
    frozen.move_to(MONDAY + 80 * M)  # early is late; late is at risk (warning at 11:15)
    assert numbers(page(client, alice_agent, "/inbox/at-risk/")) == [world["late"].number]
    assert numbers(page(client, alice_agent, "/inbox/breached/")) == [world["early"].number]
    sidebar = page(client, alice_agent, "/inbox/counts?current=breached")
    assert re.search(r'data-count-for="breached">1<', sidebar)
    assert re.search(r'data-count-for="at-risk">1<', sidebar)


def test_sort_by_nearest_due_puts_tickets_without_a_clock_last(
    client: Client, frozen: time_machine.Coordinates, world: dict[str, Ticket], alice_agent: Agent
) -> None:
    frozen.move_to(MONDAY + 40 * M)
    html = page(client, alice_agent, "/inbox/open/?sort=due")
    assert numbers(html) == [world["early"].number, world["late"].number, world["untimed"].number]
    assert 'aria-sort="ascending"' in html


def test_sort_by_due_pages_through_both_parts(
    frozen: time_machine.Coordinates, world: dict[str, Ticket], alice_agent: Agent, carol_customer: Contact
) -> None:
    more = [open_ticket(carol_customer, f"More {i}") for i in range(3)]
    flt = TicketFilter(status=["new", "open", "pending"], sort="due")
    seen: list[int] = []
    cursor = None
    while True:
        result = list_tickets(alice_agent, flt, cursor=cursor, limit=2)
        seen += [r["id"] for r in result.items]
        cursor = result.next_cursor
        if cursor is None:
            break
    due_first = [world["early"].pk, world["late"].pk, *(t.pk for t in more)]
    assert seen[:5] == due_first
    assert sorted(seen[5:]) == sorted([world["pending"].pk, world["untimed"].pk])
    assert len(seen) == len(set(seen)) == 7


def test_sla_filters_in_the_filter_page_and_saved_views(
    client: Client, frozen: time_machine.Coordinates, world: dict[str, Ticket], alice_agent: Agent
) -> None:
    frozen.move_to(MONDAY + 80 * M)
    html = page(client, alice_agent, "/inbox/filter/?sla=breached&sla=at_risk&sort=due")
    assert numbers(html) == [world["early"].number, world["late"].number]
    assert numbers(page(client, alice_agent, "/inbox/filter/?sla=paused")) == [world["pending"].number]
    assert numbers(page(client, alice_agent, "/inbox/filter/?sla=none")) == [world["untimed"].number]
    # Due before 11:15 (in the agent's timezone, UTC here): only the early one.
    html = page(client, alice_agent, "/inbox/filter/?sla_due_before=2026-06-01T11:15")
    assert numbers(html) == [world["early"].number]
    # A saved view keeps the SLA conditions.
    flt = saved_filter(alice_agent, {"sla": ["breached"], "sla_due_before": "2026-06-01T12:00"})
    assert flt.sla == ["breached"] and flt.sla_due_before is not None
    assert [r["id"] for r in list_tickets(alice_agent, flt).items] == [world["early"].pk]
    # Nonsense in a saved view is ignored rather than breaking the inbox.
    assert saved_filter(alice_agent, {"sla": ["soon", 3], "sla_due_before": "tomorrow"}).sla == []


def test_replying_stops_the_first_response_clock_in_the_list(
    client: Client,
    frozen: time_machine.Coordinates,
    world: dict[str, Ticket],
    alice_agent: Agent,
) -> None:
    from zabota.tickets.actions import reply

    frozen.move_to(MONDAY + 50 * M)
    alice_agent.can_reply_publicly = True
    reply(actor=alice_agent, ticket_id=world["early"].pk, body_text="On it!")
    assert numbers(page(client, alice_agent, "/inbox/at-risk/")) == []
    early = row(page(client, alice_agent, "/inbox/open/"), world["early"].number)
    assert "Resolution" in early  # the nearest running clock now is the resolution's


def test_restricted_tickets_never_show_up_in_sla_views(
    client: Client,
    frozen: time_machine.Coordinates,
    admin: Agent,
    bob_other_team: Agent,
    sam_security: Agent,
    security_ticket: Ticket,
) -> None:
    every_minute_policy(admin, "Everyone")
    # The fixture opened the ticket before the policy existed: the recompute gave it a clock.
    frozen.move_to(MONDAY + 2 * 60 * M)
    open_ticket(security_ticket.requester, "Another secret", team=security_ticket.team)
    frozen.move_to(MONDAY + 4 * 60 * M)
    assert numbers(page(client, bob_other_team, "/inbox/breached/")) == []
    assert security_ticket.number in numbers(page(client, sam_security, "/inbox/breached/"))


def test_the_inbox_reads_the_page_clocks_in_one_query(
    client: Client,
    frozen: time_machine.Coordinates,
    world: dict[str, Ticket],
    alice_agent: Agent,
    carol_customer: Contact,
) -> None:
    frozen.move_to(MONDAY + 61 * M)
    client.force_login(alice_agent)

    def cost(url: str) -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(url).status_code == 200
        return len(ctx.captured_queries)

    few = {u: cost(u) for u in ("/inbox/open/", "/inbox/open/?sort=due", "/inbox/breached/")}
    for i in range(12):
        open_ticket(carol_customer, f"Flood {i}")
    frozen.move_to(MONDAY + 3 * 60 * M)
    many = {u: cost(u) for u in few}
    assert many == few


@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite's plan text")
def test_nearest_due_reads_the_due_index(world: dict[str, Ticket], alice_agent: Agent) -> None:
    flt = builtin_filter(alice_agent, "open", sort="due")
    with CaptureQueriesContext(connection) as ctx:
        list_tickets(alice_agent, flt, limit=2)
    captured = [
        q["sql"] for q in ctx.captured_queries if "sla_ticketclock" in q["sql"] and "ORDER BY" in q["sql"]
    ]
    assert captured
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN QUERY PLAN " + captured[0])
        plan = " ".join(str(r[-1]) for r in cursor.fetchall())
    assert "sla_clock_due" in plan, plan


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's plan text")
def test_nearest_due_can_walk_the_due_index_on_postgresql(
    world: dict[str, Ticket], alice_agent: Agent
) -> None:
    flt = builtin_filter(alice_agent, "open", sort="due")
    with CaptureQueriesContext(connection) as ctx:
        list_tickets(alice_agent, flt, limit=2)
    sql = next(
        q["sql"] for q in ctx.captured_queries if "sla_ticketclock" in q["sql"] and "ORDER BY" in q["sql"]
    )
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")  # a tiny table: make the planner show its index path
        cursor.execute("EXPLAIN " + sql)
        plan = " ".join(str(r[0]) for r in cursor.fetchall())
    assert "sla_clock_due" in plan, plan


def test_a_saved_view_with_an_sla_due_time_refines_in_the_agents_minutes(
    client: Client, alice_agent: Agent
) -> None:
    from zabota.tickets.actions import create_saved_view

    view = create_saved_view(
        actor=alice_agent,
        name="Due soon",
        filters={"sla": ["at_risk"], "sla_due_before": "2026-06-01T11:15:00+00:00"},
    )
    client.force_login(alice_agent)
    response = client.get(f"/inbox/views/{view.pk}/refine", follow=True)
    html = response.content.decode()
    assert 'value="2026-06-01T11:15"' in html
    assert re.search(r'value="at_risk"[^>]*checked', html)


def test_sla_filter_values_are_checked(alice_agent: Agent, admin: Agent) -> None:
    from zabota.core.errors import ValidationFailed

    with pytest.raises(ValidationFailed):
        list_tickets(alice_agent, TicketFilter(sla=["late-ish"]))
