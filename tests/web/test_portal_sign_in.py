"""Signing in to the portal by a one-time link: the request, the email, the link, the limits."""

# ruff: noqa: F401, F811  (fixtures imported from test_portal_fixtures, used as arguments)

from __future__ import annotations

import hashlib
from datetime import timedelta

import pytest
import time_machine
from django.conf import settings as django_settings
from django.core import mail
from django.test import Client

from tests.web.test_portal_fixtures import acme_inbox, last_token, page_text, tokens_sent_to
from zabota.core import clock
from zabota.customers.actions import save_contact
from zabota.portal import actions
from zabota.portal.models import PortalLink, SignInOutcome, SignInRequest
from zabota.portal.session import CONTACT_KEY

SAME_ANSWER = "If this address belongs to a customer, we have sent a sign-in link"


def ask_for_link(client: Client, email: str, path: str = "/portal/", **extra: str):
    return client.post(path, {"email": email}, **extra)


@pytest.fixture
def asked(carol_customer, acme_inbox, django_capture_on_commit_callbacks):
    """Carol asked for a link on Acme's portal; the email has gone out."""
    with django_capture_on_commit_callbacks(execute=True):
        response = ask_for_link(Client(), "carol@acme.test", "/portal/acme/")
    assert response.status_code == 200
    return last_token("carol@acme.test")


def test_the_sign_in_page_asks_for_an_email_address(db, acme_inbox):
    response = Client().get("/portal/acme/")
    assert response.status_code == 200
    html = page_text(response)
    assert 'id="portal-sign-in-form"' in html
    assert 'type="email"' in html
    assert "csrfmiddlewaretoken" in html


def test_a_known_address_gets_an_email_with_a_one_time_link(carol_customer, acme_inbox, asked):
    assert len(mail.outbox) == 1
    email = mail.outbox[0]
    assert email.to == ["carol@acme.test"]
    assert "Acme Helpdesk" in email.subject
    assert email.extra_headers["Auto-Submitted"] == "auto-generated"
    assert "Acme Helpdesk" in email.from_email and "help@acme-support.test" in email.from_email
    assert f"/portal/link/{asked}" in email.body
    assert "30 minutes" in email.body
    html_part = email.alternatives[0][0]
    assert f"/portal/link/{asked}" in html_part


def test_only_the_tokens_hash_is_stored(carol_customer, asked):
    link = PortalLink.objects.get()
    assert link.token_hash == hashlib.sha256(asked.encode()).hexdigest()
    stored = " ".join(str(v) for v in PortalLink.objects.values().get().values())
    assert asked not in stored
    assert link.contact_id == carol_customer.pk
    assert link.email == "carol@acme.test"
    assert len(asked) >= 43  # 32 random bytes, URL-safe base64


