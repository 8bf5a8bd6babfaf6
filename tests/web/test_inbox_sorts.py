"""Sortable columns: status (workflow order, then queue order), assignee and requester (by name,
then id), each paged with keyset cursors that stay correct across pages full of ties; name sorts
refuse views too large to sort (the page says so and falls back to the queue order)."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from tests.support import Api, make_agent, open_ticket
from zabota.accounts.models import Agent, Team
from zabota.customers.actions import save_contact
from zabota.customers.models import Contact
from zabota.tickets import queries
from zabota.tickets.actions import update_ticket
from zabota.tickets.choices import Priority, Status
from zabota.tickets.models import Ticket
from zabota.tickets.queries import TicketFilter, list_tickets

pytestmark = pytest.mark.django_db


def all_pages(agent: Agent, flt: TicketFilter, limit: int) -> list[int]:
    seen: list[int] = []
    cursor = None
    while True:
        page = list_tickets(agent, flt, cursor=cursor, limit=limit)
        seen += [r["id"] for r in page.items]
        cursor = page.next_cursor
        if not cursor:
            return seen


@pytest.fixture
def many(alice_agent: Agent, carol_customer: Contact, support_team: Team) -> list[Ticket]:
    """Eighteen tickets: three per status, priorities repeating (ties everywhere), assignees
    "Zoe", "alice" (as Alice Agent) or nobody, requesters "Carol Customer" or "Anna"."""
    zoe = make_agent("zoe@zabota.test", name="Zoe Zed")
    support_team.members.add(zoe)
    anna = save_contact(actor=None, name="Anna", emails=["anna@example.test"])
    made = []
    statuses = [Status.NEW, Status.OPEN, Status.PENDING, Status.ON_HOLD, Status.SOLVED, Status.CLOSED]
    for i in range(18):
        status = statuses[i % 6]
        t = open_ticket(
            anna if i % 2 else carol_customer,
            f"T{i}",
            team=support_team,
            priority=[Priority.LOW, Priority.HIGH][i % 2],
            assignee=[zoe, alice_agent, None][i % 3],
        )
        if status == Status.CLOSED:
            update_ticket(actor=alice_agent, ticket_id=t.pk, status=Status.SOLVED)
        if status != Status.NEW:
            update_ticket(actor=alice_agent, ticket_id=t.pk, status=status)
        made.append(Ticket.objects.get(pk=t.pk))
    return made


@pytest.mark.parametrize("limit", [1, 2, 5, 50])
def test_status_sort_is_the_workflow_order_then_the_queue_across_pages(
    alice_agent: Agent, many: list[Ticket], limit: int
) -> None:
    order = list(Status.values)
    want = sorted(many, key=lambda t: (order.index(t.status), -t.priority, t.pk))
    assert all_pages(alice_agent, TicketFilter(sort="status"), limit) == [t.pk for t in want]
    # Within the statuses of a view.
    flt = TicketFilter(status=["pending", "new"], sort="status")
    assert all_pages(alice_agent, flt, limit) == [t.pk for t in want if t.status in ("new", "pending")]


@pytest.mark.parametrize("limit", [1, 4, 7, 50])
def test_assignee_sort_is_by_name_then_id_across_pages_of_ties(
    alice_agent: Agent, many: list[Ticket], limit: int
) -> None:
    # Unassigned first (no name), then "Alice Agent", then "Zoe Zed"; ties by id.
    label = {None: "", alice_agent.pk: "Alice Agent"}
    want = sorted(many, key=lambda t: (label.get(t.assignee_id, "Zoe Zed"), t.pk))
    assert all_pages(alice_agent, TicketFilter(sort="assignee"), limit) == [t.pk for t in want]


@pytest.mark.parametrize("limit", [1, 5, 50])
def test_requester_sort_is_by_name_then_id_across_pages_of_ties(
    alice_agent: Agent, many: list[Ticket], limit: int
) -> None:
    want = sorted(many, key=lambda t: (t.requester.name, t.pk))
    flt = TicketFilter(sort="requester", status=["new", "open", "solved"])
    assert all_pages(alice_agent, flt, limit) == [t.pk for t in want if t.status in ("new", "open", "solved")]


def test_a_name_sort_of_too_many_tickets_is_refused(
    client: Client, alice_agent: Agent, alice_api: Api, many: list[Ticket], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(queries.listing, "NAME_SORT_MAX", 5)
    mine = {"requester_id": many[0].requester_id}  # carol's nine tickets
    response = alice_api.get("/tickets", {**mine, "sort": "requester"})
    assert response.status_code == 422 and response.json()["error"]["fields"] == {"sort": "too_many"}
    # A narrower view sorts.
    narrow = alice_api.get("/tickets", {**mine, "sort": "requester", "status": "pending"})
    assert narrow.status_code == 200, narrow.json()
    assert len(narrow.json()["items"]) == len(
        [t for t in many if t.requester_id == mine["requester_id"] and t.status == "pending"]
    )
    # The inbox falls back to the queue order and says why.
    client.force_login(alice_agent)
    html = client.get("/inbox/open/?sort=assignee").content.decode()
    assert 'id="sort-refused"' in html and "at most 5 tickets" in html
    assert 'aria-sort="descending"' in html  # the priority column: the queue order


def test_inbox_columns_link_to_their_sorts(client: Client, alice_agent: Agent, many: list[Ticket]) -> None:
    client.force_login(alice_agent)
    html = client.get("/inbox/open/?sort=status").content.decode()
    for sort in ("status", "assignee", "requester"):
        assert f'href="/inbox/open/?sort={sort}"' in html and f'data-sort="{sort}"' in html
    assert re.search(r'class="col-status" aria-sort="ascending"', html)
    html = client.get("/inbox/filter/?status=pending&status=open&sort=status").content.decode()
    rows = [int(n) for n in re.findall(r'data-nav-item data-ticket="(\d+)"', html)]
    by_number = {t.number: t for t in many}
    shown = [(by_number[n].status, -by_number[n].priority, by_number[n].pk) for n in rows]
    assert {s for s, _, _ in shown} == {"open", "pending"}
    assert shown == sorted(shown, key=lambda r: (list(Status.values).index(r[0]), r[1], r[2]))


def test_api_pages_by_status_with_cursors(alice_api: Api, many: list[Ticket]) -> None:
    seen: list[int] = []
    params: dict[str, object] = {"sort": "status", "limit": 4}
    while True:
        body = alice_api.get("/tickets", params).json()
        seen += [t["id"] for t in body["items"]]
        if not body["next_cursor"]:
            break
        params["cursor"] = body["next_cursor"]
    assert len(seen) == len(set(seen)) == 18
    assert alice_api.get("/tickets", {"sort": "assignee", "cursor": "bm9wZQ"}).status_code == 422
