"""The ticket page's side panel: properties (through update_ticket), assign to me, tags, custom
fields, follow, collaborators and merge. Errors are shown inline, never a 500."""

from __future__ import annotations

import re
from typing import Any

from django.test import Client

from tests.support import make_agent, open_ticket, reload
from zabota.accounts.models import Agent, Role, Team
from zabota.customers.actions import create_project
from zabota.customers.models import Contact
from zabota.tickets import actions
from zabota.tickets.choices import CustomFieldType, Kind, MessageKind, Priority, Status
from zabota.tickets.models import CustomFieldDefinition, Follower, Message, Ticket
from zabota.tickets.queries import customer_messages

HTMX = {"HTTP_HX_REQUEST": "true"}


def props(ticket: Ticket, **changes: Any) -> dict[str, Any]:
    """The properties form as the page would post it, with ``changes`` applied."""
    data: dict[str, Any] = {
        "status": ticket.status,
        "priority": ticket.priority,
        "kind": ticket.kind,
        "assignee": ticket.assignee_id or "",
        "team": ticket.team_id or "",
        "project": ticket.project_id or "",
        "add_tags": "",
    }
    data.update(changes)
    return data


def post_props(client: Client, ticket: Ticket, htmx: bool = True, **changes: Any) -> Any:
    extra = HTMX if htmx else {}
    return client.post(f"/tickets/{ticket.number}/properties", props(reload(ticket), **changes), **extra)


def test_panel_shows_the_fields_with_shortcuts(
    client: Client, alice_agent: Agent, support_ticket: Ticket
) -> None:
    client.force_login(alice_agent)
    html = client.get(f"/tickets/{support_ticket.number}/").content.decode()
    assert re.search(r'<select name="status"[^>]*data-shortcut="s"', html)
    assert re.search(
        r'<input[^>]*name="add_tags"[^>]*data-shortcut="t"|<input[^>]*data-shortcut="t"[^>]*name="add_tags"',
        html,
    )
    assert 'id="assign-to-me" data-shortcut="a"' in html
    for field in ("priority", "kind", "assignee", "team", "project"):
        assert f'name="{field}"' in html
    # Only the moves the state machine allows are offered.
    status = re.search(r'<select name="status".*?</select>', html, re.S).group(0)  # type: ignore[union-attr]
    assert 'value="closed"' not in status and 'value="pending"' in status


def test_change_status_priority_and_kind(client: Client, alice_agent: Agent, support_ticket: Ticket) -> None:
    client.force_login(alice_agent)
    r = post_props(client, support_ticket, status="pending", priority=Priority.URGENT, kind=Kind.PROBLEM)
    assert r.status_code == 200
    assert r["HX-Trigger"] == "timeline-refresh"
    t = reload(support_ticket)
    assert (t.status, t.priority, t.kind) == (Status.PENDING, Priority.URGENT, Kind.PROBLEM)
    html = r.content.decode()
    assert html.lstrip().startswith('<section id="ticket-side"')
    assert 'id="ticket-status" hx-swap-oob="true">Pending<' in html  # the header badge follows
    timeline = client.get(f"/tickets/{t.number}/timeline").content.decode()
    assert "Alice Agent changed status from New to Pending" in timeline
    assert "Alice Agent changed priority from Normal to Urgent" in timeline


def test_without_htmx_saving_redirects_back(
    client: Client, alice_agent: Agent, support_ticket: Ticket
) -> None:
    client.force_login(alice_agent)
    r = post_props(client, support_ticket, htmx=False, priority=Priority.HIGH)
    assert r.status_code == 302 and r["Location"] == f"/tickets/{support_ticket.number}/"
    assert reload(support_ticket).priority == Priority.HIGH


def test_illegal_transition_is_a_readable_inline_error(
    client: Client, alice_agent: Agent, support_ticket: Ticket
) -> None:
    actions.update_ticket(actor=alice_agent, ticket_id=support_ticket.pk, status=Status.SOLVED)
    client.force_login(alice_agent)
    r = post_props(client, support_ticket, status="pending")
    assert r.status_code == 200
    html = r.content.decode()
    assert "That status change is not allowed: a ticket cannot go from Solved to Pending." in html
    assert reload(support_ticket).status == Status.SOLVED
    r = post_props(client, support_ticket, htmx=False, status="on_hold")
    assert r.status_code == 422
    assert reload(support_ticket).status == Status.SOLVED


