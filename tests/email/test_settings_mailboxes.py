"""Story: Ada (admin) adds support@ to the Support inbox with its IMAP and SMTP accounts. The
passwords she types are stored encrypted and never shown again, not even on the edit page; a
blank password field keeps them, ``env:NAME`` takes one from the environment. "Test SMTP"
talks to a real SMTP listener on loopback and says whether it worked. Agents and collaborators
get 403 on every mailbox page."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from django.test import Client

from zabota.accounts.models import Agent
from zabota.channels.email import credentials
from zabota.channels.email.actions import save_mailbox
from zabota.channels.email.models import Mailbox
from zabota.core.errors import PermissionDenied
from zabota.tickets.actions.config import save_inbox
from zabota.tickets.models import Inbox

pytestmark = pytest.mark.django_db

HTMX = {"HX-Request": "true"}
SECRET = "s3cret-Pa55word!"


@pytest.fixture
def support_inbox(admin: Agent) -> Inbox:
    return save_inbox(actor=admin, name="Support", slug="support", email="support@zabota.test")


def _form(inbox: Inbox, **overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "inbox": inbox.pk,
        "address": "support@zabota.test",
        "from_name": "Zabota support",
        "signature": "-- \nThe support team",
        "is_active": "on",
        "imap_enabled": "on",
        "imap_host": "imap.zabota.test",
        "imap_port": "993",
        "imap_security": "ssl",
        "imap_username": "support",
        "imap_password": SECRET,
        "imap_folder": "INBOX",
        "imap_archive_folder": "Archive",
        "smtp_host": "smtp.zabota.test",
        "smtp_port": "587",
        "smtp_security": "starttls",
        "smtp_username": "support",
        "smtp_password": "smtp-" + SECRET,
        "auto_ack_enabled": "on",
        "auto_ack_subject_en": "We got your request",
        "auto_ack_body_en": "Thank you, we will answer soon.",
        "auto_ack_subject_ru": "Мы получили ваше обращение",
        "auto_ack_body_ru": "Спасибо, скоро ответим.",
    }
    data.update(overrides)
    return data


def test_an_admin_adds_a_mailbox_and_its_passwords_are_sealed_and_never_shown(
    client: Client, admin: Agent, support_inbox: Inbox
) -> None:
    client.force_login(admin)
    r = client.post("/settings/mailboxes/new/", _form(support_inbox))
    assert r.status_code == 302
    box = Mailbox.objects.get(address="support@zabota.test")
    assert box.inbox == support_inbox and box.imap_enabled and box.imap_archive_folder == "Archive"
    assert box.auto_ack_subject_ru == "Мы получили ваше обращение"
    # Encrypted at rest, and it decrypts to what she typed.
    assert box.imap_password.startswith(credentials.PREFIX) and SECRET not in box.imap_password
    assert credentials.reveal(box.imap_password) == SECRET
    assert credentials.reveal(box.smtp_password) == "smtp-" + SECRET

    page = client.get(f"/settings/mailboxes/{box.pk}/").content.decode()
    assert "imap.zabota.test" in page
    assert SECRET not in page and box.imap_password not in page and box.smtp_password not in page
    assert "A password is stored (encrypted)." in page
    listing = client.get("/settings/mailboxes/").content.decode()
    assert "support@zabota.test" in listing and SECRET not in listing


def test_a_blank_password_keeps_the_stored_one_env_names_a_variable_and_clear_removes(
    client: Client, admin: Agent, support_inbox: Inbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    client.force_login(admin)
    client.post("/settings/mailboxes/new/", _form(support_inbox))
    box = Mailbox.objects.get()
    sealed = box.imap_password

    r = client.post(
        f"/settings/mailboxes/{box.pk}/",
        _form(support_inbox, from_name="Support desk", imap_password="", smtp_password="env:SMTP_PW"),
    )
    assert r.status_code == 302
    box.refresh_from_db()
    assert box.from_name == "Support desk"
    assert box.imap_password == sealed  # kept
    assert box.smtp_password == "env:SMTP_PW"  # nothing secret in the database
    monkeypatch.setenv("SMTP_PW", "from-the-environment")
    assert credentials.reveal(box.smtp_password) == "from-the-environment"
    page = client.get(f"/settings/mailboxes/{box.pk}/").content.decode()
    assert "Taken from the environment." in page

    client.post(
        f"/settings/mailboxes/{box.pk}/",
        _form(support_inbox, imap_password="", smtp_password="", clear_imap_password="on"),
    )
    box.refresh_from_db()
    assert box.imap_password == "" and box.smtp_password == "env:SMTP_PW"


def test_bad_input_is_shown_on_the_form(client: Client, admin: Agent, support_inbox: Inbox) -> None:
    client.force_login(admin)
    client.post("/settings/mailboxes/new/", _form(support_inbox))
    again = client.post("/settings/mailboxes/new/", _form(support_inbox, imap_password="other-" + SECRET))
    assert again.status_code == 200
    html = again.content.decode()
    assert "Another mailbox already has this address." in html
    assert "other-" + SECRET not in html  # not even the value just typed
    no_host = client.post(
        "/settings/mailboxes/new/", _form(support_inbox, address="sales@zabota.test", imap_host="")
    )
    assert "Fetching mail by IMAP needs the IMAP server" in no_host.content.decode()
    bad_env = client.post(
        "/settings/mailboxes/new/", _form(support_inbox, address="sales@zabota.test", imap_password="env:1-x")
    )
    assert "environment variable" in bad_env.content.decode()
    assert Mailbox.objects.count() == 1


def test_an_admin_deletes_a_mailbox(client: Client, admin: Agent, support_inbox: Inbox) -> None:
    box = save_mailbox(actor=admin, inbox=support_inbox, address="old@zabota.test")
    client.force_login(admin)
    r = client.post(f"/settings/mailboxes/{box.pk}/delete/")
    assert r.status_code == 302
    assert not Mailbox.objects.filter(pk=box.pk).exists()


@pytest.mark.parametrize("persona", ["alice_agent", "dave_collaborator"])
def test_agents_and_collaborators_get_403(
    client: Client, admin: Agent, support_inbox: Inbox, persona: str, request: pytest.FixtureRequest
) -> None:
    box = save_mailbox(actor=admin, inbox=support_inbox, address="support@zabota.test", smtp_password=SECRET)
    client.force_login(request.getfixturevalue(persona))
    for url in ("/settings/mailboxes/", "/settings/mailboxes/new/", f"/settings/mailboxes/{box.pk}/"):
        assert client.get(url).status_code == 403
    for url in (
        "/settings/mailboxes/new/",
        f"/settings/mailboxes/{box.pk}/",
        f"/settings/mailboxes/{box.pk}/delete/",
        f"/settings/mailboxes/{box.pk}/test-smtp/",
        f"/settings/mailboxes/{box.pk}/test-imap/",
    ):
        assert client.post(url, _form(support_inbox, address="x@zabota.test")).status_code == 403
    assert Mailbox.objects.get().address == "support@zabota.test"
    with pytest.raises(PermissionDenied):
        save_mailbox(actor=request.getfixturevalue(persona), inbox=support_inbox, address="y@zabota.test")


# --- Test connection ---------------------------------------------------------------------------


class _Accept:
    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        return "250 OK"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def smtp_server() -> Iterator[int]:
    port = _free_port()
    controller = Controller(_Accept(), hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield port
    finally:
        controller.stop()


def test_test_smtp_talks_to_a_real_server_and_says_so(
    client: Client, admin: Agent, support_inbox: Inbox, smtp_server: int
) -> None:
    box = save_mailbox(
        actor=admin,
        inbox=support_inbox,
        address="support@zabota.test",
        smtp_host="127.0.0.1",
        smtp_port=smtp_server,
        smtp_security="none",
    )
    client.force_login(admin)
    page = client.get(f"/settings/mailboxes/{box.pk}/").content.decode()
    assert f'hx-post="/settings/mailboxes/{box.pk}/test-smtp/"' in page
    r = client.post(f"/settings/mailboxes/{box.pk}/test-smtp/", headers=HTMX)
    assert r.status_code == 200
    html = r.content.decode()
    assert "Works:" in html and f"127.0.0.1:{smtp_server}" in html


def test_test_connection_reports_a_server_that_is_down(
    client: Client, admin: Agent, support_inbox: Inbox
) -> None:
    closed = _free_port()
    box = save_mailbox(
        actor=admin,
        inbox=support_inbox,
        address="support@zabota.test",
        imap_enabled=True,
        imap_host="127.0.0.1",
        imap_port=closed,
        imap_security="none",
        imap_username="support",
        imap_password="env:ZABOTA_TEST_UNSET_VARIABLE",
        smtp_host="127.0.0.1",
        smtp_port=closed,
        smtp_security="none",
    )
    client.force_login(admin)
    for protocol in ("smtp", "imap"):
        r = client.post(f"/settings/mailboxes/{box.pk}/test-{protocol}/", headers=HTMX)
        assert r.status_code == 200
        assert "Failed:" in r.content.decode()
    # Without htmx: back to the form with the answer as a message.
    r = client.post(f"/settings/mailboxes/{box.pk}/test-smtp/", follow=True)
    assert "Could not connect" in r.content.decode()


def test_the_settings_pages_link_to_mailboxes_and_quarantine(client: Client, admin: Agent) -> None:
    client.force_login(admin)
    html = client.get("/settings/").content.decode()
    assert 'href="/settings/mailboxes/"' in html and 'href="/settings/email/"' in html


def test_the_mailbox_list_is_a_fixed_number_of_queries(
    client: Client, admin: Agent, support_inbox: Inbox, django_assert_max_num_queries: Any
) -> None:
    for i in range(12):
        save_mailbox(actor=admin, inbox=support_inbox, address=f"box{i}@zabota.test")
    client.force_login(admin)
    with django_assert_max_num_queries(6):
        assert client.get("/settings/mailboxes/").status_code == 200


def test_an_inbox_page_offers_to_add_a_mailbox_to_it(
    client: Client, admin: Agent, support_inbox: Inbox
) -> None:
    client.force_login(admin)
    html = client.get(f"/settings/inboxes/{support_inbox.pk}/").content.decode()
    assert f'href="/settings/mailboxes/new/?inbox={support_inbox.pk}"' in html
    form = client.get(f"/settings/mailboxes/new/?inbox={support_inbox.pk}").content.decode()
    assert f'<option value="{support_inbox.pk}" selected>' in form
