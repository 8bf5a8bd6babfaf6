"""Attachment download and inline preview: headers for every type, never SVG or HTML inline,
HTTP Range for video, and permission (an invisible ticket's file is a 404 like a missing one)."""

from __future__ import annotations

from urllib.parse import quote

import pytest
from django.test import Client

from tests.support import make_agent
from zabota.accounts.models import Agent, Role
from zabota.customers.models import Contact
from zabota.tickets import actions
from zabota.tickets.actions.common import Upload
from zabota.tickets.models import Attachment, Ticket

SAMPLES = {
    "shot.png": (b"\x89PNG\r\n\x1a\n" + b"\x01" * 200, "image/png", "image"),
    "photo.jpg": (b"\xff\xd8\xff\xe0" + b"\x02" * 200, "image/jpeg", "image"),
    "anim.gif": (b"GIF89a" + b"\x03" * 200, "image/gif", "image"),
    "pic.webp": (b"RIFF\x00\x00\x00\x00WEBPVP8 " + b"\x04" * 200, "image/webp", "image"),
    "recording.mp4": (b"\x00\x00\x00\x18ftypmp42" + bytes(range(256)) * 40, "video/mp4", "video"),
    "clip.webm": (
        b"\x1a\x45\xdf\xa3\x9f\x42\x86\x81\x01\x42\xf7\x81\x01\x42\xf2\x81\x04\x42\xf3\x81\x08\x42\x82\x84webm"
        + b"\x05" * 200,
        "video/webm",
        "video",
    ),
    "invoice.pdf": (b"%PDF-1.4\n" + b"\x06" * 200, "application/pdf", "pdf"),
    # A Mac screen recording: QuickTime's ISO BMFF with the "qt  " brand.
    "Screen Recording.mov": (
        b"\x00\x00\x00\x14ftypqt  \x00\x00\x02\x00qt  \x00\x00\x00\x08wide" + bytes(range(256)) * 40,
        "video/quicktime",
        "video",
    ),
}
UNSAFE = {
    "logo.svg": b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
    "page.html": b"<html><body><script>alert(1)</script></body></html>",
    "fake.png": b"<html><script>alert(1)</script></html>",  # an HTML file named .png
    "archive.zip": b"PK\x03\x04" + b"\x00" * 100,
}


def attach(ticket: Ticket, actor: Agent | Contact, name: str, content: bytes) -> Attachment:
    if isinstance(actor, Contact):
        m = actions.reply(
            actor=actor, ticket_id=ticket.pk, body_text=f"file {name}", attachments=[Upload(name, content)]
        )
    else:
        m = actions.add_note(
            actor=actor, ticket_id=ticket.pk, body_text=f"file {name}", attachments=[Upload(name, content)]
        )
    return m.attachments.get()


def body(response: object) -> bytes:
    return b"".join(response.streaming_content)  # type: ignore[attr-defined]


@pytest.mark.parametrize("name", sorted(SAMPLES))
def test_safe_types_preview_inline(
    client: Client, alice_agent: Agent, carol_customer: Contact, support_ticket: Ticket, name: str
) -> None:
    content, content_type, _ = SAMPLES[name]
    att = attach(support_ticket, carol_customer, name, content)
    assert att.content_type == content_type
    client.force_login(alice_agent)
    r = client.get(f"/attachments/{att.pk}/preview")
    assert r.status_code == 200
    assert r["Content-Type"] == content_type
    assert r["Content-Disposition"].startswith("inline;")
    assert r["X-Content-Type-Options"] == "nosniff"
    assert r["X-Frame-Options"] == "SAMEORIGIN"
    assert r["Accept-Ranges"] == "bytes"
    assert r["Content-Length"] == str(len(content))
    csp = r["Content-Security-Policy"]
    assert "default-src 'none'" in csp and "frame-ancestors 'self'" in csp
    assert "script-src" not in csp
    assert csp.startswith("sandbox;")  # PDF included: Chromium's viewer renders it sandboxed
    assert "img-src 'self'" in csp and "media-src 'self'" in csp
    assert body(r) == content


@pytest.mark.parametrize("name", sorted(SAMPLES) + sorted(UNSAFE))
def test_download_is_always_an_attachment(
    client: Client, alice_agent: Agent, carol_customer: Contact, support_ticket: Ticket, name: str
) -> None:
    content = SAMPLES[name][0] if name in SAMPLES else UNSAFE[name]
    att = attach(support_ticket, carol_customer, name, content)
    client.force_login(alice_agent)
    r = client.get(f"/attachments/{att.pk}/")
    assert r.status_code == 200
    assert r["Content-Disposition"] == f"attachment; filename=\"{name}\"; filename*=UTF-8''{quote(name)}"
    assert r["X-Content-Type-Options"] == "nosniff"
    assert r["Content-Type"] == att.content_type
    assert "sandbox" in r["Content-Security-Policy"]
    assert body(r) == content


