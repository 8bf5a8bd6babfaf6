"""What must never reach a customer through the portal: internal notes (text, HTML, attachments),
activity meant for agents, and anything of another customer.

Carol's ticket carries a canary string in notes, a note's attachment, tags and system events;
every portal page Carol can open, and the attachment route, are checked for it.
"""

# ruff: noqa: F401, F811  (fixtures imported from test_portal_fixtures, used as arguments)

from __future__ import annotations

import pytest
from django.test import Client

from tests.support import open_ticket
from tests.web.test_portal_fixtures import CANARY, acme_inbox, page_text, portal_client
from zabota.customers.actions import save_contact
from zabota.tickets.actions import add_note, reply, update_ticket
from zabota.tickets.actions.common import Upload
from zabota.tickets.choices import MessageKind, Status
from zabota.tickets.models import Attachment, Message


@pytest.fixture
def noted_ticket(alice_agent, dave_collaborator, carol_customer, support_ticket):
    """Carol's ticket: public replies with a file, and canary-carrying notes, tags and events."""
    add_note(
        actor=dave_collaborator,
        ticket_id=support_ticket.pk,
        body_text=f"Root cause {CANARY}: the account is flagged",
        body_html=f"<p>Root cause <b>{CANARY}</b></p>",
        attachments=[Upload(name=f"{CANARY}.txt", content=f"secret {CANARY}".encode())],
    )
    reply(
        actor=alice_agent,
        ticket_id=support_ticket.pk,
        body_text="We found the problem and are fixing it.",
        attachments=[Upload(name="fix-notes.txt", content=b"public steps")],
    )
    add_note(actor=alice_agent, ticket_id=support_ticket.pk, body_html=f"<p>Do not tell them: {CANARY}</p>")
    update_ticket(
        actor=alice_agent, ticket_id=support_ticket.pk, add_tags=[CANARY.lower()], assignee=alice_agent
    )
    update_ticket(actor=alice_agent, ticket_id=support_ticket.pk, status=Status.PENDING)
    # A system event message (channels write these; there is no action for them yet).
    Message.objects.create(ticket=support_ticket, kind=MessageKind.EVENT, body_text=f"event {CANARY}")
    return support_ticket


def note_attachment(ticket) -> Attachment:
    return Attachment.objects.get(message__ticket=ticket, message__kind=MessageKind.NOTE)


def public_attachment(ticket) -> Attachment:
    return Attachment.objects.get(message__ticket=ticket, message__kind=MessageKind.REPLY)


def every_portal_page(client: Client, ticket) -> dict[str, str]:
    pages = {}
    for path in (
        "/portal/requests/",
        "/portal/requests/?show=all",
        "/portal/requests/?show=solved",
        f"/portal/requests/{ticket.number}/",
        "/portal/requests/new/",
    ):
        response = client.get(path)
        assert response.status_code == 200, path
        pages[path] = page_text(response)
    return pages


def test_the_canary_is_really_on_the_ticket(noted_ticket):
    """The leak tests below would pass vacuously if the canary were not there at all."""
    canaried = Message.objects.filter(ticket=noted_ticket, body_text__contains=CANARY)
    assert sorted(canaried.values_list("kind", flat=True)) == ["event", "note", "note"]
    assert note_attachment(noted_ticket).name == f"{CANARY}.txt"
    assert noted_ticket.tags.filter(name=CANARY.lower()).exists()


def test_no_portal_page_shows_an_internal_note_tag_or_event(
    portal_client, carol_customer, acme_inbox, noted_ticket
):
    client = portal_client(carol_customer, acme_inbox)
    pages = every_portal_page(client, noted_ticket)
    for path, html in pages.items():
        assert CANARY not in html, path
        assert CANARY.lower() not in html, path
        assert "Root cause" not in html and "Do not tell them" not in html, path
    ticket_page = pages[f"/portal/requests/{noted_ticket.number}/"]
    assert "We found the problem and are fixing it." in ticket_page
    assert "fix-notes.txt" in ticket_page
    assert f"/portal/attachments/{note_attachment(noted_ticket).pk}/" not in ticket_page


