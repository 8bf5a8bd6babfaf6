"""Story: the admin adds a new agent on the settings pages and passes on the temporary password;
the new agent signs in, turns on two-factor sign-in on /me/ with an authenticator code, and from
then on signs in with password + code. Non-admins never reach the settings pages."""

from __future__ import annotations

import base64
import re
import time

from django_otp.oath import totp
from playwright.sync_api import expect

from tests.browser.conftest import Browse, Server, log_in, uid


def code_for(secret: str) -> str:
    """What the authenticator app shows now for the key from /me/."""
    key = base64.b32decode(secret + "=" * (-len(secret) % 8))
    return f"{totp(key):06d}"


def fresh_code(secret: str, last: str | None = None) -> str:
    """A code for now; if it is the one just used (django-otp refuses a reused code), wait for the next."""
    code = code_for(secret)
    while code == last:
        time.sleep(1)
        code = code_for(secret)
    return code


def add_agent(browse: Browse, email: str, name: str) -> str:
    """The admin adds an agent on the settings pages; returns the temporary password shown once."""
    admin = browse.page("admin")
    admin.goto("/settings/")
    admin.locator("main a[href='/settings/agents/']").first.click()
    admin.locator("a[href='/settings/agents/new/']").first.click()
    form = admin.locator("#agent-form")
    form.locator("input[name=email]").fill(email)
    form.locator("input[name=name]").fill(name)
    form.locator("input[name=role][value=agent]").check()
    form.locator("#agent-save").click()
    expect(admin.locator("#agent-created")).to_contain_text(email)
    password = admin.locator("#temporary-password").inner_text().strip()
    assert len(password) >= 8
    return password


def test_admin_adds_an_agent_who_turns_on_two_factor_sign_in(browse: Browse, server: Server) -> None:
    email = f"{uid('tina')}@zabota.test"
    password = add_agent(browse, email, "Tina Twofactor")

    # Tina signs in with it and sets up TOTP.
    tina = browse.page()
    log_in(tina, email, password)
    expect(tina).to_have_url(re.compile(r"/inbox/$"))
    tina.goto("/me/")
    tina.locator("#totp-start").click()
    expect(tina.locator("#totp-qr")).to_be_visible()
    assert tina.locator("#totp-qr").evaluate("img => img.complete && img.naturalWidth > 0")
    secret = tina.locator("#totp-secret").inner_text().strip()
    first = fresh_code(secret)
    tina.locator("#totp-confirm-form input[name=token]").fill(first)
    tina.locator("#totp-confirm").click()
    expect(tina.locator("#totp-status")).to_have_class(re.compile("status-on"))

    # Next time: password, then the code.
    tina.locator("header.topbar").get_by_role("button", name=re.compile("log out", re.I)).click()
    log_in(tina, email, password)
    expect(tina).to_have_url(re.compile(r"/login/otp/"))
    tina.goto("/inbox/")
    expect(tina).to_have_url(re.compile(r"/login/"))  # not signed in yet
    tina.goto("/login/otp/")
    tina.locator("input[name=token], input[name=otp_token], input[name=code]").first.fill("000000")
    tina.locator("form button[type=submit]").first.click()
    expect(tina).to_have_url(re.compile(r"/login/"))
    # django-otp throttles a device after a wrong code: the next try is refused for 1 s (doubling
    # with each failure). A person takes longer than that to type the right code.
    time.sleep(1.5)
    tina.locator("input[name=token], input[name=otp_token], input[name=code]").first.fill(
        fresh_code(secret, first)
    )
    tina.locator("form button[type=submit]").first.click()
    expect(tina).to_have_url(re.compile(r"/inbox/$"))
    expect(tina.locator("header.topbar .me")).to_contain_text("Tina")


def test_an_agent_gets_403_on_the_settings_pages(browse: Browse, server: Server) -> None:
    page = browse.page("alice")
    for url in ("/settings/", "/settings/agents/", "/settings/agents/new/"):
        response = page.goto(url)
        assert response is not None and response.status == 403, url
    page.goto("/inbox/")
    expect(page.locator("header.topbar a[href='/settings/']")).to_have_count(0)


def test_log_out_everywhere_ends_the_other_sessions(browse: Browse, server: Server) -> None:
    email = f"{uid('lou')}@zabota.test"
    password = add_agent(browse, email, "Lou Laptop")
    laptop, phone = browse.page(), browse.page()
    for page in (laptop, phone):
        log_in(page, email, password)
        expect(page).to_have_url(re.compile(r"/inbox/$"))
    laptop.goto("/me/")
    laptop.locator("#logout-everywhere").click()
    laptop.goto("/inbox/")
    expect(laptop).to_have_url(re.compile(r"/inbox/$"))  # this session stays
    phone.goto("/inbox/")
    expect(phone).to_have_url(re.compile(r"/login/"))
