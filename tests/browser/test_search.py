"""Story: alice searches from the top bar; results highlight the words (stemmed, Russian too),
filters narrow them, and bob never finds a restricted team's ticket."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.browser.conftest import Browse, Server, new_ticket, uid


def test_alice_finds_a_ticket_with_highlighted_words(browse: Browse, server: Server) -> None:
    word = uid("refund")
    t = new_ticket(server, f"Refund request {word}", f"Please refund my order, reference {word}.")
    other = new_ticket(server, f"Unrelated {uid()}")
    page = browse.page("alice")
    page.goto("/inbox/")
    page.locator("header.topbar input[name=q]").fill(word)
    page.locator("header.topbar input[name=q]").press("Enter")
    expect(page).to_have_url(re.compile(r"/search/\?q="))
    result = page.locator(f"#result-{t['number']}")
    expect(result).to_be_visible()
    expect(result.locator("mark").first).to_have_text(re.compile(word, re.I))
    expect(page.locator(f"#result-{other['number']}")).to_have_count(0)
    expect(page.locator("#search-total")).to_contain_text("1 ticket found")
    result.locator("a.subject").click()
    expect(page).to_have_url(re.compile(rf"/tickets/{t['number']}/$"))


def test_russian_word_forms_match_and_are_highlighted(browse: Browse, server: Server) -> None:
    tag = uid("ru")
    t = new_ticket(server, f"Не проходят платежи {tag}", "Платёж отклонён банком.")
    page = browse.page("alice")
    page.goto(f"/search/?q=платёж {tag}")
    result = page.locator(f"#result-{t['number']}")
    expect(result).to_be_visible()
    marks = result.locator("mark").all_inner_texts()
    assert any(m.lower().startswith("плат") for m in marks), marks


def test_a_status_filter_narrows_the_results(browse: Browse, server: Server) -> None:
    word = uid("filter")
    a = new_ticket(server, f"Filter one {word}")
    b = new_ticket(server, f"Filter two {word}")
    server.api("admin").patch(f"/tickets/{b['id']}", {"status": "pending"})
    page = browse.page("alice")
    page.goto(f"/search/?q={word}")
    expect(page.locator("#search-total")).to_contain_text("2 tickets found")
    page.locator("#search-form select[name=status]").select_option("pending")
    page.locator("#search-submit").click()
    expect(page.locator(f"#result-{b['number']}")).to_be_visible()
    expect(page.locator(f"#result-{a['number']}")).to_have_count(0)


def test_bob_never_finds_the_restricted_ticket(browse: Browse, server: Server) -> None:
    page = browse.page("bob")
    page.goto("/search/?q=Suspicious login abroad")
    expect(page.locator("#search-results, .search-results").first).to_be_visible()
    expect(page.locator(f"#result-{server.cast['tickets']['security']['number']}")).to_have_count(0)
    expect(page.locator("main")).not_to_contain_text("Suspicious login")


def test_an_empty_query_shows_a_hint(browse: Browse, server: Server) -> None:
    page = browse.page("alice")
    response = page.goto("/search/?q=%20%20")
    assert response is not None and response.status == 200
    expect(page.locator("#search-hint")).to_be_visible()
