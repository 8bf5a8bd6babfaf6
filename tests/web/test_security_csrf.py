"""CSRF: every unsafe request to the workspace or the portal without a token is refused.

For every UI URL pattern (enumerated from the URLconf, so a new page is covered the day it
lands) a POST without a CSRF token from a signed-in agent, and from a signed-in portal contact,
answers 403 and changes nothing in the database. The same request with the token gets through
(so the test is not passing because every POST fails).
"""

from __future__ import annotations

from typing import Any

import pytest
from django.apps import apps
from django.contrib.sessions.models import Session
from django.test import Client

from tests.fixtures.security import concrete, route_values, ui_routes
from zabota.accounts.models import Agent
from zabota.customers.models import Contact
from zabota.tickets.actions import reply
from zabota.tickets.actions.common import Upload
from zabota.tickets.models import Inbox, Ticket

OUR_APPS = {"accounts", "customers", "tickets", "notifications", "portal", "otp_totp", "axes", "sessions"}


@pytest.fixture
def world(
    admin: Agent, alice_agent: Agent, carol_customer: Contact, support_ticket: Ticket
) -> dict[str, Any]:
    inbox = Inbox.objects.create(name="Acme Support", slug="acme")
    msg = reply(
        actor=alice_agent,
        ticket_id=support_ticket.pk,
        body_text="Here is the log.",
        attachments=[Upload(name="log.txt", content=b"all good")],
    )
    return {
        "values": route_values(
            number=support_ticket.number,
            attachment_id=msg.attachments.first().pk,  # type: ignore[union-attr]
            agent_id=alice_agent.pk,
            slug=inbox.slug,
            contact_id=carol_customer.pk,
            organization_id=carol_customer.organization_id,
            team_id=support_ticket.team_id,
        ),
        "inbox": inbox,
    }


def fingerprint() -> dict[str, Any]:
    """Row counts of every model of ours plus the fields a POST could change in place."""
    counts = {
        m._meta.label: m._default_manager.count() for m in apps.get_models() if m._meta.app_label in OUR_APPS
    }
    counts["tickets"] = sorted(
        Ticket.objects.values_list("pk", "status", "assignee_id", "updated_at", "merged_into_id")
    )
    counts["agents"] = sorted(
        Agent.objects.values_list("pk", "password", "session_version", "locale", "timezone", "is_active")
    )
    counts["sessions"] = sorted(Session.objects.values_list("session_key", flat=True))
    return counts


def routes_with_urls(values: dict[str, Any]) -> list[tuple[str, str]]:
    found = []
    for route, _pattern in ui_routes():
        found.append((route, concrete(route, values)))
    assert len(found) > 10, "the URLconf lost the workspace"
    return found


def test_no_ui_view_is_csrf_exempt() -> None:
    exempt = [route for route, p in ui_routes() if getattr(p.callback, "csrf_exempt", False)]
    assert exempt == []


def test_every_ui_post_without_a_token_from_an_agent_is_refused(admin: Agent, world: dict[str, Any]) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(admin)
    client.get("/inbox/")  # a real session with a CSRF cookie, like a browser has
    before = fingerprint()
    accepted = []
    for _route, url in routes_with_urls(world["values"]):
        resp = client.post(url, {"status": "solved", "body": "x", "name": "x", "q": "x"})
        if resp.status_code != 403:
            accepted.append(f"{url} -> {resp.status_code}")
        resp = client.post(url, {"x": "1"}, headers={"HX-Request": "true"})
        if resp.status_code != 403:
            accepted.append(f"{url} (htmx) -> {resp.status_code}")
    assert accepted == []
    assert fingerprint() == before


def test_a_wrong_token_is_refused_too(admin: Agent, support_ticket: Ticket) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(admin)
    client.get("/inbox/")
    before = fingerprint()
    resp = client.post(f"/tickets/{support_ticket.number}/assign-to-me", headers={"X-CSRFToken": "a" * 32})
    assert resp.status_code == 403
    assert fingerprint() == before


def test_every_portal_post_without_a_token_from_a_contact_is_refused(
    carol_customer: Contact, world: dict[str, Any]
) -> None:
    from zabota.portal import session as portal_session

    client = Client(enforce_csrf_checks=True)
    s = client.session
    s[portal_session.CONTACT_KEY] = carol_customer.pk
    s[portal_session.EMAIL_KEY] = "carol@acme.test"
    s[portal_session.INBOX_KEY] = world["inbox"].pk
    s.save()
    client.get("/portal/requests/")
    before = fingerprint()
    accepted = []
    for route, url in routes_with_urls(world["values"]):
        if not route.startswith("portal/") and route not in ("login/", "logout/"):
            continue
        resp = client.post(url, {"email": "carol@acme.test", "subject": "x", "body": "x"})
        if resp.status_code != 403:
            accepted.append(f"{url} -> {resp.status_code}")
    assert accepted == []
    assert fingerprint() == before


def test_anonymous_sign_in_forms_need_the_token(world: dict[str, Any]) -> None:
    client = Client(enforce_csrf_checks=True)
    before = fingerprint()
    for url in ("/login/", "/portal/", "/portal/acme/", "/portal/link/" + "x" * 43):
        resp = client.post(
            url, {"username": "alice@zabota.test", "password": "x", "email": "carol@acme.test"}
        )
        assert resp.status_code == 403, url
    assert fingerprint() == before


def test_the_same_post_with_the_token_gets_through(admin: Agent, support_ticket: Ticket) -> None:
    """The control: the refusals above come from CSRF, not from every POST failing."""
    client = Client(enforce_csrf_checks=True)
    client.force_login(admin)
    page = client.get(f"/tickets/{support_ticket.number}/")
    assert page.status_code == 200
    token = client.cookies["csrftoken"].value
    resp = client.post(
        f"/tickets/{support_ticket.number}/assign-to-me",
        headers={"X-CSRFToken": token, "HX-Request": "true"},
    )
    assert resp.status_code in (200, 204, 302)
    assert Ticket.objects.get(pk=support_ticket.pk).assignee_id == admin.pk
