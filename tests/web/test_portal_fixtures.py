"""Fixtures and helpers shared by the portal tests (no tests here).

``acme_inbox`` is a branded inbox with a portal address; ``portal_client(contact)`` is a test
client signed in to the portal as that contact (the session a used link leaves behind);
``link_from(email)`` pulls the sign-in URL out of a sent email.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from django.core import mail
from django.test import Client

from zabota.customers.models import Contact
from zabota.portal import session as portal_session
from zabota.tickets.models import Inbox

CANARY = "CANARY-7731-internal"
LINK_RE = re.compile(r"https?://[^\s\"<>]+/portal/link/([A-Za-z0-9_-]+)")


@pytest.fixture
def acme_inbox(db: None) -> Inbox:
    return Inbox.objects.create(
        name="Acme Helpdesk",
        slug="acme",
        email="help@acme-support.test",
        color="#ff6600",
        portal_greeting="Welcome to Acme support.\nWe answer within a day.",
    )


def sign_in_client(client: Client, contact: Contact, inbox: Inbox | None = None) -> Client:
    s = client.session
    s[portal_session.CONTACT_KEY] = contact.pk
    s[portal_session.EMAIL_KEY] = contact.emails.first().email  # type: ignore[union-attr]
    s[portal_session.INBOX_KEY] = inbox.pk if inbox else None
    s.save()
    return client


@pytest.fixture
def portal_client(db: None) -> Callable[..., Client]:
    def make(contact: Contact, inbox: Inbox | None = None, **kwargs: Any) -> Client:
        return sign_in_client(Client(**kwargs), contact, inbox)

    return make


def tokens_sent_to(address: str) -> list[str]:
    """The sign-in tokens in every email sent to ``address`` so far, in order."""
    found = []
    for message in mail.outbox:
        if address in message.to:
            found += LINK_RE.findall(message.body)
    return found


def last_token(address: str) -> str:
    tokens = tokens_sent_to(address)
    assert tokens, f"no sign-in email went to {address}"
    return tokens[-1]


def page_text(response: Any) -> str:
    return response.content.decode()
