"""Merging a duplicate ticket into another: ``merge_tickets``."""

from __future__ import annotations

import pytest

from tests.support import assert_error, open_ticket, reload
from zabota.core.errors import Conflict, IllegalTransition, NotFound, PermissionDenied
from zabota.tickets.actions import add_follower, add_note, merge_tickets, reply, update_ticket
from zabota.tickets.choices import Status
from zabota.tickets.models import Follower

pytestmark = pytest.mark.django_db


@pytest.fixture
def duplicate(carol_customer, support_team):
    """Carol wrote twice about the same problem."""
    return open_ticket(
        carol_customer,
        "Login broken again",
        "Same as before, still cannot log in.",
        team=support_team,
        tags=["login"],
    )


def test_the_duplicates_messages_tags_and_followers_move_to_the_kept_ticket(
    alice_agent, dave_collaborator, support_ticket, duplicate
):
    add_note(actor=alice_agent, ticket_id=duplicate.pk, body_text="Probably the SSO outage")
    add_follower(actor=alice_agent, ticket_id=duplicate.pk, agent=dave_collaborator)

    kept = merge_tickets(actor=alice_agent, source_id=duplicate.pk, target_id=support_ticket.pk)

    assert kept == support_ticket
    assert duplicate.messages.count() == 0
    bodies = list(support_ticket.messages.values_list("body_text", flat=True))
    assert bodies == [
        "The login page says my password is wrong.",
        "Same as before, still cannot log in.",
        "Probably the SSO outage",
    ]
    assert list(support_ticket.tags.values_list("name", flat=True)) == ["login"]
    assert Follower.objects.filter(ticket=support_ticket, agent=dave_collaborator).exists()
    # Carol followed both: she still follows the kept ticket once.
    assert Follower.objects.filter(ticket=support_ticket, contact=support_ticket.requester).count() == 1


def test_the_duplicate_is_closed_and_points_at_the_kept_ticket(alice_agent, support_ticket, duplicate):
    merge_tickets(actor=alice_agent, source_id=duplicate.pk, target_id=support_ticket.pk)

    source = reload(duplicate)
    assert source.status == Status.CLOSED
    assert source.merged_into_id == support_ticket.pk
    assert source.number == duplicate.number  # links to the old number still lead somewhere


def test_both_timelines_record_the_merge(alice_agent, support_ticket, duplicate):
    merge_tickets(actor=alice_agent, source_id=duplicate.pk, target_id=support_ticket.pk)

    merged_into = duplicate.activity.get(verb="merged_into")
    assert merged_into.before == "new"
    assert merged_into.after == {"status": "closed", "ticket": support_ticket.number}
    assert merged_into.actor_agent == alice_agent
    merged_from = support_ticket.activity.get(verb="merged_from")
    assert merged_from.after == {"ticket": duplicate.number}


def test_a_ticket_cannot_be_merged_into_itself(alice_agent, support_ticket):
    with pytest.raises(Conflict) as exc:
        merge_tickets(actor=alice_agent, source_id=support_ticket.pk, target_id=support_ticket.pk)

    assert exc.value.code == "merge_into_self"
    assert reload(support_ticket).status == Status.NEW


def test_the_api_answers_merging_into_itself_with_409(alice_api, support_ticket):
    response = alice_api.post(f"/tickets/{support_ticket.pk}/merge", {"into_ticket_id": support_ticket.pk})

    assert_error(response, 409, "merge_into_self")


def test_nobody_can_write_on_a_merged_ticket(alice_agent, carol_customer, support_ticket, duplicate):
    merge_tickets(actor=alice_agent, source_id=duplicate.pk, target_id=support_ticket.pk)

    with pytest.raises(IllegalTransition) as exc:
        reply(actor=alice_agent, ticket_id=duplicate.pk, body_text="Hello?")
    assert exc.value.code == "ticket_merged"
    with pytest.raises(IllegalTransition):
        add_note(actor=alice_agent, ticket_id=duplicate.pk, body_text="note")
    with pytest.raises(IllegalTransition):
        reply(actor=carol_customer, ticket_id=duplicate.pk, body_text="Hello?")
    with pytest.raises(IllegalTransition):
        update_ticket(actor=alice_agent, ticket_id=duplicate.pk, status=Status.OPEN)
    assert duplicate.messages.count() == 0


def test_the_api_refuses_a_reply_on_a_merged_ticket_with_409(
    alice_agent, alice_api, support_ticket, duplicate
):
    merge_tickets(actor=alice_agent, source_id=duplicate.pk, target_id=support_ticket.pk)

    response = alice_api.post(f"/tickets/{duplicate.pk}/replies", {"body": "Hello?"})

    error = assert_error(response, 409, "ticket_merged")
    assert str(duplicate.number) in error["message"]


def test_a_merged_ticket_cannot_be_merged_again(alice_agent, carol_customer, support_ticket, duplicate):
    third = open_ticket(carol_customer, "And again")
    merge_tickets(actor=alice_agent, source_id=duplicate.pk, target_id=support_ticket.pk)

    with pytest.raises(IllegalTransition):
        merge_tickets(actor=alice_agent, source_id=duplicate.pk, target_id=third.pk)
    with pytest.raises(IllegalTransition):
        merge_tickets(actor=alice_agent, source_id=third.pk, target_id=duplicate.pk)


def test_nothing_can_be_merged_into_a_closed_ticket(alice_agent, support_ticket, duplicate):
    update_ticket(actor=alice_agent, ticket_id=support_ticket.pk, status=Status.SOLVED)
    update_ticket(actor=alice_agent, ticket_id=support_ticket.pk, status=Status.CLOSED)

    with pytest.raises(IllegalTransition):
        merge_tickets(actor=alice_agent, source_id=duplicate.pk, target_id=support_ticket.pk)
    assert duplicate.messages.count() == 1


def test_collaborators_cannot_merge(dave_collaborator, support_ticket, duplicate):
    with pytest.raises(PermissionDenied):
        merge_tickets(actor=dave_collaborator, source_id=duplicate.pk, target_id=support_ticket.pk)


def test_bob_cannot_merge_into_a_ticket_he_cannot_see(bob_other_team, billing_ticket, security_ticket):
    with pytest.raises(NotFound):
        merge_tickets(actor=bob_other_team, source_id=billing_ticket.pk, target_id=security_ticket.pk)

    assert reload(billing_ticket).merged_into_id is None
    assert billing_ticket.messages.count() == 1