def test_unknown_values_are_form_errors_not_500(
    client: Client, alice_agent: Agent, support_ticket: Ticket
) -> None:
    client.force_login(alice_agent)
    for bad in ({"priority": "99"}, {"kind": "nonsense"}, {"assignee": "999999"}, {"team": "abc"}):
        r = post_props(client, support_ticket, **bad)
        assert r.status_code == 200, bad
        assert "Please correct the errors below." in r.content.decode()


def test_assign_to_me(client: Client, alice_agent: Agent, support_ticket: Ticket) -> None:
    client.force_login(alice_agent)
    r = client.post(f"/tickets/{support_ticket.number}/assign-to-me", **HTMX)
    assert r.status_code == 200
    t = reload(support_ticket)
    assert t.assignee_id == alice_agent.pk and t.status == Status.OPEN
    assert "Assigned to you" in r.content.decode()


def test_assignee_must_be_able_to_work_the_team(
    client: Client, alice_agent: Agent, bob_other_team: Agent, support_ticket: Ticket, security_team: Team
) -> None:
    client.force_login(alice_agent)
    actions.update_ticket(actor=alice_agent, ticket_id=support_ticket.pk, assignee=alice_agent)
    # Bob is not on the restricted Security team: moving the ticket there and giving it to him fails.
    sam = make_agent("sam2@zabota.test", name="Sam Two")
    security_team.members.add(sam, alice_agent)
    r = post_props(client, support_ticket, team=security_team.pk, assignee=bob_other_team.pk)
    html = r.content.decode()
    assert "That agent cannot be assigned" in html
    assert reload(support_ticket).assignee_id == alice_agent.pk


def test_tags_added_and_removed(client: Client, alice_agent: Agent, support_ticket: Ticket) -> None:
    client.force_login(alice_agent)
    r = post_props(client, support_ticket, add_tags="vip, SSO login-problem")
    assert r.status_code == 200
    assert sorted(reload(support_ticket).tags.values_list("name", flat=True)) == [
        "login-problem",
        "sso",
        "vip",
    ]
    assert 'data-tag="vip"' in r.content.decode()
    r = post_props(client, support_ticket, remove_tag="sso")
    assert sorted(reload(support_ticket).tags.values_list("name", flat=True)) == ["login-problem", "vip"]
    r = post_props(client, support_ticket, add_tags="<script>")
    assert "is not a valid tag" in r.content.decode()


def test_project_from_the_customers_organization(
    client: Client, admin: Agent, alice_agent: Agent, support_ticket: Ticket, erin_customer: Contact
) -> None:
    mobile = create_project(actor=admin, organization=support_ticket.organization, name="Mobile app")  # type: ignore[arg-type]
    foreign = create_project(actor=admin, organization=erin_customer.organization, name="Globex ERP")  # type: ignore[arg-type]
    client.force_login(alice_agent)
    html = client.get(f"/tickets/{support_ticket.number}/").content.decode()
    assert "Mobile app" in html and "Globex ERP" not in html
    post_props(client, support_ticket, project=mobile.pk)
    assert reload(support_ticket).project_id == mobile.pk
    r = post_props(client, support_ticket, project=foreign.pk)  # not offered: a form error
    assert "Please correct the errors below." in r.content.decode()
    assert reload(support_ticket).project_id == mobile.pk


def test_custom_fields_by_their_types(client: Client, alice_agent: Agent, support_ticket: Ticket) -> None:
    CustomFieldDefinition.objects.create(key="seats", label="Seats", type=CustomFieldType.INTEGER)
    CustomFieldDefinition.objects.create(key="renewal", label="Renewal", type=CustomFieldType.DATE)
    CustomFieldDefinition.objects.create(key="sso", label="Uses SSO", type=CustomFieldType.BOOLEAN)
    CustomFieldDefinition.objects.create(
        key="plan", label="Plan", type=CustomFieldType.CHOICE, choices=["free", "pro", 3]
    )
    client.force_login(alice_agent)
    html = client.get(f"/tickets/{support_ticket.number}/").content.decode()
    assert 'name="cf_renewal"' in html and 'type="date"' in html
    assert re.search(r'name="cf_seats"[^>]*type="number"|type="number"[^>]*name="cf_seats"', html)
    r = post_props(client, support_ticket, cf_seats="25", cf_renewal="2027-01-31", cf_sso="true", cf_plan="3")
    assert r.status_code == 200
    assert reload(support_ticket).custom_fields == {
        "seats": 25,
        "renewal": "2027-01-31",
        "sso": True,
        "plan": 3,
    }
    r = post_props(
        client, support_ticket, cf_seats="many", cf_plan="3", cf_sso="true", cf_renewal="2027-01-31"
    )
    assert "Enter a whole number." in r.content.decode()
    post_props(client, support_ticket, cf_seats="", cf_plan="3", cf_sso="true", cf_renewal="2027-01-31")
    assert "seats" not in reload(support_ticket).custom_fields


