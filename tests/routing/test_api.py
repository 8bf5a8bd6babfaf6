"""The routing API: my status, agents' capacity and skills, teams' routing — who may do what."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tests.support import Api
from zabota.accounts.models import Agent, Team
from zabota.routing.models import AgentStatus, TeamRouting
from zabota.tickets.models import Ticket


def test_an_agent_reads_and_sets_their_own_status(alice_api: Api, alice_agent: Agent) -> None:
    r = alice_api.get("/me/status")
    assert r.status_code == 200
    assert r.json()["status"] == "available"
    assert r.json()["capacity"] is None

    r = alice_api.put("/me/status", {"status": "busy"})

    assert r.status_code == 200, r.content
    assert r.json()["status"] == "busy"
    assert AgentStatus.objects.get(agent=alice_agent).status == "busy"


def test_an_unknown_status_is_refused(alice_api: Api) -> None:
    r = alice_api.put("/me/status", {"status": "asleep"})

    assert r.status_code == 422
    assert r.json()["error"]["code"] == "invalid"


def test_a_read_only_token_cannot_change_status(read_only_api: Api) -> None:
    assert read_only_api.put("/me/status", {"status": "away"}).status_code == 403


def test_anonymous_requests_are_refused(anonymous_api: Api) -> None:
    assert anonymous_api.get("/me/status").status_code == 401
    assert anonymous_api.get("/routing/agents").status_code == 401


def test_an_agent_cannot_change_another_agents_status_or_skills(
    alice_api: Api, bob_other_team: Agent, alice_agent: Agent
) -> None:
    r = alice_api.put(f"/routing/agents/{bob_other_team.pk}", {"status": "away", "capacity": 1})

    assert r.status_code == 403
    assert not AgentStatus.objects.filter(agent=bob_other_team).exists()


def test_a_collaborator_cannot_change_routing_settings(dave_api: Api, support_team: Team) -> None:
    r = dave_api.put(f"/routing/teams/{support_team.pk}", {"mode": "round_robin"})

    assert r.status_code == 403
    assert not TeamRouting.objects.filter(team=support_team).exists()


def test_an_admin_sets_capacity_skills_and_status(admin_api: Api, alice_agent: Agent) -> None:
    r = admin_api.put(
        f"/routing/agents/{alice_agent.pk}",
        {"capacity": 5, "languages": ["RU", "en", "ru"], "areas": ["Billing"], "status": "away"},
    )

    assert r.status_code == 200, r.content
    body = r.json()
    assert (body["capacity"], body["languages"], body["areas"], body["status"]) == (
        5,
        ["ru", "en"],
        ["billing"],
        "away",
    )
    listed = {row["agent_id"]: row for row in admin_api.get("/routing/agents").json()}
    assert listed[alice_agent.pk]["status"] == "away"


def test_a_bad_language_code_is_refused(admin_api: Api, alice_agent: Agent) -> None:
    r = admin_api.put(f"/routing/agents/{alice_agent.pk}", {"languages": ["русский"]})

    assert r.status_code == 422
    assert r.json()["error"]["fields"] == {"languages": "invalid"}


def test_an_admin_sets_a_teams_routing_and_it_takes_effect(
    admin_api: Api, alice_api: Api, support_team: Team, alice_agent: Agent, new_ticket: Callable[..., Ticket]
) -> None:
    r = admin_api.put(f"/routing/teams/{support_team.pk}", {"mode": "least_loaded"})

    assert r.status_code == 200, r.content
    assert r.json()["mode"] == "least_loaded"
    teams = {row["team_id"]: row for row in alice_api.get("/routing/teams").json()}
    assert teams[support_team.pk]["mode"] == "least_loaded"
    assert new_ticket().assignee_id == alice_agent.pk


def test_unknown_ids_are_404(admin_api: Api) -> None:
    assert admin_api.put("/routing/teams/999999", {"mode": "manual"}).status_code == 404
    assert admin_api.put("/routing/agents/999999", {"capacity": 1}).status_code == 404


def test_the_agent_list_costs_the_same_for_many_agents(
    alice_api: Api, crew: list[Agent], django_assert_max_num_queries: Any
) -> None:
    with django_assert_max_num_queries(8):
        r = alice_api.get("/routing/agents")
    assert len(r.json()) >= 3


def test_fields_left_out_keep_their_values(admin_api: Api, alice_agent: Agent) -> None:
    admin_api.put(f"/routing/agents/{alice_agent.pk}", {"capacity": 3, "languages": ["ru"]})

    r = admin_api.put(f"/routing/agents/{alice_agent.pk}", {"status": "busy"})

    assert (r.json()["capacity"], r.json()["languages"], r.json()["status"]) == (3, ["ru"], "busy")


def test_an_agent_may_set_their_own_status_on_their_row_but_not_their_capacity(
    alice_api: Api, alice_agent: Agent
) -> None:
    assert alice_api.put(f"/routing/agents/{alice_agent.pk}", {"status": "away"}).status_code == 200
    assert alice_api.put(f"/routing/agents/{alice_agent.pk}", {"capacity": 100}).status_code == 403


def test_the_teams_list_shows_only_the_teams_one_may_see_as_the_team_page_does(
    admin_api: Api, bob_api: Api, dave_api: Api, support_team: Team, billing_team: Team, security_team: Team
) -> None:
    def names(api: Api) -> set[str]:
        return {row["team"] for row in api.get("/routing/teams").json()}

    assert names(admin_api) == {support_team.name, billing_team.name, security_team.name}
    # Bob works in Billing (and is not on the restricted Security team).
    assert names(bob_api) == {support_team.name, billing_team.name}
    # Dave is a developer on Support's duty: his own team only.
    assert names(dave_api) == {support_team.name}
