"""Story: carol writes to support@ with dan in Cc; alice answers on the ticket. The answer reaches a
real SMTP server on loopback as one mail that threads under carol's: our Message-ID, In-Reply-To
and References to hers, a Reply-To that leads back to the ticket, the ticket number in the
subject, plain text and HTML, the attachment, the mailbox's name and signature, dan in Cc and
none of the ticket's earlier text. Carol's answer to it lands on the same ticket. When the
server is down the mail waits and is sent exactly once when it is back; a permanent refusal
marks the reply failed, visible to the agent."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
import time_machine

from tests.email.smtp_server import SmtpServer
from tests.email.support import mail
from tests.support import Api
from zabota.accounts.models import Agent
from zabota.channels.email import outbox, tokens
from zabota.channels.email.ingest import ingest
from zabota.channels.email.models import OutboundEmail, OutboundKind
from zabota.core import clock
from zabota.notifications.models import Notification, NotificationKind
from zabota.tickets.actions.common import Upload
from zabota.tickets.actions.replies import reply
from zabota.tickets.actions.update import update_ticket
from zabota.tickets.models import Message, Ticket

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def smtp() -> Iterator[SmtpServer]:
    server = SmtpServer()
    server.start()
    yield server
    server.stop()


def carol_writes(cc: str | None = None, body: str = "Hello, the printer is on fire.") -> Ticket:
    out = ingest(mail(message_id="<q1@acme.test>", cc=cc, body=body), source="test")
    assert out.outcome == "created" and out.ticket is not None
    return Ticket.objects.get(number=out.ticket)


def replies_of(server: SmtpServer) -> list:  # type: ignore[type-arg]
    return [m for m in server.received if not m["Auto-Submitted"]]


def test_an_agent_reply_threads_under_the_customers_mail(smtp: SmtpServer, alice_agent: Agent) -> None:
    smtp.mailbox(signature="Zabota support\n+7 000 000-00-00")
    ticket = carol_writes(cc="Dan <dan@acme.test>", body="Hello, the printer is on fire. Our secret: 42.")

    message = reply(
        actor=alice_agent,
        ticket_id=ticket.pk,
        body_text="We have sent a fire engine.",
        body_html="<p>We have sent a <b>fire engine</b>.</p>",
        attachments=[Upload(name="engine.txt", content=b"ladder, hose\n")],
    )

    [sent] = replies_of(smtp)
    row = OutboundEmail.objects.get(message=message)
    assert sent["Message-ID"] == f"<{row.mail_id}>" and row.mail_id.endswith("@zabota.test")
    assert sent["In-Reply-To"] == "<q1@acme.test>"
    assert "<q1@acme.test>" in sent["References"]
    assert tokens.ticket_number_from([str(sent["Reply-To"])]) == ticket.number
    assert sent["Subject"] == f"Re: Printer is on fire [#{ticket.number}]"
    assert sent["From"] == "Support team <support@zabota.test>"
    assert sent["To"].addresses[0].addr_spec == "carol@acme.test"
    assert [a.addr_spec for a in sent["Cc"].addresses] == ["dan@acme.test"]
    assert sorted(smtp.handler.envelopes[-1]) == ["carol@acme.test", "dan@acme.test"]
    assert sent["Auto-Submitted"] is None  # a person wrote it

    body = sent.get_body(preferencelist=("plain",))
    html = sent.get_body(preferencelist=("html",))
    assert body is not None and html is not None
    assert [p.get_content_type() for p in sent.walk()][:4] == [
        "multipart/mixed",
        "multipart/alternative",
        "text/plain",
        "text/html",
    ]
    text = body.get_content()
    assert "We have sent a fire engine." in text and "Zabota support" in text
    assert "<b>fire engine</b>" in html.get_content()
    assert "secret" not in text and "secret" not in html.get_content()  # no history, for dan
    [attachment] = list(sent.iter_attachments())
    assert attachment.get_filename() == "engine.txt"
    assert attachment.get_content().strip() == "ladder, hose"

    message.refresh_from_db()
    assert message.delivery_status == "sent"


def test_the_customers_answer_to_our_mail_threads_back_to_the_ticket(
    smtp: SmtpServer, alice_agent: Agent
) -> None:
    smtp.mailbox()
    ticket = carol_writes()
    reply(actor=alice_agent, ticket_id=ticket.pk, body_text="Is it still burning?")
    [ours] = replies_of(smtp)

    # A client that keeps the headers, and one that drops them but answers to Reply-To.
    by_headers = ingest(
        mail(
            subject=str(ours["Subject"]),
            body="Yes, a little.",
            in_reply_to=str(ours["Message-ID"]),
            references=f"<q1@acme.test> {ours['Message-ID']}",
        ),
        source="test",
    )
    by_address = ingest(
        mail(subject="printer", body="Now it is out.", to=str(ours["Reply-To"])), source="test"
    )

    assert (by_headers.outcome, by_headers.ticket) == ("threaded", ticket.number)
    assert (by_address.outcome, by_address.ticket) == ("threaded", ticket.number)
    assert Ticket.objects.count() == 1
    assert [m.body_text for m in ticket.messages.filter(author_contact__isnull=False)][-2:] == [
        "Yes, a little.",
        "Now it is out.",
    ]


def test_a_server_that_is_down_gets_the_mail_once_it_is_back(smtp: SmtpServer, alice_agent: Agent) -> None:
    smtp.mailbox(auto_ack_enabled=False)
    ticket = carol_writes()
    smtp.stop()
    start = clock.now()

    message = reply(actor=alice_agent, ticket_id=ticket.pk, body_text="We are on it.")

    row = OutboundEmail.objects.get(message=message)
    mail_id = row.mail_id
    assert (row.status, row.attempts) == ("queued", 1)
    assert "Connection refused" in row.last_error or "refused" in row.last_error.lower()
    assert row.next_attempt_at >= start + timedelta(minutes=1)
    assert outbox.send_due() == 0  # not due yet
    with time_machine.travel(start + timedelta(minutes=2), tick=False):
        assert outbox.send_due() == 0  # still down: a longer wait
    row.refresh_from_db()
    assert (row.status, row.attempts) == ("queued", 2)
    assert row.next_attempt_at >= start + timedelta(minutes=4)
    message.refresh_from_db()
    assert message.delivery_status == "queued"

    smtp.start()
    with time_machine.travel(start + timedelta(minutes=5), tick=False):
        assert outbox.send_due() == 1
        assert outbox.send_due() == 0
    assert outbox.send(row.pk) == "skipped"

    [sent] = smtp.received
    assert sent["Message-ID"] == f"<{mail_id}>"  # the same on every attempt
    row.refresh_from_db()
    message.refresh_from_db()
    assert (row.status, row.attempts, message.delivery_status) == ("sent", 3, "sent")


def test_a_permanent_refusal_fails_the_reply_and_a_temporary_one_is_retried(
    smtp: SmtpServer, alice_agent: Agent, alice_api: Api
) -> None:
    smtp.mailbox(auto_ack_enabled=False)
    ticket = carol_writes()
    update_ticket(actor=alice_agent, ticket_id=ticket.pk, assignee=alice_agent)

    smtp.handler.refuse = "451 4.3.0 Try again later"
    later = reply(actor=alice_agent, ticket_id=ticket.pk, body_text="First answer")
    smtp.handler.refuse = "550 5.1.1 <carol@acme.test>: no such user"
    never = reply(actor=alice_agent, ticket_id=ticket.pk, body_text="Second answer")

    assert OutboundEmail.objects.get(message=later).status == "queued"
    failed = OutboundEmail.objects.get(message=never)
    assert failed.status == "failed" and "550" in failed.last_error
    detail = alice_api.get(f"/tickets/{ticket.pk}").json()
    states = {
        item["message"]["body_text"]: item["message"]["delivery_status"]
        for item in detail["timeline"]
        if item["type"] == "message"
    }
    assert states["First answer"] == "queued" and states["Second answer"] == "failed"
    assert smtp.received == []
    # The agent hears about it, once, as about a bounce: the customer did not get the reply.
    alerts = Notification.objects.filter(ticket=ticket, kind=NotificationKind.BOUNCED)
    assert [(n.agent_id, n.message_id) for n in alerts] == [(alice_agent.pk, never.pk)]
    assert "carol@acme.test" in alerts[0].actor_name


def test_a_mail_that_cannot_be_delivered_for_four_days_is_failed(
    smtp: SmtpServer, alice_agent: Agent
) -> None:
    smtp.mailbox(auto_ack_enabled=False)
    ticket = carol_writes()
    smtp.stop()
    message = reply(actor=alice_agent, ticket_id=ticket.pk, body_text="Hello?")
    row = OutboundEmail.objects.get(message=message)

    with time_machine.travel(clock.now() + timedelta(days=3, hours=23), tick=False):
        outbox.send_due()
    row.refresh_from_db()
    assert row.status == "queued"
    with time_machine.travel(clock.now() + timedelta(days=4, minutes=1), tick=False):
        outbox.send_due()
    row.refresh_from_db()
    assert row.status == "failed"
    assert Message.objects.get(pk=message.pk).delivery_status == "failed"


def test_two_workers_never_claim_the_same_row(smtp: SmtpServer, alice_agent: Agent) -> None:
    smtp.mailbox(auto_ack_enabled=False)
    ticket = carol_writes()
    smtp.stop()
    reply(actor=alice_agent, ticket_id=ticket.pk, body_text="Hello")
    row = OutboundEmail.objects.get(kind=OutboundKind.REPLY)
    with time_machine.travel(clock.now() + timedelta(minutes=5), tick=False):
        assert outbox.claim(row.pk) is True
        assert outbox.claim(row.pk) is False