def test_collaborator_sees_properties_read_only(
    client: Client, dave_collaborator: Agent, support_ticket: Ticket
) -> None:
    client.force_login(dave_collaborator)
    html = client.get(f"/tickets/{support_ticket.number}/").content.decode()
    assert '<fieldset class="properties-fields" disabled>' in html
    assert 'id="assign-to-me"' not in html
    r = post_props(client, support_ticket, priority=Priority.URGENT)
    assert "You may not change this ticket&#x27;s fields." in r.content.decode()
    assert reload(support_ticket).priority == Priority.NORMAL


# --- Follow and collaborators ------------------------------------------------------------------


def test_follow_and_unfollow(client: Client, alice_agent: Agent, support_ticket: Ticket) -> None:
    client.force_login(alice_agent)
    r = client.post(f"/tickets/{support_ticket.number}/follow", {"follow": "1"}, **HTMX)
    assert Follower.objects.filter(ticket=support_ticket, agent=alice_agent).exists()
    assert 'data-following="true"' in r.content.decode()
    r = client.post(f"/tickets/{support_ticket.number}/follow", {"follow": "0"}, **HTMX)
    assert not Follower.objects.filter(ticket=support_ticket, agent=alice_agent).exists()
    assert 'data-following="false"' in r.content.decode()


def test_collaborator_brought_in_sees_the_ticket_and_writes_notes_the_customer_never_sees(
    client: Client, alice_agent: Agent, security_ticket: Ticket, sam_security: Agent
) -> None:
    dev = make_agent("dev@zabota.test", Role.COLLABORATOR, name="Devon Dev")
    dev_client = Client()
    dev_client.force_login(dev)
    assert dev_client.get(f"/tickets/{security_ticket.number}/").status_code == 404

    client.force_login(sam_security)
    html = client.get(f"/tickets/{security_ticket.number}/").content.decode()
    assert f'<option value="{dev.pk}">Devon Dev &lt;dev@zabota.test&gt;</option>' in html
    r = client.post(f"/tickets/{security_ticket.number}/collaborators", {"agent": dev.pk}, **HTMX)
    assert r.status_code == 200
    assert f'data-follower="{dev.pk}"' in r.content.decode()

    page = dev_client.get(f"/tickets/{security_ticket.number}/")
    assert page.status_code == 200
    assert 'data-mode="note"' in page.content.decode()
    dev_client.post(
        f"/tickets/{security_ticket.number}/messages", {"mode": "note", "body": "Looks like token reuse"}
    )
    note = Message.objects.get(body_text="Looks like token reuse")
    assert note.kind == MessageKind.NOTE and note.author_agent_id == dev.pk
    assert note not in customer_messages(security_ticket)
    timeline = client.get(f"/tickets/{security_ticket.number}/timeline").content.decode()
    assert "Sam Security added Devon Dev to the ticket" in timeline


def test_removing_a_collaborator_hides_the_ticket_again(
    client: Client, sam_security: Agent, security_ticket: Ticket
) -> None:
    dev = make_agent("dev@zabota.test", Role.COLLABORATOR, name="Devon Dev")
    actions.add_follower(actor=sam_security, ticket_id=security_ticket.pk, agent=dev)
    client.force_login(sam_security)
    client.post(f"/tickets/{security_ticket.number}/collaborators/{dev.pk}/remove", **HTMX)
    dev_client = Client()
    dev_client.force_login(dev)
    assert dev_client.get(f"/tickets/{security_ticket.number}/").status_code == 404


