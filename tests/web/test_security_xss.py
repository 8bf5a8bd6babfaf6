"""Stored XSS: the payload corpus in every place a customer (or an agent) can put text, rendered
through the Django client on every page that shows it.

Each payload of tests/fixtures/xss_payloads.txt becomes an organization name, a contact name,
a ticket subject, the first message's text, an attachment's file name, an agent's HTML reply
and an HTML note. Then the inbox, each ticket page, search, the customer pages and the portal
are rendered; no page may carry a payload verbatim (it must be escaped or sanitised) or any
script-bearing markup (event handler attributes, javascript: URLs, inline script, srcdoc ...).
The same corpus runs in the real browser in tests/browser/test_xss.py.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from tests.fixtures.security import payloads, script_problems, unescaped_payloads
from tests.support import make_agent
from zabota.accounts.actions import create_team
from zabota.accounts.models import Agent, Team
from zabota.core.errors import ValidationFailed
from zabota.customers.actions import create_tier, define_attribute, save_contact, save_organization
from zabota.tickets.actions import add_note, create_ticket, reply, update_ticket
from zabota.tickets.actions.common import Upload
from zabota.tickets.actions.config import save_custom_field
from zabota.tickets.actions.saved_views import create_saved_view
from zabota.tickets.models import Inbox

CORPUS = payloads()


def test_the_corpus_is_big_enough() -> None:
    assert len(CORPUS) >= 30
    joined = "\n".join(CORPUS).lower()
    for kind in ("<script", "onerror", "<svg", "javascript:", "srcdoc", '">', "@import", "{{7*7}}"):
        assert kind in joined


@pytest.fixture
def poisoned(
    admin: Agent, alice_agent: Agent, support_team: Team, django_capture_on_commit_callbacks: Any
) -> dict[str, Any]:
    inbox = Inbox.objects.create(name="Acme Support", slug="acme")
    tier = create_tier(
        actor=None,
        name='<img src=x onerror=alert("tier")>',
        rank=1,
        color='"><svg/onload=1',  # fits the 16-character column
    )
    label = '"><img src=x onerror=alert("label")>'
    define_attribute(actor=admin, target="organization", key="plan", label=label, type="text")
    define_attribute(actor=admin, target="contact", key="role", label=label, type="text")
    save_custom_field(actor=admin, key="build", label=label, type="text")
    for i, payload in enumerate(CORPUS[:8]):  # names an admin or an agent types in
        create_saved_view(actor=admin, name=payload[:100], filters={}, shared=True)
        team = create_team(name=f"{payload[:80]} team{i}")
        agent = make_agent(f"agent{i}@xss.test", name=payload[:150])
        team.members.add(agent)
    made = []
    for i, payload in enumerate(CORPUS):
        org = save_organization(
            actor=admin,
            name=f"{payload} org{i}",
            tier=tier.name if i % 2 else None,
            attributes={"plan": payload},
        )
        contact = save_contact(
            actor=None,
            name=payload,
            emails=[f"p{i}@xss.test"],
            organization_id=org.pk,
            is_organization_admin=True,
        )
        ticket = create_ticket(
            actor=contact,
            requester=contact,
            subject=payload,
            body_text=f"{payload} body{i}",
            channel="portal",
            inbox=inbox,
            team=support_team,
            attachments=[Upload(name=f"{payload}.txt", content=b"hello")],
            custom_fields={"build": payload[:200]},
        )
        for kind, write in (("reply", reply), ("note", add_note)):
            try:
                write(actor=admin, ticket_id=ticket.pk, body_html=f"{payload} <b>{kind}{i}</b>")
            except ValidationFailed:
                pass
        if i < 12:  # notifications name the ticket: assigned to the admin by alice
            with django_capture_on_commit_callbacks(execute=True):
                update_ticket(actor=alice_agent, ticket_id=ticket.pk, assignee=admin)
        made.append({"ticket": ticket, "contact": contact, "org": org})
    return {"items": made, "inbox": inbox}


def check(resp: Any, where: str) -> list[str]:
    assert resp.status_code == 200, f"{where}: {resp.status_code}"
    html = resp.content.decode()
    found = [f"{where}: {p}" for p in script_problems(html)]
    found += [f"{where}: verbatim payload {p!r}" for p in unescaped_payloads(html, CORPUS)]
    return found


def test_no_payload_survives_on_the_agent_pages(admin: Agent, poisoned: dict[str, Any]) -> None:
    from zabota.notifications.models import Notification

    assert Notification.objects.filter(agent=admin).count() >= 12
    client = Client()
    client.force_login(admin)
    problems: list[str] = []
    for url in (
        "/inbox/open/",
        "/inbox/unassigned/",
        "/inbox/",
        "/inbox/?sort=newest",
        "/inbox/counts",
        "/notifications/",
    ):
        problems += check(client.get(url), url)
    for term in ("script", "alert", "click", "body1", "xss", "7*7"):
        url = f"/search/?q={term}"
        problems += check(client.get(url), url)
    for item in poisoned["items"]:
        t = item["ticket"]
        for url in (
            f"/tickets/{t.number}/",
            f"/customers/contacts/{item['contact'].pk}/",
            f"/customers/organizations/{item['org'].pk}/",
        ):
            problems += check(client.get(url), url)
    assert problems == []


def test_no_payload_survives_on_the_portal(poisoned: dict[str, Any]) -> None:
    from zabota.portal import session as portal_session

    problems: list[str] = []
    for i, item in enumerate(poisoned["items"][:12]):
        client = Client()
        s = client.session
        s[portal_session.CONTACT_KEY] = item["contact"].pk
        s[portal_session.EMAIL_KEY] = f"p{i}@xss.test"
        s[portal_session.INBOX_KEY] = poisoned["inbox"].pk
        s.save()
        for url in (
            "/portal/requests/",
            f"/portal/requests/{item['ticket'].number}/",
            "/portal/requests/new/",
        ):
            problems += check(client.get(url), url)
    assert problems == []


def test_a_payload_in_the_query_is_escaped_on_the_search_page(admin: Agent) -> None:
    client = Client()
    client.force_login(admin)
    problems: list[str] = []
    for payload in CORPUS:
        resp = client.get("/search/", {"q": payload})
        problems += check(resp, f"/search/?q={payload}")
    assert problems == []


def test_a_payload_in_a_portal_greeting_or_inbox_name_is_escaped(admin: Agent) -> None:
    payload = '<img src=x onerror=alert(1)>"><script>alert(2)</script>'
    Inbox.objects.create(name=payload, slug="evil", portal_greeting=payload)
    resp = Client().get("/portal/evil/")
    assert check(resp, "/portal/evil/") == []
    assert payload not in resp.content.decode()


def test_tags_cannot_carry_markup(admin: Agent, poisoned: dict[str, Any]) -> None:
    ticket = poisoned["items"][0]["ticket"]
    for name in ("<script>", '"><img src=x>', "a b<c"):
        with pytest.raises(ValidationFailed):
            update_ticket(actor=admin, ticket_id=ticket.pk, add_tags=[name])
