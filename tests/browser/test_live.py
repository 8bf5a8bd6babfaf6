"""Story: two browser sessions. A reply by someone else appears on alice's open ticket without a
reload; a new ticket appears in her inbox; when bob opens the same ticket each sees the other,
and when bob types a reply alice sees the collision notice. (With REDIS_URL set the server's
channel layer is Redis, so the same test covers both layers.)"""

from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.browser.conftest import CAROL, Browse, Server, new_ticket, uid


def watching(page, ticket_id: int) -> None:  # type: ignore[no-untyped-def]
    """Wait until the server confirmed this page's socket watches the ticket."""
    expect(page.locator("body")).to_have_attribute("data-live", "open")
    expect(page.locator("body")).to_have_attribute(
        "data-live-watching", re.compile(rf"(^|\s){ticket_id}(\s|$)")
    )


def mark(page) -> None:  # type: ignore[no-untyped-def]
    page.evaluate("() => { window.__notReloaded = true; }")


def not_reloaded(page) -> bool:  # type: ignore[no-untyped-def]
    return page.evaluate("() => window.__notReloaded === true")


def test_a_reply_by_bob_appears_on_alices_open_ticket(browse: Browse, server: Server) -> None:
    word = uid("live")
    t = new_ticket(server, f"Live reply {word}")
    alice = browse.page("alice")
    alice.goto(f"/tickets/{t['number']}/")
    watching(alice, t["id"])
    mark(alice)

    server.api("bob").post(f"/tickets/{t['id']}/replies", {"body": f"Bob answered {word}"})
    expect(alice.locator("#timeline").get_by_text(f"Bob answered {word}")).to_be_visible()
    server.api("admin").patch(f"/tickets/{t['id']}", {"priority": "urgent"})
    expect(alice.locator("#ticket-side select[name=priority] option:checked")).to_have_text("Urgent")
    assert not_reloaded(alice)


def test_a_customer_reply_through_the_portal_appears_for_alice(browse: Browse, server: Server) -> None:
    word = uid("portal")
    t = new_ticket(server, f"Live portal {word}", requester=CAROL)
    alice = browse.page("alice")
    alice.goto(f"/tickets/{t['number']}/")
    watching(alice, t["id"])
    mark(alice)

    carol = browse.portal_page("carol@acme.test")
    carol.goto(f"/portal/requests/{t['number']}/")
    carol.locator("#portal-reply-form textarea[name=body]").fill(f"Carol says thanks {word}")
    carol.locator("#portal-send-reply").click()
    expect(carol.get_by_text(f"Carol says thanks {word}")).to_be_visible()

    expect(alice.locator("#timeline .message-customer").filter(has_text=word)).to_be_visible()
    assert not_reloaded(alice)


def test_a_new_ticket_appears_in_the_inbox_without_reload(browse: Browse, server: Server) -> None:
    word = uid("inbox")
    alice = browse.page("alice")
    alice.goto("/inbox/open/?sort=newest")
    expect(alice.locator("body")).to_have_attribute("data-live-inbox-state", "watching")
    mark(alice)
    t = new_ticket(server, f"Fresh from the API {word}")
    expect(alice.locator(f"[data-nav-item][data-ticket='{t['number']}']")).to_contain_text(
        word, timeout=15_000
    )
    assert not_reloaded(alice)


def test_two_agents_on_one_ticket_see_each_other_and_the_typing_notice(
    browse: Browse, server: Server
) -> None:
    t = new_ticket(server, f"Collision {uid()}")
    alice = browse.page("alice")
    bob = browse.page("bob")
    alice.goto(f"/tickets/{t['number']}/")
    watching(alice, t["id"])
    bob.goto(f"/tickets/{t['number']}/")
    watching(bob, t["id"])

    expect(alice.locator("#presence")).to_contain_text("Bob Billing", timeout=15_000)
    expect(bob.locator("#presence")).to_contain_text("Alice Agent", timeout=15_000)
    # Nobody sees themselves.
    expect(alice.locator("#presence")).not_to_contain_text("Alice Agent")

    bob.locator("#composer-body").click()
    bob.keyboard.type("Let me take this one")
    expect(alice.locator("#presence")).to_have_class(re.compile(r"\bpresence-typing\b"), timeout=15_000)
    expect(alice.locator("#presence")).to_contain_text(re.compile(r"Bob Billing is typing"))

    # Bob leaves: alice's box forgets him.
    bob.close()
    expect(alice.locator("#presence")).not_to_contain_text("Bob Billing", timeout=20_000)


def test_an_assignment_rings_bobs_bell_without_reload(browse: Browse, server: Server) -> None:
    word = uid("bell")
    t = new_ticket(server, f"Ring the bell {word}", team_id=server.cast["teams"]["billing"])
    bob = browse.page("bob")
    bob.goto("/inbox/")
    expect(bob.locator("body")).to_have_attribute("data-live", "open")
    before = bob.locator("#notification-count")
    start = int(before.inner_text()) if before.count() else 0
    mark(bob)
    server.api("alice").patch(f"/tickets/{t['id']}", {"assignee_id": server.cast["agents"]["bob"]["id"]})
    expect(bob.locator("#notification-count")).to_have_text(str(start + 1), timeout=15_000)
    assert not_reloaded(bob)
    bob.locator("#notification-bell").click()
    expect(bob).to_have_url(re.compile(r"/notifications/"))
    expect(bob.locator("main")).to_contain_text(word)
