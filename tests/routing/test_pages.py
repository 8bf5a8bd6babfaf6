"""Routing in the workspace: the status switch in the header, the team page with status dots,
and the admins' routing settings pages."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.test import Client

from tests.support import make_agent
from zabota.accounts.models import Agent, Team
from zabota.routing.actions import set_status
from zabota.routing.models import AgentStatus, TeamRouting


@pytest.fixture
def alice(client: Client, alice_agent: Agent) -> Client:
    client.force_login(alice_agent)
    return client


@pytest.fixture
def lead(admin: Agent) -> Client:
    c = Client()
    c.force_login(admin)
    return c


def test_the_header_shows_my_status_and_i_switch_it_with_htmx(alice: Client, alice_agent: Agent) -> None:
    html = alice.get("/inbox/").content.decode()
    assert 'id="status-switch"' in html and 'hx-get="/routing/status/"' in html
    assert (
        'data-status="available"'
        in alice.get("/routing/status/", headers={"HX-Request": "true"}).content.decode()
    )

    r = alice.post("/routing/status/", {"status": "away"}, headers={"HX-Request": "true"})

    assert r.status_code == 200
    assert 'data-status="away"' in r.content.decode()
    assert AgentStatus.objects.get(agent=alice_agent).status == "away"
    assert 'data-status="away"' in alice.get("/routing/status/").content.decode()


def test_without_javascript_the_switch_posts_and_comes_back(alice: Client, alice_agent: Agent) -> None:
    r = alice.post(
        "/routing/status/", {"status": "busy"}, headers={"Referer": "http://testserver/inbox/?view=mine"}
    )

    assert r.status_code == 302
    assert r["Location"] == "http://testserver/inbox/?view=mine"
    assert AgentStatus.objects.get(agent=alice_agent).status == "busy"


def test_the_switch_never_redirects_to_another_site(alice: Client) -> None:
    r = alice.post("/routing/status/", {"status": "busy"}, headers={"Referer": "https://evil.example/"})

    assert r["Location"] == "/inbox/"


def test_anonymous_visitors_cannot_switch_anything(client: Client, alice_agent: Agent) -> None:
    r = client.post("/routing/status/", {"status": "away"})

    assert r.status_code == 302 and "/login/" in r["Location"]
    assert not AgentStatus.objects.filter(agent=alice_agent).exists()


def test_the_team_page_shows_members_with_status_dots(
    alice: Client, alice_agent: Agent, ivan: Agent, round_robin: Team
) -> None:
    set_status(actor=ivan, agent=ivan, status="busy")

    html = alice.get("/team/").content.decode()

    row = re.search(rf'<li data-agent="{ivan.pk}">.*?</li>', html, re.S)
    assert row is not None
    assert "status-busy" in row.group(0) and "Busy" in row.group(0)
    assert 'data-mode="round_robin"' in html


def test_the_team_page_hides_restricted_teams_from_outsiders(
    alice: Client, sam_security: Agent, security_team: Team
) -> None:
    html = alice.get("/team/").content.decode()

    assert f'data-team="{security_team.pk}"' not in html
    assert f'data-agent="{sam_security.pk}"' not in html


def test_a_collaborator_sees_only_their_own_teams(
    client: Client, dave_collaborator: Agent, support_team: Team, billing_team: Team
) -> None:
    client.force_login(dave_collaborator)

    html = client.get("/team/").content.decode()

    assert f'data-team="{support_team.pk}"' in html
    assert f'data-team="{billing_team.pk}"' not in html


def test_the_team_page_costs_the_same_for_many_agents(
    alice: Client, support_team: Team, django_assert_max_num_queries: Any
) -> None:
    for i in range(15):
        support_team.members.add(make_agent(f"agent{i}@zabota.test"))

    with django_assert_max_num_queries(12):
        assert alice.get("/team/").status_code == 200


def test_only_admins_open_the_routing_settings(alice: Client, support_team: Team, alice_agent: Agent) -> None:
    assert alice.get("/settings/routing/").status_code == 403
    assert (
        alice.post(f"/settings/routing/teams/{support_team.pk}/", {"mode": "round_robin"}).status_code == 403
    )
    assert (
        alice.post(
            f"/settings/routing/agents/{alice_agent.pk}/", {"status": "available", "capacity": 99}
        ).status_code
        == 403
    )
    assert not TeamRouting.objects.exists()
    assert not AgentStatus.objects.exists()


def test_an_admin_sets_a_teams_mode(lead: Client, support_team: Team) -> None:
    assert lead.get("/settings/routing/").status_code == 200

    r = lead.post(
        f"/settings/routing/teams/{support_team.pk}/",
        {"mode": "least_loaded", "match_language": "on", "area_source": "", "area_field": ""},
    )

    assert r.status_code == 302
    routing = TeamRouting.objects.get(team=support_team)
    assert (routing.mode, routing.match_language) == ("least_loaded", True)
    html = lead.get("/settings/routing/").content.decode()
    assert re.search(rf'<tr data-team="{support_team.pk}">.*?data-mode="least_loaded"', html, re.S)


def test_an_admin_sets_an_agents_capacity_and_skills(lead: Client, alice_agent: Agent) -> None:
    r = lead.post(
        f"/settings/routing/agents/{alice_agent.pk}/",
        {"status": "busy", "capacity": "4", "languages": "en, RU", "areas": "Billing; mobile app"},
    )

    assert r.status_code == 302
    row = AgentStatus.objects.get(agent=alice_agent)
    assert (row.status, row.capacity, row.languages, row.areas) == (
        "busy",
        4,
        ["en", "ru"],
        ["billing", "mobile app"],
    )


def test_a_bad_language_is_shown_on_the_form(lead: Client, alice_agent: Agent) -> None:
    r = lead.post(
        f"/settings/routing/agents/{alice_agent.pk}/",
        {"status": "available", "capacity": "", "languages": "english!", "areas": ""},
    )

    assert r.status_code == 200
    assert "not a language code" in r.content.decode()


def test_the_ticket_timeline_says_who_it_was_routed_to_and_why(
    alice: Client, round_robin: Team, crew: list[Agent], new_ticket: Any
) -> None:
    ticket = new_ticket()

    html = alice.get(f"/tickets/{ticket.number}/").content.decode()

    assert f"Routed to {crew[0]} (round-robin: next in turn)" in html
