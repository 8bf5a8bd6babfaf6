"""Story: the admin creates a (paused) duty rota for Billing, puts bob and herself on it and
generates the month in one click; bob opens it, cannot generate, and swaps one of his shifts
with one of the admin's; the calendar feed serves the shifts. Paused, so Billing's routing is
not restricted for other stories."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.browser.conftest import Browse, Server, uid


def test_the_admin_plans_a_month_and_bob_swaps_a_shift(browse: Browse, server: Server) -> None:
    name = f"Billing duty {uid('rota')}"
    admin = browse.page("admin")
    admin.goto("/rotas/")
    form = admin.locator("#rota-create-form")
    form.locator("input[name=name]").fill(name)
    form.locator("select[name=team]").select_option(label="Billing")
    form.locator("input[name=is_active]").uncheck()
    form.locator("button[type=submit]").click()
    admin.wait_for_url(re.compile(r"/rotas/\d+/$"))
    rota_id = int(re.search(r"/rotas/(\d+)/", admin.url).group(1))  # type: ignore[union-attr]

    for person in ("Bob Billing", "Ada Admin"):
        members = admin.locator("#member-form")
        members.locator("select[name=agent]").select_option(label=person)
        members.locator("button[type=submit]").click()
        expect(admin.locator("#members")).to_contain_text(person)

    admin.locator("#generate-form button").click()
    expect(admin.locator(".flash")).to_contain_text("The month is planned.")
    expect(admin.locator("#rota-grid")).to_contain_text("Bob Billing")

    shifts = server.api("bob").get(f"/rotas/{rota_id}/shifts")
    bob_id = server.cast["agents"]["bob"]["id"]
    mine = next(s for s in shifts if s["agent_id"] == bob_id)
    theirs = next(s for s in shifts if s["agent_id"] != bob_id and s["date"] != mine["date"])

    bob = browse.page("bob")
    bob.goto(f"/rotas/{rota_id}/")
    expect(bob.locator("#generate-form")).to_have_count(0)
    swap = bob.locator("#swap-form")
    swap.locator("select[name=shift]").select_option(str(mine["id"]))
    swap.locator("select[name=other_shift]").select_option(str(theirs["id"]))
    swap.locator("button[type=submit]").click()
    expect(bob.locator(".flash")).to_contain_text("Shifts swapped.")
    expect(bob.locator(f"#rota-grid td[data-day='{theirs['date']}']")).to_contain_text("Bob Billing")

    feed = admin.locator("#feed-url").input_value()
    response = admin.request.get(feed)
    assert response.status == 200
    assert response.text().count("BEGIN:VEVENT") == len(shifts)
