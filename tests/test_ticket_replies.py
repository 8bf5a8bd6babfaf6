"""Public replies and internal notes: ``reply`` and ``add_note``."""

from __future__ import annotations

import pytest

from tests.support import fresh, make_agent, reload
from zabota.accounts.models import Role
from zabota.core.errors import IllegalTransition, NotFound, PermissionDenied, ValidationFailed
from zabota.tickets.actions import add_note, reply, update_ticket
from zabota.tickets.choices import MessageKind, Status
from zabota.tickets.queries import customer_messages

pytestmark = pytest.mark.django_db


def test_alices_first_reply_opens_a_new_ticket(alice_agent, support_ticket):
    message = reply(actor=alice_agent, ticket_id=support_ticket.pk, body_text="Try resetting your password.")

    assert message.kind == MessageKind.REPLY
    assert message.author_agent == alice_agent
    ticket = reload(support_ticket)
    assert ticket.status == Status.OPEN
    assert ticket.updated_at >= message.created_at
    assert message in customer_messages(ticket)


def test_alice_can_reply_and_set_pending_in_one_step(alice_agent, support_ticket):
    reply(actor=alice_agent, ticket_id=support_ticket.pk, body_text="Which browser?", status=Status.PENDING)

    assert reload(support_ticket).status == Status.PENDING


def test_replying_with_solved_records_when_it_was_solved(alice_agent, support_ticket):
    reply(actor=alice_agent, ticket_id=support_ticket.pk, body_text="Fixed!", status=Status.SOLVED)

    ticket = reload(support_ticket)
    assert ticket.status == Status.SOLVED
    assert ticket.solved_at is not None


@pytest.mark.parametrize("waiting", [Status.PENDING, Status.SOLVED])
def test_carols_reply_reopens_a_ticket_waiting_on_her_or_solved(
    alice_agent, carol_customer, support_ticket, waiting
):
    update_ticket(actor=alice_agent, ticket_id=support_ticket.pk, status=waiting)

    reply(actor=carol_customer, ticket_id=support_ticket.pk, body_text="Still broken.")

    ticket = reload(support_ticket)
    assert ticket.status == Status.OPEN
    assert ticket.solved_at is None


def test_carols_reply_leaves_an_on_hold_ticket_on_hold(alice_agent, carol_customer, support_ticket):
    update_ticket(actor=alice_agent, ticket_id=support_ticket.pk, status=Status.ON_HOLD)

    reply(actor=carol_customer, ticket_id=support_ticket.pk, body_text="Any news?")

    assert reload(support_ticket).status == Status.ON_HOLD


def test_carol_cannot_write_on_a_closed_ticket(alice_agent, carol_customer, support_ticket):
    update_ticket(actor=alice_agent, ticket_id=support_ticket.pk, status=Status.SOLVED)
    update_ticket(actor=alice_agent, ticket_id=support_ticket.pk, status=Status.CLOSED)

    with pytest.raises(IllegalTransition):
        reply(actor=carol_customer, ticket_id=support_ticket.pk, body_text="Hello again")

    assert support_ticket.messages.count() == 1


def test_an_agent_cannot_reply_on_a_closed_ticket(alice_agent, support_ticket):
    update_ticket(actor=alice_agent, ticket_id=support_ticket.pk, status=Status.SOLVED)
    update_ticket(actor=alice_agent, ticket_id=support_ticket.pk, status=Status.CLOSED)

    with pytest.raises(IllegalTransition):
        reply(actor=alice_agent, ticket_id=support_ticket.pk, body_text="One more thing")
    assert support_ticket.messages.count() == 1


def test_carol_cannot_reply_on_erins_ticket(carol_customer, billing_ticket):
    with pytest.raises(NotFound):
        reply(actor=carol_customer, ticket_id=billing_ticket.pk, body_text="Let me in")


def test_dave_the_collaborator_may_not_reply_publicly(dave_collaborator, support_ticket):
    with pytest.raises(PermissionDenied) as exc:
        reply(actor=dave_collaborator, ticket_id=support_ticket.pk, body_text="It's a bug in v2.3")

    assert exc.value.code == "reply_not_allowed"
    assert support_ticket.messages.count() == 1


