"""Who may be assigned a ticket: restricted teams, collaborators, deactivated agents."""

from __future__ import annotations

import pytest

from tests.support import make_agent, open_ticket, reload
from zabota.accounts.models import Agent
from zabota.core.errors import ValidationFailed
from zabota.tickets.actions import update_ticket
from zabota.tickets.choices import Status
from zabota.tickets.queries import visible_tickets

pytestmark = pytest.mark.django_db


def test_assigning_a_new_ticket_opens_it(alice_agent, support_ticket):
    update_ticket(actor=alice_agent, ticket_id=support_ticket.pk, assignee=alice_agent)

    ticket = reload(support_ticket)
    assert ticket.assignee == alice_agent
    assert ticket.status == Status.OPEN
    rows = [(a.field, a.after) for a in ticket.activity.filter(verb="changed")]
    assert ("assignee", {"id": alice_agent.pk, "name": "Alice Agent"}) in rows
    assert ("status", "open") in rows


def test_assigning_with_an_explicit_status_keeps_that_status(alice_agent, support_ticket):
    update_ticket(actor=alice_agent, ticket_id=support_ticket.pk, assignee=alice_agent, status=Status.PENDING)

    assert reload(support_ticket).status == Status.PENDING


def test_any_agent_may_work_a_ticket_of_an_unrestricted_team(alice_agent, bob_other_team, support_ticket):
    update_ticket(actor=alice_agent, ticket_id=support_ticket.pk, assignee=bob_other_team)

    assert reload(support_ticket).assignee == bob_other_team


def test_a_security_ticket_can_only_go_to_a_member_of_security(
    admin, bob_other_team, sam_security, security_ticket
):
    with pytest.raises(ValidationFailed) as exc:
        update_ticket(actor=admin, ticket_id=security_ticket.pk, assignee=bob_other_team)
    assert exc.value.code == "not_assignable"
    assert exc.value.fields == {"assignee_id": "not_on_team"}
    assert reload(security_ticket).assignee is None

    update_ticket(actor=admin, ticket_id=security_ticket.pk, assignee=sam_security)
    assert reload(security_ticket).assignee == sam_security


def test_admins_can_be_assigned_anything(admin, sam_security, security_ticket):
    update_ticket(actor=sam_security, ticket_id=security_ticket.pk, assignee=admin)

    assert reload(security_ticket).assignee == admin


def test_a_collaborator_is_assignable_only_within_their_teams(
    alice_agent, dave_collaborator, support_ticket, billing_ticket
):
    update_ticket(actor=alice_agent, ticket_id=support_ticket.pk, assignee=dave_collaborator)
    assert reload(support_ticket).assignee == dave_collaborator

    with pytest.raises(ValidationFailed):
        update_ticket(actor=alice_agent, ticket_id=billing_ticket.pk, assignee=dave_collaborator)
    assert reload(billing_ticket).assignee is None


def test_a_deactivated_agent_cannot_be_assigned(alice_agent, support_ticket):
    gone = make_agent("gone@zabota.test")
    Agent.objects.filter(pk=gone.pk).update(is_active=False)  # no deactivate action yet

    with pytest.raises(ValidationFailed) as exc:
        update_ticket(actor=alice_agent, ticket_id=support_ticket.pk, assignee=Agent.objects.get(pk=gone.pk))

    assert exc.value.fields == {"assignee_id": "inactive"}


def test_moving_a_ticket_to_security_returns_it_to_the_queue_when_the_assignee_is_not_a_member(
    admin, bob_other_team, support_ticket, security_team
):
    update_ticket(actor=admin, ticket_id=support_ticket.pk, assignee=bob_other_team)

    update_ticket(actor=admin, ticket_id=support_ticket.pk, team=security_team)

    ticket = reload(support_ticket)
    assert ticket.team == security_team
    assert ticket.assignee is None
    last = ticket.activity.filter(field="assignee").last()
    assert last.before == {"id": bob_other_team.pk, "name": "Bob Billing"}
    assert last.after is None


def test_moving_to_a_team_the_assignee_is_on_keeps_the_assignee(
    admin, sam_security, support_ticket, security_team
):
    update_ticket(actor=admin, ticket_id=support_ticket.pk, assignee=sam_security)

    update_ticket(actor=admin, ticket_id=support_ticket.pk, team=security_team)

    assert reload(support_ticket).assignee == sam_security


def test_team_and_assignee_in_one_call_are_checked_together(
    admin, sam_security, support_ticket, security_team
):
    update_ticket(actor=admin, ticket_id=support_ticket.pk, team=security_team, assignee=sam_security)

    ticket = reload(support_ticket)
    assert (ticket.team, ticket.assignee) == (security_team, sam_security)


def test_unassigning(alice_agent, support_ticket):
    update_ticket(actor=alice_agent, ticket_id=support_ticket.pk, assignee=alice_agent)
    update_ticket(actor=alice_agent, ticket_id=support_ticket.pk, assignee=None)

    ticket = reload(support_ticket)
    assert ticket.assignee is None
    assert ticket.status == Status.OPEN  # unassigning does not send it back to new


def test_a_collaborator_assigned_a_ticket_without_a_team_then_sees_it(
    alice_agent, dave_collaborator, erin_customer
):
    ticket = open_ticket(erin_customer)  # no team
    assert not visible_tickets(dave_collaborator).filter(pk=ticket.pk).exists()

    update_ticket(actor=alice_agent, ticket_id=ticket.pk, assignee=dave_collaborator)

    assert visible_tickets(dave_collaborator).filter(pk=ticket.pk).exists()