@pytest.mark.parametrize("name", sorted(UNSAFE))
def test_svg_html_and_other_types_are_never_inline(
    client: Client, alice_agent: Agent, carol_customer: Contact, support_ticket: Ticket, name: str
) -> None:
    att = attach(support_ticket, carol_customer, name, UNSAFE[name])
    assert att.content_type not in ("image/svg+xml", "text/html")  # sniffed, never the name's claim
    client.force_login(alice_agent)
    assert client.get(f"/attachments/{att.pk}/preview").status_code == 404
    html = client.get(f"/tickets/{support_ticket.number}/").content.decode()
    assert f'src="/attachments/{att.pk}/preview"' not in html
    assert f'href="/attachments/{att.pk}/" download>' in html


def test_russian_file_name_uses_rfc_5987(
    client: Client, alice_agent: Agent, carol_customer: Contact, support_ticket: Ticket
) -> None:
    att = attach(support_ticket, carol_customer, "Счёт за март.pdf", SAMPLES["invoice.pdf"][0])
    client.force_login(alice_agent)
    r = client.get(f"/attachments/{att.pk}/")
    disposition = r["Content-Disposition"]
    assert disposition.startswith('attachment; filename="')
    assert (
        "filename*=UTF-8''%D0%A1%D1%87%D1%91%D1%82%20%D0%B7%D0%B0%20%D0%BC%D0%B0%D1%80%D1%82.pdf"
        in disposition
    )
    assert disposition.encode("latin-1")  # the header itself is plain ASCII
    r = client.get(f"/attachments/{att.pk}/preview")
    assert r["Content-Disposition"].startswith("inline; ")


def test_video_range_requests_are_206(
    client: Client, alice_agent: Agent, carol_customer: Contact, support_ticket: Ticket
) -> None:
    content = SAMPLES["recording.mp4"][0]
    att = attach(support_ticket, carol_customer, "recording.mp4", content)
    client.force_login(alice_agent)
    size = len(content)

    r = client.get(f"/attachments/{att.pk}/preview", HTTP_RANGE="bytes=100-199")
    assert r.status_code == 206
    assert r["Content-Range"] == f"bytes 100-199/{size}"
    assert r["Content-Length"] == "100"
    assert body(r) == content[100:200]

    r = client.get(f"/attachments/{att.pk}/preview", HTTP_RANGE="bytes=5000-")
    assert r.status_code == 206
    assert r["Content-Range"] == f"bytes 5000-{size - 1}/{size}"
    assert body(r) == content[5000:]

    r = client.get(f"/attachments/{att.pk}/preview", HTTP_RANGE="bytes=-10")
    assert r.status_code == 206 and body(r) == content[-10:]

    r = client.get(f"/attachments/{att.pk}/preview", HTTP_RANGE="bytes=0-99999999")
    assert r.status_code == 206 and r["Content-Range"] == f"bytes 0-{size - 1}/{size}"

    r = client.get(f"/attachments/{att.pk}/preview", HTTP_RANGE=f"bytes={size}-")
    assert r.status_code == 416 and r["Content-Range"] == f"bytes */{size}"

    r = client.get(f"/attachments/{att.pk}/preview", HTTP_RANGE="bytes=1-2,5-6")  # multi-range: all of it
    assert r.status_code == 200 and body(r) == content

    r = client.get(f"/attachments/{att.pk}/", HTTP_RANGE="bytes=0-9")  # download resumes too
    assert r.status_code == 206 and body(r) == content[:10]
    assert r["Content-Disposition"].startswith("attachment;")


def test_timeline_shows_images_videos_and_pdfs_inline(
    client: Client, alice_agent: Agent, carol_customer: Contact, support_ticket: Ticket
) -> None:
    img = attach(support_ticket, carol_customer, "shot.png", SAMPLES["shot.png"][0])
    vid = attach(support_ticket, carol_customer, "recording.mp4", SAMPLES["recording.mp4"][0])
    pdf = attach(support_ticket, carol_customer, "invoice.pdf", SAMPLES["invoice.pdf"][0])
    client.force_login(alice_agent)
    html = client.get(f"/tickets/{support_ticket.number}/").content.decode()
    assert f'<img class="attachment-thumb" src="/attachments/{img.pk}/preview"' in html
    assert (
        f'<video class="attachment-video" controls preload="metadata" src="/attachments/{vid.pk}/preview"'
        in html
    )
    assert f'<iframe class="attachment-pdf" src="/attachments/{pdf.pk}/preview"' in html


