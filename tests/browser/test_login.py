"""Story: an agent signs in at /login/, lands on the inbox, and signs out."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.browser.conftest import Browse, Server, log_in


def test_the_server_answers_with_its_security_headers(browse: Browse, server: Server) -> None:
    page = browse.page()
    response = page.goto("/login/")
    assert response is not None and response.status == 200
    csp = response.headers.get("content-security-policy", "")
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert response.headers.get("x-content-type-options") == "nosniff"
    # The shell's own static files load (collected, as in production).
    assert page.evaluate("typeof htmx") == "object"


def test_a_workspace_page_sends_an_anonymous_visitor_to_login(browse: Browse) -> None:
    page = browse.page()
    page.goto("/inbox/")
    expect(page).to_have_url(re.compile(r"/login/\?next=/inbox/"))
    expect(page.get_by_label(re.compile("email", re.I))).to_be_visible()


def test_alice_signs_in_and_lands_on_the_inbox(browse: Browse, server: Server) -> None:
    page = browse.page()
    log_in(page, "alice@zabota.test", server.password)
    expect(page).to_have_url(re.compile(r"/inbox/$"))
    expect(page.locator("header.topbar .me")).to_contain_text("Alice")


def test_a_wrong_password_is_refused_on_the_login_page(browse: Browse, server: Server) -> None:
    page = browse.page()
    log_in(page, "bob@zabota.test", "not-the-password")
    expect(page).to_have_url(re.compile(r"/login/"))
    expect(page.locator("header.topbar")).to_have_count(0)
    page.goto("/inbox/")
    expect(page).to_have_url(re.compile(r"/login/"))


def test_signing_in_honours_next_and_signing_out_ends_the_session(browse: Browse, server: Server) -> None:
    number = server.cast["tickets"]["carol"]["number"]
    page = browse.page()
    log_in(page, "alice@zabota.test", server.password, next_url=f"/tickets/{number}/")
    expect(page).to_have_url(re.compile(rf"/tickets/{number}/$"))
    page.locator("header.topbar").get_by_role("button", name=re.compile("log out", re.I)).click()
    page.goto("/inbox/")
    expect(page).to_have_url(re.compile(r"/login/"))


def test_an_offsite_next_is_ignored(browse: Browse, server: Server) -> None:
    page = browse.page()
    log_in(page, "alice@zabota.test", server.password, next_url="https://evil.example/")
    expect(page).to_have_url(re.compile(r"127\.0\.0\.1:\d+/inbox/$"))


def test_five_wrong_passwords_lock_the_account_out(browse: Browse, server: Server) -> None:
    page = browse.page()
    for _ in range(5):
        log_in(page, "dave-lockout@zabota.test", "wrong-password")
        page.wait_for_load_state()
    with page.expect_response(lambda r: "/login/" in r.url and r.request.method == "POST") as info:
        log_in(page, "dave-lockout@zabota.test", "wrong-password")
    assert info.value.status == 429
    expect(page.locator("body")).to_contain_text(re.compile(r"try again", re.I))
