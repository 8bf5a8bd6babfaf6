"""/notifications/: the agent's own list, opening one, marking read."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from tests.support import open_ticket
from zabota.accounts.models import Agent
from zabota.customers.models import Contact
from zabota.notifications.actions import notify
from zabota.notifications.models import Notification, NotificationKind
from zabota.tickets.actions import update_ticket
from zabota.tickets.models import Ticket

pytestmark = pytest.mark.django_db


def notice(
    agent: Agent, ticket: Ticket, kind: str = NotificationKind.MENTIONED, actor: str = "Ada Admin"
) -> Notification:
    [n] = notify(agent_ids=[agent.pk], kind=kind, ticket_id=ticket.pk, actor_name=actor)
    return n


def signed_in(agent: Agent, **kwargs: Any) -> Client:
    client = Client(**kwargs)
    client.force_login(agent)
    return client


def test_the_list_shows_the_agents_own_notifications_newest_first(
    alice_agent: Agent, bob_other_team: Agent, support_ticket: Ticket, billing_ticket: Ticket
) -> None:
    older = notice(alice_agent, support_ticket, NotificationKind.ASSIGNED)
    newer = notice(alice_agent, billing_ticket, NotificationKind.CUSTOMER_REPLIED, actor="Erin Example")
    notice(bob_other_team, billing_ticket, actor="Secret Sender")

    html = signed_in(alice_agent).get("/notifications/").content.decode()
    assert html.index(f'data-notification="{newer.pk}"') < html.index(f'data-notification="{older.pk}"')
    assert f"Ada Admin assigned #{support_ticket.number} to you" in html
    assert f"Erin Example replied on #{billing_ticket.number}" in html
    assert "Cannot log in" in html and "Invoice is wrong" in html
    assert "Secret Sender" not in html
    assert html.count("notification is-unread") == 2
    assert f'href="/notifications/{newer.pk}/open"' in html


def test_opening_a_notification_marks_it_read_and_goes_to_the_ticket(
    alice_agent: Agent, support_ticket: Ticket
) -> None:
    n = notice(alice_agent, support_ticket)
    client = signed_in(alice_agent)
    response = client.get(f"/notifications/{n.pk}/open")
    assert response.status_code == 302
    assert response["Location"] == f"/tickets/{support_ticket.number}/"
    n.refresh_from_db()
    assert n.read_at is not None
    html = client.get("/notifications/").content.decode()
    assert "notification is-unread" not in html


def test_another_agents_notification_is_not_found(
    alice_agent: Agent, bob_other_team: Agent, billing_ticket: Ticket
) -> None:
    bobs = notice(bob_other_team, billing_ticket)
    client = signed_in(alice_agent)
    assert client.get(f"/notifications/{bobs.pk}/open").status_code == 404
    assert client.post(f"/notifications/{bobs.pk}/read").status_code == 404
    assert client.get("/notifications/999999/open").status_code == 404
    bobs.refresh_from_db()
    assert bobs.read_at is None


def test_mark_all_read_marks_only_the_agents_own(
    alice_agent: Agent, bob_other_team: Agent, support_ticket: Ticket, billing_ticket: Ticket
) -> None:
    notice(alice_agent, support_ticket)
    notice(alice_agent, billing_ticket)
    bobs = notice(bob_other_team, billing_ticket)
    response = signed_in(alice_agent).post("/notifications/read-all/")
    assert response.status_code == 302
    assert not Notification.objects.filter(agent=alice_agent, read_at__isnull=True).exists()
    bobs.refresh_from_db()
    assert bobs.read_at is None


def test_marking_one_read(alice_agent: Agent, support_ticket: Ticket, billing_ticket: Ticket) -> None:
    one = notice(alice_agent, support_ticket)
    other = notice(alice_agent, billing_ticket)
    assert signed_in(alice_agent).post(f"/notifications/{one.pk}/read").status_code == 302
    one.refresh_from_db()
    other.refresh_from_db()
    assert one.read_at is not None and other.read_at is None


def test_marking_read_needs_a_csrf_token(alice_agent: Agent, support_ticket: Ticket) -> None:
    n = notice(alice_agent, support_ticket)
    client = signed_in(alice_agent, enforce_csrf_checks=True)
    assert client.post("/notifications/read-all/").status_code == 403
    assert client.post(f"/notifications/{n.pk}/read").status_code == 403
    n.refresh_from_db()
    assert n.read_at is None


def test_only_signed_in_agents(client: Client, alice_agent: Agent, support_ticket: Ticket) -> None:
    n = notice(alice_agent, support_ticket)
    response = client.get("/notifications/")
    assert response.status_code == 302 and response["Location"].startswith("/login/")
    assert client.get(f"/notifications/{n.pk}/open").status_code == 302
    n.refresh_from_db()
    assert n.read_at is None


def test_the_bell_shows_the_unread_count(
    alice_agent: Agent, support_ticket: Ticket, billing_ticket: Ticket
) -> None:
    notice(alice_agent, support_ticket)
    notice(alice_agent, billing_ticket)
    html = signed_in(alice_agent).get("/notifications/").content.decode()
    assert '<span class="badge" id="notification-count">2</span>' in html


def test_unread_filter(alice_agent: Agent, support_ticket: Ticket, billing_ticket: Ticket) -> None:
    read = notice(alice_agent, support_ticket)
    unread = notice(alice_agent, billing_ticket)
    Notification.objects.filter(pk=read.pk).update(read_at=read.created_at)
    html = signed_in(alice_agent).get("/notifications/?unread=1").content.decode()
    assert f'data-notification="{unread.pk}"' in html
    assert f'data-notification="{read.pk}"' not in html


def test_fifty_per_page_with_a_cursor(
    alice_agent: Agent, support_ticket: Ticket, django_assert_max_num_queries: Any
) -> None:
    made = [notice(alice_agent, support_ticket) for _ in range(55)]
    client = signed_in(alice_agent)
    with django_assert_max_num_queries(12):
        first = client.get("/notifications/").content.decode()
    assert first.count("data-notification=") == 50
    assert f'data-notification="{made[-1].pk}"' in first
    cursor = made[5].pk  # the 50th newest
    assert f'cursor={cursor}"' in first
    second = client.get(f"/notifications/?cursor={cursor}").content.decode()
    assert second.count("data-notification=") == 5
    assert f'data-notification="{made[0].pk}"' in second
    assert 'rel="next"' not in second
    assert client.get("/notifications/?cursor=abc").status_code == 404


def test_a_ticket_the_agent_can_no_longer_see_keeps_its_row_not_its_subject(
    admin: Agent, alice_agent: Agent, carol_customer: Contact, support_team: Any, security_team: Any
) -> None:
    ticket = open_ticket(carol_customer, "Top secret incident", team=support_team)
    notice(alice_agent, ticket)
    update_ticket(actor=admin, ticket_id=ticket.pk, team=security_team)
    html = signed_in(alice_agent).get("/notifications/").content.decode()
    assert "Top secret incident" not in html
    assert "You can no longer see this ticket." in html


def test_actor_names_are_escaped(alice_agent: Agent, support_ticket: Ticket) -> None:
    notice(alice_agent, support_ticket, actor='<script>alert("x")</script>')
    html = signed_in(alice_agent).get("/notifications/").content.decode()
    assert '<script>alert("x")</script>' not in html
    assert "&lt;script&gt;" in html


def test_an_assignment_by_routing_says_zabota_did_it(
    alice_agent: Agent, carol_customer: Contact, django_capture_on_commit_callbacks: Any
) -> None:
    ticket = open_ticket(carol_customer, "Routed to Alice")
    with django_capture_on_commit_callbacks(execute=True):
        update_ticket(actor=None, ticket_id=ticket.pk, assignee=alice_agent)  # the system (routing)
    html = signed_in(alice_agent).get("/notifications/").content.decode()
    assert f"Zabota assigned #{ticket.number} to you" in " ".join(html.split())