def test_an_organization_admin_does_not_see_notes_on_a_colleagues_ticket(
    portal_client, carol_customer, acme, alice_agent
):
    chris = save_contact(
        actor=None, name="Chris Colleague", emails=["chris@acme.test"], organization_id=acme.pk
    )
    theirs = open_ticket(chris, "Printer in room 4")
    add_note(actor=alice_agent, ticket_id=theirs.pk, body_text=f"Chris is difficult {CANARY}")
    save_contact(actor=None, contact=carol_customer, is_organization_admin=True)
    html = page_text(portal_client(carol_customer).get(f"/portal/requests/{theirs.number}/"))
    assert "Printer in room 4" in html
    assert CANARY not in html


def test_a_notes_attachment_is_404_on_the_portal_route(portal_client, carol_customer, noted_ticket):
    client = portal_client(carol_customer)
    response = client.get(f"/portal/attachments/{note_attachment(noted_ticket).pk}/")
    assert response.status_code == 404
    assert CANARY not in page_text(response)


def test_an_events_attachment_is_404_too(portal_client, carol_customer, noted_ticket):
    event = Message.objects.get(ticket=noted_ticket, kind=MessageKind.EVENT)
    from zabota.tickets.actions.common import store_attachments

    (att,) = store_attachments(event, [Upload(name="event.txt", content=b"for agents")])
    assert portal_client(carol_customer).get(f"/portal/attachments/{att.pk}/").status_code == 404


def test_a_public_attachment_downloads_as_an_attachment(portal_client, carol_customer, noted_ticket):
    response = portal_client(carol_customer).get(f"/portal/attachments/{public_attachment(noted_ticket).pk}/")
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment;")
    assert "fix-notes.txt" in response["Content-Disposition"]
    assert response["X-Content-Type-Options"] == "nosniff"
    assert b"".join(response.streaming_content) == b"public steps"


def test_html_and_svg_attachments_are_served_as_opaque_bytes(portal_client, carol_customer, support_ticket):
    reply(
        actor=carol_customer,
        ticket_id=support_ticket.pk,
        body_text="files",
        attachments=[
            Upload(name="page.html", content=b"<html><script>alert(1)</script></html>"),
            Upload(
                name="pic.svg",
                content=b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
            ),
        ],
    )
    client = portal_client(carol_customer)
    for att in Attachment.objects.filter(message__ticket=support_ticket):
        response = client.get(f"/portal/attachments/{att.pk}/")
        assert response.status_code == 200
        assert response["Content-Type"] in ("application/octet-stream", "text/plain")
        assert response["Content-Disposition"].startswith("attachment;")
        assert "sandbox" in response["Content-Security-Policy"]


def test_signed_out_visitors_cannot_download_attachments(db, noted_ticket):
    response = Client().get(f"/portal/attachments/{public_attachment(noted_ticket).pk}/")
    assert response.status_code == 302


# --- Another customer's data -------------------------------------------------------------------


@pytest.fixture
def erins_ticket_with_a_file(erin_customer, billing_ticket, alice_agent):
    reply(
        actor=erin_customer,
        ticket_id=billing_ticket.pk,
        body_text="Here is the invoice ERIN-PRIVATE-INVOICE",
        attachments=[Upload(name="erin-invoice.pdf", content=b"%PDF-1.4 erin")],
    )
    return billing_ticket


def test_carol_never_sees_erins_ticket(
    portal_client, carol_customer, support_ticket, erins_ticket_with_a_file
):
    client = portal_client(carol_customer)
    ticket = erins_ticket_with_a_file
    for show in ("open", "solved", "all"):
        html = page_text(client.get(f"/portal/requests/?show={show}"))
        assert "Invoice is wrong" not in html
        assert f'data-ticket="{ticket.number}"' not in html
    response = client.get(f"/portal/requests/{ticket.number}/")
    assert response.status_code == 404
    assert "ERIN-PRIVATE-INVOICE" not in page_text(response)
    missing = client.get("/portal/requests/999999/")
    assert missing.status_code == 404  # the same answer as for a ticket that doesn't exist


