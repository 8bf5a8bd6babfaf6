"""Story: alice changes a ticket's status just as a live refresh of the side panel (started a
moment earlier, by someone else's change) is on its way. The refresh was computed before her
change, so it must not be drawn over it: the panel and the header keep saying Pending.

The race is made deterministic by holding the refresh's response in the browser until after
her change has been saved and drawn."""

from __future__ import annotations

from typing import Any

from playwright.sync_api import expect

from tests.browser.conftest import Browse, Server, new_ticket, uid


def test_a_stale_live_refresh_never_undoes_a_change_just_made(browse: Browse, server: Server) -> None:
    t = new_ticket(server, f"Status race {uid()}")
    page = browse.page("alice")
    page.goto(f"/tickets/{t['number']}/")
    expect(page.locator("#ticket-status")).to_contain_text("New")

    held: list[tuple[Any, Any]] = []

    def hold_refresh(route: Any) -> None:
        if route.request.method == "GET" and not held:
            held.append((route, route.fetch()))  # the server answers now: status still New
        else:
            route.continue_()

    page.route(f"**/tickets/{t['number']}/properties", hold_refresh)
    page.evaluate("() => document.body.dispatchEvent(new CustomEvent('ticket-refresh'))")
    for _ in range(200):  # the route handler runs when Playwright next pumps its events
        if held:
            break
        page.wait_for_timeout(50)
    assert held, "the live refresh did not start"

    page.locator("#properties select[name=status]").select_option("pending")
    expect(page.locator("#ticket-status")).to_contain_text("Pending")

    route, response = held[0]
    route.fulfill(response=response)  # the stale refresh arrives last
    page.wait_for_timeout(600)
    page.wait_for_function("() => !document.querySelector('.htmx-request')")
    expect(page.locator("#ticket-status")).to_contain_text("Pending")
    expect(page.locator("#properties select[name=status]")).to_have_value("pending")
    assert server.api("admin").get(f"/tickets/{t['id']}")["status"] == "pending"


def test_a_status_picked_right_after_a_live_refresh_is_saved(browse: Browse, server: Server) -> None:
    """The moment after a live refresh has swapped in a new panel: htmx used to wire the new
    form 20 ms later (its settle delay), so a status picked in between was never sent. The
    change here is made in the very next task after the swap, the earliest a person could."""
    t = new_ticket(server, f"Settle window {uid()}")
    page = browse.page("alice")
    page.goto(f"/tickets/{t['number']}/")
    expect(page.locator("#ticket-status")).to_contain_text("New")
    page.evaluate(
        """() => {
          document.body.addEventListener("htmx:afterSwap", function once(event) {
            if (!event.detail.elt || event.detail.elt.id !== "ticket-side") return;
            document.body.removeEventListener("htmx:afterSwap", once);
            setTimeout(function () {
              const select = document.querySelector("#properties select[name=status]");
              select.value = "pending";
              select.dispatchEvent(new Event("change", { bubbles: true }));
            }, 0);
          });
          document.body.dispatchEvent(new CustomEvent("ticket-refresh"));
        }"""
    )
    expect(page.locator("#ticket-status")).to_contain_text("Pending")
    page.reload()
    expect(page.locator("#ticket-status")).to_contain_text("Pending")
