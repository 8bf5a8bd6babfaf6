"""Story: carol opens a ticket by email and is told, in her language, that it is registered and
what happens next — once per day however many she opens, and never in answer to a robot
(out-of-office, bulk mail, noreply senders). Only agents' public replies on email tickets go out
by mail: an internal note never does, and a reply a crash kept from the outbox is sent by the
sweep, once."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.core import mail as django_mail

from tests.email.smtp_server import SmtpServer
from tests.email.support import mail, make_mailbox
from zabota.accounts.models import Agent
from zabota.channels.email import listeners, outbox, tokens
from zabota.channels.email.ingest import ingest
from zabota.channels.email.models import OutboundEmail, OutboundKind
from zabota.core import clock
from zabota.core import events as core_events
from zabota.customers.models import Contact
from zabota.tickets.actions.create import create_ticket
from zabota.tickets.actions.replies import add_note, reply
from zabota.tickets.choices import Channel, MessageKind
from zabota.tickets.events import MessageAdded
from zabota.tickets.models import Message, Ticket

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def smtp() -> Iterator[SmtpServer]:
    server = SmtpServer()
    server.start()
    yield server
    server.stop()


def opened(raw: bytes) -> Ticket:
    number = ingest(raw, source="test").ticket
    assert number is not None
    return Ticket.objects.get(number=number)


def test_a_new_email_ticket_is_acknowledged_as_an_automatic_reply(smtp: SmtpServer) -> None:
    smtp.mailbox()
    out = ingest(mail(message_id="<q1@acme.test>"), source="test")

    [ack] = smtp.received
    assert ack["Auto-Submitted"] == "auto-replied"
    assert ack["X-Auto-Response-Suppress"] == "All"
    assert ack["In-Reply-To"] == "<q1@acme.test>"
    assert ack["Subject"] == f"Re: Printer is on fire [#{out.ticket}]"
    assert tokens.ticket_number_from([str(ack["Reply-To"])]) == out.ticket
    body = ack.get_body(preferencelist=("plain",))
    assert body is not None
    text = body.get_content()
    assert f"registered as ticket #{out.ticket}" in text and "What happens next" in text
    assert OutboundEmail.objects.get().kind == OutboundKind.AUTO_ACK

    # Her answer to the acknowledgement belongs to the same ticket.
    again = ingest(mail(body="One more detail", in_reply_to=str(ack["Message-ID"])), source="test")
    assert (again.outcome, again.ticket) == ("threaded", out.ticket)
    assert len(smtp.received) == 1  # a reply on a ticket is not acknowledged


def test_a_russian_customer_is_acknowledged_in_russian_and_templates_are_per_inbox(smtp: SmtpServer) -> None:
    smtp.mailbox(
        auto_ack_subject_en="[{inbox} #{number}] received: {subject}",
        auto_ack_body_en="Dear {name}, ticket {number} is ours now. {unknown} stays as typed.",
    )
    ru = ingest(
        mail(
            sender="Иван <ivan@acme.test>",
            subject="Не печатает принтер",
            body="Здравствуйте, принтер не печатает.",
        ),
        source="test",
    )
    en = ingest(mail(), source="test")

    ru_ack, en_ack = smtp.received
    ru_body = ru_ack.get_body(preferencelist=("plain",))
    en_body = en_ack.get_body(preferencelist=("plain",))
    assert ru_body is not None and en_body is not None
    assert f"зарегистрировано под номером #{ru.ticket}" in ru_body.get_content()
    # (Python's parser keeps the space of the folded encoded word; mail clients drop it.)
    assert ru_ack["Subject"].strip() == f"Re: Не печатает принтер [#{ru.ticket}]"
    assert en_ack["Subject"] == f"[Support #{en.ticket}] received: Printer is on fire"
    assert f"Dear Carol, ticket {en.ticket} is ours now. {{unknown}} stays as typed." in en_body.get_content()


@pytest.mark.parametrize(
    ("sender", "headers"),
    [
        ("Carol <carol@acme.test>", {"Auto-Submitted": "auto-replied"}),
        ("Carol <carol@acme.test>", {"Precedence": "bulk"}),
        ("Shop <noreply@shop.test>", {}),
        ("Mailer <mailer-daemon@acme.test>", {"Subject-Note": "x"}),
    ],
)
def test_no_acknowledgement_to_a_robot(smtp: SmtpServer, sender: str, headers: dict[str, str]) -> None:
    smtp.mailbox()
    out = ingest(mail(sender=sender, subject="Your order", headers=headers), source="test")

    assert out.outcome == "created"  # the mail is kept as a ticket, only not answered
    assert smtp.received == []
    assert not OutboundEmail.objects.exists()


def test_one_acknowledgement_per_sender_per_day(smtp: SmtpServer) -> None:
    smtp.mailbox()
    start = clock.now()
    ingest(mail(subject="First"), source="test")
    ingest(mail(subject="Second"), source="test")
    ingest(mail(sender="dan@acme.test", subject="Dan's"), source="test")
    with time_machine.travel(start + timedelta(hours=23), tick=False):
        ingest(mail(subject="Third"), source="test")
    with time_machine.travel(start + timedelta(hours=25), tick=False):
        ingest(mail(subject="Fourth"), source="test")

    assert Ticket.objects.count() == 5
    assert [m["Subject"].split(" [#")[0] for m in smtp.received] == ["Re: First", "Re: Dan's", "Re: Fourth"]


def test_system_mail_per_ticket_is_limited(settings: Any, alice_agent: Agent) -> None:
    settings.EMAIL_SYSTEM_MAIL_LIMIT = 2
    make_mailbox().__class__.objects.update(auto_ack_enabled=False)
    ticket = opened(mail())
    queued = [
        outbox.queue_system_mail(
            ticket=ticket,
            kind=OutboundKind.NOTIFICATION,
            purpose=f"notice-{i}",
            subject="Notice",
            body_text="Something happened",
            to=["carol@acme.test"],
        )
        for i in range(3)
    ]
    assert [row is not None for row in queued] == [True, True, False]
    assert all(m.extra_headers["Auto-Submitted"] == "auto-replied" for m in django_mail.outbox)
    reply(actor=alice_agent, ticket_id=ticket.pk, body_text="A person's reply is never limited")
    assert OutboundEmail.objects.filter(kind=OutboundKind.REPLY).count() == 1


def test_only_agents_public_replies_on_email_tickets_are_mailed(
    admin: Agent, alice_agent: Agent, carol_customer: Contact
) -> None:
    make_mailbox().__class__.objects.update(auto_ack_enabled=False)
    ticket = opened(mail())

    add_note(actor=alice_agent, ticket_id=ticket.pk, body_text="Internal: it was the toner")
    reply(actor=None, author_contact=carol_customer, ticket_id=ticket.pk, body_text="Any news?")
    portal = create_ticket(
        actor=carol_customer,
        requester=carol_customer,
        subject="From the portal",
        body_text="Hi",
        channel=Channel.PORTAL,
    )
    reply(actor=admin, ticket_id=portal.pk, body_text="Answered on the portal")

    assert not OutboundEmail.objects.exists()
    assert django_mail.outbox == []
    assert set(Message.objects.values_list("delivery_status", flat=True)) == {""}

    answer = reply(actor=alice_agent, ticket_id=ticket.pk, body_text="Fixed")
    [sent] = django_mail.outbox
    assert "Internal" not in sent.body and "Any news" not in sent.body
    assert OutboundEmail.objects.get().message == answer


def test_a_reply_the_listener_never_saw_is_sent_by_the_sweep(
    monkeypatch: pytest.MonkeyPatch, alice_agent: Agent
) -> None:
    box = make_mailbox()
    box.auto_ack_enabled = False
    box.save()
    ticket = opened(mail())
    # The process dies after the reply's commit, before the email channel's listener runs.
    registry: dict[type[core_events.Event], list[Any]] = defaultdict(
        list, {k: list(v) for k, v in core_events._listeners.items()}
    )
    registry[MessageAdded].remove(listeners.queue_reply_mail)
    monkeypatch.setattr(core_events, "_listeners", registry)
    answer = reply(actor=alice_agent, ticket_id=ticket.pk, body_text="Fixed")
    assert not OutboundEmail.objects.exists() and django_mail.outbox == []
    monkeypatch.undo()

    assert outbox.ensure_outbox() == 1
    assert outbox.ensure_outbox() == 0
    assert outbox.queue_reply(answer.pk) == OutboundEmail.objects.get()
    [sent] = django_mail.outbox
    assert (
        sent.extra_headers["Message-ID"] == f"<{outbox.outbound_mail_id('reply', answer.pk, 'zabota.test')}>"
    )
    answer.refresh_from_db()
    assert (answer.kind, answer.delivery_status) == (MessageKind.REPLY, "sent")
