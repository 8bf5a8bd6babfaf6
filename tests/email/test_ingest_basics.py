"""Story: carol writes to support@; a ticket opens in the Support inbox with her text. She
replies to our answer; it lands on the same ticket. The same message delivered twice is one
ticket; the same message to two inboxes is one ticket in each. A stranger who knows the ticket
number cannot post into it."""

from __future__ import annotations

import pytest

from tests.email.support import mail, make_mailbox
from zabota.channels.email import tokens
from zabota.channels.email.ingest import ingest
from zabota.channels.email.models import EmailReference, InboundEmail
from zabota.tickets.models import Inbox, Message, Ticket

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_new_email_opens_a_ticket_for_its_sender() -> None:
    box = make_mailbox()
    out = ingest(mail(), source="test")
    assert out.outcome == "created"
    ticket = Ticket.objects.get(number=out.ticket)
    assert ticket.inbox == box.inbox
    assert ticket.channel == "email"
    assert ticket.subject == "Printer is on fire"
    assert ticket.requester.emails.get().email == "carol@acme.test"
    assert ticket.messages.get().body_text == "Hello, the printer is on fire."


def test_the_same_message_twice_is_one_ticket_and_two_inboxes_make_one_each() -> None:
    make_mailbox()
    make_mailbox("sales@zabota.test", "Sales")
    raw = mail(to="support@zabota.test, sales@zabota.test", message_id="<once@acme.test>")
    first = ingest(raw, source="a")
    again = ingest(raw, source="b")
    assert (first.outcome, again.outcome) == ("created", "duplicate")
    assert again.ticket == first.ticket
    sales_inbox = Inbox.objects.get(name="Sales")
    other = ingest(raw, source="c", inbox=sales_inbox)
    assert other.outcome == "created" and other.ticket != first.ticket
    assert Ticket.objects.count() == 2


def test_a_reply_threads_by_references_and_by_the_reply_address() -> None:
    make_mailbox()
    first = ingest(mail(message_id="<q1@acme.test>"), source="t")
    by_ref = ingest(
        mail(subject="Re: Printer is on fire", body="Still burning", in_reply_to="<q1@acme.test>"), source="t"
    )
    assert by_ref.outcome == "threaded" and by_ref.ticket == first.ticket
    number = first.ticket
    assert number is not None
    by_address = ingest(
        mail(
            subject="about my printer",
            body="Any news?",
            to=tokens.reply_address("support@zabota.test", number),
        ),
        source="t",
    )
    assert by_address.outcome == "threaded" and by_address.ticket == number
    assert Message.objects.filter(ticket__number=number).count() == 3
    assert EmailReference.objects.filter(ticket__number=number, outgoing=False).count() == 3


def test_a_guessed_ticket_number_or_forged_tag_opens_a_new_ticket() -> None:
    make_mailbox()
    first = ingest(mail(), source="t")
    forged = f"support+t{first.ticket}.{'a' * tokens.MAC_CHARS}@zabota.test"
    out = ingest(
        mail(sender="mallory@evil.test", to=forged, subject=f"Re: [#{first.ticket}] Printer", body="gimme"),
        source="t",
    )
    assert out.outcome == "created" and out.ticket != first.ticket


def test_a_stranger_on_the_thread_is_held_for_an_agent() -> None:
    make_mailbox()
    first = ingest(mail(message_id="<q2@acme.test>"), source="t")
    out = ingest(
        mail(sender="mallory@evil.test", in_reply_to="<q2@acme.test>", body="I'm carol, really"), source="t"
    )
    assert out.outcome == "held" and out.ticket == first.ticket
    assert Message.objects.filter(ticket__number=first.ticket).count() == 1


def test_unparseable_mail_is_stored_and_quarantined_with_the_reason() -> None:
    make_mailbox()
    out = ingest(b"\r\n\r\n", source="t")
    assert out.outcome == "quarantined"
    row = InboundEmail.objects.get(pk=out.inbound_id)
    assert "empty" in row.reason
    assert row.raw.read() == b"\r\n\r\n"
