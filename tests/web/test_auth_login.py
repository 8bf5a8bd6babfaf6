"""Signing in at /login/ (password, then TOTP when set up), lockout, sign-out, expiry."""

from __future__ import annotations

import time
from datetime import timedelta
from typing import Any
from unittest import mock

import pytest
from django.test import Client
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from zabota.accounts.actions import confirm_totp, create_or_update_agent, start_totp_setup
from zabota.accounts.models import Agent, Role
from zabota.core import clock

PASSWORD = "correct horse battery"


@pytest.fixture
def alice(alice_agent: Agent) -> Agent:
    agent, _ = create_or_update_agent(email=alice_agent.email, role=Role.AGENT, password=PASSWORD)
    return agent


def code_for(device: TOTPDevice, offset: int = 0) -> str:
    return f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits, drift=offset):06d}"


@pytest.fixture
def alice_with_totp(alice: Agent) -> tuple[Agent, TOTPDevice]:
    device = start_totp_setup(actor=alice)
    confirm_totp(actor=alice, token=code_for(device))
    device.refresh_from_db()
    # The confirmation used the current code; django-otp refuses to accept it twice.
    TOTPDevice.objects.filter(pk=device.pk).update(last_t=-1)
    device.refresh_from_db()
    return alice, device


def sign_in(client: Client, email: str, password: str, **extra: str) -> Any:
    return client.post("/login/", {"username": email, "password": password, **extra})


def session_agent_id(client: Client) -> str | None:
    return client.session.get("_auth_user_id")


def test_login_page_has_email_and_password_fields(client: Client, db: None) -> None:
    page = client.get("/login/")
    assert page.status_code == 200
    html = page.content.decode()
    assert 'name="username"' in html and 'type="email"' in html
    assert 'name="password"' in html and "Email" in html
    assert "csrfmiddlewaretoken" in html


def test_password_login_lands_on_the_inbox_with_a_new_session(client: Client, alice: Agent) -> None:
    client.get("/login/")
    before = client.session.session_key
    response = sign_in(client, "Alice@Zabota.test ", PASSWORD)
    assert response.status_code == 302
    assert response["Location"] == "/inbox/"
    assert session_agent_id(client) == str(alice.pk)
    assert client.session.session_key != before


def test_wrong_password_shows_an_error_and_does_not_log_in(client: Client, alice: Agent) -> None:
    response = sign_in(client, alice.email, "wrong password!")
    assert response.status_code == 200
    assert "not right" in response.content.decode()
    assert session_agent_id(client) is None


def test_inactive_agent_cannot_log_in(client: Client, alice: Agent) -> None:
    Agent.objects.filter(pk=alice.pk).update(is_active=False)
    response = sign_in(client, alice.email, PASSWORD)
    assert response.status_code == 200
    assert session_agent_id(client) is None


@pytest.mark.parametrize(
    ("next_url", "expected"),
    [
        ("/tickets/5/", "/tickets/5/"),
        ("/search/?q=printer", "/search/?q=printer"),
        ("https://evil.example/phish", "/inbox/"),
        ("//evil.example/", "/inbox/"),
        ("javascript:alert(1)", "/inbox/"),
    ],
)
def test_next_is_honoured_only_for_this_site(
    client: Client, alice: Agent, next_url: str, expected: str
) -> None:
    response = sign_in(client, alice.email, PASSWORD, next=next_url)
    assert response["Location"] == expected


def test_next_from_the_query_string_is_kept_in_the_form(client: Client, db: None) -> None:
    page = client.get("/login/?next=/tickets/5/")
    assert 'name="next" value="/tickets/5/"' in page.content.decode()


def test_signed_in_agent_visiting_login_goes_to_the_inbox(client: Client, alice: Agent) -> None:
    client.force_login(alice)
    assert client.get("/login/")["Location"] == "/inbox/"


def test_csrf_token_is_required(alice: Agent) -> None:
    client = Client(enforce_csrf_checks=True)
    response = sign_in(client, alice.email, PASSWORD)
    assert response.status_code == 403
    assert session_agent_id(client) is None


def test_five_failures_lock_the_account_with_a_429_page(client: Client, alice: Agent) -> None:
    for _ in range(4):
        assert sign_in(client, alice.email, "nope nope nope").status_code == 200
    locked = sign_in(client, alice.email, "nope nope nope")
    assert locked.status_code == 429
    html = locked.content.decode()
    assert 'id="lockout"' in html
    assert "Try again in 15 minutes" in html
    # Even the right password is refused while locked.
    again = sign_in(client, alice.email, PASSWORD)
    assert again.status_code == 429
    assert session_agent_id(client) is None


def test_lockout_is_per_account(client: Client, alice: Agent, admin: Agent) -> None:
    create_or_update_agent(email=admin.email, role=Role.ADMIN, password=PASSWORD)
    for _ in range(5):
        sign_in(client, alice.email, "nope nope nope")
    assert sign_in(client, admin.email, PASSWORD).status_code == 302


