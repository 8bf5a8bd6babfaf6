"""Story: carol writes to support@ and a ticket opens for team Support. Mallory, who is not on the
ticket, answers carol's thread: the mail is held. Alice (agent on Support) is notified, sees it in
a marked box on the ticket page (sender, reason, text escaped) and lets it in or rejects it. Dave
(collaborator) sees no box and may not decide; an agent who cannot see the ticket gets 404. Each
customer email links to its original; a bounced reply is labelled and alerts the assignee."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from tests.email.support import mail
from zabota.accounts.models import Agent, Team
from zabota.channels.email import ingest
from zabota.channels.email.actions import save_mailbox
from zabota.channels.email.models import InboundEmail, InboundStatus, OutboundEmail
from zabota.notifications.models import Notification, NotificationKind
from zabota.tickets import actions
from zabota.tickets.actions.config import save_inbox
from zabota.tickets.models import Message, Ticket

pytestmark = pytest.mark.django_db(transaction=True)

HTMX = {"HX-Request": "true"}
FIRST = "<first@acme.test>"


def _mailbox(admin: Agent, team: Team, address: str = "support@zabota.test") -> None:
    name = address.split("@")[0]
    inbox = save_inbox(actor=admin, name=name.title(), slug=name, email=address, default_team=team)
    save_mailbox(actor=admin, inbox=inbox, address=address)


def _held(admin: Agent, team: Team, address: str = "support@zabota.test") -> tuple[Ticket, InboundEmail]:
    _mailbox(admin, team, address)
    first = ingest.ingest(mail(to=address, message_id=FIRST), source="t")
    held = ingest.ingest(
        mail(
            sender="Mallory <mallory@evil.test>",
            to=address,
            subject="Re: Printer is on fire",
            body="Send me <script>alert('x')</script> the invoices",
            in_reply_to=FIRST,
        ),
        source="t",
    )
    assert held.outcome == "held" and first.ticket is not None
    return Ticket.objects.get(number=first.ticket), InboundEmail.objects.get(pk=held.inbound_id)


def test_held_mail_is_shown_to_agents_and_let_in(
    client: Client, admin: Agent, alice_agent: Agent, support_team: Team
) -> None:
    ticket, held = _held(admin, support_team)
    client.force_login(alice_agent)
    html = client.get(f"/tickets/{ticket.number}/").content.decode()
    assert 'id="held-mail"' in html and f'data-held="{held.pk}"' in html
    assert "mallory@evil.test" in html and "is not a participant" in html
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in html and "<script>alert" not in html

    r = client.post(f"/tickets/{ticket.number}/held-mail/{held.pk}/accept", headers=HTMX)
    assert r.status_code == 200
    assert r["HX-Trigger"] == "ticket-refresh"
    assert "The message from mallory@evil.test is added to the ticket." in r.content.decode()
    assert f'data-held="{held.pk}"' not in r.content.decode()
    held.refresh_from_db()
    assert held.status == InboundStatus.THREADED and held.message is not None
    assert held.message.ticket_id == ticket.pk and "the invoices" in held.message.body_text
    # Once decided, a second press changes nothing.
    client.post(f"/tickets/{ticket.number}/held-mail/{held.pk}/reject")
    assert Message.objects.filter(ticket=ticket).count() == 2


def test_rejected_mail_is_dropped_from_the_ticket(
    client: Client, admin: Agent, alice_agent: Agent, support_team: Team
) -> None:
    ticket, held = _held(admin, support_team)
    client.force_login(alice_agent)
    r = client.post(f"/tickets/{ticket.number}/held-mail/{held.pk}/reject", follow=True)
    assert r.status_code == 200
    assert "is rejected" in r.content.decode()
    held.refresh_from_db()
    assert held.status == InboundStatus.IGNORED and "alice@zabota.test" in held.reason
    assert Message.objects.filter(ticket=ticket).count() == 1


def test_a_collaborator_sees_no_box_and_cannot_let_mail_in(
    client: Client, admin: Agent, dave_collaborator: Agent, support_team: Team
) -> None:
    ticket, held = _held(admin, support_team)
    client.force_login(dave_collaborator)
    actions.add_follower(actor=admin, ticket_id=ticket.pk, agent=dave_collaborator)
    page = client.get(f"/tickets/{ticket.number}/")
    assert page.status_code == 200
    assert 'id="held-mail"' not in page.content.decode()
    assert client.post(f"/tickets/{ticket.number}/held-mail/{held.pk}/accept").status_code == 403
    assert client.post(f"/tickets/{ticket.number}/held-mail/{held.pk}/reject").status_code == 403
    held.refresh_from_db()
    assert held.status == InboundStatus.HELD


def test_an_agent_who_cannot_see_the_ticket_gets_404(
    client: Client, admin: Agent, alice_agent: Agent, security_team: Team
) -> None:
    ticket, held = _held(admin, security_team, "security@zabota.test")  # a restricted team
    first_message = Message.objects.filter(ticket=ticket).get()
    client.force_login(alice_agent)
    for url in (
        f"/tickets/{ticket.number}/held-mail",
        f"/tickets/{ticket.number}/messages/{first_message.pk}/original.eml",
    ):
        assert client.get(url).status_code == 404
    for verb in ("accept", "reject"):
        assert client.post(f"/tickets/{ticket.number}/held-mail/{held.pk}/{verb}").status_code == 404
    held.refresh_from_db()
    assert held.status == InboundStatus.HELD


def test_held_mail_of_another_ticket_is_not_found_through_this_one(
    client: Client, admin: Agent, alice_agent: Agent, support_team: Team, support_ticket: Ticket
) -> None:
    _, held = _held(admin, support_team)
    client.force_login(alice_agent)
    url = f"/tickets/{support_ticket.number}/held-mail/{held.pk}/accept"
    assert client.post(url).status_code == 404


def test_held_mail_notifies_the_team_not_its_collaborators(
    admin: Agent, alice_agent: Agent, dave_collaborator: Agent, support_team: Team
) -> None:
    ticket, _ = _held(admin, support_team)
    notes = Notification.objects.filter(kind=NotificationKind.EMAIL_HELD)
    assert [(n.agent_id, n.ticket_id, n.actor_name) for n in notes] == [
        (alice_agent.pk, ticket.pk, "mallory@evil.test")
    ]


def test_the_original_email_downloads_for_agents_who_see_the_ticket(
    client: Client, admin: Agent, alice_agent: Agent, support_team: Team
) -> None:
    ticket, _ = _held(admin, support_team)
    message = Message.objects.get(ticket=ticket)
    client.force_login(alice_agent)
    html = client.get(f"/tickets/{ticket.number}/").content.decode()
    url = f"/tickets/{ticket.number}/messages/{message.pk}/original.eml"
    assert f'href="{url}"' in html
    r = client.get(url)
    assert r.status_code == 200
    assert r["Content-Disposition"].startswith("attachment;")
    assert r["X-Content-Type-Options"] == "nosniff"
    assert b"Message-ID: " + FIRST.encode() in b"".join(r.streaming_content)  # type: ignore[attr-defined]
    # A message that did not come by email has no original.
    note = actions.add_note(actor=alice_agent, ticket_id=ticket.pk, body_text="checking")
    assert client.get(f"/tickets/{ticket.number}/messages/{note.pk}/original.eml").status_code == 404


def test_the_ticket_page_with_held_mail_stays_within_15_queries(
    client: Client,
    admin: Agent,
    alice_agent: Agent,
    support_team: Team,
    django_assert_max_num_queries: Any,
) -> None:
    ticket, _ = _held(admin, support_team)
    for i in range(6):
        actions.reply(actor=alice_agent, ticket_id=ticket.pk, body_text=f"reply {i}")
    client.force_login(alice_agent)
    with django_assert_max_num_queries(15):
        r = client.get(f"/tickets/{ticket.number}/")
    assert 'class="held-item"' in r.content.decode()


def _bounce_for(mail_id: str) -> bytes:
    return mail(
        sender="Mail Delivery System <MAILER-DAEMON@mx.acme.test>",
        subject="Undelivered Mail Returned to Sender",
        body=(
            "This is the mail system at host mx.acme.test.\n\n"
            "Your message could not be delivered to carol@acme.test: user unknown (5.1.1)\n\n"
            "------ This is a copy of the message, including all the headers. ------\n"
            f"Message-ID: <{mail_id}>\n"
            "Subject: Re: Printer is on fire\n"
        ),
    )


def test_a_bounced_reply_is_labelled_and_alerts_the_assignee(
    client: Client, admin: Agent, alice_agent: Agent, support_team: Team
) -> None:
    _mailbox(admin, support_team)
    first = ingest.ingest(mail(message_id=FIRST), source="t")
    assert first.ticket is not None
    ticket = Ticket.objects.get(number=first.ticket)
    actions.update_ticket(actor=admin, ticket_id=ticket.pk, assignee=alice_agent)
    answer = actions.reply(actor=admin, ticket_id=ticket.pk, body_text="We are on it")
    # The outbox's row for that reply (the outbox worker is another part of the channel).
    OutboundEmail.objects.create(
        ticket=ticket,
        message=answer,
        from_address="support@zabota.test",
        to=["carol@acme.test"],
        subject="Re: Printer is on fire",
        mail_id="reply-1@zabota.test",
        body_text="We are on it",
    )
    out = ingest.ingest(_bounce_for("reply-1@zabota.test"), source="t")
    assert out.outcome == "bounce"
    assert Ticket.objects.count() == 1  # a bounce never opens a ticket
    bounced = Notification.objects.get(kind=NotificationKind.BOUNCED)
    assert (bounced.agent_id, bounced.ticket_id, bounced.message_id) == (alice_agent.pk, ticket.pk, answer.pk)
    assert "carol@acme.test" in bounced.actor_name
    client.force_login(alice_agent)
    html = client.get(f"/tickets/{ticket.number}/").content.decode()
    assert 'class="delivery delivery-bounced"' in html
    listing = client.get("/notifications/").content.decode()
    assert f"A reply on #{ticket.number} did not reach carol@acme.test" in listing


def test_people_copied_on_the_first_email_are_named_on_the_timeline(
    client: Client, admin: Agent, alice_agent: Agent, support_team: Team
) -> None:
    _mailbox(admin, support_team)
    out = ingest.ingest(mail(cc="Bob <bob@acme.test>, dan@acme.test"), source="t")
    client.force_login(alice_agent)
    html = client.get(f"/tickets/{out.ticket}/").content.decode()
    assert 'data-verb="contacts_copied"' in html
    assert "copied on the conversation, now follow it" in html
