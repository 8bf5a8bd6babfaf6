"""The signed-in portal: my requests, a request's page, replying, a new request, branding."""

# ruff: noqa: F401, F811  (fixtures imported from test_portal_fixtures, used as arguments)

from __future__ import annotations

import zoneinfo

import pytest
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone

from tests.support import open_ticket, reload
from tests.web.test_portal_fixtures import acme_inbox, page_text, portal_client
from zabota.customers.actions import save_contact
from zabota.tickets.actions import reply, update_ticket
from zabota.tickets.actions.common import Upload
from zabota.tickets.choices import Channel, Status
from zabota.tickets.models import Inbox, Message, Ticket

XSS = "<img src=x onerror=alert(1)>"
PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4"
    b"\x89\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00\x00\x00\x00IEND\xaeB`\x82"
)


@pytest.fixture
def carol(portal_client, carol_customer, acme_inbox) -> Client:
    return portal_client(carol_customer, acme_inbox)


# --- My requests -------------------------------------------------------------------------------


def test_my_requests_lists_my_tickets_with_status_and_last_update(carol, support_ticket):
    response = carol.get("/portal/requests/")
    assert response.status_code == 200
    html = page_text(response)
    assert f'data-ticket="{support_ticket.number}"' in html
    assert "Cannot log in" in html
    assert 'class="status-badge status-open"' in html
    assert "<time datetime=" in html


def test_solved_requests_are_under_their_own_tab(carol, alice_agent, support_ticket):
    update_ticket(actor=alice_agent, ticket_id=support_ticket.pk, status=Status.SOLVED)
    assert "Cannot log in" not in page_text(carol.get("/portal/requests/"))
    solved = page_text(carol.get("/portal/requests/?show=solved"))
    assert "Cannot log in" in solved and "status-solved" in solved
    assert "Cannot log in" in page_text(carol.get("/portal/requests/?show=all"))
    assert carol.get("/portal/requests/?show=bogus").status_code == 200


def test_the_list_pages_through_many_requests_in_few_queries(
    carol, carol_customer, django_assert_max_num_queries
):
    for i in range(30):
        open_ticket(carol_customer, f"Question number {i}")
    with django_assert_max_num_queries(10):
        first = carol.get("/portal/requests/")
    assert page_text(first).count('class="portal-request-row"') == 25
    assert "30 requests" in page_text(first)
    second = page_text(carol.get("/portal/requests/?page=2"))
    assert second.count('class="portal-request-row"') == 5
    assert "Question number 0" in second


def test_an_organization_admin_sees_the_organizations_requests_labelled(
    portal_client, carol_customer, acme, support_ticket
):
    chris = save_contact(
        actor=None, name="Chris Colleague", emails=["chris@acme.test"], organization_id=acme.pk
    )
    theirs = open_ticket(chris, "Printer in room 4")
    save_contact(actor=None, contact=carol_customer, is_organization_admin=True)
    html = page_text(portal_client(carol_customer).get("/portal/requests/"))
    assert "Printer in room 4" in html
    assert "Requested by Chris Colleague" in html
    page = portal_client(carol_customer).get(f"/portal/requests/{theirs.number}/")
    assert page.status_code == 200
    assert "Requested by Chris Colleague" in page_text(page)


def test_a_colleague_who_is_not_an_admin_sees_only_their_own(
    portal_client, carol_customer, acme, support_ticket
):
    chris = save_contact(
        actor=None, name="Chris Colleague", emails=["chris@acme.test"], organization_id=acme.pk
    )
    open_ticket(chris, "Printer in room 4")
    client = portal_client(chris)
    html = page_text(client.get("/portal/requests/?show=all"))
    assert "Printer in room 4" in html
    assert "Cannot log in" not in html
    assert client.get(f"/portal/requests/{support_ticket.number}/").status_code == 404


def test_signed_out_visitors_are_sent_to_sign_in(db, support_ticket):
    for path in ("/portal/requests/", "/portal/requests/new/", f"/portal/requests/{support_ticket.number}/"):
        response = Client().get(path)
        assert response.status_code == 302
        assert response["Location"] == "/portal/"


def test_a_signed_in_contact_visiting_the_sign_in_page_goes_to_their_requests(carol):
    response = carol.get("/portal/acme/")
    assert response.status_code == 302 and response["Location"] == "/portal/requests/"


# --- One request -------------------------------------------------------------------------------


def test_a_request_shows_public_replies_and_attachments(carol, alice_agent, support_ticket):
    reply(
        actor=alice_agent,
        ticket_id=support_ticket.pk,
        body_html="<p>Try <b>resetting</b> it.</p>",
        attachments=[Upload("steps.txt", b"1. 2. 3.")],
    )
    response = carol.get(f"/portal/requests/{support_ticket.number}/")
    assert response.status_code == 200
    html = page_text(response)
    assert "The login page says my password is wrong." in html
    assert "Try <b>resetting</b> it." in html
    assert "Alice Agent" in html
    assert "steps.txt" in html
    assert 'id="portal-reply-form"' in html
    assert 'enctype="multipart/form-data"' in html


