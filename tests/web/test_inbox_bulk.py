"""Bulk actions from the inbox: assign, status, tags, merge; per-ticket results; permission."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from tests.support import open_ticket, reload
from zabota.accounts.models import Agent, Team
from zabota.customers.models import Contact
from zabota.tickets.actions import bulk_update, update_ticket
from zabota.tickets.choices import Status
from zabota.tickets.models import Activity, Ticket

pytestmark = pytest.mark.django_db


def post(client: Client, agent: Agent, data: dict[str, Any], *, htmx: bool = True) -> Any:
    client.force_login(agent)
    headers = {"HX-Request": "true"} if htmx else {}
    return client.post("/inbox/bulk", data, headers=headers)


def text(response: Any) -> str:
    assert response.status_code == 200, response.content[:300]
    return response.content.decode()


def test_assign_to_me_changes_every_selected_ticket(
    client: Client, alice_agent: Agent, carol_customer: Contact, support_team: Team
) -> None:
    a = open_ticket(carol_customer, "One", team=support_team)
    b = open_ticket(carol_customer, "Two", team=support_team)
    response = post(client, alice_agent, {"action": "assign_me", "ticket": [a.pk, b.pk]})
    html = text(response)
    assert "2 tickets changed." in html
    assert response["HX-Trigger"] == "live-inbox"  # the list and the counts refresh
    assert reload(a).assignee_id == alice_agent.pk and reload(b).assignee_id == alice_agent.pk
    assert Activity.objects.filter(ticket=a, field="assignee").exists()


def test_assign_to_an_agent_and_unassign(
    client: Client, alice_agent: Agent, admin: Agent, carol_customer: Contact, support_team: Team
) -> None:
    a = open_ticket(carol_customer, "One", team=support_team)
    text(post(client, alice_agent, {"action": "assign", "assignee": admin.pk, "ticket": [a.pk]}))
    assert reload(a).assignee_id == admin.pk
    text(post(client, alice_agent, {"action": "unassign", "ticket": [a.pk]}))
    assert reload(a).assignee_id is None
    html = text(post(client, alice_agent, {"action": "assign", "ticket": [a.pk]}))
    assert "Choose an agent." in html


def test_illegal_transition_is_reported_and_the_others_still_change(
    client: Client, alice_agent: Agent, carol_customer: Contact, support_team: Team
) -> None:
    a = open_ticket(carol_customer, "One", team=support_team)
    closed = open_ticket(carol_customer, "Closed one", team=support_team)
    update_ticket(actor=alice_agent, ticket_id=closed.pk, status=Status.SOLVED)
    update_ticket(actor=alice_agent, ticket_id=closed.pk, status=Status.CLOSED)
    b = open_ticket(carol_customer, "Two", team=support_team)
    html = text(
        post(
            client, alice_agent, {"action": "status", "status": "pending", "ticket": [a.pk, closed.pk, b.pk]}
        )
    )
    assert "2 tickets changed." in html
    assert f"#{closed.number}: cannot move from Closed to Pending" in html
    assert reload(a).status == reload(b).status == Status.PENDING
    assert reload(closed).status == Status.CLOSED


def test_invisible_ticket_changes_nothing_and_is_not_revealed(
    client: Client, bob_other_team: Agent, security_ticket: Ticket, billing_ticket: Ticket
) -> None:
    html = text(
        post(
            client,
            bob_other_team,
            {"action": "add_tag", "tag": "urgent", "ticket": [security_ticket.pk, billing_ticket.pk]},
        )
    )
    assert "1 ticket changed." in html
    assert "1 selected ticket was not found." in html
    assert f"#{security_ticket.number}" not in html and "Suspicious" not in html
    assert list(reload(security_ticket).tags.values_list("name", flat=True)) == []
    assert list(reload(billing_ticket).tags.values_list("name", flat=True)) == ["urgent"]


def test_add_and_remove_tag(
    client: Client, alice_agent: Agent, carol_customer: Contact, support_team: Team
) -> None:
    a = open_ticket(carol_customer, "One", team=support_team, tags=["vip"])
    b = open_ticket(carol_customer, "Two", team=support_team)
    text(post(client, alice_agent, {"action": "add_tag", "tag": "Billing Issue", "ticket": [a.pk, b.pk]}))
    assert sorted(reload(a).tags.values_list("name", flat=True)) == ["billing-issue", "vip"]
    assert list(reload(b).tags.values_list("name", flat=True)) == ["billing-issue"]
    text(post(client, alice_agent, {"action": "remove_tag", "tag": "vip", "ticket": [a.pk, b.pk]}))
    assert list(reload(a).tags.values_list("name", flat=True)) == ["billing-issue"]
    html = text(post(client, alice_agent, {"action": "add_tag", "tag": "no good!", "ticket": [a.pk]}))
    assert "is not a valid tag" in html and "Nothing was changed." in html


def test_merge_into_the_first_selected(
    client: Client, alice_agent: Agent, carol_customer: Contact, erin_customer: Contact, support_team: Team
) -> None:
    target = open_ticket(carol_customer, "Original", team=support_team)
    dup = open_ticket(carol_customer, "Duplicate", team=support_team)
    other = open_ticket(erin_customer, "Someone else", team=support_team)
    html = text(post(client, alice_agent, {"action": "merge", "ticket": [target.pk, dup.pk, other.pk]}))
    assert f"1 ticket merged into #{target.number}." in html
    assert f"#{other.number}: it has a different requester" in html
    assert reload(dup).merged_into_id == target.pk and reload(dup).status == Status.CLOSED
    assert reload(other).merged_into_id is None


def test_merge_into_a_chosen_number(
    client: Client,
    alice_agent: Agent,
    bob_other_team: Agent,
    carol_customer: Contact,
    support_team: Team,
    security_team: Team,
) -> None:
    target = open_ticket(carol_customer, "Original", team=support_team)
    dup = open_ticket(carol_customer, "Duplicate", team=support_team)
    html = text(post(client, alice_agent, {"action": "merge", "target": target.number, "ticket": [dup.pk]}))
    assert f"1 ticket merged into #{target.number}." in html
    assert reload(dup).merged_into_id == target.pk
    # A target the agent cannot see is "not found", like a missing number.
    hidden = open_ticket(carol_customer, "Hidden", team=security_team)
    dup2 = open_ticket(carol_customer, "Another", team=support_team)
    html = text(
        post(client, bob_other_team, {"action": "merge", "target": hidden.number, "ticket": [dup2.pk]})
    )
    assert "The ticket to merge into was not found." in html
    assert reload(dup2).merged_into_id is None


def test_merge_needs_two_tickets_or_a_target(
    client: Client, alice_agent: Agent, support_ticket: Ticket
) -> None:
    html = text(post(client, alice_agent, {"action": "merge", "ticket": [support_ticket.pk]}))
    assert "Select at least two tickets" in html


def test_nothing_selected(client: Client, alice_agent: Agent) -> None:
    html = text(post(client, alice_agent, {"action": "assign_me"}))
    assert "Select at least one ticket." in html


def test_collaborator_cannot_bulk_change(
    client: Client, dave_collaborator: Agent, support_ticket: Ticket
) -> None:
    html = text(post(client, dave_collaborator, {"action": "assign_me", "ticket": [support_ticket.pk]}))
    assert "You may not change tickets" in html
    assert reload(support_ticket).assignee_id is None


def test_without_htmx_redirects_back_with_a_message(
    client: Client, alice_agent: Agent, support_ticket: Ticket
) -> None:
    response = post(
        client,
        alice_agent,
        {"action": "assign_me", "ticket": [support_ticket.pk], "next": "/inbox/open/?sort=newest"},
        htmx=False,
    )
    assert response.status_code == 302 and response["Location"] == "/inbox/open/?sort=newest"
    page = client.get(response["Location"]).content.decode()
    assert "1 ticket changed." in page
    # An outside address is never followed.
    response = post(
        client,
        alice_agent,
        {"action": "assign_me", "ticket": [support_ticket.pk], "next": "https://evil.test/"},
        htmx=False,
    )
    assert response["Location"] == "/inbox/"


def test_bulk_requires_csrf(alice_agent: Agent, support_ticket: Ticket) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(alice_agent)
    response = client.post("/inbox/bulk", {"action": "assign_me", "ticket": [support_ticket.pk]})
    assert response.status_code == 403
    assert reload(support_ticket).assignee_id is None


def test_bulk_form_on_the_page_posts_with_csrf(
    client: Client, alice_agent: Agent, support_ticket: Ticket
) -> None:
    client.force_login(alice_agent)
    html = client.get("/inbox/open/").content.decode()
    assert 'id="bulk-form" method="post" action="/inbox/bulk"' in html
    assert "csrfmiddlewaretoken" in html
    assert "data-select-all" in html


def test_bulk_action_returns_one_outcome_per_ticket(
    alice_agent: Agent, bob_other_team: Agent, support_ticket: Ticket, security_ticket: Ticket
) -> None:
    outcomes = bulk_update(
        actor=bob_other_team, ticket_ids=[support_ticket.pk, security_ticket.pk], add_tags=["x"]
    )
    assert [(o.ticket_id, o.ok, o.number) for o in outcomes] == [
        (support_ticket.pk, True, support_ticket.number),
        (security_ticket.pk, False, None),
    ]
