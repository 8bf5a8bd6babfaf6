"""Story: a parser bug quarantines carol's message. Ada (admin) sees it counted and listed on
/settings/email/ with the reason, downloads the original exactly as it arrived (a download, never
rendered), and once the bug is fixed presses "Process again": the message opens its ticket, once.
Agents get 403; the page costs the same queries for 3 quarantined messages as for 60."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from tests.email.support import mail, make_mailbox
from zabota.accounts.models import Agent
from zabota.channels.email import ingest
from zabota.channels.email.models import InboundEmail, InboundStatus
from zabota.channels.email.parse import parse as real_parse
from zabota.tickets.models import Ticket

pytestmark = pytest.mark.django_db


def _broken_parser(raw: bytes) -> Any:
    raise RuntimeError("parser defect")


def _quarantine(
    monkeypatch: pytest.MonkeyPatch, n: int = 1, prefix: str = "q", **kwargs: Any
) -> list[ingest.Outcome]:
    monkeypatch.setattr(ingest, "parse", _broken_parser)
    outs = [
        ingest.ingest(mail(message_id=f"<{prefix}{i}@acme.test>", **kwargs), source=f"file:/mail/{i}.eml")
        for i in range(n)
    ]
    monkeypatch.setattr(ingest, "parse", real_parse)
    assert {o.outcome for o in outs} == {"quarantined"}
    return outs


def test_quarantined_mail_is_counted_listed_and_processed_again_once_fixed(
    client: Client, admin: Agent, monkeypatch: pytest.MonkeyPatch
) -> None:
    make_mailbox()
    (out,) = _quarantine(monkeypatch, subject="<b>Printer</b> on fire")
    ingest.receive(mail(message_id="<waiting@acme.test>"), source="lmtp")  # stored, not processed
    client.force_login(admin)
    html = client.get("/settings/email/").content.decode()
    assert 'data-count="quarantined"><strong>1</strong>' in html
    assert 'data-count="received"><strong>1</strong>' in html
    assert "parser defect" in html and "carol@acme.test" in html and "file:/mail/0.eml" in html
    assert "&lt;b&gt;Printer&lt;/b&gt; on fire" in html and "<b>Printer</b>" not in html

    r = client.post(f"/settings/email/{out.inbound_id}/reprocess/", follow=True)
    assert r.status_code == 200
    ticket = Ticket.objects.get()
    assert f"The message opened ticket #{ticket.number}." in r.content.decode()
    assert InboundEmail.objects.get(pk=out.inbound_id).status == InboundStatus.CREATED
    # Pressing it again (a double click, a stale tab) makes no second ticket.
    client.post(f"/settings/email/{out.inbound_id}/reprocess/")
    assert Ticket.objects.count() == 1
    assert "Nothing is quarantined." in client.get("/settings/email/").content.decode()


def test_a_message_that_still_fails_stays_quarantined(
    client: Client, admin: Agent, monkeypatch: pytest.MonkeyPatch
) -> None:
    make_mailbox()
    (out,) = _quarantine(monkeypatch)
    monkeypatch.setattr(ingest, "parse", _broken_parser)
    client.force_login(admin)
    r = client.post(f"/settings/email/{out.inbound_id}/reprocess/", follow=True)
    assert "still quarantined" in r.content.decode()
    assert InboundEmail.objects.get(pk=out.inbound_id).status == InboundStatus.QUARANTINED
    assert not Ticket.objects.exists()


def test_the_original_downloads_as_an_eml_attachment_never_rendered(
    client: Client, admin: Agent, monkeypatch: pytest.MonkeyPatch
) -> None:
    make_mailbox()
    raw = mail(message_id="<q0@acme.test>", html="<script>alert(1)</script>")
    monkeypatch.setattr(ingest, "parse", _broken_parser)
    out = ingest.ingest(raw, source="t")
    client.force_login(admin)
    r = client.get(f"/settings/email/{out.inbound_id}/original.eml")
    assert r.status_code == 200
    assert r["Content-Type"] == "message/rfc822"
    assert r["Content-Disposition"] == f'attachment; filename="email-{out.inbound_id}.eml"'
    assert r["X-Content-Type-Options"] == "nosniff"
    assert "no-store" in r["Cache-Control"]
    assert b"".join(r.streaming_content) == raw  # type: ignore[attr-defined]
    assert client.get("/settings/email/999999/original.eml").status_code == 404


@pytest.mark.parametrize("persona", ["alice_agent", "dave_collaborator"])
def test_agents_get_403(
    client: Client, persona: str, request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch
) -> None:
    make_mailbox()
    (out,) = _quarantine(monkeypatch)
    client.force_login(request.getfixturevalue(persona))
    assert client.get("/settings/email/").status_code == 403
    assert client.get(f"/settings/email/{out.inbound_id}/original.eml").status_code == 403
    assert client.post(f"/settings/email/{out.inbound_id}/reprocess/").status_code == 403
    assert InboundEmail.objects.get(pk=out.inbound_id).status == InboundStatus.QUARANTINED


def _queries(client: Client, url: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured.captured_queries)


def test_the_page_is_a_fixed_number_of_queries_and_pages_by_50(
    client: Client, admin: Agent, monkeypatch: pytest.MonkeyPatch
) -> None:
    make_mailbox()
    _quarantine(monkeypatch, n=3)
    client.force_login(admin)
    few = _queries(client, "/settings/email/")
    _quarantine(monkeypatch, n=57, prefix="more")
    many = _queries(client, "/settings/email/")
    assert few == many <= 8
    html = client.get("/settings/email/").content.decode()
    assert html.count("data-inbound=") == 50
    assert "Page 1 of 2" in html
    assert client.get("/settings/email/?page=2").content.decode().count("data-inbound=") == 10
