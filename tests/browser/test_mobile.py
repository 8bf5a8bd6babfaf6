"""Story: a team lead checks in from a phone (390x844): the inbox fits the screen without
horizontal scrolling, a ticket opens and can be answered, the portal works too."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.browser.conftest import Browse, Server, new_ticket, uid

PHONE = {
    "viewport": {"width": 390, "height": 844},
    "device_scale_factor": 3,
    "is_mobile": True,
    "has_touch": True,
}


def horizontal_overflow(page) -> int:  # type: ignore[no-untyped-def]
    return page.evaluate("() => document.documentElement.scrollWidth - document.documentElement.clientWidth")


def test_the_inbox_fits_a_phone_and_a_ticket_can_be_answered(browse: Browse, server: Server) -> None:
    word = uid("phone")
    # Customers write long unbroken strings (URLs, error ids): they must wrap, not widen the page.
    t = new_ticket(
        server,
        f"Error at https://example.com/a/very/long/path/that/never/breaks/{word}/index.html?x=1",
        "Trace: " + "ABCDEFGHIJ" * 12,
    )
    page = browse.page("admin", **PHONE)
    page.goto("/inbox/open/?sort=newest")
    row = page.locator(f"[data-nav-item][data-ticket='{t['number']}']")
    expect(row).to_be_visible()
    problems = []  # checked at the end, so one report names every layout problem
    if horizontal_overflow(page) > 0:
        problems.append(f"the inbox scrolls sideways on a phone by {horizontal_overflow(page)}px")

    row.locator("[data-nav-open]").tap()
    expect(page).to_have_url(re.compile(rf"/tickets/{t['number']}/$"))
    if horizontal_overflow(page) > 0:
        problems.append(f"the ticket page scrolls sideways on a phone by {horizontal_overflow(page)}px")
    body = page.locator("#composer-body")
    body.scroll_into_view_if_needed()
    expect(body).to_be_visible()
    body_box = body.bounding_box()
    assert body_box is not None and body_box["width"] >= 250, "the composer is too narrow to write in"
    page.locator("label.mode-option-note").tap()
    body.fill(f"Checked from my phone {word}")
    page.locator("#composer-send").tap()
    expect(page.locator("#timeline .message-note").filter(has_text=word)).to_be_visible()
    # The properties panel stacks under the timeline instead of squeezing beside it.
    expect(page.locator("#timeline")).to_be_visible()
    expect(page.locator("#ticket-side")).to_be_visible()
    page.wait_for_load_state("networkidle")  # the live refresh after the note has landed
    side = page.locator("#ticket-side").bounding_box()
    timeline = page.locator("#timeline").bounding_box()
    assert side is not None and timeline is not None
    assert side["y"] >= timeline["y"] + timeline["height"] - 1 or side["x"] < 40
    assert problems == []


def test_search_and_the_portal_fit_a_phone(browse: Browse, server: Server) -> None:
    page = browse.page("admin", **PHONE)
    page.goto("/search/?q=login")
    expect(page.locator("#search-results, .search-results").first).to_be_visible()
    assert horizontal_overflow(page) <= 0
    portal = browse.portal_page("carol@acme.test", **PHONE)
    portal.goto("/portal/requests/")
    expect(portal.get_by_text("Cannot log in")).to_be_visible()
    assert horizontal_overflow(portal) <= 0