def test_collaborator_who_unfollows_a_ticket_they_only_saw_by_following_goes_to_the_inbox(
    client: Client, sam_security: Agent, security_ticket: Ticket
) -> None:
    dev = make_agent("dev@zabota.test", Role.COLLABORATOR, name="Devon Dev")
    actions.add_follower(actor=sam_security, ticket_id=security_ticket.pk, agent=dev)
    client.force_login(dev)
    html = client.get(f"/tickets/{security_ticket.number}/").content.decode()
    assert 'id="add-collaborator"' not in html  # collaborators only add themselves
    r = client.post(f"/tickets/{security_ticket.number}/follow", {"follow": "0"}, **HTMX)
    assert r.status_code == 204 and r["HX-Redirect"] == "/inbox/"


def test_collaborator_cannot_add_others(
    client: Client, dave_collaborator: Agent, alice_agent: Agent, support_ticket: Ticket
) -> None:
    client.force_login(dave_collaborator)
    r = client.post(f"/tickets/{support_ticket.number}/collaborators", {"agent": alice_agent.pk}, **HTMX)
    assert r.status_code == 200
    assert not Follower.objects.filter(ticket=support_ticket, agent=alice_agent).exists()


# --- Merge -------------------------------------------------------------------------------------


def test_merge_into_another_ticket_of_the_same_customer(
    client: Client, alice_agent: Agent, carol_customer: Contact, support_team: Team, support_ticket: Ticket
) -> None:
    dup = open_ticket(carol_customer, "Login still broken", "Same problem again", team=support_team)
    client.force_login(alice_agent)
    r = client.post(f"/tickets/{dup.number}/merge", {"into": support_ticket.number})
    assert r.status_code == 302 and r["Location"] == f"/tickets/{support_ticket.number}/"
    assert reload(dup).merged_into_id == support_ticket.pk
    html = client.get(r["Location"]).content.decode()
    assert "Same problem again" in html
    assert f"Ticket #{dup.number} was merged into this ticket." in html


def test_merge_with_htmx_redirects_the_page(
    client: Client, alice_agent: Agent, carol_customer: Contact, support_team: Team, support_ticket: Ticket
) -> None:
    dup = open_ticket(carol_customer, "Again", team=support_team)
    client.force_login(alice_agent)
    r = client.post(f"/tickets/{dup.number}/merge", {"into": support_ticket.number}, **HTMX)
    assert r.status_code == 204 and r["HX-Redirect"] == f"/tickets/{support_ticket.number}/"


def test_merge_errors_are_shown(
    client: Client,
    alice_agent: Agent,
    support_ticket: Ticket,
    billing_ticket: Ticket,
    security_ticket: Ticket,
) -> None:
    client.force_login(alice_agent)
    r = client.post(f"/tickets/{support_ticket.number}/merge", {"into": billing_ticket.number}, **HTMX)
    html = r.content.decode()
    assert "Only tickets of the same customer can be merged" in html
    assert '<details class="merge" id="merge" open>' in html
    r = client.post(f"/tickets/{support_ticket.number}/merge", {"into": support_ticket.number}, **HTMX)
    assert "A ticket cannot be merged into itself." in r.content.decode()
    # A ticket alice may not see is "no such ticket", exactly like a missing number.
    r = client.post(f"/tickets/{support_ticket.number}/merge", {"into": security_ticket.number}, **HTMX)
    assert f"There is no ticket #{security_ticket.number}." in r.content.decode()
    r = client.post(f"/tickets/{support_ticket.number}/merge", {"into": "999999"}, **HTMX)
    assert "There is no ticket #999999." in r.content.decode()
    r = client.post(f"/tickets/{support_ticket.number}/merge", {"into": "abc"})
    assert r.status_code == 422
    assert reload(support_ticket).merged_into_id is None


def test_panel_refresh_keeps_the_page_header_in_step(
    client: Client, alice_agent: Agent, support_ticket: Ticket
) -> None:
    actions.update_ticket(
        actor=alice_agent, ticket_id=support_ticket.pk, subject="Login loop on SSO", status="pending"
    )
    client.force_login(alice_agent)
    html = client.get(f"/tickets/{support_ticket.number}/properties", **HTMX).content.decode()
    assert '<span id="ticket-subject" hx-swap-oob="true">Login loop on SSO</span>' in html
    assert 'id="ticket-status" hx-swap-oob="true">Pending<' in html
    page = client.get(f"/tickets/{support_ticket.number}/").content.decode()
    assert "hx-swap-oob" not in page  # only fragments carry out-of-band parts
