"""Story: alice works the inbox: views with counts, sorting, selecting rows and bulk actions
(status, assign, tag, merge) that change the chosen tickets and nothing else."""

from __future__ import annotations

import re
from typing import Any

from playwright.sync_api import expect

from tests.browser.conftest import Browse, Server, new_ticket, uid


def three_tickets(server: Server, word: str) -> list[dict[str, Any]]:
    return [new_ticket(server, f"Bulk {word} {i}") for i in range(3)]


def test_bulk_status_changes_only_the_selected_tickets(browse: Browse, server: Server) -> None:
    word = uid("bulk")
    a, b, c = three_tickets(server, word)
    page = browse.page("alice")
    page.goto("/inbox/open/?sort=newest")
    for t in (a, b, c):
        expect(page.locator(f"[data-nav-item][data-ticket='{t['number']}']")).to_be_visible()
    page.locator(f"#select-{a['number']}").check()
    page.locator(f"#select-{b['number']}").check()
    expect(page.locator("#bulk-count")).to_contain_text("2")
    page.locator("#bulk-status").select_option("pending")
    page.locator("#bulk-status-apply").click()
    expect(page.locator("#bulk-summary")).to_contain_text("2 tickets changed")
    api = server.api("admin")
    assert [api.get(f"/tickets/{t['id']}")["status"] for t in (a, b, c)] == [
        "pending",
        "pending",
        c["status"],
    ]
    # Pending tickets leave "All open" and show in "Pending".
    page.goto("/inbox/open/?sort=newest")
    expect(page.locator(f"[data-ticket='{a['number']}']")).to_have_count(0)
    expect(page.locator(f"[data-ticket='{c['number']}']")).to_be_visible()
    page.goto("/inbox/pending/?sort=newest")
    expect(page.locator(f"[data-ticket='{a['number']}']")).to_be_visible()


def test_bulk_assign_to_me_and_tag_then_mine_shows_them(browse: Browse, server: Server) -> None:
    word = uid("mine")
    a, b, c = three_tickets(server, word)
    page = browse.page("alice")
    page.goto("/inbox/open/?sort=newest")
    for t in (a, c):
        page.locator(f"#select-{t['number']}").check()
    page.locator("#bulk-assign-me").click()
    expect(page.locator("#bulk-summary")).to_contain_text("2 tickets changed")
    page.wait_for_load_state("networkidle")  # the list refreshes after a bulk action
    page.wait_for_timeout(500)
    for t in (a, c):
        page.locator(f"#select-{t['number']}").check()
    expect(page.locator("#bulk-count")).to_contain_text("2")
    page.locator("#bulk-tag").fill(word)
    page.locator("#bulk-add-tag").click()
    expect(page.locator("#bulk-summary")).to_contain_text("2 tickets changed")
    page.goto("/inbox/")
    mine = page.locator("[data-nav-list]")
    expect(mine.locator(f"[data-ticket='{a['number']}']")).to_contain_text(word)
    expect(mine.locator(f"[data-ticket='{c['number']}']")).to_be_visible()
    expect(mine.locator(f"[data-ticket='{b['number']}']")).to_have_count(0)
    tags = server.api("admin").get(f"/tickets/{a['id']}")["tags"]
    assert word in [t if isinstance(t, str) else t["name"] for t in tags]


def test_bulk_merge_into_the_first_selected(browse: Browse, server: Server) -> None:
    word = uid("merge")
    a, b, _ = three_tickets(server, word)
    page = browse.page("alice")
    page.goto("/inbox/open/?sort=newest")
    page.locator(f"#select-{a['number']}").check()
    page.locator(f"#select-{b['number']}").check()
    page.locator("#bulk-target").fill(str(a["number"]))
    page.locator("#bulk-merge").click()
    expect(page.locator("#bulk-summary")).to_contain_text(f"merged into #{a['number']}")
    detail = server.api("admin").get(f"/tickets/{b['id']}")
    assert detail["merged_into"] == a["id"]


def test_select_all_and_the_view_counts(browse: Browse, server: Server) -> None:
    page = browse.page("alice")
    page.goto("/inbox/open/")
    expect(page.locator("#builtin-views [data-view='open']")).to_have_attribute("aria-current", "page")
    count = page.locator("[data-count-for='open']")
    expect(count).to_have_text(re.compile(r"^\s*\d+\+?\s*$"))
    rows = page.locator("[data-nav-list] [data-nav-item]").count()
    assert rows > 0
    page.locator("[data-select-all]").check()
    expect(page.locator("#bulk-count")).to_contain_text(str(rows))
    expect(page.locator("input[name=ticket]:checked")).to_have_count(rows)


def test_sorting_by_number_reorders_the_rows(browse: Browse, server: Server) -> None:
    word = uid("sort")
    first, _, last = three_tickets(server, word)
    page = browse.page("alice")
    page.goto("/inbox/open/?sort=newest")
    numbers = page.locator("[data-nav-list] [data-nav-item]").evaluate_all(
        "rows => rows.map(r => Number(r.dataset.ticket))"
    )
    assert numbers == sorted(numbers, reverse=True)
    assert numbers.index(last["number"]) < numbers.index(first["number"])
    page.goto("/inbox/open/?sort=oldest")
    numbers = page.locator("[data-nav-list] [data-nav-item]").evaluate_all(
        "rows => rows.map(r => Number(r.dataset.ticket))"
    )
    assert numbers == sorted(numbers)


def test_alice_saves_a_filtered_view_and_it_counts_its_tickets(browse: Browse, server: Server) -> None:
    word = uid("view")
    new_ticket(server, f"Urgent thing {word}", priority="urgent", tags=[word])
    page = browse.page("alice")
    page.goto("/inbox/filter/")
    page.locator("#filter-form input[name=tag], #filter-form select[name=tag]").first.fill(word)
    page.locator("#apply-filters").click()
    expect(page.locator("[data-nav-list] [data-nav-item]")).to_have_count(1)
    page.locator("#save-view-form input[name=name]").fill(f"Tag {word}")
    page.locator("#save-view").click()
    saved = page.locator("#saved-views a").filter(has_text=f"Tag {word}")
    expect(saved).to_be_visible()
    expect(saved.locator(".view-count")).to_have_text(re.compile(r"^\s*1\s*$"))
    saved.click()
    expect(page.locator("[data-nav-list] [data-nav-item]")).to_have_count(1)
    # bob cannot see alice's private view.
    href = saved.get_attribute("href")
    bob = browse.page("bob")
    response = bob.goto(href or "/")
    assert response is not None and response.status == 404
