"""Story: listeners of a batch see the same state a message processed alone would.

Round-robin routing assigns each new ticket as it is opened. A message later in the same batch
(the customer writing again on that new ticket; someone outside the ticket answering it) must
reach the agent the ticket was routed to, exactly as when the messages arrive one by one."""

from __future__ import annotations

import pytest

from tests.email.support import mail
from tests.support import make_agent
from zabota.accounts.models import Agent, Team
from zabota.channels.email import ingest
from zabota.channels.email.actions import save_mailbox
from zabota.notifications.models import Notification, NotificationKind
from zabota.routing.actions import save_team_routing
from zabota.routing.choices import RoutingMode
from zabota.tickets.actions.config import save_inbox
from zabota.tickets.models import Ticket

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def routed_inbox(admin: Agent, alice_agent: Agent, support_team: Team) -> Team:
    inbox = save_inbox(
        actor=admin, name="Support", slug="support", email="support@zabota.test", default_team=support_team
    )
    save_mailbox(actor=admin, inbox=inbox, address="support@zabota.test")
    save_team_routing(actor=admin, team=support_team, mode=RoutingMode.ROUND_ROBIN)
    return support_team


def _existing_ticket() -> Ticket:
    out = ingest.ingest(mail(subject="Old question", message_id="<old@acme.test>"), source="before")
    return Ticket.objects.get(number=out.ticket)


def _notified(kind: str, ticket: Ticket) -> set[str]:
    return set(Notification.objects.filter(kind=kind, ticket=ticket).values_list("agent__email", flat=True))


def test_a_customer_writing_again_in_the_batch_notifies_the_agent_the_new_ticket_went_to(
    routed_inbox: Team, alice_agent: Agent
) -> None:
    _existing_ticket()
    outcomes = ingest.ingest_many(
        [
            # A reply on an older ticket comes first in the backlog...
            (mail(subject="Re: Old question", body="any news?", in_reply_to="<old@acme.test>"), "b:0"),
            # ... then Ned opens a ticket (routed to alice) and writes again on it.
            (mail(sender="Ned <ned@n.test>", subject="New", message_id="<n1@n.test>"), "b:1"),
            (
                mail(sender="Ned <ned@n.test>", subject="Re: New", body="more", in_reply_to="<n1@n.test>"),
                "b:2",
            ),
        ]
    )
    assert [o.outcome for o in outcomes] == ["threaded", "created", "threaded"]
    ned = Ticket.objects.get(number=outcomes[1].ticket)
    assert ned.assignee == alice_agent
    # One at a time, alice is told that Ned wrote again on the ticket she was given.
    assert _notified(NotificationKind.CUSTOMER_REPLIED, ned) == {alice_agent.email}


def test_mail_held_on_a_ticket_opened_in_the_same_batch_alerts_its_assignee_only(
    routed_inbox: Team, alice_agent: Agent, admin: Agent
) -> None:
    ivan = make_agent("ivan@zabota.test", name="Ivan")
    routed_inbox.members.add(ivan)
    outcomes = ingest.ingest_many(
        [
            (mail(sender="Ned <ned@n.test>", subject="New", message_id="<n1@n.test>"), "b:0"),
            (
                mail(sender="Mallory <mallory@evil.test>", subject="Re: New", in_reply_to="<n1@n.test>"),
                "b:1",
            ),
        ]
    )
    assert [o.outcome for o in outcomes] == ["created", "held"]
    ticket = Ticket.objects.get(number=outcomes[0].ticket)
    assert ticket.assignee is not None
    # Alone, the held mail is announced to the ticket's assignee; the rest of the team is not
    # bothered.
    assert _notified(NotificationKind.EMAIL_HELD, ticket) == {ticket.assignee.email}
