"""Content-Security-Policy on every HTML page; attachments never rendered as our page.

Every UI URL pattern is fetched (as an admin, as a portal contact and anonymously); each HTML
answer must carry a CSP whose script-src is 'self' only (no 'unsafe-inline', no 'unsafe-eval',
no wildcard) and must not embed inline script or style that the policy would block. Attachments
are downloads (Content-Disposition: attachment, nosniff) except the inline previews of images,
video and PDF, which carry a sandboxing CSP of their own; SVG and HTML never preview inline.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from tests.fixtures.security import concrete, route_values, script_problems, ui_routes
from zabota.accounts.models import Agent
from zabota.customers.models import Contact
from zabota.tickets.actions import reply
from zabota.tickets.actions.common import Upload
from zabota.tickets.models import Attachment, Inbox, Ticket

PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"
    b"\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00\x00\x00\x00IEND\xaeB`\x82"
)
SVG = b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><script>alert(2)</script></svg>'
HTML = b"<!doctype html><html><body><script>alert(1)</script></body></html>"
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def directives(header: str) -> dict[str, list[str]]:
    out = {}
    for part in header.split(";"):
        words = part.split()
        if words:
            out[words[0].lower()] = words[1:]
    return out


def assert_strict_csp(resp: Any, where: str) -> None:
    header = resp.headers.get("Content-Security-Policy", "")
    assert header, f"{where}: no Content-Security-Policy"
    d = directives(header)
    script = d.get("script-src", d.get("default-src"))
    assert script == ["'self'"], f"{where}: script-src {script}"
    for name, values in d.items():
        assert "'unsafe-inline'" not in values or name.startswith("style-src-attr"), (
            f"{where}: {name} {values}"
        )
        assert "'unsafe-eval'" not in values, f"{where}: {name} {values}"
        if name in ("script-src", "style-src", "object-src", "default-src"):
            assert "*" not in values and "data:" not in values, f"{where}: {name} {values}"
    assert d.get("object-src") == ["'none'"], where
    assert resp.headers.get("X-Content-Type-Options") == "nosniff", where


@pytest.fixture
def world(
    admin: Agent, alice_agent: Agent, carol_customer: Contact, support_ticket: Ticket
) -> dict[str, Any]:
    inbox = Inbox.objects.create(name="Acme Support", slug="acme")
    msg = reply(
        actor=alice_agent,
        ticket_id=support_ticket.pk,
        body_text="Attached: a screenshot, a drawing, a page and a document.",
        attachments=[
            Upload(name="screen.png", content=PNG),
            Upload(name="drawing.svg", content=SVG),
            Upload(name="page.html", content=HTML),
            Upload(name="doc.pdf", content=PDF),
            Upload(name="отчёт за март.txt", content=b"plain text"),
        ],
    )
    atts = {a.name: a for a in msg.attachments.all()}
    return {
        "inbox": inbox,
        "attachments": atts,
        "values": route_values(
            number=support_ticket.number,
            attachment_id=atts["screen.png"].pk,
            agent_id=alice_agent.pk,
            slug=inbox.slug,
            contact_id=carol_customer.pk,
            organization_id=carol_customer.organization_id,
            team_id=support_ticket.team_id,
        ),
    }


def html_pages(client: Client, values: dict[str, Any], prefix: str = "") -> list[tuple[str, Any]]:
    pages = []
    for route, _pattern in ui_routes():
        if not route.startswith(prefix):
            continue
        url = concrete(route, values)
        resp = client.get(url)
        if resp.headers.get("Content-Type", "").startswith("text/html"):
            pages.append((url, resp))
    return pages


def test_every_workspace_page_sends_a_strict_csp(admin: Agent, world: dict[str, Any]) -> None:
    client = Client()
    client.force_login(admin)
    pages = html_pages(client, world["values"])
    urls = [u for u, _ in pages]
    assert "/inbox/" in urls and f"/tickets/{world['values']['number']}/" in urls
    for url, resp in pages:
        assert_strict_csp(resp, url)


def test_no_workspace_page_breaks_its_own_policy_with_inline_script_or_style(
    admin: Agent, world: dict[str, Any]
) -> None:
    client = Client()
    client.force_login(admin)
    problems = []
    for url, resp in html_pages(client, world["values"]):
        if resp.status_code == 200:
            problems += [f"{url}: {p}" for p in script_problems(resp.content.decode())]
    assert problems == []


def test_anonymous_pages_send_a_strict_csp(world: dict[str, Any]) -> None:
    client = Client()
    for url in ("/login/", "/portal/", "/portal/acme/", "/portal/link/" + "x" * 43, "/admin/login/"):
        resp = client.get(url)
        assert resp.status_code in (200, 400, 404, 410), url
        assert_strict_csp(resp, url)
        if url != "/admin/login/":  # Django's admin is Django's markup
            assert script_problems(resp.content.decode()) == [], url


def test_portal_pages_send_a_strict_csp(
    carol_customer: Contact, support_ticket: Ticket, world: dict[str, Any]
) -> None:
    from zabota.portal import session as portal_session

    client = Client()
    s = client.session
    s[portal_session.CONTACT_KEY] = carol_customer.pk
    s[portal_session.EMAIL_KEY] = "carol@acme.test"
    s[portal_session.INBOX_KEY] = world["inbox"].pk
    s.save()
    pages = html_pages(client, world["values"], prefix="portal/")
    assert any(url.startswith("/portal/requests/") and r.status_code == 200 for url, r in pages)
    for url, resp in pages:
        assert_strict_csp(resp, url)
        if resp.status_code == 200:
            assert script_problems(resp.content.decode()) == [], url


def test_the_admin_sends_a_strict_csp(admin: Agent) -> None:
    client = Client()
    client.force_login(admin)
    for url in ("/admin/", "/admin/tickets/ticket/"):
        resp = client.get(url)
        assert resp.status_code == 200, url
        assert_strict_csp(resp, url)


# --- Attachments -------------------------------------------------------------------------------


def _download_headers_ok(resp: Any) -> None:
    assert resp.status_code == 200
    assert resp.headers["Content-Disposition"].startswith("attachment")
    assert resp.headers["X-Content-Type-Options"] == "nosniff"


@pytest.mark.parametrize("name", ["screen.png", "drawing.svg", "page.html", "doc.pdf", "отчёт за март.txt"])
def test_every_attachment_downloads_as_an_attachment(admin: Agent, world: dict[str, Any], name: str) -> None:
    client = Client()
    client.force_login(admin)
    att: Attachment = world["attachments"][name]
    resp = client.get(f"/attachments/{att.pk}/")
    _download_headers_ok(resp)
    assert "text/html" not in resp.headers["Content-Type"]


@pytest.mark.parametrize("name", ["drawing.svg", "page.html", "отчёт за март.txt"])
def test_svg_html_and_other_types_never_preview_inline(
    admin: Agent, world: dict[str, Any], name: str
) -> None:
    client = Client()
    client.force_login(admin)
    att: Attachment = world["attachments"][name]
    resp = client.get(f"/attachments/{att.pk}/preview")
    assert resp.status_code == 404


@pytest.mark.parametrize("name", ["screen.png", "doc.pdf"])
def test_safe_previews_are_inline_but_sandboxed(admin: Agent, world: dict[str, Any], name: str) -> None:
    client = Client()
    client.force_login(admin)
    att: Attachment = world["attachments"][name]
    resp = client.get(f"/attachments/{att.pk}/preview")
    assert resp.status_code == 200
    assert resp.headers["Content-Disposition"].startswith("inline")
    assert resp.headers["X-Content-Type-Options"] == "nosniff"
    d = directives(resp.headers["Content-Security-Policy"])
    assert d.get("default-src") == ["'none'"]
    assert "script-src" not in d or d["script-src"] == ["'none'"]
    if name.endswith(".png"):
        assert "sandbox" in d


def test_portal_attachments_download_as_attachments(carol_customer: Contact, world: dict[str, Any]) -> None:
    from zabota.portal import session as portal_session

    client = Client()
    s = client.session
    s[portal_session.CONTACT_KEY] = carol_customer.pk
    s[portal_session.EMAIL_KEY] = "carol@acme.test"
    s.save()
    for name in ("drawing.svg", "page.html", "screen.png"):
        resp = client.get(f"/portal/attachments/{world['attachments'][name].pk}/")
        _download_headers_ok(resp)


def test_portal_previews_only_safe_types_inline_and_sandboxed(
    carol_customer: Contact, world: dict[str, Any]
) -> None:
    from zabota.portal import session as portal_session

    client = Client()
    s = client.session
    s[portal_session.CONTACT_KEY] = carol_customer.pk
    s[portal_session.EMAIL_KEY] = "carol@acme.test"
    s.save()
    atts = world["attachments"]
    for name in ("drawing.svg", "page.html", "отчёт за март.txt"):
        assert client.get(f"/portal/attachments/{atts[name].pk}/preview").status_code == 404, name
    resp = client.get(f"/portal/attachments/{atts['screen.png'].pk}/preview")
    assert resp.status_code == 200
    assert resp.headers["Content-Disposition"].startswith("inline")
    assert resp.headers["X-Content-Type-Options"] == "nosniff"
    d = directives(resp.headers["Content-Security-Policy"])
    assert d.get("default-src") == ["'none'"] and "sandbox" in d
