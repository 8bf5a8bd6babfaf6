"""One filter definition for the inbox and the API: the new TicketFilter conditions (channel,
tier, inbox, solved_since, a list of teams) through the API list and list_tickets/count_tickets."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.support import Api, open_ticket
from zabota.accounts.models import Agent, Team
from zabota.core import clock
from zabota.customers.models import Contact, Organization
from zabota.tickets.actions import update_ticket
from zabota.tickets.choices import Channel, Status
from zabota.tickets.models import Inbox, Ticket
from zabota.tickets.queries import TicketFilter, count_tickets, list_tickets

pytestmark = pytest.mark.django_db


def ids(response: object) -> list[int]:
    assert response.status_code == 200, response.content  # type: ignore[attr-defined]
    return [t["id"] for t in response.json()["items"]]  # type: ignore[attr-defined]


def test_api_lists_by_channel_tier_inbox_and_solved_since(
    alice_api: Api,
    alice_agent: Agent,
    carol_customer: Contact,
    erin_customer: Contact,
    acme: Organization,
    support_team: Team,
) -> None:
    inbox = Inbox.objects.create(name="Sales")
    chat = open_ticket(carol_customer, "Chat", team=support_team, channel=Channel.CHAT, inbox=inbox)
    email = open_ticket(erin_customer, "Email", team=support_team, channel=Channel.EMAIL)
    assert ids(alice_api.get("/tickets", {"channel": "chat"})) == [chat.pk]
    assert ids(alice_api.get("/tickets", {"tier_id": acme.tier_id})) == [chat.pk]
    assert ids(alice_api.get("/tickets", {"inbox_id": inbox.pk})) == [chat.pk]
    update_ticket(actor=alice_agent, ticket_id=email.pk, status=Status.SOLVED)
    since = (clock.now() - timedelta(hours=1)).isoformat()
    assert ids(alice_api.get("/tickets", {"solved_since": since})) == [email.pk]
    assert alice_api.get("/tickets", {"channel": "pigeon"}).status_code == 422


def test_team_list_reads_each_team_and_merges_in_queue_order(
    admin: Agent, carol_customer: Contact, support_team: Team, billing_team: Team, security_team: Team
) -> None:
    made = []
    for team in (support_team, billing_team, security_team):
        for priority in (1, 4):
            made.append(open_ticket(carol_customer, f"{team.name} {priority}", team=team, priority=priority))
    flt = TicketFilter(status=["new"], team_ids=[support_team.pk, billing_team.pk], sort="queue")
    rows = list_tickets(admin, flt).items
    assert [r["subject"] for r in rows] == ["Support 4", "Billing 4", "Support 1", "Billing 1"]
    assert count_tickets(admin, flt) == (4, False)
    assert list_tickets(admin, TicketFilter(team_ids=[])).items == []
    assert count_tickets(admin, TicketFilter(team_ids=[])) == (0, False)


def test_team_list_respects_restricted_teams(
    bob_other_team: Agent, carol_customer: Contact, billing_team: Team, security_team: Team
) -> None:
    open_ticket(carol_customer, "Billing", team=billing_team)
    hidden = open_ticket(carol_customer, "Secret", team=security_team)
    flt = TicketFilter(team_ids=[billing_team.pk, security_team.pk])
    assert hidden.pk not in [r["id"] for r in list_tickets(bob_other_team, flt).items]
    assert count_tickets(bob_other_team, flt) == (1, False)


def test_many_statuses_page_correctly(
    alice_agent: Agent, carol_customer: Contact, support_team: Team
) -> None:
    made: list[Ticket] = []
    for i, status in enumerate([Status.NEW, Status.OPEN, Status.PENDING, Status.ON_HOLD, Status.SOLVED] * 3):
        t = open_ticket(carol_customer, f"T{i}", team=support_team)
        if status != Status.NEW:
            update_ticket(actor=alice_agent, ticket_id=t.pk, status=status)
        made.append(t)
    flt = TicketFilter(status=["new", "open", "pending", "on_hold", "solved"], sort="queue")
    seen: list[int] = []
    cursor = None
    while True:
        page = list_tickets(alice_agent, flt, cursor=cursor, limit=4)
        seen += [r["id"] for r in page.items]
        cursor = page.next_cursor
        if not cursor:
            break
    assert seen == [t.pk for t in made]
    assert count_tickets(alice_agent, flt, cap=10) == (10, True)


def test_snippet_is_the_latest_public_reply_never_a_note(
    alice_agent: Agent, carol_customer: Contact, support_team: Team
) -> None:
    from zabota.tickets.actions import add_note, reply

    t = open_ticket(carol_customer, "S", "Customer words", team=support_team)
    reply(actor=alice_agent, ticket_id=t.pk, body_text="Agent   answer\n\nwith lines")
    add_note(actor=alice_agent, ticket_id=t.pk, body_text="SECRET internal note")
    (row,) = list_tickets(alice_agent, TicketFilter(), snippets=True).items
    assert row["snippet"] == "Agent answer with lines"
    assert "snippet" not in list_tickets(alice_agent, TicketFilter()).items[0]