def test_a_request_page_is_rendered_in_few_queries(
    carol, alice_agent, support_ticket, django_assert_max_num_queries
):
    for i in range(10):
        reply(
            actor=alice_agent,
            ticket_id=support_ticket.pk,
            body_text=f"reply {i}",
            attachments=[Upload(f"f{i}.txt", b"x")],
        )
    with django_assert_max_num_queries(12):
        assert carol.get(f"/portal/requests/{support_ticket.number}/").status_code == 200


def test_replying_with_attachments_adds_a_portal_reply(carol, carol_customer, support_ticket):
    files = [SimpleUploadedFile("screen.png", PNG, "image/png"), SimpleUploadedFile("log.txt", b"error 42")]
    response = carol.post(
        f"/portal/requests/{support_ticket.number}/",
        {"body": "Still broken, see attached.", "attachments": files},
    )
    assert response.status_code == 302
    message = Message.objects.filter(ticket=support_ticket).latest("id")
    assert response["Location"] == f"/portal/requests/{support_ticket.number}/#message-{message.pk}"
    assert message.author_contact_id == carol_customer.pk
    assert message.channel == Channel.PORTAL
    assert message.kind == "reply"
    assert sorted(a.name for a in message.attachments.all()) == ["log.txt", "screen.png"]
    page = page_text(carol.get(response["Location"]))
    assert "Still broken, see attached." in page
    assert "Your reply has been sent." in page


def test_a_reply_needs_words(carol, support_ticket):
    response = carol.post(f"/portal/requests/{support_ticket.number}/", {"body": "   "})
    assert response.status_code == 400
    assert Message.objects.filter(ticket=support_ticket).count() == 1


def test_too_many_files_are_refused(carol, support_ticket):
    files = [SimpleUploadedFile(f"f{i}.txt", b"x") for i in range(11)]
    response = carol.post(
        f"/portal/requests/{support_ticket.number}/", {"body": "files", "attachments": files}
    )
    assert response.status_code == 400
    assert Message.objects.filter(ticket=support_ticket).count() == 1


def test_a_file_over_the_limit_is_refused(carol, support_ticket, settings):
    settings.ATTACHMENT_MAX_BYTES = 10
    big = SimpleUploadedFile("big.bin", b"x" * 11)
    response = carol.post(f"/portal/requests/{support_ticket.number}/", {"body": "big", "attachments": [big]})
    assert response.status_code == 400
    assert "big.bin is larger than" in page_text(response)


def test_a_portal_reply_reopens_a_solved_request(carol, alice_agent, support_ticket):
    update_ticket(actor=alice_agent, ticket_id=support_ticket.pk, status=Status.SOLVED)
    page = page_text(carol.get(f"/portal/requests/{support_ticket.number}/"))
    assert "Solved — reply to reopen." in page
    assert 'id="portal-reply-form"' in page
    carol.post(f"/portal/requests/{support_ticket.number}/", {"body": "It broke again."})
    assert reload(support_ticket).status == Status.OPEN


def test_a_pending_request_says_we_wait_for_the_customer(carol, alice_agent, support_ticket):
    update_ticket(actor=alice_agent, ticket_id=support_ticket.pk, status=Status.PENDING)
    page = page_text(carol.get(f"/portal/requests/{support_ticket.number}/"))
    assert "status-awaiting" in page and "Awaiting your reply" in page


def test_a_closed_request_has_no_reply_form_but_offers_a_new_request(carol, alice_agent, support_ticket):
    update_ticket(actor=alice_agent, ticket_id=support_ticket.pk, status=Status.SOLVED)
    update_ticket(actor=alice_agent, ticket_id=support_ticket.pk, status=Status.CLOSED)
    page = page_text(carol.get(f"/portal/requests/{support_ticket.number}/"))
    assert 'id="portal-reply-form"' not in page
    assert 'id="portal-closed-new-request"' in page
    assert "status-closed" in page
    response = carol.post(f"/portal/requests/{support_ticket.number}/", {"body": "Hello?"})
    assert response.status_code == 400
    assert Message.objects.filter(ticket=support_ticket).count() == 1


def test_a_merged_request_points_to_the_one_it_was_merged_into(
    carol, alice_agent, carol_customer, support_ticket
):
    from zabota.tickets.actions import merge_tickets

    other = open_ticket(carol_customer, "Cannot log in again")
    merge_tickets(actor=alice_agent, source_id=support_ticket.pk, target_id=other.pk)
    page = page_text(carol.get(f"/portal/requests/{support_ticket.number}/"))
    assert 'id="portal-merged-note"' in page
    assert f'href="/portal/requests/{other.number}/"' in page
    assert 'id="portal-reply-form"' not in page


