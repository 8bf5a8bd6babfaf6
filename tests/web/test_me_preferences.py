"""/me/: language, time zone, digest, password, two-factor set-up, log out everywhere."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from tests.support import fresh
from zabota.accounts.actions import create_or_update_agent
from zabota.accounts.models import Agent, Role

PASSWORD = "correct horse battery"


@pytest.fixture
def alice(alice_agent: Agent) -> Agent:
    agent, _ = create_or_update_agent(email=alice_agent.email, role=Role.AGENT, password=PASSWORD)
    return agent


@pytest.fixture
def alice_client(client: Client, alice: Agent) -> Client:
    client.force_login(alice)
    return client


def code_for(device: TOTPDevice) -> str:
    return f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits):06d}"


def test_anonymous_is_sent_to_login(client: Client, db: None) -> None:
    response = client.get("/me/")
    assert response.status_code == 302
    assert response["Location"] == "/login/?next=/me/"
    assert client.post("/me/logout-everywhere/")["Location"].startswith("/login/")


def test_page_shows_the_current_choices(alice_client: Client) -> None:
    html = alice_client.get("/me/").content.decode()
    for section in ('id="preferences"', 'id="password"', 'id="two-factor"', 'id="sessions"'):
        assert section in html
    assert '<option value="Europe/Moscow">' in html
    assert '<option value="UTC" selected>' in html
    assert 'id="totp-status"' in html and "Off" in html


def test_saving_preferences(alice_client: Client, alice: Agent) -> None:
    response = alice_client.post("/me/", {"locale": "en", "timezone": "Europe/Moscow", "email_digest": "on"})
    assert response.status_code == 302 and response["Location"] == "/me/"
    alice = fresh(alice)
    assert (alice.locale, alice.timezone, alice.email_digest) == ("en", "Europe/Moscow", True)
    page = alice_client.get("/me/").content.decode()
    assert "Your preferences are saved." in page
    assert '<option value="Europe/Moscow" selected>' in page


def test_bad_time_zone_is_refused_and_nothing_saved(alice_client: Client, alice: Agent) -> None:
    response = alice_client.post("/me/", {"locale": "xx", "timezone": "Mars/Olympus"})
    assert response.status_code == 200
    assert 'id="timezone-errors"' in response.content.decode()
    assert 'id="locale-errors"' in response.content.decode()
    assert fresh(alice).timezone == "UTC"


def test_russian_takes_effect_on_the_next_page(alice_client: Client, alice: Agent) -> None:
    alice_client.post("/me/", {"locale": "ru", "timezone": "UTC"})
    page = alice_client.get("/me/")
    html = page.content.decode()
    assert '<html lang="ru">' in html
    # A Django builtin string, translated by Django itself.
    invalid = alice_client.post("/me/", {"locale": "ru"}).content.decode()
    assert "Обязательное поле." in invalid
    # Browser default again: follows Accept-Language.
    alice_client.post("/me/", {"locale": "", "timezone": "UTC"}, HTTP_ACCEPT_LANGUAGE="en")
    assert '<html lang="en">' in alice_client.get("/me/", HTTP_ACCEPT_LANGUAGE="en").content.decode()


def test_preferences_need_the_csrf_token(alice: Agent) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(alice)
    assert client.post("/me/", {"locale": "ru", "timezone": "UTC"}).status_code == 403
    assert fresh(alice).locale == ""


# --- Password ------------------------------------------------------------------------------


def test_change_password_keeps_this_session_and_ends_others(client: Client, alice: Agent) -> None:
    other = Client()
    other.force_login(alice)
    client.force_login(alice)
    response = client.post(
        "/me/password/",
        {
            "current_password": PASSWORD,
            "new_password": "a whole new phrase",
            "new_password_again": "a whole new phrase",
        },
    )
    assert response["Location"] == "/me/"
    assert fresh(alice).check_password("a whole new phrase")
    assert client.get("/me/").status_code == 200
    assert other.get("/me/").status_code == 302


@pytest.mark.parametrize(
    ("data", "error_field"),
    [
        (
            {
                "current_password": "wrong one!",
                "new_password": "a whole new phrase",
                "new_password_again": "a whole new phrase",
            },
            "current_password",
        ),
        (
            {
                "current_password": PASSWORD,
                "new_password": "a whole new phrase",
                "new_password_again": "another phrase",
            },
            "new_password_again",
        ),
        (
            {
                "current_password": PASSWORD,
                "new_password": "12345678901",
                "new_password_again": "12345678901",
            },
            "new_password",
        ),
        (
            {"current_password": PASSWORD, "new_password": "short", "new_password_again": "short"},
            "new_password",
        ),
    ],
)
def test_bad_password_change_is_refused(
    alice_client: Client, alice: Agent, data: dict[str, str], error_field: str
) -> None:
    response = alice_client.post("/me/password/", data)
    assert response.status_code == 200
    assert f'id="{error_field}-errors"' in response.content.decode()
    assert fresh(alice).check_password(PASSWORD)


# --- Two-factor ----------------------------------------------------------------------------


def test_set_up_confirm_and_disable_totp(alice_client: Client, alice: Agent) -> None:
    assert alice_client.post("/me/two-factor/start/")["Location"] == "/me/#two-factor"
    html = alice_client.get("/me/").content.decode()
    assert re.search(r'<img class="qr" id="totp-qr" src="data:image/svg\+xml', html)
    secret = re.search(r'<code id="totp-secret">([A-Z2-7]+)</code>', html)
    assert secret is not None
    device = TOTPDevice.objects.get(user=alice)
    assert not device.confirmed
    # Not yet asked at sign-in.
    assert alice_client.post("/me/two-factor/confirm/", {"token": "12"}).status_code == 200
    wrong = "000000" if code_for(device) != "000000" else "111111"
    refused = alice_client.post("/me/two-factor/confirm/", {"token": wrong})
    assert 'id="token-errors"' in refused.content.decode()
    TOTPDevice.objects.filter(pk=device.pk).update(
        throttling_failure_count=0, throttling_failure_timestamp=None
    )
    assert alice_client.post("/me/two-factor/confirm/", {"token": code_for(device)})["Location"] == "/me/"
    device.refresh_from_db()
    assert device.confirmed
    assert "On:" in alice_client.get("/me/").content.decode()

    # Signing in now asks for the code.
    anonymous = Client()
    assert (
        anonymous.post("/login/", {"username": alice.email, "password": PASSWORD})["Location"]
        == "/login/otp/"
    )

    # Disabling needs the password.
    refused = alice_client.post("/me/two-factor/disable/", {"password": "not it at all"})
    assert 'id="password-errors"' in refused.content.decode()
    assert TOTPDevice.objects.filter(user=alice).exists()
    assert alice_client.post("/me/two-factor/disable/", {"password": PASSWORD})["Location"] == "/me/"
    assert not TOTPDevice.objects.filter(user=alice).exists()
    assert Client().post("/login/", {"username": alice.email, "password": PASSWORD})["Location"] == "/inbox/"


def test_cancel_a_totp_set_up(alice_client: Client, alice: Agent) -> None:
    alice_client.post("/me/two-factor/start/")
    assert 'id="totp-secret"' in alice_client.get("/me/").content.decode()
    assert alice_client.post("/me/two-factor/cancel/")["Location"] == "/me/#two-factor"
    assert not TOTPDevice.objects.filter(user=alice).exists()
    assert 'id="totp-start"' in alice_client.get("/me/").content.decode()


def test_totp_confirm_without_set_up_says_so(alice_client: Client) -> None:
    response = alice_client.post("/me/two-factor/confirm/", {"token": "123456"}, follow=True)
    assert "Start the set-up first." in response.content.decode()
    assert not TOTPDevice.objects.exists()


def test_the_totp_secret_of_one_agent_is_not_shown_to_another(
    alice_client: Client, alice: Agent, bob_other_team: Agent
) -> None:
    alice_client.post("/me/two-factor/start/")
    secret = re.search(
        r'<code id="totp-secret">([A-Z2-7]+)</code>', alice_client.get("/me/").content.decode()
    )
    assert secret is not None
    bob = Client()
    bob.force_login(bob_other_team)
    html = bob.get("/me/").content.decode()
    assert secret.group(1) not in html
    assert 'id="totp-secret"' not in html


# --- Log out everywhere --------------------------------------------------------------------


def test_log_out_everywhere_ends_other_sessions_and_keeps_this_one(client: Client, alice: Agent) -> None:
    laptop = Client()
    assert laptop.post("/login/", {"username": alice.email, "password": PASSWORD}).status_code == 302
    assert laptop.get("/me/").status_code == 200
    client.force_login(alice)
    response = client.post("/me/logout-everywhere/")
    assert response["Location"] == "/me/"
    assert fresh(alice).session_version == 1
    assert client.get("/me/").status_code == 200
    gone = laptop.get("/me/")
    assert gone.status_code == 302 and gone["Location"] == "/login/?next=/me/"


def test_log_out_everywhere_is_post_only(alice_client: Client, alice: Agent) -> None:
    assert alice_client.get("/me/logout-everywhere/").status_code == 405
    assert fresh(alice).session_version == 0


def test_turning_on_totp_ends_the_sessions_that_never_gave_a_code(alice_client: Client, alice: Agent) -> None:
    other_browser = Client()
    other_browser.force_login(alice)
    assert other_browser.get("/me/").status_code == 200
    alice_client.post("/me/two-factor/start/")
    device = TOTPDevice.objects.get(user=alice)
    assert alice_client.post("/me/two-factor/confirm/", {"token": code_for(device)})["Location"] == "/me/"

    assert alice_client.get("/me/").status_code == 200  # the session that turned it on stays
    assert other_browser.get("/me/")["Location"].startswith("/login/")
