"""Story: a mail provider posts carol's message to POST /email/inbound with the shared secret.
It gets 202 once the message is stored, and a ticket opens; posting it again (the provider's
retry) is one ticket. A wrong or missing secret is 401; a message over the size cap is 413 (the
provider keeps it and reports the failure); with no secret configured the endpoint is off (404).
The message may come as the raw body or as the form field ``email``."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from tests.email.support import mail, make_mailbox
from zabota.channels.email.models import InboundEmail
from zabota.channels.email.receivers import webhook
from zabota.tickets.models import Inbox, Ticket

pytestmark = pytest.mark.django_db(transaction=True)

URL = "/email/inbound"
SECRET = "provider-shared-secret"


@pytest.fixture
def secret(settings: Any) -> str:
    settings.EMAIL_WEBHOOK_SECRET = SECRET
    return SECRET


def _post(client: Client, raw: bytes, query: str = "", **headers: str) -> Any:
    return client.post(URL + query, data=raw, content_type="message/rfc822", headers=headers)


def test_a_posted_message_is_stored_then_opens_one_ticket_even_when_posted_twice(secret: str) -> None:
    box = make_mailbox()
    client = Client(enforce_csrf_checks=True)  # machine-to-machine: no CSRF token needed
    raw = mail(message_id="<hook1@acme.test>")
    first = _post(client, raw, Authorization=f"Bearer {secret}")
    assert first.status_code == 202
    row = InboundEmail.objects.get()
    assert first.json() == {"id": row.pk, "status": "received"}
    assert row.source == "webhook" and row.status == "created" and row.inbox == box.inbox
    again = _post(client, raw, X_Zabota_Secret=secret)
    assert again.status_code == 202 and again.json() == {"id": row.pk, "status": "duplicate"}
    assert Ticket.objects.count() == 1
    assert Ticket.objects.get().subject == "Printer is on fire"


def test_a_wrong_or_missing_secret_is_401_and_stores_nothing(secret: str) -> None:
    make_mailbox()
    client = Client()
    assert _post(client, mail()).status_code == 401
    assert _post(client, mail(), Authorization="Bearer wrong").status_code == 401
    assert _post(client, mail(), X_Zabota_Secret=secret[:-1]).status_code == 401
    assert not InboundEmail.objects.exists()


def test_without_a_configured_secret_the_endpoint_is_off(settings: Any) -> None:
    settings.EMAIL_WEBHOOK_SECRET = ""
    assert _post(Client(), mail(), Authorization="Bearer ").status_code == 404
    assert Client().get(URL).status_code == 405


def test_a_message_over_the_size_cap_is_413(secret: str, monkeypatch: pytest.MonkeyPatch) -> None:
    make_mailbox()
    # The real cap is 35 MiB; a small one keeps the test fast and exercises the same check.
    monkeypatch.setattr(webhook, "MAX_BYTES", 2000)
    big = mail(body="x" * 3000)
    response = _post(Client(), big, Authorization=f"Bearer {secret}")
    assert response.status_code == 413
    upload = SimpleUploadedFile("m.eml", big, content_type="message/rfc822")
    response = Client().post(URL, {"email": upload}, headers={"Authorization": f"Bearer {secret}"})
    assert response.status_code == 413
    assert not InboundEmail.objects.exists()


def test_the_message_as_a_form_field_into_a_chosen_inbox(secret: str) -> None:
    make_mailbox()
    billing = Inbox.objects.create(name="Billing", slug="billing")
    raw = mail(message_id="<form1@acme.test>")
    response = Client().post(
        URL + "?inbox=billing", {"email": raw.decode()}, headers={"Authorization": f"Bearer {secret}"}
    )
    assert response.status_code == 202
    assert Ticket.objects.get().inbox == billing
    upload = SimpleUploadedFile("m.eml", mail(message_id="<form2@acme.test>"), content_type="message/rfc822")
    response = Client().post(URL, {"mime": upload}, headers={"X-Zabota-Secret": secret})
    assert response.status_code == 202 and response.json()["status"] == "received"
    assert Ticket.objects.count() == 2
    assert _post(Client(), b"", Authorization=f"Bearer {secret}").status_code == 400
    assert _post(Client(), mail(), "?inbox=nope", Authorization=f"Bearer {secret}").status_code == 404