def test_dates_are_in_the_contacts_time_zone_and_language(portal_client, carol_customer, support_ticket):
    save_contact(actor=None, contact=carol_customer, timezone="Asia/Tokyo", locale="ru")
    response = portal_client(carol_customer).get("/portal/requests/", HTTP_ACCEPT_LANGUAGE="en")
    assert response["Content-Language"] == "ru"
    html = page_text(response)
    assert '<html lang="ru">' in html
    local = timezone.localtime(support_ticket.updated_at, zoneinfo.ZoneInfo("Asia/Tokyo"))
    assert local.isoformat(timespec="seconds")[:19] in html
    assert "+09:00" in html


def test_the_browser_language_is_used_when_the_contact_has_none(
    portal_client, carol_customer, support_ticket
):
    type(carol_customer).objects.filter(pk=carol_customer.pk).update(locale="")
    response = portal_client(carol_customer).get("/portal/requests/", HTTP_ACCEPT_LANGUAGE="ru")
    assert response["Content-Language"] == "ru"


# --- New request -------------------------------------------------------------------------------


def test_a_new_request_is_opened_through_the_portal_in_the_branded_inbox(carol, carol_customer, acme_inbox):
    page = page_text(carol.get("/portal/requests/new/"))
    assert 'id="portal-new-request-form"' in page
    response = carol.post(
        "/portal/requests/new/",
        {
            "subject": "Export fails",
            "body": "The CSV export stops at 50%.",
            "attachments": [SimpleUploadedFile("export.log", b"stopped at 50%")],
        },
    )
    assert response.status_code == 302
    ticket = Ticket.objects.get(subject="Export fails")
    assert response["Location"] == f"/portal/requests/{ticket.number}/"
    assert ticket.channel == Channel.PORTAL
    assert ticket.requester_id == carol_customer.pk
    assert ticket.inbox_id == acme_inbox.pk
    first = ticket.messages.get()
    assert first.author_contact_id == carol_customer.pk and first.channel == Channel.PORTAL
    assert [a.name for a in first.attachments.all()] == ["export.log"]
    assert "Thank you. We have received your request." in page_text(carol.get(response["Location"]))


def test_a_new_request_needs_a_subject_and_a_message(carol):
    response = carol.post("/portal/requests/new/", {"subject": "  ", "body": ""})
    assert response.status_code == 400
    assert Ticket.objects.count() == 0


def test_new_requests_are_limited_per_hour(carol, monkeypatch):
    from zabota.portal import actions

    monkeypatch.setattr(actions, "NEW_REQUESTS_PER_HOUR", 2)
    codes = [
        carol.post("/portal/requests/new/", {"subject": f"s{i}", "body": "b"}).status_code for i in range(3)
    ]
    assert codes == [302, 302, 429]
    assert Ticket.objects.count() == 2


# --- Branding ----------------------------------------------------------------------------------


def test_a_branded_portal_shows_the_inbox_name_greeting_and_colour(db, acme_inbox):
    html = page_text(Client().get("/portal/acme/"))
    assert "Acme Helpdesk" in html
    assert "Welcome to Acme support." in html
    assert 'href="/portal/acme/brand.css?v=ff6600"' in html
    css = Client().get("/portal/acme/brand.css")
    assert css["Content-Type"].startswith("text/css")
    assert "--brand: #ff6600" in css.content.decode()


def test_an_unknown_portal_address_is_404(db, acme_inbox):
    assert Client().get("/portal/nope/").status_code == 404
    assert Client().get("/portal/nope/brand.css").status_code == 404


def test_the_default_portal_uses_the_first_inbox_with_an_address(db):
    assert "Zabota" in page_text(Client().get("/portal/"))
    Inbox.objects.create(name="No Portal Inbox")
    Inbox.objects.create(name="First Branded", slug="first", color="#123456")
    Inbox.objects.create(name="Second Branded", slug="second")
    html = page_text(Client().get("/portal/"))
    assert "First Branded" in html and "/portal/first/brand.css" in html


def test_a_colour_that_is_not_a_colour_never_reaches_the_stylesheet(db):
    Inbox.objects.create(name="Weird", slug="weird", color="red;}body{x:y}")
    css = Client().get("/portal/weird/brand.css").content.decode()
    assert "body" not in css
    assert "--brand: #2563eb" in css


