"""Story: alice works the inbox entirely by keyboard: j/k to move, x to select, Enter to open,
r to reply, type, Ctrl+Enter to send, n for a note, a to assign to herself, s for status, t for
a tag, g i back to the inbox, / to search, ? for the help."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.browser.conftest import Browse, Server, messages, new_ticket, uid


def selected_number(page) -> str | None:  # type: ignore[no-untyped-def]
    return page.evaluate(
        "() => { const r = document.querySelector('[data-nav-item].is-selected'); return r && r.dataset.ticket; }"
    )


def test_alice_works_the_inbox_by_keyboard(browse: Browse, server: Server) -> None:
    word = uid("keys")
    older = new_ticket(server, f"Keyboard older {word}")
    newer = new_ticket(server, f"Keyboard newer {word}", "Where is my parcel?")
    page = browse.page("alice")
    page.goto("/inbox/open/?sort=newest")
    page.locator("body").click(position={"x": 1, "y": 1})  # nothing focused: shortcuts are live

    page.keyboard.press("j")
    assert selected_number(page) == str(newer["number"])
    page.keyboard.press("j")
    assert selected_number(page) == str(older["number"])
    page.keyboard.press("k")
    assert selected_number(page) == str(newer["number"])
    page.keyboard.press("x")
    expect(page.locator(f"#select-{newer['number']}")).to_be_checked()
    page.keyboard.press("x")
    expect(page.locator(f"#select-{newer['number']}")).not_to_be_checked()

    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(rf"/tickets/{newer['number']}/$"))
    page.wait_for_load_state()  # the page's deferred scripts (its shortcuts) are in place

    # r: reply mode, cursor in the composer; type; Ctrl+Enter sends.
    page.keyboard.press("r")
    expect(page.locator("#composer")).to_have_attribute("data-mode", "reply")
    expect(page.locator("#composer-body")).to_be_focused()
    page.keyboard.type(f"It left our warehouse today {word}.")
    page.keyboard.press("Control+Enter")
    expect(page.locator("#timeline .message-reply").filter(has_text=word)).to_be_visible()
    expect(page.locator("#composer-body")).to_have_value("")  # the fresh composer is in place

    # Esc leaves the text field; n: a note.
    page.locator("#composer-body").press("Escape")
    page.keyboard.press("n")
    expect(page.locator("#composer")).to_have_attribute("data-mode", "note")
    expect(page.locator("#composer-body")).to_be_focused()
    page.keyboard.type(f"Courier confirmed {word}")
    page.keyboard.press("Control+Enter")
    expect(
        page.locator("#timeline .message-note").filter(has_text=f"Courier confirmed {word}")
    ).to_be_visible()
    expect(page.locator("#composer-body")).to_have_value("")
    page.locator("#composer-body").press("Escape")

    # a: assign to me.
    page.keyboard.press("a")
    expect(page.locator("#assign-to-me")).to_be_disabled()

    # s: the status select has the focus; choose with the keyboard.
    page.keyboard.press("s")
    status = page.locator("#properties select[name=status]")
    expect(status).to_be_focused()
    status.select_option("pending")
    expect(page.locator(".ticket-meta")).to_contain_text(re.compile("pending", re.I))
    status = page.locator("#properties select[name=status]")
    if status.evaluate("el => el === document.activeElement"):
        status.press("Escape")
    page.locator("body").click(position={"x": 1, "y": 1})
    # The live refresh that follows one's own change lands first (a refresh already in flight
    # when typing starts still replaces the panel: see the report on ticket.js).
    page.wait_for_load_state("networkidle")
    page.wait_for_timeout(300)

    # t: the tag input.
    page.keyboard.press("t")
    tag = page.locator("#properties input[name=add_tags]")
    expect(tag).to_be_focused()
    page.keyboard.type(word)
    page.keyboard.press("Enter")
    expect(page.locator("#ticket-tags")).to_contain_text(word)

    detail = server.api("admin").get(f"/tickets/{newer['id']}")
    assert detail["assignee"]["id"] == server.cast["agents"]["alice"]["id"]
    assert detail["status"] == "pending"
    assert {m["kind"] for m in messages(detail) if word in m["body_text"]} == {"reply", "note"}

    # g i: back to the inbox.
    page.locator("body").click(position={"x": 1, "y": 1})
    page.keyboard.press("g")
    page.keyboard.press("i")
    expect(page).to_have_url(re.compile(r"/inbox/$"))
    page.wait_for_load_state()

    # /: search from anywhere.
    page.keyboard.press("/")
    search = page.locator("header.topbar input[name=q]")
    expect(search).to_be_focused()
    page.keyboard.type(word)
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"/search/\?q="))
    expect(page.locator(f"a[href='/tickets/{newer['number']}/']").first).to_be_visible()

    # ?: the shortcut help.
    page.locator("body").click(position={"x": 1, "y": 1})
    page.keyboard.press("?")
    expect(page.locator("#shortcut-help")).to_be_visible()
    expect(page.locator("#shortcut-help")).to_contain_text("Assign to me")
    page.keyboard.press("Escape")
    expect(page.locator("#shortcut-help")).to_be_hidden()


def test_shortcuts_do_not_fire_while_typing(browse: Browse, server: Server) -> None:
    t = new_ticket(server, f"Typing guard {uid()}")
    page = browse.page("alice")
    page.goto(f"/tickets/{t['number']}/")
    page.locator("#composer-body").click()
    page.keyboard.type("jkxagi a r n s t")
    expect(page.locator("#composer-body")).to_have_value("jkxagi a r n s t")
    expect(page).to_have_url(re.compile(rf"/tickets/{t['number']}/$"))
    expect(page.locator("#assign-to-me")).to_be_enabled()


def test_the_keyboard_selection_survives_a_live_refresh(browse: Browse, server: Server) -> None:
    """An agent moved to a row with j; a new ticket arrives and the list refreshes itself: the
    selection must stay on the same ticket (else the next Enter opens the wrong one)."""
    word = uid("keep")
    first = new_ticket(server, f"Keep selection A {word}")
    second = new_ticket(server, f"Keep selection B {word}")
    page = browse.page("alice")
    page.goto("/inbox/open/?sort=newest")
    expect(page.locator("body")).to_have_attribute("data-live-inbox-state", "watching")
    page.locator("body").click(position={"x": 1, "y": 1})
    page.keyboard.press("j")
    page.keyboard.press("j")
    selected = page.locator("[data-nav-item].is-selected")
    expect(selected).to_have_attribute("data-ticket", str(first["number"]))
    third = new_ticket(server, f"Keep selection C {word}")
    expect(page.locator(f"[data-nav-item][data-ticket='{third['number']}']")).to_be_visible(timeout=15_000)
    expect(selected).to_have_attribute("data-ticket", str(first["number"]))
    # A new ticket sends more than one live refresh; let the last land before the next key (seen
    # once in CI on PostgreSQL: a key pressed while the list was being swapped was lost).
    page.wait_for_timeout(400)
    page.wait_for_function("() => !document.querySelector('.htmx-request')")
    expect(selected).to_have_attribute("data-ticket", str(first["number"]))
    page.keyboard.press("k")
    expect(selected).to_have_attribute("data-ticket", str(second["number"]))


def press_in_layout(page, key: str, code: str, *, shift: bool = False) -> None:  # type: ignore[no-untyped-def]
    """A keydown as a Russian layout sends it: the character typed differs from the US one,
    the physical key (``code``) is the same."""
    page.evaluate(
        """([key, code, shift]) => document.body.dispatchEvent(new KeyboardEvent("keydown",
             {key, code, shiftKey: shift, bubbles: true, cancelable: true}))""",
        [key, code, shift],
    )


def test_shortcuts_work_with_a_russian_keyboard_layout(browse: Browse, server: Server) -> None:
    """In the Russian layout the J key types "о", K types "л", X "ч", A "ф", G "п", I "ш", and
    the key where US keyboards have / and ? types "." and ",": the shortcuts follow the keys."""
    word = uid("layout")
    older = new_ticket(server, f"Layout older {word}")
    newer = new_ticket(server, f"Layout newer {word}")
    page = browse.page("alice")
    page.goto("/inbox/open/?sort=newest")
    page.locator("body").click(position={"x": 1, "y": 1})

    press_in_layout(page, "о", "KeyJ")
    assert selected_number(page) == str(newer["number"])
    press_in_layout(page, "о", "KeyJ")
    assert selected_number(page) == str(older["number"])
    press_in_layout(page, "л", "KeyK")
    assert selected_number(page) == str(newer["number"])
    press_in_layout(page, "ч", "KeyX")
    expect(page.locator(f"#select-{newer['number']}")).to_be_checked()
    press_in_layout(page, "ч", "KeyX")
    expect(page.locator(f"#select-{newer['number']}")).not_to_be_checked()
    # Shift+J is no shortcut (a capital letter).
    press_in_layout(page, "О", "KeyJ", shift=True)
    assert selected_number(page) == str(newer["number"])

    # a (ф): assign the selected row to me, through the bulk endpoint; nothing else changes.
    press_in_layout(page, "ф", "KeyA")
    expect(page.locator("#bulk-summary")).to_contain_text("1 ticket changed")
    detail = server.api("admin").get(f"/tickets/{newer['id']}")
    assert detail["assignee"]["id"] == server.cast["agents"]["alice"]["id"]
    assert server.api("admin").get(f"/tickets/{older['id']}")["assignee"] is None
    expect(page.locator(f"#select-{newer['number']}")).not_to_be_checked()

    # ? on the US key position (Shift + the "." key: ","), and ? typed by Shift+7.
    press_in_layout(page, ",", "Slash", shift=True)
    expect(page.locator("#shortcut-help")).to_be_visible()
    page.keyboard.press("Escape")
    expect(page.locator("#shortcut-help")).to_be_hidden()
    press_in_layout(page, "?", "Digit7", shift=True)
    expect(page.locator("#shortcut-help")).to_be_visible()
    page.keyboard.press("Escape")

    # / on the "." key focuses the search box.
    page.locator("body").click(position={"x": 1, "y": 1})
    press_in_layout(page, ".", "Slash")
    expect(page.locator("header.topbar input[name=q]")).to_be_focused()
    page.locator("header.topbar input[name=q]").press("Escape")

    # g i (п ш): to the inbox.
    page.goto(f"/tickets/{older['number']}/")
    page.wait_for_load_state()
    page.locator("body").click(position={"x": 1, "y": 1})
    press_in_layout(page, "п", "KeyG")
    press_in_layout(page, "ш", "KeyI")
    expect(page).to_have_url(re.compile(r"/inbox/$"))