def test_a_mac_screen_recording_plays_inline_and_seeks(
    client: Client, alice_agent: Agent, carol_customer: Contact, support_ticket: Ticket
) -> None:
    """A .mov from a Mac is sniffed as video/quicktime and shown in the timeline's player, with
    Range support so the agent can seek without downloading it."""
    content = SAMPLES["Screen Recording.mov"][0]
    mov = attach(support_ticket, carol_customer, "Screen Recording.mov", content)
    assert mov.content_type == "video/quicktime"
    client.force_login(alice_agent)
    html = client.get(f"/tickets/{support_ticket.number}/").content.decode()
    assert (
        f'<video class="attachment-video" controls preload="metadata" src="/attachments/{mov.pk}/preview"'
        in html
    )
    r = client.get(f"/attachments/{mov.pk}/preview", HTTP_RANGE="bytes=0-15")
    assert r.status_code == 206 and body(r) == content[:16]
    assert r["Content-Type"] == "video/quicktime"
    assert r["Content-Disposition"].startswith("inline;")
    assert r["X-Content-Type-Options"] == "nosniff"


def test_bob_cannot_fetch_a_security_ticket_attachment(
    client: Client, bob_other_team: Agent, erin_customer: Contact, security_ticket: Ticket
) -> None:
    att = attach(security_ticket, erin_customer, "evidence.png", SAMPLES["shot.png"][0])
    client.force_login(bob_other_team)
    assert client.get(f"/attachments/{att.pk}/").status_code == 404
    assert client.get(f"/attachments/{att.pk}/preview").status_code == 404
    assert client.get("/attachments/999999/").status_code == 404


def test_collaborator_fetches_only_while_they_see_the_ticket(
    client: Client, sam_security: Agent, erin_customer: Contact, security_ticket: Ticket
) -> None:
    att = attach(security_ticket, erin_customer, "evidence.png", SAMPLES["shot.png"][0])
    dev = make_agent("dev@zabota.test", Role.COLLABORATOR, name="Devon Dev")
    client.force_login(dev)
    assert client.get(f"/attachments/{att.pk}/preview").status_code == 404
    actions.add_follower(actor=sam_security, ticket_id=security_ticket.pk, agent=dev)
    assert client.get(f"/attachments/{att.pk}/preview").status_code == 200
    actions.remove_follower(actor=sam_security, ticket_id=security_ticket.pk, agent=dev)
    assert client.get(f"/attachments/{att.pk}/").status_code == 404


def test_anonymous_visitors_get_the_login_page(
    client: Client, carol_customer: Contact, support_ticket: Ticket
) -> None:
    att = attach(support_ticket, carol_customer, "shot.png", SAMPLES["shot.png"][0])
    r = client.get(f"/attachments/{att.pk}/")
    assert r.status_code == 302 and r["Location"].startswith("/login/")


def test_cached_copies_are_revalidated_and_permission_rechecked(
    client: Client, alice_agent: Agent, bob_other_team: Agent, carol_customer: Contact, support_ticket: Ticket
) -> None:
    att = attach(support_ticket, carol_customer, "shot.png", SAMPLES["shot.png"][0])
    client.force_login(alice_agent)
    r = client.get(f"/attachments/{att.pk}/preview")
    assert r["ETag"] == f'"{att.sha256}"' and r["Cache-Control"] == "private, no-cache"
    r = client.get(f"/attachments/{att.pk}/preview", HTTP_IF_NONE_MATCH=f'"{att.sha256}"')
    assert r.status_code == 304
    # Support is an open team, but once the ticket moves to a restricted team bob gets a 404,
    # not a 304, even with a matching validator.
    from zabota.accounts.actions import create_team

    vault = create_team(name="Vault", restricted=True)
    actions.update_ticket(actor=alice_agent, ticket_id=support_ticket.pk, team=vault)
    client.force_login(bob_other_team)
    r = client.get(f"/attachments/{att.pk}/preview", HTTP_IF_NONE_MATCH=f'"{att.sha256}"')
    assert r.status_code == 404


def test_head_is_allowed(
    client: Client, alice_agent: Agent, carol_customer: Contact, support_ticket: Ticket
) -> None:
    att = attach(support_ticket, carol_customer, "recording.mp4", SAMPLES["recording.mp4"][0])
    client.force_login(alice_agent)
    r = client.head(f"/attachments/{att.pk}/preview")
    assert r.status_code == 200 and r["Content-Length"] == str(att.size)


def test_a_customer_signed_in_to_the_portal_cannot_fetch_a_note_attachment_here(
    client: Client, alice_agent: Agent, carol_customer: Contact, support_ticket: Ticket
) -> None:
    from zabota.portal import session as portal_session

    att = attach(support_ticket, alice_agent, "internal-diagram.png", SAMPLES["shot.png"][0])  # on a note
    s = client.session
    s[portal_session.CONTACT_KEY] = carol_customer.pk
    s[portal_session.EMAIL_KEY] = "carol@acme.test"
    s.save()
    for url in (f"/attachments/{att.pk}/", f"/attachments/{att.pk}/preview"):
        r = client.get(url)
        assert r.status_code == 302 and r["Location"].startswith("/login/")
