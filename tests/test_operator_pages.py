"""What an operator opens in a browser on a fresh install: the API docs and the Django admin."""

from __future__ import annotations

import re

import pytest
from django.http import HttpRequest
from django.test import Client

from zabota.accounts.actions import create_or_update_agent

pytestmark = pytest.mark.django_db


def test_the_api_docs_load_their_assets_from_this_server_not_a_cdn() -> None:
    page = Client().get("/api/docs")

    assert page.status_code == 200
    html = page.content.decode()
    assert "cdn.jsdelivr" not in html and "unpkg" not in html
    scripts = re.findall(r'src="([^"]+)"', html)
    assert scripts, html
    for src in scripts:
        assert src.startswith("/static/"), src
        assert Client().get(src).status_code == 200


def test_the_openapi_spec_lists_the_v1_endpoints() -> None:
    spec = Client().get("/api/openapi.json").json()

    assert "/api/v1/tickets" in spec["paths"]
    assert "/api/v1/search" in spec["paths"]


def test_an_admin_logs_in_to_the_django_admin_with_a_csrf_token() -> None:
    create_or_update_agent(email="ops@zabota.test", role="admin", password="correct horse battery")
    browser = Client(enforce_csrf_checks=True)
    form = browser.get("/admin/login/")
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form.content.decode()).group(1)

    response = browser.post(
        "/admin/login/?next=/admin/",
        {"username": "ops@zabota.test", "password": "correct horse battery", "csrfmiddlewaretoken": token},
    )

    assert response.status_code == 302 and response["Location"] == "/admin/"
    assert "Tickets" in browser.get("/admin/").content.decode()


def test_a_login_without_the_csrf_token_is_refused() -> None:
    create_or_update_agent(email="ops@zabota.test", role="admin", password="correct horse battery")

    response = Client(enforce_csrf_checks=True).post(
        "/admin/login/", {"username": "ops@zabota.test", "password": "correct horse battery"}
    )

    assert response.status_code == 403


def test_an_agent_who_is_not_admin_cannot_use_the_django_admin() -> None:
    create_or_update_agent(email="al@zabota.test", role="agent", password="correct horse battery")
    browser = Client()
    # django-axes needs the request to count failures; the login itself is the real backend chain.
    browser.login(request=HttpRequest(), username="al@zabota.test", password="correct horse battery")

    assert browser.get("/admin/").status_code == 302
