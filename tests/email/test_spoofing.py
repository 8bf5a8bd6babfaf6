"""Spoofing stories: mallory tries to get into carol's conversation by email.

- forging carol's From on the thread when carol's domain's DMARC says it wasn't her: held;
- guessing the ticket number (in the subject, in a reply address without or with a wrong MAC):
  a ticket of her own, never a message on carol's;
- being copied by carol on a reply: mallory follows the ticket from then on (her own replies
  land there) but can read none of its history, in the portal or anywhere else;
- pretending to be our own support address: ignored, never a customer message.
"""

from __future__ import annotations

import pytest
from django.test import Client

from tests.email.support import mail, make_mailbox
from tests.web.test_portal_fixtures import sign_in_client
from zabota.channels.email import tokens
from zabota.channels.email.ingest import ingest
from zabota.channels.email.models import InboundEmail
from zabota.customers.models import Contact
from zabota.tickets.models import Follower, Message, Ticket

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def carols_ticket() -> Ticket:
    make_mailbox()
    out = ingest(mail(message_id="<secret-1@acme.test>", body="My password reset code is 4711"), source="t")
    return Ticket.objects.get(number=out.ticket)


def test_a_forged_from_that_fails_dmarc_is_held_not_posted(carols_ticket: Ticket) -> None:
    forged = mail(
        in_reply_to="<secret-1@acme.test>",
        body="Please send the code to mallory@evil.test",
        headers={
            "Authentication-Results": "mx.zabota.test; spf=fail smtp.mailfrom=evil.test; dmarc=fail header.from=acme.test"
        },
    )
    out = ingest(forged, source="t")
    assert out.outcome == "held"
    assert "DMARC" in out.reason
    assert carols_ticket.messages.count() == 1


@pytest.mark.parametrize(
    "to, subject",
    [
        ("support@zabota.test", "Re: [#{n}] My password"),
        ("support+t{n}@zabota.test", "Re: My password"),
        ("support+t{n}." + "a" * tokens.MAC_CHARS + "@zabota.test", "Re: My password"),
        ("support+t{n}.{other_mac}@zabota.test", "Re: My password"),  # a MAC for another ticket
    ],
)
def test_a_guessed_ticket_number_never_reaches_carols_ticket(
    carols_ticket: Ticket, to: str, subject: str
) -> None:
    n = carols_ticket.number
    to = to.format(n=n, other_mac=tokens.mac(n + 1))
    out = ingest(
        mail(sender="mallory@evil.test", to=to, subject=subject.format(n=n), body="hi"),
        source="t",
    )
    assert out.outcome == "created"
    assert out.ticket != n
    assert carols_ticket.messages.count() == 1


def test_someone_carol_copies_follows_from_now_on_but_cannot_read_the_history(carols_ticket: Ticket) -> None:
    out = ingest(
        mail(
            in_reply_to="<secret-1@acme.test>", cc="Mallory <mallory@evil.test>", body="Adding my colleague"
        ),
        source="t",
    )
    assert out.outcome == "threaded"
    mallory = Contact.objects.get(emails__email="mallory@evil.test")
    assert Follower.objects.filter(ticket=carols_ticket, contact=mallory).exists()

    portal = sign_in_client(Client(), mallory, carols_ticket.inbox)
    assert portal.get(f"/portal/requests/{carols_ticket.number}/").status_code == 404
    assert "4711" not in portal.get("/portal/requests/").content.decode()

    # Her own replies on the thread are accepted as hers.
    hers = ingest(
        mail(sender="mallory@evil.test", in_reply_to="<secret-1@acme.test>", body="Hello all"), source="t"
    )
    assert hers.outcome == "threaded"
    assert Message.objects.filter(ticket=carols_ticket, author_contact=mallory).count() == 1


def test_a_stranger_copied_by_a_stranger_gains_nothing(carols_ticket: Ticket) -> None:
    out = ingest(
        mail(sender="mallory@evil.test", in_reply_to="<secret-1@acme.test>", cc="eve@evil.test", body="hi"),
        source="t",
    )
    assert out.outcome == "held"
    assert not Follower.objects.filter(ticket=carols_ticket, contact__emails__email="eve@evil.test").exists()


def test_mail_claiming_to_be_from_our_own_address_is_ignored(carols_ticket: Ticket) -> None:
    out = ingest(
        mail(sender="Support <support@zabota.test>", in_reply_to="<secret-1@acme.test>", body="x"), source="t"
    )
    assert out.outcome == "ignored"
    assert InboundEmail.objects.get(pk=out.inbound_id).reason
    assert carols_ticket.messages.count() == 1
