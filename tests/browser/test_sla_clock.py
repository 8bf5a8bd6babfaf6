"""Story: a team lead makes an SLA policy in the settings pages (complaints: a first response
within 2 minutes, 24/7) and watches its recomputation finish; alice opens a fresh complaint and
sees its first-response clock count down in the browser; when the 2 minutes are up the clock
turns overdue and the breach (recorded by the server's per-minute job) appears on her open page
without a reload.

Real time passes here (the server is a separate process whose clock a test cannot move): the
breach fires at the first per-minute job run after the due time, so the story takes about three
minutes. Only complaints match the policy, so the other stories' tickets keep no clock.
"""

from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.browser.conftest import Browse, Server, new_ticket, uid


def test_the_clock_counts_down_and_the_breach_appears(browse: Browse, server: Server) -> None:
    lead = browse.page("admin")
    lead.goto("/settings/sla/policies/new/")
    name = f"Complaints fast {uid()}"
    lead.locator("#id_name").fill(name)
    lead.locator("#field-kinds input[value=complaint]").check()
    lead.locator("#id_target-0-metric").select_option("first_response")
    lead.locator("#id_target-0-amount").fill("2")
    lead.locator("#id_target-0-unit").select_option("minutes")
    lead.locator("#id_target-0-business_hours").uncheck()
    lead.locator("#policy-save").click()
    expect(lead.locator("#policy-list")).to_contain_text(name)
    expect(lead.locator("#recompute-finished")).to_be_visible(timeout=30_000)  # polled by htmx

    # Logged by the admin from a phone call as a note: nobody has answered the customer yet.
    t = new_ticket(server, f"Angry customer {uid('sla')}", kind="complaint", as_note=True)
    alice = browse.page("alice")
    alice.goto(f"/tickets/{t['number']}/")
    alice.evaluate("() => { window.__notReloaded = true; }")
    clock = alice.locator("#sla-panel [data-metric=first_response]")
    expect(clock).to_have_attribute("data-state", re.compile("running|at_risk"))
    expect(alice.locator("#sla-policy")).to_have_text(name)
    left = clock.locator("[data-sla-left]")
    expect(left).to_have_text(re.compile(r"^[12]m \d\ds left$"))
    first = left.inner_text()
    alice.wait_for_timeout(2_100)
    assert left.inner_text() != first  # it ticks in the browser, no request needed

    # At the due time the browser turns the clock overdue and the panel asks the server again.
    expect(clock).to_have_class(re.compile("sla-breached"), timeout=150_000)
    expect(left).to_contain_text("overdue")
    # The per-minute job records the breach: its timeline event refreshes the open page.
    expect(alice.locator("#sla-breaches")).to_contain_text("First response", timeout=100_000)
    expect(alice.locator("#sla-panel [data-metric=first_response]")).to_have_attribute(
        "data-state", "breached"
    )
    assert alice.evaluate("() => window.__notReloaded === true")
