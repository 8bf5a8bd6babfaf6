"""Who may open the settings pages: admins only; agents and collaborators get 403, anonymous
visitors go to sign in; unsafe requests need the CSRF token."""

from __future__ import annotations

import pytest
from django.test import Client

from zabota.accounts.models import Agent
from zabota.customers.actions import save_tier
from zabota.tickets.actions.config import save_custom_field, save_inbox
from zabota.tickets.models import Tag

GET_URLS = [
    "/settings/",
    "/settings/agents/",
    "/settings/agents/new/",
    "/settings/agents/{agent}/",
    "/settings/teams/",
    "/settings/teams/{team}/",
    "/settings/tags/",
    "/settings/tags/{tag}/",
    "/settings/tiers/",
    "/settings/tiers/{tier}/",
    "/settings/fields/",
    "/settings/fields/{field}/",
    "/settings/attributes/",
    "/settings/inboxes/",
    "/settings/inboxes/new/",
    "/settings/inboxes/{inbox}/",
]
POST_URLS = [
    "/settings/agents/new/",
    "/settings/agents/{agent}/",
    "/settings/agents/{agent}/active/",
    "/settings/agents/{agent}/password/",
    "/settings/teams/",
    "/settings/teams/{team}/",
    "/settings/tags/{tag}/",
    "/settings/tags/{tag}/delete/",
    "/settings/tiers/",
    "/settings/tiers/{tier}/",
    "/settings/tiers/{tier}/delete/",
    "/settings/fields/",
    "/settings/fields/{field}/delete/",
    "/settings/attributes/",
    "/settings/inboxes/new/",
    "/settings/inboxes/{inbox}/",
]


@pytest.fixture
def ids(admin: Agent, alice_agent: Agent) -> dict[str, int]:
    team = alice_agent.teams.get()
    return {
        "agent": alice_agent.pk,
        "team": team.pk,
        "tag": Tag.objects.create(name="vip").pk,
        "tier": save_tier(actor=admin, name="Silver", rank=5, color="#c0c0c0").pk,
        "field": save_custom_field(actor=admin, key="plan", label="Plan", type="text").pk,
        "inbox": save_inbox(actor=admin, name="Support", slug="support").pk,
    }


def _url(template: str, ids: dict[str, int]) -> str:
    return template.format(**ids)


@pytest.mark.parametrize("url", GET_URLS)
def test_admin_opens_every_settings_page(client: Client, admin: Agent, ids: dict[str, int], url: str) -> None:
    client.force_login(admin)
    response = client.get(_url(url, ids))
    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="settings-nav"' in html
    assert 'href="/settings/" aria-current="page"' in html  # the top link marks Settings


@pytest.mark.parametrize("persona", ["alice_agent", "dave_collaborator", "bob_other_team"])
def test_agents_and_collaborators_get_403_everywhere(
    client: Client, request: pytest.FixtureRequest, ids: dict[str, int], persona: str
) -> None:
    client.force_login(request.getfixturevalue(persona))
    for url in GET_URLS:
        assert client.get(_url(url, ids)).status_code == 403, url
    for url in POST_URLS:
        assert client.post(_url(url, ids), {"name": "hacked", "active": "0"}).status_code == 403, url
    # Nothing changed.
    assert Tag.objects.filter(name="vip").exists()
    assert Agent.objects.get(pk=ids["agent"]).is_active


def test_anonymous_is_sent_to_login(client: Client, ids: dict[str, int]) -> None:
    for url in GET_URLS:
        response = client.get(_url(url, ids))
        assert response.status_code == 302, url
        assert response["Location"].startswith("/login/?next=/settings/"), url
    assert client.post(_url("/settings/tags/{tag}/delete/", ids))["Location"].startswith("/login/")
    assert Tag.objects.filter(name="vip").exists()


def test_settings_link_only_for_admins(client: Client, admin: Agent, alice_agent: Agent) -> None:
    client.force_login(alice_agent)
    assert 'href="/settings/"' not in client.get("/me/").content.decode()
    client.force_login(admin)
    assert 'href="/settings/"' in client.get("/me/").content.decode()


@pytest.mark.parametrize("url", POST_URLS)
def test_every_settings_post_needs_the_csrf_token(admin: Agent, ids: dict[str, int], url: str) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(admin)
    assert client.post(_url(url, ids), {"name": "changed", "active": "0"}).status_code == 403
    assert Tag.objects.filter(name="vip").exists()


def test_a_missing_object_is_404(client: Client, admin: Agent) -> None:
    client.force_login(admin)
    for url in (
        "/settings/agents/999/",
        "/settings/teams/999/",
        "/settings/tags/999/",
        "/settings/tiers/999/",
        "/settings/fields/999/",
        "/settings/attributes/999/",
        "/settings/inboxes/999/",
    ):
        assert client.get(url).status_code == 404, url


@pytest.mark.parametrize("url", POST_URLS)
def test_garbage_input_is_never_a_500(client: Client, admin: Agent, ids: dict[str, int], url: str) -> None:
    client.force_login(admin)
    garbage = {
        "name": "x" * 5000,
        "new-name": "\x00bad",
        "email": "a@" + "b" * 300,
        "role": "root",
        "teams": ["abc", "-1"],
        "members": ["999999"],
        "new-members": ["nope"],
        "rank": "99999999999999999999",
        "new-rank": "-5",
        "color": "\x00",
        "new-color": "#zzzzzz",
        "key": "../../etc",
        "new-key": "a" * 300,
        "new-type": "script",
        "new-target": "ticket",
        "position": "1e9",
        "password": "x",
        "active": "maybe",
        "logo": "not a file",
        "slug": "<script>",
        "default_team": "abc",
    }
    response = client.post(_url(url, ids), garbage)
    assert response.status_code < 500
    assert Agent.objects.filter(is_active=True, role="admin").exists()