def test_a_collaborator_allowed_to_reply_publicly_can(support_team, support_ticket):
    frank = make_agent("frank@zabota.test", Role.COLLABORATOR, can_reply_publicly=True)
    support_team.members.add(frank)

    message = reply(actor=fresh(frank), ticket_id=support_ticket.pk, body_text="Fixed in 2.3.1")

    assert message.kind == MessageKind.REPLY


def test_dave_writes_an_internal_note_that_carol_never_sees(dave_collaborator, support_ticket):
    note = add_note(actor=dave_collaborator, ticket_id=support_ticket.pk, body_text="Root cause: cache TTL")

    assert note.kind == MessageKind.NOTE
    assert note.author_agent == dave_collaborator
    assert note not in customer_messages(reload(support_ticket))


def test_a_note_does_not_change_the_status(alice_agent, support_ticket):
    add_note(actor=alice_agent, ticket_id=support_ticket.pk, body_text="Looking into it")

    assert reload(support_ticket).status == Status.NEW


def test_customers_cannot_write_notes(carol_customer, support_ticket):
    with pytest.raises(PermissionDenied):
        add_note(actor=carol_customer, ticket_id=support_ticket.pk, body_text="psst")


def test_bob_cannot_write_on_a_security_ticket_he_cannot_see(bob_other_team, security_ticket):
    with pytest.raises(NotFound):
        reply(actor=bob_other_team, ticket_id=security_ticket.pk, body_text="Hi")
    with pytest.raises(NotFound):
        add_note(actor=bob_other_team, ticket_id=security_ticket.pk, body_text="Hi")

    assert security_ticket.messages.count() == 1


def test_sam_on_the_security_team_can(sam_security, security_ticket):
    reply(actor=sam_security, ticket_id=security_ticket.pk, body_text="We locked the account.")

    assert security_ticket.messages.count() == 2


def test_an_empty_reply_is_refused(alice_agent, support_ticket):
    with pytest.raises(ValidationFailed) as exc:
        reply(actor=alice_agent, ticket_id=support_ticket.pk, body_text=" \n ")

    assert exc.value.fields == {"body": "required"}
    assert reload(support_ticket).status == Status.NEW


@pytest.mark.bug(
    "bodies() accepts HTML without any text, so an empty editor (<p><br></p>) sends a blank reply"
)
def test_a_reply_of_an_empty_editor_is_refused(alice_agent, support_ticket):
    with pytest.raises(ValidationFailed):
        reply(actor=alice_agent, ticket_id=support_ticket.pk, body_html="<p><br></p>")

    assert support_ticket.messages.count() == 1


def test_an_illegal_status_with_a_reply_stores_nothing(alice_agent, support_ticket):
    with pytest.raises(IllegalTransition):
        reply(actor=alice_agent, ticket_id=support_ticket.pk, body_text="Closing", status=Status.CLOSED)

    assert support_ticket.messages.count() == 1
    assert reload(support_ticket).status == Status.NEW


def test_reply_html_is_sanitised(alice_agent, support_ticket):
    message = reply(
        actor=alice_agent,
        ticket_id=support_ticket.pk,
        body_html='<a href="javascript:alert(1)">click</a> <img src=x onerror=alert(1)>',
    )

    assert "javascript:" not in message.body_html
    assert "onerror" not in message.body_html
    assert message.body_text == "click"


def test_the_system_can_post_an_automatic_reply(support_ticket):
    message = reply(actor=None, ticket_id=support_ticket.pk, body_text="Automatic: we got your message")

    assert message.author_type == "system"


def test_customers_see_replies_in_order(alice_agent, carol_customer, support_ticket):
    reply(actor=alice_agent, ticket_id=support_ticket.pk, body_text="one")
    add_note(actor=alice_agent, ticket_id=support_ticket.pk, body_text="internal")
    reply(actor=carol_customer, ticket_id=support_ticket.pk, body_text="two")

    texts = [m.body_text for m in customer_messages(reload(support_ticket))]
    assert texts == ["The login page says my password is wrong.", "one", "two"]
