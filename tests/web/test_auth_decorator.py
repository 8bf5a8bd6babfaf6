"""``agent_required`` / ``admin_required``: who gets through to workspace pages."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.test import RequestFactory

from zabota.accounts.models import Agent
from zabota.web.auth import admin_required, agent_required


@agent_required
def page(request: HttpRequest) -> HttpResponse:
    return HttpResponse("workspace")


@admin_required
def admin_page(request: HttpRequest) -> HttpResponse:
    return HttpResponse("settings")


def _request(user: object, path: str = "/inbox/?view=mine", **headers: str) -> HttpRequest:
    request = RequestFactory().get(path, headers=headers)
    request.user = user  # type: ignore[assignment]
    return request


def test_anonymous_is_sent_to_login_with_next() -> None:
    response = page(_request(AnonymousUser()))
    assert response.status_code == 302
    assert response["Location"] == "/login/?next=/inbox/%3Fview%3Dmine"


def test_anonymous_htmx_request_gets_hx_redirect_to_the_current_page() -> None:
    response = page(
        _request(AnonymousUser(), "/tickets/7/timeline", HX_Request="true", HX_Current_URL="/tickets/7/")
    )
    assert response.status_code == 204
    assert response["HX-Redirect"] == "/login/?next=/tickets/7/"


def test_agent_gets_through(alice_agent: Agent) -> None:
    assert page(_request(alice_agent)).content == b"workspace"


def test_inactive_agent_is_refused(admin: Agent, alice_agent: Agent) -> None:
    Agent.objects.filter(pk=alice_agent.pk).update(is_active=False)
    alice_agent.refresh_from_db()
    with pytest.raises(PermissionDenied):
        page(_request(alice_agent))


def test_non_agent_user_is_refused() -> None:
    class Stranger:
        is_authenticated = True
        is_active = True

    with pytest.raises(PermissionDenied):
        page(_request(Stranger()))


def test_admin_pages_refuse_agents_and_collaborators(
    admin: Agent, alice_agent: Agent, dave_collaborator: Agent
) -> None:
    assert admin_page(_request(admin)).content == b"settings"
    for agent in (alice_agent, dave_collaborator):
        with pytest.raises(PermissionDenied):
            admin_page(_request(agent))
    assert admin_page(_request(AnonymousUser())).status_code == 302
