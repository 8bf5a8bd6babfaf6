"""Story: the lead turns on round-robin for Support in the settings; alice goes away from the
header's status switch, so the next ticket goes to dave (on Support); back to available, she gets
tickets in turn again, and the timeline says why. Support goes back to manual afterwards (other stories
expect unassigned tickets)."""

from __future__ import annotations

import re
import time

from playwright.sync_api import expect

from tests.browser.conftest import Browse, Server, new_ticket, uid


def _wait_for_empty_queue(server: Server, team_id: int, timeout: float = 15) -> None:
    query = f"/tickets?team_id={team_id}&unassigned=true&status=new&status=open&status=pending&status=on_hold"
    deadline = time.monotonic() + timeout
    while server.api("admin").get(query)["items"]:
        assert time.monotonic() < deadline, "the team's queue was not routed"
        time.sleep(0.2)


def test_round_robin_skips_an_agent_who_went_away(browse: Browse, server: Server) -> None:
    support = server.cast["teams"]["support"]
    alice_id = server.cast["agents"]["alice"]["id"]
    dave_id = server.cast["agents"]["dave"]["id"]
    try:
        lead = browse.page("admin")
        lead.goto(f"/settings/routing/teams/{support}/")
        lead.locator("#routing-team-form input[name=mode][value=round_robin]").check()
        lead.locator("#routing-team-save").click()
        expect(lead.locator(f"#routing-teams tr[data-team='{support}'] [data-mode]")).to_have_attribute(
            "data-mode", "round_robin"
        )

        page = browse.page("alice")
        page.goto("/inbox/")
        switch = page.locator("#status-switch select[name=status]")
        expect(switch).to_have_value("available")
        switch.select_option("away")
        expect(page.locator("#status-switch select[name=status]")).to_have_attribute("data-status", "away")
        page.reload()
        expect(page.locator("#status-switch select[name=status]")).to_have_value("away")

        first = new_ticket(server, f"Routed while away {uid('route')}")
        detail = server.api("admin").get(f"/tickets/{first['id']}")
        assert detail["assignee"]["id"] == dave_id

        page.locator("#status-switch select[name=status]").select_option("available")
        expect(page.locator("#status-switch select[name=status]")).to_have_attribute(
            "data-status", "available"
        )
        _wait_for_empty_queue(server, support)  # coming back routes the queue (a background task)
        later = [new_ticket(server, f"Routed when back {uid('route')}") for _ in range(2)]
        owners = {t["id"]: server.api("admin").get(f"/tickets/{t['id']}")["assignee"]["id"] for t in later}
        assert sorted(owners.values()) == sorted([alice_id, dave_id])  # in turn again
        second = next(t for t in later if owners[t["id"]] == alice_id)

        page.goto(f"/tickets/{second['number']}/")
        expect(page.locator("#timeline")).to_contain_text(re.compile(r"Routed to Alice Agent \(round-robin"))
        page.goto("/team/")
        expect(
            page.locator(f".routing-team[data-team='{support}'] li[data-agent='{alice_id}']")
        ).to_contain_text("Available")
    finally:
        server.api("admin").request("PUT", f"/routing/teams/{support}", {"mode": "manual"})
        server.api("alice").request("PUT", "/me/status", {"status": "available"})
