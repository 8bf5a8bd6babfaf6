"""Story: sam switches his language to Russian on /me/ and the workspace speaks Russian, with
correct plural forms wherever it counts tickets (1 тикет, 2 тикета, 5 тикетов); a browser that
asks for Russian gets Russian before any preference is set. (sam is used by no other story, so
his language does not leak into them.)"""

from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.browser.conftest import Browse, Server, log_in, new_ticket, uid


def ru_plural(n: int, one: str, few: str, many: str) -> str:
    """Russian plural rule (CLDR): 1, 21, 31 ... one; 2-4, 22-24 ... few; the rest many."""
    if n % 10 == 1 and n % 100 != 11:
        return one
    if 2 <= n % 10 <= 4 and not 12 <= n % 100 <= 14:
        return few
    return many


def test_sam_switches_to_russian_and_the_counts_use_russian_plurals(browse: Browse, server: Server) -> None:
    page = browse.page("sam")
    page.goto("/me/")
    page.locator("#preferences-form select[name=locale]").select_option("ru")
    page.locator("#preferences-save").click()
    page.goto("/inbox/")
    expect(page.locator("html")).to_have_attribute("lang", "ru")
    expect(page.locator("header.topbar")).to_contain_text("Входящие")
    expect(page.locator("header.topbar")).not_to_contain_text("Inbox")

    # The view counts' titles ("12 тикетов") follow the Russian rule for whatever number they show.
    counts = page.locator(".view-count[title]")
    expect(counts.first).to_be_visible()
    for title in counts.evaluate_all("els => els.map(e => e.title)"):
        n = int(re.search(r"\d+", title).group())  # type: ignore[union-attr]
        assert ru_plural(n, "тикет", "тикета", "тикетов") in title.split(), title

    # Search counts: 1, 2 and 5 matches.
    words = {n: uid(f"ru{n}") for n in (1, 2, 5)}
    for n, word in words.items():
        for i in range(n):
            new_ticket(server, f"Счёт {word} {i}")
    # (JavaScript's \b knows no Cyrillic letters: spell the word boundaries out.)
    expected = {
        1: r"(^|\s)1 тикет([\s.,]|$)",
        2: r"(^|\s)2 тикета([\s.,]|$)",
        5: r"(^|\s)5 тикетов([\s.,]|$)",
    }
    for n, word in words.items():
        page.goto(f"/search/?q={word}")
        expect(page.locator("#search-total")).to_have_text(re.compile(expected[n]))

    # The bulk summary: 1 and 2 tickets changed.
    page.goto("/inbox/open/?sort=newest")
    two = [page.locator("[data-nav-item]").nth(i) for i in range(2)]
    for row in two:
        row.locator("input[name=ticket]").check()
    page.locator("#bulk-tag").fill(uid("ru"))
    page.locator("#bulk-add-tag").click()
    expect(page.locator("#bulk-summary")).to_contain_text(re.compile(r"(^|\s)2 тикета([\s.,]|$)"))

    # The shortcut help is Russian too.
    page.locator("body").click(position={"x": 1, "y": 1})
    page.keyboard.press("?")
    expect(page.locator("#shortcut-help")).to_be_visible()
    expect(page.locator("#shortcut-help")).not_to_contain_text("Assign to me")

    # Back to following the browser, which asks for English here.
    page.keyboard.press("Escape")
    page.goto("/me/")
    page.locator("#preferences-form select[name=locale]").select_option("")
    page.locator("#preferences-save").click()
    page.goto("/inbox/")
    expect(page.locator("html")).to_have_attribute("lang", "en")


def test_a_russian_browser_gets_russian_before_any_preference(browse: Browse, server: Server) -> None:
    page = browse.page(locale="ru-RU", extra_http_headers={"Accept-Language": "ru-RU,ru;q=0.9"})
    page.goto("/login/")
    expect(page.locator("html")).to_have_attribute("lang", "ru")
    log_in(page, "dave@zabota.test", server.password)
    expect(page).to_have_url(re.compile(r"/inbox/$"))
    expect(page.locator("html")).to_have_attribute("lang", "ru")
    expect(page.locator("header.topbar")).to_contain_text("Входящие")


def test_a_russian_customer_sees_the_portal_in_russian(browse: Browse, server: Server) -> None:
    erin = server.cast["contacts"]["erin"]["id"]
    server.api("admin").patch(f"/contacts/{erin}", {"locale": "ru"})
    page = browse.portal_page("erin@globex.test")
    page.goto("/portal/requests/")
    expect(page.locator("html")).to_have_attribute("lang", "ru")
    count = page.locator("#portal-request-count")
    n = int(re.search(r"\d+", count.inner_text()).group())  # type: ignore[union-attr]
    expect(count).to_contain_text(f"{n} {ru_plural(n, 'обращение', 'обращения', 'обращений')}")
    expect(page.locator("main")).to_contain_text("Invoice is wrong")
    expect(page.locator("main")).not_to_contain_text("Cannot log in")  # carol's
