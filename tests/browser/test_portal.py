"""Story: carol asks the Acme portal for a sign-in link, opens it from her mail, signs in, sees
her requests (never the internal note, never erin's), replies with an attachment, and opens a
new request. The link works once."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.browser.conftest import Browse, Server, messages, request_portal_link, uid

PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"
    b"\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00\x00\x00\x00IEND\xaeB`\x82"
)


def test_carol_signs_in_by_link_and_replies_with_an_attachment(browse: Browse, server: Server) -> None:
    page = browse.page()
    path = request_portal_link(page, server, "carol@acme.test")
    # The answer does not say whether the address is known.
    expect(page.locator("main")).to_contain_text(re.compile("sent", re.I))
    # Branded: the inbox's name.
    expect(page.locator("body")).to_contain_text("Acme Support")

    page.goto(path)
    expect(page.locator("#portal-use-link")).to_contain_text("carol@acme.test")
    page.locator("#portal-use-link").click()
    expect(page).to_have_url(re.compile(r"/portal/requests/$"))

    carol_ticket = server.cast["tickets"]["carol"]
    expect(page.get_by_text("Cannot log in")).to_be_visible()
    expect(page.get_by_text("Invoice is wrong")).to_have_count(0)  # erin's
    page.locator(f"a[href='/portal/requests/{carol_ticket['number']}/']").first.click()
    expect(page).to_have_url(re.compile(rf"/portal/requests/{carol_ticket['number']}/$"))
    expect(page.locator("main")).to_contain_text("my password is wrong")
    expect(page.locator("body")).not_to_contain_text(server.cast["note_canary"])

    word = uid("carol")
    page.locator("#portal-reply-form textarea[name=body]").fill(f"Here is a screenshot {word}")
    page.locator("#portal-reply-form input[type=file]").set_input_files(
        [{"name": f"screen-{word}.png", "mimeType": "image/png", "buffer": PNG}]
    )
    page.locator("#portal-send-reply").click()
    expect(page.locator("main")).to_contain_text(f"Here is a screenshot {word}")
    expect(page.locator(f"a[download]:has-text('screen-{word}.png')")).to_be_visible()

    detail = server.api("admin").get(f"/tickets/{carol_ticket['id']}")
    mine = [m for m in messages(detail) if word in m["body_text"]]
    assert len(mine) == 1 and mine[0]["author_type"] == "contact"
    assert [a["name"] for a in mine[0]["attachments"]] == [f"screen-{word}.png"]

    # The link was used: a second visit cannot sign anyone in.
    other = browse.page()
    response = other.goto(path)
    if response is not None and response.status == 200 and other.locator("#portal-use-link").count():
        other.locator("#portal-use-link").click()
    expect(other).not_to_have_url(re.compile(r"/portal/requests/"))
    other.goto("/portal/requests/")
    expect(other).not_to_have_url(re.compile(r"/portal/requests/$"))


def test_an_unknown_address_gets_the_same_answer(browse: Browse, server: Server) -> None:
    known = browse.page()
    known.goto("/portal/acme/")
    unknown = browse.page()
    unknown.goto("/portal/acme/")
    before = len(server.mails())
    unknown.locator("#portal-sign-in-form input[name=email]").fill("nobody@nowhere.test")
    unknown.locator("#portal-send-link").click()
    unknown.wait_for_load_state()
    answer = unknown.locator("main").inner_text()
    assert "sent" in answer.lower() or "link" in answer.lower()
    unknown.wait_for_timeout(1500)
    assert all("nobody@nowhere.test" not in str(m.get("To")) for m in server.mails()[before:])


def test_carol_opens_a_new_request(browse: Browse, server: Server) -> None:
    page = browse.portal_page("carol@acme.test")
    page.goto("/portal/requests/")
    page.locator("#portal-new-request-button").click()
    word = uid("new")
    page.locator("#portal-new-request-form input[name=subject]").fill(f"The app logs me out {word}")
    page.locator("#portal-new-request-form textarea[name=body]").fill("Every five minutes.")
    page.locator("#portal-send-request").click()
    expect(page.locator("main")).to_contain_text(f"The app logs me out {word}")
    found = server.api("admin").get(f"/search?q={word}")["items"]
    assert len(found) == 1 and found[0]["channel"] == "portal"


def test_carol_cannot_open_erins_request(browse: Browse, server: Server) -> None:
    page = browse.portal_page("carol@acme.test")
    response = page.goto(f"/portal/requests/{server.cast['tickets']['erin']['number']}/")
    assert response is not None and response.status == 404
    expect(page.locator("body")).not_to_contain_text("charged twice")