def test_the_address_is_matched_case_insensitively(carol_customer, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        ask_for_link(Client(), "  CAROL@Acme.TEST ")
    assert tokens_sent_to("carol@acme.test")


def test_an_unknown_address_gets_the_same_answer_and_no_email(
    carol_customer, acme_inbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        known = ask_for_link(Client(), "carol@acme.test", "/portal/acme/")
        unknown = ask_for_link(Client(), "mallory@evil.test", "/portal/acme/")
    assert known.status_code == unknown.status_code == 200
    assert SAME_ANSWER in page_text(known)
    assert known.content == unknown.content
    assert [m.to for m in mail.outbox] == [["carol@acme.test"]]
    assert PortalLink.objects.count() == 1
    assert SignInRequest.objects.filter(outcome=SignInOutcome.UNKNOWN).count() == 1


def test_a_malformed_address_is_refused_by_the_form(db):
    response = ask_for_link(Client(), "not-an-address")
    assert response.status_code == 400
    assert PortalLink.objects.count() == 0


def test_opening_the_link_does_not_sign_in_mail_scanners_prefetch_it(carol_customer, asked):
    client = Client()
    for _ in range(2):
        response = client.get(f"/portal/link/{asked}")
        assert response.status_code == 200
        assert "Sign in as carol@acme.test" in page_text(response)
        assert response.headers["Referrer-Policy"] == "no-referrer"
    assert PortalLink.objects.get().used_at is None
    assert CONTACT_KEY not in client.session
    assert client.get("/portal/requests/").status_code == 302


def test_the_button_signs_in_and_lands_on_my_requests(carol_customer, asked):
    client = Client()
    client.get(f"/portal/link/{asked}")
    before = client.session.session_key
    response = client.post(f"/portal/link/{asked}")
    assert response.status_code == 302
    assert response["Location"] == "/portal/requests/"
    assert client.session.session_key != before  # a new session id: no fixation
    assert client.session[CONTACT_KEY] == carol_customer.pk
    assert "_auth_user_id" not in client.session  # never a Django (agent) login
    page = client.get("/portal/requests/")
    assert page.status_code == 200
    assert not page.wsgi_request.user.is_authenticated


def test_a_link_works_once(carol_customer, asked):
    assert Client().post(f"/portal/link/{asked}").status_code == 302
    second = Client()
    response = second.post(f"/portal/link/{asked}")
    assert response.status_code == 410
    assert 'id="portal-new-link"' in page_text(response)
    assert CONTACT_KEY not in second.session
    assert Client().get(f"/portal/link/{asked}").status_code == 410


def test_two_simultaneous_uses_cannot_both_win(carol_customer, asked):
    actions.use_sign_in_link(token=asked)
    with pytest.raises(actions.LinkInvalid):
        actions.use_sign_in_link(token=asked)


def test_using_one_link_retires_the_other_unused_links(carol_customer, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        ask_for_link(Client(), "carol@acme.test")
        ask_for_link(Client(), "carol@acme.test")
    first, second = tokens_sent_to("carol@acme.test")
    assert Client().post(f"/portal/link/{second}").status_code == 302
    assert Client().post(f"/portal/link/{first}").status_code == 410


def test_a_link_expires_after_thirty_minutes(carol_customer, asked):
    link = PortalLink.objects.get()
    assert link.expires_at - link.created_at == timedelta(minutes=30)
    with time_machine.travel(clock.now() + timedelta(minutes=29), tick=False):
        assert Client().get(f"/portal/link/{asked}").status_code == 200
    with time_machine.travel(clock.now() + timedelta(minutes=31), tick=False):
        client = Client()
        assert client.get(f"/portal/link/{asked}").status_code == 410
        assert client.post(f"/portal/link/{asked}").status_code == 410
        assert CONTACT_KEY not in client.session


def test_the_links_life_follows_the_setting_but_never_exceeds_an_hour(
    carol_customer, settings, django_capture_on_commit_callbacks
):
    settings.PORTAL_LINK_MINUTES = 10
    with django_capture_on_commit_callbacks(execute=True):
        ask_for_link(Client(), "carol@acme.test")
    link = PortalLink.objects.get()
    assert link.expires_at - link.created_at == timedelta(minutes=10)
    assert "10 minutes" in mail.outbox[0].body
    settings.PORTAL_LINK_MINUTES = 600
    assert actions.link_minutes() == 60


def test_unknown_and_malformed_tokens_get_the_friendly_page(db):
    for token in ("A" * 43, "x", "../../etc/passwd"):
        response = Client().get(f"/portal/link/{token}")
        assert response.status_code in (404, 410)
    response = Client().post("/portal/link/" + "B" * 43)
    assert response.status_code == 410
    assert "Send me a new link" in page_text(response)


def test_a_link_stops_working_when_the_address_leaves_the_contact(carol_customer, asked):
    save_contact(actor=None, contact=carol_customer, emails=["carol.new@acme.test"])
    client = Client()
    assert client.post(f"/portal/link/{asked}").status_code == 410
    assert CONTACT_KEY not in client.session


def test_a_session_ends_when_its_address_leaves_the_contact(carol_customer, asked):
    client = Client()
    client.post(f"/portal/link/{asked}")
    assert client.get("/portal/requests/").status_code == 200
    save_contact(actor=None, contact=carol_customer, emails=["carol.new@acme.test"])
    assert client.get("/portal/requests/").status_code == 302
    assert CONTACT_KEY not in client.session


def test_the_email_is_in_the_contacts_language(carol_customer, django_capture_on_commit_callbacks):
    save_contact(actor=None, contact=carol_customer, locale="ru")
    with django_capture_on_commit_callbacks(execute=True):
        ask_for_link(Client(), "carol@acme.test", HTTP_ACCEPT_LANGUAGE="en")
    assert mail.outbox[0].extra_headers["Content-Language"] == "ru"


def test_the_page_i_came_for_is_where_the_link_takes_me(carol_customer, support_ticket):
    client = Client()
    first = client.get(f"/portal/requests/{support_ticket.number}/")
    assert first.status_code == 302 and first["Location"] == "/portal/"
    result = actions.request_sign_in_link(email="carol@acme.test", inbox=None, ip="127.0.0.1")
    assert result.outcome == SignInOutcome.SENT
    # The token only exists in the email; make one we know for this browser's flow instead.
    token = "known-token-for-the-test-0123456789abcdefghijk"
    PortalLink.objects.filter(pk=result.link.pk).update(token_hash=actions.hash_token(token))
    response = client.post(f"/portal/link/{token}")
    assert response["Location"] == f"/portal/requests/{support_ticket.number}/"


def test_next_cannot_point_outside_the_portal(carol_customer):
    client = Client()
    client.get("/portal/?next=https://evil.test/portal/requests/")
    client.get("/portal/?next=/admin/")
    result = actions.request_sign_in_link(email="carol@acme.test", inbox=None, ip=None)
    token = "another-known-token-0123456789abcdefghijklmnop"
    PortalLink.objects.filter(pk=result.link.pk).update(token_hash=actions.hash_token(token))
    assert client.post(f"/portal/link/{token}")["Location"] == "/portal/requests/"


# --- Rate limits ---------------------------------------------------------------------------------


def test_at_most_three_links_per_address_per_quarter_hour(carol_customer, django_capture_on_commit_callbacks):
    answers = []
    with django_capture_on_commit_callbacks(execute=True):
        for i in range(5):
            answers.append(ask_for_link(Client(), "carol@acme.test", REMOTE_ADDR=f"10.0.0.{i + 1}"))
    assert len(tokens_sent_to("carol@acme.test")) == 3
    assert PortalLink.objects.count() == 3
    assert len({a.content for a in answers}) == 1  # the answer never changes
    assert SignInRequest.objects.filter(outcome=SignInOutcome.ADDRESS_LIMITED).count() == 2
    with time_machine.travel(clock.now() + timedelta(minutes=16), tick=False):
        with django_capture_on_commit_callbacks(execute=True):
            ask_for_link(Client(), "carol@acme.test")
    assert len(tokens_sent_to("carol@acme.test")) == 4


def test_at_most_twenty_requests_per_ip_per_hour_counting_unknown_addresses(
    carol_customer, django_capture_on_commit_callbacks, caplog
):
    client = Client(REMOTE_ADDR="203.0.113.7")
    for i in range(20):
        ask_for_link(client, f"nobody{i}@example.test")
    with django_capture_on_commit_callbacks(execute=True):
        limited = ask_for_link(client, "carol@acme.test")
    assert SAME_ANSWER in page_text(limited)
    assert mail.outbox == []
    assert PortalLink.objects.count() == 0
    assert (
        SignInRequest.objects.filter(requested_ip="203.0.113.7", outcome=SignInOutcome.IP_LIMITED).count()
        == 1
    )
    assert "refused (ip_limited)" in caplog.text
    # Another network is not affected ...
    with django_capture_on_commit_callbacks(execute=True):
        ask_for_link(Client(REMOTE_ADDR="198.51.100.1"), "carol@acme.test")
    assert len(tokens_sent_to("carol@acme.test")) == 1
    # ... and an hour later the first one may ask again.
    with time_machine.travel(clock.now() + timedelta(minutes=61), tick=False):
        with django_capture_on_commit_callbacks(execute=True):
            ask_for_link(client, "carol@acme.test")
    assert len(tokens_sent_to("carol@acme.test")) == 2


def test_old_request_rows_are_cleaned_up(db):
    actions.request_sign_in_link(email="a@example.test", inbox=None, ip="10.1.1.1")
    with time_machine.travel(clock.now() + timedelta(days=3), tick=False):
        actions.request_sign_in_link(email="b@example.test", inbox=None, ip="10.1.1.1")
    assert SignInRequest.objects.count() == 1


def test_the_task_sends_only_for_the_right_token_and_a_live_link(carol_customer):
    from zabota.portal import mail as portal_mail

    result = actions.request_sign_in_link(email="carol@acme.test", inbox=None, ip=None)
    token = "task-token-0123456789abcdefghijklmnopqrstuvwxyz"
    PortalLink.objects.filter(pk=result.link.pk).update(token_hash=actions.hash_token(token))
    assert portal_mail.send_sign_in_link(result.link.pk, "wrong-token") is False
    assert portal_mail.send_sign_in_link(result.link.pk, token) is True
    PortalLink.objects.filter(pk=result.link.pk).update(used_at=clock.now())
    assert portal_mail.send_sign_in_link(result.link.pk, token) is False
    assert len(mail.outbox) == 1


# --- CSRF and signing out ----------------------------------------------------------------------


def test_csrf_is_required_to_ask_for_a_link_and_to_use_one(carol_customer, asked):
    strict = Client(enforce_csrf_checks=True)
    assert strict.post("/portal/", {"email": "carol@acme.test"}).status_code == 403
    assert strict.post(f"/portal/link/{asked}").status_code == 403
    assert PortalLink.objects.get().used_at is None


def test_signing_out_ends_the_portal_session(carol_customer, acme_inbox, asked):
    client = Client()
    client.post(f"/portal/link/{asked}")
    response = client.post("/portal/logout/")
    assert response.status_code == 302
    assert response["Location"] == "/portal/acme/"
    assert CONTACT_KEY not in client.session
    assert client.get("/portal/requests/").status_code == 302
    assert client.get("/portal/logout/").status_code == 405


def test_signing_out_of_the_portal_keeps_an_agent_signed_in(alice_agent, carol_customer, asked):
    client = Client()
    client.force_login(alice_agent)
    client.post(f"/portal/link/{asked}")
    client.post("/portal/logout/")
    assert client.session.get("_auth_user_id") == str(alice_agent.pk)


def test_an_agent_session_is_not_a_portal_session(alice_agent, support_ticket):
    client = Client()
    client.force_login(alice_agent)
    assert client.get("/portal/requests/").status_code == 302
    assert client.get(f"/portal/requests/{support_ticket.number}/").status_code == 302


# --- The operator's command ----------------------------------------------------------------------


def test_an_operator_can_print_a_link_for_a_customer(carol_customer, acme_inbox):
    import io

    from django.core.management import call_command

    out, err = io.StringIO(), io.StringIO()
    call_command("portal_link", "Carol@ACME.test", "--inbox", "acme", stdout=out, stderr=err)
    url = out.getvalue().strip()
    assert url.startswith("http://127.0.0.1:8000/portal/link/")
    token = url.rsplit("/", 1)[1]
    assert mail.outbox == []
    client = Client()
    assert client.post(f"/portal/link/{token}").status_code == 302
    assert client.session[CONTACT_KEY] == carol_customer.pk
    assert "Acme Helpdesk" in page_text(client.get("/portal/requests/"))


def test_the_command_refuses_an_unknown_address_or_portal(carol_customer):
    from django.core.management import CommandError, call_command

    with pytest.raises(CommandError):
        call_command("portal_link", "nobody@example.test")
    with pytest.raises(CommandError):
        call_command("portal_link", "carol@acme.test", "--inbox", "nope")


def test_the_confirmation_page_speaks_the_contacts_language(carol_customer, asked):
    save_contact(actor=None, contact=carol_customer, locale="ru")
    response = Client().get(f"/portal/link/{asked}", HTTP_ACCEPT_LANGUAGE="en")
    assert response["Content-Language"] == "ru"
    assert '<html lang="ru">' in page_text(response)


def test_the_subject_is_plain_text(carol_customer, django_capture_on_commit_callbacks):
    from zabota.tickets.models import Inbox

    Inbox.objects.create(name="Tom & Jerry <Support>", slug="tj")
    with django_capture_on_commit_callbacks(execute=True):
        ask_for_link(Client(), "carol@acme.test", "/portal/tj/")
    assert mail.outbox[0].subject == "Your sign-in link for Tom & Jerry <Support> support"
    assert "Tom &amp; Jerry &lt;Support&gt;" in mail.outbox[0].alternatives[0][0]


def test_a_mail_failure_does_not_change_the_answer(
    carol_customer, monkeypatch, django_capture_on_commit_callbacks, caplog
):
    from django.core.mail import EmailMultiAlternatives

    def broken(self, fail_silently=False):
        raise ConnectionRefusedError("smtp down")

    monkeypatch.setattr(EmailMultiAlternatives, "send", broken)
    with django_capture_on_commit_callbacks(execute=True):
        known = ask_for_link(Client(), "carol@acme.test")
        unknown = ask_for_link(Client(), "nobody@example.test")
    assert known.status_code == unknown.status_code == 200
    assert known.content == unknown.content


def test_an_addresss_old_links_are_cleaned_up(carol_customer):
    actions.request_sign_in_link(email="carol@acme.test", inbox=None, ip=None)
    with time_machine.travel(clock.now() + timedelta(days=31), tick=False):
        actions.request_sign_in_link(email="carol@acme.test", inbox=None, ip=None)
    assert PortalLink.objects.count() == 1


def test_the_claim_is_one_conditional_update(carol_customer):
    """Two clicks can't both win: the check and the write are one UPDATE ... WHERE used_at IS NULL
    AND expires_at > now, and only the request whose UPDATE changed a row signs in. (A thread race
    can't run on the in-memory test database: shared-cache SQLite refuses concurrent writers.)"""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    _, token = actions.issue_sign_in_link(email="carol@acme.test", inbox=None)
    with CaptureQueriesContext(connection) as queries:
        actions.use_sign_in_link(token=token)
    claim = next(q["sql"] for q in queries.captured_queries if q["sql"].startswith("UPDATE"))
    assert '"used_at" IS NULL' in claim and '"expires_at" >' in claim and '"token_hash" =' in claim


@pytest.mark.parametrize(
    "next_url, allowed",
    [
        ("/portal/requests/", True),
        ("/portal/requests/12/", True),
        ("/portal/requests/new/", True),
        ("/portal/requests/?show=all&page=2", True),
        ("/portal/requests//evil.test/", False),
        ("/portal/requests/12/\r\nSet-Cookie: x", False),
        ("https://evil.test/portal/requests/", False),
        ("/portal/requests/../../admin/", False),
    ],
)
def test_only_portal_request_pages_are_remembered(rf, next_url, allowed):
    from zabota.portal.session import is_portal_page

    assert is_portal_page(rf.get("/"), next_url) is allowed


def test_an_odd_client_address_is_not_stored(carol_customer):
    for odd in ("unix:/run/zabota.sock", "", None, "999.1.1.1"):
        result = actions.request_sign_in_link(email="nobody@example.test", inbox=None, ip=odd)
        assert result.outcome == SignInOutcome.UNKNOWN
    assert set(SignInRequest.objects.values_list("requested_ip", flat=True)) == {None}


@pytest.mark.skipif(
    "sqlite" in django_settings.DATABASES["default"]["ENGINE"],
    reason="shared-cache in-memory SQLite refuses concurrent writers; the UPDATE shape is tested above",
)
@pytest.mark.django_db(transaction=True)
def test_racing_clicks_on_one_link_sign_in_once():
    import threading

    from django.db import connection

    carol = save_contact(actor=None, name="Carol", emails=["carol@race.test"])
    _, token = actions.issue_sign_in_link(email="carol@race.test", inbox=None)
    barrier = threading.Barrier(4)
    results: list[str] = []

    def click() -> None:
        barrier.wait()
        try:
            link = actions.use_sign_in_link(token=token)
            results.append(f"ok {link.contact_id}")
        except actions.LinkInvalid:
            results.append("refused")
        finally:
            connection.close()

    threads = [threading.Thread(target=click) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == [f"ok {carol.pk}", "refused", "refused", "refused"]