def test_a_png_logo_is_served_and_an_svg_one_is_not(db, acme_inbox):
    acme_inbox.logo.save("logo.png", ContentFile(PNG))
    assert 'src="/portal/acme/logo"' in page_text(Client().get("/portal/acme/"))
    response = Client().get("/portal/acme/logo")
    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
    assert response["X-Content-Type-Options"] == "nosniff"
    acme_inbox.logo.save(
        "logo.png", ContentFile(b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>')
    )
    assert Client().get("/portal/acme/logo").status_code == 404


def test_the_brand_follows_the_portal_the_contact_signed_in_on(carol):
    html = page_text(carol.get("/portal/requests/"))
    assert 'id="portal-brand-name">Acme Helpdesk<' in html


# --- Escaping and the CSP ----------------------------------------------------------------------


def test_a_hostile_subject_is_escaped_everywhere(carol, carol_customer):
    ticket = open_ticket(carol_customer, XSS, XSS)
    for path in ("/portal/requests/", f"/portal/requests/{ticket.number}/"):
        html = page_text(carol.get(path))
        assert XSS not in html
        assert "&lt;img src=x onerror=alert(1)&gt;" in html


def test_a_hostile_name_and_greeting_are_escaped(portal_client, carol_customer, acme, db):
    Inbox.objects.create(name=f"Evil {XSS}", slug="evil", portal_greeting=XSS)
    html = page_text(Client().get("/portal/evil/"))
    assert XSS not in html and "&lt;img" in html
    chris = save_contact(actor=None, name=XSS, emails=["chris@acme.test"], organization_id=acme.pk)
    open_ticket(chris, "From a hostile name")
    save_contact(actor=None, contact=carol_customer, is_organization_admin=True)
    html = page_text(portal_client(carol_customer).get("/portal/requests/"))
    assert XSS not in html and "Requested by &lt;img" in html


def test_a_hostile_reply_through_the_portal_is_shown_as_text(carol, support_ticket):
    carol.post(f"/portal/requests/{support_ticket.number}/", {"body": "<script>alert(1)</script>"})
    html = page_text(carol.get(f"/portal/requests/{support_ticket.number}/"))
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_portal_pages_send_a_strict_csp_and_have_no_inline_script_or_style(carol, support_ticket):
    for path in ("/portal/requests/", f"/portal/requests/{support_ticket.number}/", "/portal/requests/new/"):
        response = carol.get(path)
        csp = response["Content-Security-Policy"]
        assert "script-src 'self'" in csp and "style-src 'self'" in csp
        html = page_text(response)
        assert "<script>" not in html and "<style" not in html and " style=" not in html
        assert " onclick=" not in html and " onerror=" not in html
        assert response["Cache-Control"] == "private, no-store"


def test_portal_posts_need_the_csrf_token(portal_client, carol_customer, support_ticket):
    strict = portal_client(carol_customer, enforce_csrf_checks=True)
    assert strict.post(f"/portal/requests/{support_ticket.number}/", {"body": "x"}).status_code == 403
    assert strict.post("/portal/requests/new/", {"subject": "s", "body": "b"}).status_code == 403
    assert strict.post("/portal/logout/").status_code == 403
    assert Message.objects.filter(ticket=support_ticket).count() == 1


def test_a_link_from_an_inbox_that_lost_its_portal_address_still_works(carol_customer, acme_inbox):
    from zabota.portal import actions

    acme_inbox.logo.save("logo.png", ContentFile(PNG))
    link, token = actions.issue_sign_in_link(email="carol@acme.test", inbox=acme_inbox)
    Inbox.objects.filter(pk=acme_inbox.pk).update(slug=None)
    client = Client()
    page = client.get(f"/portal/link/{token}")
    assert page.status_code == 200
    assert "Acme Helpdesk" in page_text(page)
    assert client.post(f"/portal/link/{token}").status_code == 302
    assert client.get("/portal/requests/").status_code == 200


# --- Preferences -------------------------------------------------------------------------------


def test_a_contact_chooses_their_language_and_time_zone(carol, carol_customer):
    page = page_text(carol.get("/portal/preferences/"))
    assert 'id="portal-preferences-form"' in page
    assert '<option value="en" selected>' in page
    response = carol.post("/portal/preferences/", {"locale": "ru", "timezone": "Europe/Moscow"})
    assert response.status_code == 302
    carol_customer.refresh_from_db()
    assert (carol_customer.locale, carol_customer.timezone) == ("ru", "Europe/Moscow")
    after = carol.get("/portal/requests/", HTTP_ACCEPT_LANGUAGE="en")
    assert after["Content-Language"] == "ru"


def test_preferences_refuse_what_is_not_a_language_or_a_zone(carol, carol_customer):
    assert carol.post("/portal/preferences/", {"locale": "xx", "timezone": "UTC"}).status_code == 400
    assert carol.post("/portal/preferences/", {"locale": "en", "timezone": "Mars/Olympus"}).status_code == 400
    carol_customer.refresh_from_db()
    assert (carol_customer.locale, carol_customer.timezone) == ("en", "UTC")
