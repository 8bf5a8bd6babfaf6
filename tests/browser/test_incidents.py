"""Story in a browser: alice marks an outage as an incident from the ticket page, links two
tickets to it from the inbox's bulk bar, sees "Incident: 2 affected tickets" in the side panel,
and sends one update that the background worker posts on all three tickets."""

from __future__ import annotations

from playwright.sync_api import expect

from tests.browser.conftest import Browse, Server, messages, new_ticket, uid, wait_until


def test_an_outage_gathers_tickets_and_one_update_reaches_all(browse: Browse, server: Server) -> None:
    word = uid("outage")
    outage = new_ticket(server, f"Login down {word}")
    a, b = (new_ticket(server, f"Cannot log in {word} {i}") for i in range(2))
    page = browse.page("alice")

    page.goto(f"/tickets/{outage['number']}/")
    page.locator("#incident-mark").click()
    expect(page).to_have_url(f"{server.url}/incidents/{outage['number']}/")

    page.goto("/inbox/open/?sort=newest")
    for t in (a, b):
        page.locator(f"#select-{t['number']}").check()
    page.locator("#bulk-incident").fill(str(outage["number"]))
    page.locator("#bulk-link-incident").click()
    expect(page.locator("#bulk-summary")).to_contain_text("2 tickets linked")

    page.goto(f"/tickets/{outage['number']}/")
    expect(page.locator("#incident-summary")).to_contain_text("Incident: 2 affected tickets")
    page.goto(f"/tickets/{a['number']}/")
    expect(page.locator("#incident-summary")).to_contain_text(f"Part of incident #{outage['number']}")

    page.goto(f"/incidents/{outage['number']}/")
    expect(page.locator("#linked-tickets [data-linked]")).to_have_count(2)
    page.locator("#update-form textarea").fill(f"Fixed soon {word}")
    page.locator("#update-form button[type=submit]").click()
    expect(page.locator(".incident-update").first).to_contain_text("Sent on 3 of 3 tickets", timeout=20_000)
    api = server.api("admin")
    for t in (outage, a, b):
        wait_until(
            lambda t=t: any(
                f"Fixed soon {word}" in m["body_text"] and m["kind"] == "reply"
                for m in messages(api.get(f"/tickets/{t['id']}"))
            ),
            message=f"the update on #{t['number']}",
        )