def test_carol_cannot_reply_on_erins_ticket(portal_client, carol_customer, erins_ticket_with_a_file):
    before = Message.objects.filter(ticket=erins_ticket_with_a_file).count()
    response = portal_client(carol_customer).post(
        f"/portal/requests/{erins_ticket_with_a_file.number}/", {"body": "I am Erin, honest"}
    )
    assert response.status_code == 404
    assert Message.objects.filter(ticket=erins_ticket_with_a_file).count() == before


def test_carol_cannot_download_erins_attachment(portal_client, carol_customer, erins_ticket_with_a_file):
    att = Attachment.objects.get(name="erin-invoice.pdf")
    response = portal_client(carol_customer).get(f"/portal/attachments/{att.pk}/")
    assert response.status_code == 404
    assert b"erin" not in response.content


def test_an_organization_admin_never_sees_another_organizations_tickets(
    portal_client, carol_customer, erins_ticket_with_a_file
):
    save_contact(actor=None, contact=carol_customer, is_organization_admin=True)
    client = portal_client(carol_customer)
    assert "Invoice is wrong" not in page_text(client.get("/portal/requests/?show=all"))
    assert client.get(f"/portal/requests/{erins_ticket_with_a_file.number}/").status_code == 404


def test_a_tampered_session_pointing_at_erin_does_not_sign_in_as_erin(
    carol_customer, erin_customer, erins_ticket_with_a_file
):
    from zabota.portal import session as portal_session

    client = Client()
    s = client.session
    s[portal_session.CONTACT_KEY] = erin_customer.pk
    s[portal_session.EMAIL_KEY] = "carol@acme.test"  # an address that is not Erin's
    s.save()
    assert client.get("/portal/requests/").status_code == 302
    assert client.get(f"/portal/requests/{erins_ticket_with_a_file.number}/").status_code == 302


def test_a_hostile_file_name_downloads_safely(portal_client, carol_customer, support_ticket):
    reply(
        actor=carol_customer,
        ticket_id=support_ticket.pk,
        body_text="file",
        attachments=[
            Upload(name='evil"\r\nSet-Cookie: x=1\r\n<img src=x onerror=alert(1)>.txt', content=b"x")
        ],
    )
    client = portal_client(carol_customer)
    att = Attachment.objects.get(message__ticket=support_ticket)
    page = page_text(client.get(f"/portal/requests/{support_ticket.number}/"))
    assert "<img src=x onerror" not in page
    response = client.get(f"/portal/attachments/{att.pk}/")
    assert response.status_code == 200
    assert "\n" not in response["Content-Disposition"] and "Set-Cookie" not in response.headers


PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4"
    b"\x89\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00\x00\x00\x00IEND\xaeB`\x82"
)


def test_an_image_is_previewed_inline_but_svg_and_notes_are_not(
    portal_client, carol_customer, alice_agent, support_ticket
):
    reply(
        actor=carol_customer,
        ticket_id=support_ticket.pk,
        body_text="screens",
        attachments=[
            Upload(name="screen.png", content=PNG),
            Upload(
                name="pic.svg",
                content=b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
            ),
        ],
    )
    add_note(
        actor=alice_agent, ticket_id=support_ticket.pk, body_text="n", attachments=[Upload("note.png", PNG)]
    )
    client = portal_client(carol_customer)
    png = Attachment.objects.get(name="screen.png")
    svg = Attachment.objects.get(name="pic.svg")
    note_png = Attachment.objects.get(name="note.png")
    page = page_text(client.get(f"/portal/requests/{support_ticket.number}/"))
    assert f'src="/portal/attachments/{png.pk}/preview"' in page
    assert f"/portal/attachments/{svg.pk}/preview" not in page
    response = client.get(f"/portal/attachments/{png.pk}/preview")
    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
    assert response["Content-Disposition"] == "inline"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert client.get(f"/portal/attachments/{svg.pk}/preview").status_code == 404
    assert client.get(f"/portal/attachments/{note_png.pk}/preview").status_code == 404
    assert Client().get(f"/portal/attachments/{png.pk}/preview").status_code == 302
