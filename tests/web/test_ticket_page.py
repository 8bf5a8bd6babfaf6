"""The ticket page: timeline, composer (public reply vs internal note), permission, query budget."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from tests.support import open_ticket, reload
from zabota.accounts.models import Agent
from zabota.customers.models import Contact
from zabota.tickets import actions
from zabota.tickets.actions.common import Upload
from zabota.tickets.choices import MessageKind, Status
from zabota.tickets.models import Message, Ticket
from zabota.tickets.queries import customer_messages

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
HTMX = {"HTTP_HX_REQUEST": "true"}


def page(client: Client, ticket: Ticket) -> Any:
    return client.get(f"/tickets/{ticket.number}/")


def text(response: Any) -> str:
    return response.content.decode()


def composer_form(html: str) -> str:
    m = re.search(r'<form id="composer".*?</form>', html, re.S)
    assert m, "no composer on the page"
    return m.group(0)


# --- Who sees the page -------------------------------------------------------------------------


def test_anonymous_visitor_is_sent_to_login(client: Client, support_ticket: Ticket) -> None:
    r = page(client, support_ticket)
    assert r.status_code == 302
    assert r["Location"].startswith("/login/?next=/tickets/")


def test_agent_sees_the_ticket_by_number(client: Client, alice_agent: Agent, support_ticket: Ticket) -> None:
    client.force_login(alice_agent)
    r = page(client, support_ticket)
    assert r.status_code == 200
    html = text(r)
    assert f"#{support_ticket.number}" in html
    assert "Cannot log in" in html
    assert "The login page says my password is wrong." in html
    assert f'data-live-ticket="{support_ticket.pk}"' in html
    assert 'id="presence"' in html and "data-presence" in html


def test_invisible_ticket_is_404_like_a_missing_one(
    client: Client, bob_other_team: Agent, security_ticket: Ticket
) -> None:
    client.force_login(bob_other_team)
    assert page(client, security_ticket).status_code == 404
    assert client.get("/tickets/999999/").status_code == 404
    for suffix in ("timeline", "properties"):
        assert client.get(f"/tickets/{security_ticket.number}/{suffix}").status_code == 404
    r = client.post(f"/tickets/{security_ticket.number}/messages", {"mode": "note", "body": "sneaky"})
    assert r.status_code == 404
    assert not Message.objects.filter(ticket=security_ticket, body_text="sneaky").exists()


def test_sam_on_the_security_team_sees_its_ticket(
    client: Client, sam_security: Agent, security_ticket: Ticket
) -> None:
    client.force_login(sam_security)
    assert page(client, security_ticket).status_code == 200


# --- Timeline ----------------------------------------------------------------------------------


def test_timeline_tells_customer_messages_replies_notes_and_events_apart(
    client: Client, alice_agent: Agent, support_ticket: Ticket
) -> None:
    actions.reply(actor=alice_agent, ticket_id=support_ticket.pk, body_text="Try resetting it.")
    actions.add_note(actor=alice_agent, ticket_id=support_ticket.pk, body_text="Probably SSO again.")
    actions.update_ticket(actor=alice_agent, ticket_id=support_ticket.pk, status=Status.PENDING)
    client.force_login(alice_agent)
    html = text(page(client, support_ticket))
    assert re.search(r'class="message message-customer"[^>]*>.*?The login page says', html, re.S)
    assert re.search(r'class="message message-agent message-reply"[^>]*>.*?Try resetting it', html, re.S)
    note = re.search(r'<li[^>]*class="message message-note"[^>]*>(.*?)</li>', html, re.S)
    assert note and "Internal note" in note.group(1) and "Probably SSO again." in note.group(1)
    events = re.findall(
        r'<li[^>]*class="timeline-event"[^>]*>\s*<span class="event-text">(.*?)</span>', html, re.S
    )
    assert "Alice Agent changed status from Open to Pending" in events
    assert any("Carol Customer opened the ticket" in e for e in events)


def test_times_are_shown_in_the_agents_time_zone(
    client: Client, alice_agent: Agent, support_ticket: Ticket
) -> None:
    alice_agent.timezone = "Asia/Vladivostok"  # UTC+10
    alice_agent.save(update_fields=["timezone"])
    client.force_login(alice_agent)
    html = text(page(client, support_ticket))
    m = re.search(r'<time datetime="([^"]+)"', html)
    assert m and m.group(1).endswith("+10:00")


def test_customer_html_is_sanitised_and_plain_text_escaped(
    client: Client, alice_agent: Agent, carol_customer: Contact, support_team: Any
) -> None:
    ticket = open_ticket(
        carol_customer, "<img src=x onerror=alert(1)>", "<script>alert(2)</script>", team=support_team
    )
    actions.reply(
        actor=carol_customer,
        ticket_id=ticket.pk,
        body_html='<p onclick="alert(3)">Hello <b>bold</b></p><script>alert(4)</script>',
    )
    client.force_login(alice_agent)
    html = text(page(client, ticket))
    assert "<script>alert(2)</script>" not in html
    assert "&lt;script&gt;alert(2)&lt;/script&gt;" in html
    assert "<img src=x onerror" not in html
    assert "alert(4)" not in html and "onclick" not in html
    assert "<b>bold</b>" in html


# --- Composer ----------------------------------------------------------------------------------


def test_agent_composer_defaults_to_public_reply(
    client: Client, alice_agent: Agent, support_ticket: Ticket
) -> None:
    client.force_login(alice_agent)
    form = composer_form(text(page(client, support_ticket)))
    assert 'data-mode="reply"' in form
    assert re.search(r'value="reply"[^>]*checked', form)
    assert "Send reply to Carol Customer" in form
    assert "Add internal note" in form
    assert 'data-shortcut="r"' in form and 'data-shortcut="n"' in form
    assert "data-typing" in form


def test_collaborator_composer_is_note_only(
    client: Client, dave_collaborator: Agent, support_ticket: Ticket
) -> None:
    client.force_login(dave_collaborator)
    form = composer_form(text(page(client, support_ticket)))
    assert 'data-mode="note"' in form
    assert 'value="reply"' not in form
    assert "Send reply to" not in form
    assert "Add internal note" in form


def test_collaborator_allowed_to_reply_still_starts_with_a_note(
    client: Client, dave_collaborator: Agent, support_ticket: Ticket
) -> None:
    dave_collaborator.can_reply_publicly = True
    dave_collaborator.save(update_fields=["can_reply_publicly"])
    client.force_login(dave_collaborator)
    form = composer_form(text(page(client, support_ticket)))
    assert 'data-mode="note"' in form
    assert re.search(r'value="note"[^>]*checked', form)
    assert 'value="reply"' in form


def test_reply_from_the_page_reaches_the_customer(
    client: Client, alice_agent: Agent, support_ticket: Ticket
) -> None:
    client.force_login(alice_agent)
    r = client.post(
        f"/tickets/{support_ticket.number}/messages", {"mode": "reply", "body": "We reset your password."}
    )
    assert r.status_code == 302 and r["Location"] == f"/tickets/{support_ticket.number}/"
    m = Message.objects.filter(ticket=support_ticket).latest("id")
    assert (m.kind, m.author_agent_id, m.body_text) == (
        MessageKind.REPLY,
        alice_agent.pk,
        "We reset your password.",
    )
    assert m in customer_messages(support_ticket)
    assert reload(support_ticket).status == Status.OPEN  # a reply opens a new ticket


def test_htmx_reply_returns_a_fresh_composer_and_asks_the_page_to_refresh(
    client: Client, alice_agent: Agent, support_ticket: Ticket
) -> None:
    client.force_login(alice_agent)
    r = client.post(f"/tickets/{support_ticket.number}/messages", {"mode": "reply", "body": "On it."}, **HTMX)
    assert r.status_code == 200
    assert r["HX-Trigger"] == "ticket-refresh"
    html = text(r)
    assert html.lstrip().startswith('<form id="composer"')
    assert "On it." not in html  # the text area is empty again


def test_note_from_the_page_never_reaches_the_customer(
    client: Client, alice_agent: Agent, support_ticket: Ticket
) -> None:
    client.force_login(alice_agent)
    r = client.post(
        f"/tickets/{support_ticket.number}/messages", {"mode": "note", "body": "Internal: VIP, be nice"}
    )
    assert r.status_code == 302
    note = Message.objects.get(ticket=support_ticket, body_text="Internal: VIP, be nice")
    assert note.kind == MessageKind.NOTE
    assert note not in customer_messages(support_ticket)
    html = text(page(client, support_ticket))
    assert re.search(r'class="message message-note"[^>]*>.*?Internal: VIP, be nice', html, re.S)


def test_send_and_set_pending(client: Client, alice_agent: Agent, support_ticket: Ticket) -> None:
    client.force_login(alice_agent)
    form = composer_form(text(page(client, support_ticket)))
    assert 'name="then" value="pending"' in form and 'name="then" value="solved"' in form
    client.post(
        f"/tickets/{support_ticket.number}/messages",
        {"mode": "reply", "body": "Does it work now?", "then": "pending"},
    )
    assert reload(support_ticket).status == Status.PENDING


def test_note_and_set_solved(client: Client, alice_agent: Agent, support_ticket: Ticket) -> None:
    client.force_login(alice_agent)
    client.post(
        f"/tickets/{support_ticket.number}/messages",
        {"mode": "note", "body": "Fixed in SSO", "then": "solved"},
    )
    assert reload(support_ticket).status == Status.SOLVED
    assert Message.objects.filter(
        ticket=support_ticket, kind=MessageKind.NOTE, body_text="Fixed in SSO"
    ).exists()


def test_illegal_status_with_a_reply_is_an_inline_error_and_nothing_is_sent(
    client: Client, alice_agent: Agent, support_ticket: Ticket
) -> None:
    actions.update_ticket(actor=alice_agent, ticket_id=support_ticket.pk, status=Status.SOLVED)
    client.force_login(alice_agent)
    r = client.post(
        f"/tickets/{support_ticket.number}/messages",
        {"mode": "note", "body": "keep this text", "then": "pending"},
        **HTMX,
    )
    assert r.status_code == 200
    html = text(r)
    assert "That status change is not allowed: a ticket cannot go from Solved to Pending." in html
    assert "keep this text" in html  # the draft is kept
    assert not Message.objects.filter(body_text="keep this text").exists()  # note and status together


def test_collaborator_cannot_send_a_public_reply_even_by_crafting_the_form(
    client: Client, dave_collaborator: Agent, support_ticket: Ticket
) -> None:
    client.force_login(dave_collaborator)
    r = client.post(f"/tickets/{support_ticket.number}/messages", {"mode": "reply", "body": "Hi customer!"})
    assert r.status_code == 422
    assert "You may write internal notes only." in text(r)
    assert not Message.objects.filter(body_text="Hi customer!").exists()
    r = client.post(
        f"/tickets/{support_ticket.number}/messages", {"mode": "note", "body": "Stack trace attached"}
    )
    assert r.status_code == 302
    assert Message.objects.get(body_text="Stack trace attached").kind == MessageKind.NOTE


def test_empty_message_is_refused_inline(client: Client, alice_agent: Agent, support_ticket: Ticket) -> None:
    client.force_login(alice_agent)
    r = client.post(f"/tickets/{support_ticket.number}/messages", {"mode": "reply", "body": "   "})
    assert r.status_code == 422
    assert "Write a message or attach a file." in text(r)


def test_reply_with_uploaded_files(client: Client, alice_agent: Agent, support_ticket: Ticket) -> None:
    client.force_login(alice_agent)
    files = [
        SimpleUploadedFile("скриншот.png", PNG, content_type="image/png"),
        SimpleUploadedFile("log.txt", b"line 1\nline 2\n", content_type="text/plain"),
    ]
    r = client.post(
        f"/tickets/{support_ticket.number}/messages",
        {"mode": "reply", "body": "See attached", "attachments": files},
    )
    assert r.status_code == 302
    m = Message.objects.filter(ticket=support_ticket).latest("id")
    assert sorted(a.name for a in m.attachments.all()) == ["log.txt", "скриншот.png"]
    html = text(page(client, support_ticket))
    png = m.attachments.get(name="скриншот.png")
    assert f'<img class="attachment-thumb" src="/attachments/{png.pk}/preview"' in html
    txt = m.attachments.get(name="log.txt")
    assert f'href="/attachments/{txt.pk}/" download>log.txt</a>' in html


def test_only_attachments_is_enough_for_a_note(
    client: Client, alice_agent: Agent, support_ticket: Ticket
) -> None:
    client.force_login(alice_agent)
    r = client.post(
        f"/tickets/{support_ticket.number}/messages",
        {"mode": "note", "body": "", "attachments": [SimpleUploadedFile("pasted.png", PNG)]},
    )
    assert r.status_code == 302
    note = Message.objects.filter(ticket=support_ticket).latest("id")
    assert note.kind == MessageKind.NOTE and note.attachments.count() == 1


def test_composer_post_needs_a_csrf_token(alice_agent: Agent, support_ticket: Ticket) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(alice_agent)
    r = client.post(f"/tickets/{support_ticket.number}/messages", {"mode": "note", "body": "no token"})
    assert r.status_code == 403
    assert not Message.objects.filter(body_text="no token").exists()


def test_merged_ticket_has_no_composer_and_points_to_the_target(
    client: Client, alice_agent: Agent, carol_customer: Contact, support_team: Any, support_ticket: Ticket
) -> None:
    other = open_ticket(carol_customer, "Still cannot log in", team=support_team)
    actions.merge_tickets(actor=alice_agent, source_id=other.pk, target_id=support_ticket.pk)
    client.force_login(alice_agent)
    html = text(page(client, other))
    assert 'id="composer"' not in html
    assert f'href="/tickets/{support_ticket.number}/"' in html
    assert 'id="merged-notice"' in html


# --- Partials ----------------------------------------------------------------------------------


def test_timeline_partial_refreshes_on_live_events(
    client: Client, alice_agent: Agent, support_ticket: Ticket
) -> None:
    client.force_login(alice_agent)
    html = text(page(client, support_ticket))
    assert re.search(r'id="timeline"[^>]*hx-get="/tickets/\d+/timeline"', html, re.S)
    assert "live-ticket from:body" in html
    actions.add_note(actor=alice_agent, ticket_id=support_ticket.pk, body_text="new note arrives")
    r = client.get(f"/tickets/{support_ticket.number}/timeline", **HTMX)
    assert r.status_code == 200
    assert text(r).lstrip().startswith('<section id="timeline"')
    assert "new note arrives" in text(r)


# --- Query budget ------------------------------------------------------------------------------


def _busy_ticket(agent: Agent, customer: Contact, team: Any, n: int) -> Ticket:
    ticket = open_ticket(customer, f"Busy ticket {n}", team=team, tags=["vip", "sso"])
    for i in range(n):
        if i % 3 == 0:
            actions.reply(
                actor=customer,
                ticket_id=ticket.pk,
                body_text=f"customer {i}",
                attachments=[Upload(name=f"shot{i}.png", content=PNG + bytes([i]))],
            )
        elif i % 3 == 1:
            actions.reply(actor=agent, ticket_id=ticket.pk, body_text=f"reply {i}")
        else:
            actions.add_note(
                actor=agent,
                ticket_id=ticket.pk,
                body_text=f"note {i}",
                attachments=[Upload(name=f"doc{i}.pdf", content=b"%PDF-1.4\n" + bytes([i]) * 20)],
            )
    actions.update_ticket(actor=agent, ticket_id=ticket.pk, priority=3, add_tags=["escalated"])
    return ticket


@pytest.mark.parametrize("n", [3, 40])
def test_ticket_page_stays_within_15_queries(
    client: Client,
    alice_agent: Agent,
    carol_customer: Contact,
    support_team: Any,
    support_ticket: Ticket,
    django_assert_max_num_queries: Any,
    n: int,
) -> None:
    ticket = _busy_ticket(alice_agent, carol_customer, support_team, n)
    client.force_login(alice_agent)
    with django_assert_max_num_queries(15):
        r = page(client, ticket)
    assert r.status_code == 200
    assert text(r).count('class="message ') >= n


def test_ticket_page_budget_for_a_collaborator(
    client: Client,
    dave_collaborator: Agent,
    alice_agent: Agent,
    carol_customer: Contact,
    support_team: Any,
    django_assert_max_num_queries: Any,
) -> None:
    ticket = _busy_ticket(alice_agent, carol_customer, support_team, 12)
    client.force_login(dave_collaborator)
    with django_assert_max_num_queries(15):
        r = page(client, ticket)
    assert r.status_code == 200


def test_a_file_over_the_limit_is_an_inline_error(
    client: Client, alice_agent: Agent, support_ticket: Ticket, settings: Any
) -> None:
    settings.ATTACHMENT_MAX_BYTES = 50
    client.force_login(alice_agent)
    r = client.post(
        f"/tickets/{support_ticket.number}/messages",
        {"mode": "reply", "body": "big file", "attachments": [SimpleUploadedFile("big.png", PNG)]},
        **HTMX,
    )
    assert r.status_code == 200
    assert "big.png is larger than 50" in text(r)
    assert not Message.objects.filter(body_text="big file").exists()


def test_closed_ticket_takes_notes_only(client: Client, alice_agent: Agent, support_ticket: Ticket) -> None:
    actions.update_ticket(actor=alice_agent, ticket_id=support_ticket.pk, status=Status.SOLVED)
    actions.update_ticket(actor=alice_agent, ticket_id=support_ticket.pk, status=Status.CLOSED)
    client.force_login(alice_agent)
    form = composer_form(text(page(client, support_ticket)))
    assert 'data-mode="note"' in form and 'value="reply"' not in form
    assert 'name="then"' not in form


def test_custom_field_changes_are_named_by_their_labels(
    client: Client, alice_agent: Agent, support_ticket: Ticket
) -> None:
    from zabota.tickets.choices import CustomFieldType
    from zabota.tickets.models import CustomFieldDefinition

    CustomFieldDefinition.objects.create(key="os_version", label="OS version", type=CustomFieldType.TEXT)
    actions.update_ticket(
        actor=alice_agent, ticket_id=support_ticket.pk, custom_fields={"os_version": "14.2"}
    )
    client.force_login(alice_agent)
    for url in (f"/tickets/{support_ticket.number}/", f"/tickets/{support_ticket.number}/timeline"):
        assert "Alice Agent changed OS version" in text(client.get(url))


def test_quotes_in_html_text_are_escaped_too(
    client: Client, alice_agent: Agent, support_ticket: Ticket
) -> None:
    actions.reply(
        actor=alice_agent,
        ticket_id=support_ticket.pk,
        body_html='" autofocus onfocus="alert(18) <b>bold</b> <a href="https://example.test/?a=1&amp;b=2">link</a>',
    )
    client.force_login(alice_agent)
    html = text(page(client, support_ticket))
    assert '" autofocus onfocus="alert(18)' not in html
    assert "&quot; autofocus onfocus=&quot;alert(18)" in html
    assert "<b>bold</b>" in html
    assert 'href="https://example.test/?a=1&amp;b=2"' in html  # attributes untouched


def test_a_nameless_customer_is_addressed_by_email(
    client: Client, alice_agent: Agent, support_team: Any
) -> None:
    from zabota.customers.actions import save_contact

    anon = save_contact(actor=None, name="", emails=["someone@example.test"])
    ticket = open_ticket(anon, "Hello", team=support_team)
    client.force_login(alice_agent)
    assert "Send reply to someone@example.test" in composer_form(text(page(client, ticket)))