def test_success_resets_the_failure_count(client: Client, alice: Agent) -> None:
    for _ in range(4):
        sign_in(client, alice.email, "nope nope nope")
    assert sign_in(client, alice.email, PASSWORD).status_code == 302
    client.post("/logout/")
    for _ in range(4):
        assert sign_in(client, alice.email, "nope nope nope").status_code == 200


# --- Second factor ---------------------------------------------------------------------------


def test_totp_agent_is_not_logged_in_by_the_password_alone(
    client: Client, alice_with_totp: tuple[Agent, TOTPDevice]
) -> None:
    alice, _device = alice_with_totp
    response = sign_in(client, alice.email, PASSWORD)
    assert response["Location"] == "/login/otp/"
    assert session_agent_id(client) is None
    # Workspace pages still send them to sign in.
    page = client.get("/me/")
    assert page.status_code == 302 and page["Location"].startswith("/login/")
    form = client.get("/login/otp/")
    assert 'autocomplete="one-time-code"' in form.content.decode()


def test_totp_code_completes_the_login(client: Client, alice_with_totp: tuple[Agent, TOTPDevice]) -> None:
    alice, device = alice_with_totp
    sign_in(client, alice.email, PASSWORD, next="/tickets/9/")
    response = client.post("/login/otp/", {"code": code_for(device)})
    assert response.status_code == 302
    assert response["Location"] == "/tickets/9/"
    assert session_agent_id(client) == str(alice.pk)
    assert client.session.get("otp_device_id") == device.persistent_id


def test_wrong_totp_code_is_refused(client: Client, alice_with_totp: tuple[Agent, TOTPDevice]) -> None:
    alice, device = alice_with_totp
    sign_in(client, alice.email, PASSWORD)
    wrong = "000000" if code_for(device) != "000000" else "111111"
    response = client.post("/login/otp/", {"code": wrong})
    assert response.status_code == 200
    assert "code is not right" in response.content.decode()
    assert session_agent_id(client) is None
    assert client.post("/login/otp/", {"code": "12ab"}).status_code == 200
    assert session_agent_id(client) is None


def test_wrong_totp_codes_count_towards_the_lockout(
    client: Client, alice_with_totp: tuple[Agent, TOTPDevice]
) -> None:
    alice, device = alice_with_totp
    sign_in(client, alice.email, PASSWORD)
    wrong = "000000" if code_for(device) != "000000" else "111111"
    statuses = [client.post("/login/otp/", {"code": wrong}).status_code for _ in range(5)]
    assert statuses[-1] == 429
    assert session_agent_id(client) is None
    # Now the right code (after a fresh password) does not help either.
    assert sign_in(client, alice.email, PASSWORD).status_code == 429


def test_django_otp_throttling_refuses_a_right_code_right_after_wrong_ones(
    client: Client, alice_with_totp: tuple[Agent, TOTPDevice]
) -> None:
    alice, device = alice_with_totp
    sign_in(client, alice.email, PASSWORD)
    wrong = "000000" if code_for(device) != "000000" else "111111"
    client.post("/login/otp/", {"code": wrong})
    client.post("/login/otp/", {"code": wrong})
    response = client.post("/login/otp/", {"code": code_for(device)})
    assert response.status_code == 200
    assert session_agent_id(client) is None


def test_pending_second_factor_expires_after_five_minutes(
    client: Client, alice_with_totp: tuple[Agent, TOTPDevice]
) -> None:
    alice, device = alice_with_totp
    sign_in(client, alice.email, PASSWORD)
    later = clock.now() + timedelta(minutes=6)
    with mock.patch("zabota.core.clock.now", return_value=later):
        response = client.post("/login/otp/", {"code": code_for(device)})
    assert response.status_code == 302
    assert response["Location"] == "/login/"
    assert session_agent_id(client) is None


def test_otp_page_without_a_password_step_goes_back_to_login(client: Client, db: None) -> None:
    assert client.get("/login/otp/")["Location"] == "/login/"


# --- Sign-out and expiry ---------------------------------------------------------------------


def test_logout_needs_post_and_ends_the_session(client: Client, alice: Agent) -> None:
    client.force_login(alice)
    confirm = client.get("/logout/")
    assert confirm.status_code == 200
    assert 'id="logout-form"' in confirm.content.decode()
    assert session_agent_id(client) == str(alice.pk)
    response = client.post("/logout/")
    assert response["Location"] == "/login/"
    assert session_agent_id(client) is None


def test_logout_requires_the_csrf_token(alice: Agent) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(alice)
    assert client.post("/logout/").status_code == 403
    assert session_agent_id(client) == str(alice.pk)


def test_anonymous_get_logout_goes_to_login(client: Client, db: None) -> None:
    assert client.get("/logout/")["Location"] == "/login/"


def test_an_expired_session_redirects_to_login(client: Client, alice: Agent, settings: Any) -> None:
    settings.SESSION_COOKIE_AGE = 1
    sign_in(client, alice.email, PASSWORD)
    assert client.get("/me/").status_code == 200
    time.sleep(1.2)
    response = client.get("/me/")
    assert response.status_code == 302
    assert response["Location"] == "/login/?next=/me/"
