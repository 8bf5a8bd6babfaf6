"""/settings/agents/ and /settings/teams/: what a team lead does with people."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from tests.support import fresh
from zabota.accounts.models import Agent, Role, Team


@pytest.fixture
def lead(client: Client, admin: Agent) -> Client:
    client.force_login(admin)
    return client


def test_list_shows_role_teams_and_state(lead: Client, alice_agent: Agent, dave_collaborator: Agent) -> None:
    html = lead.get("/settings/agents/").content.decode()
    row = re.search(rf'<tr data-agent="{alice_agent.pk}".*?</tr>', html, re.S)
    assert row is not None
    assert "alice@zabota.test" in row.group(0) and "Agent" in row.group(0) and "Support" in row.group(0)
    assert "Active" in row.group(0)
    assert f'data-agent="{dave_collaborator.pk}"' in html


def test_list_query_count_does_not_grow_with_agents(
    lead: Client, alice_agent: Agent, django_assert_max_num_queries: object
) -> None:
    from tests.support import make_agent

    for i in range(20):
        make_agent(f"agent{i}@zabota.test")
    with django_assert_max_num_queries(8):  # type: ignore[operator]
        assert lead.get("/settings/agents/").status_code == 200


def test_add_an_agent_with_a_generated_password_shown_once(
    lead: Client, support_team: Team, billing_team: Team
) -> None:
    response = lead.post(
        "/settings/agents/new/",
        {
            "email": "Newbie@Zabota.test",
            "name": "Nina New",
            "role": "agent",
            "teams": [support_team.pk, billing_team.pk],
        },
    )
    assert response.status_code == 200
    html = response.content.decode()
    password = re.search(r'<code id="temporary-password">([^<]+)</code>', html)
    assert password is not None
    nina = Agent.objects.get(email="newbie@zabota.test")
    assert nina.name == "Nina New" and nina.role == Role.AGENT and nina.is_active
    assert set(nina.teams.values_list("name", flat=True)) == {"Support", "Billing"}
    assert nina.check_password(password.group(1))
    assert password.group(1) not in nina.password
    # The new agent can sign in with it and lands on the inbox.
    assert (
        Client().post("/login/", {"username": "newbie@zabota.test", "password": password.group(1)})[
            "Location"
        ]
        == "/inbox/"
    )
    # Not shown again anywhere.
    assert password.group(1) not in lead.get("/settings/agents/").content.decode()
    assert password.group(1) not in lead.get(f"/settings/agents/{nina.pk}/").content.decode()


def test_add_an_agent_with_a_chosen_password(lead: Client) -> None:
    response = lead.post(
        "/settings/agents/new/",
        {
            "email": "dev@zabota.test",
            "role": "collaborator",
            "can_reply_publicly": "on",
            "password": "a long enough one",
        },
    )
    assert 'id="temporary-password"' not in response.content.decode()
    dev = Agent.objects.get(email="dev@zabota.test")
    assert dev.role == Role.COLLABORATOR and dev.can_reply_publicly
    assert dev.check_password("a long enough one")


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"email": "alice@zabota.test", "role": "agent"}, "email"),
        ({"email": "not-an-email", "role": "agent"}, "email"),
        ({"email": "x@zabota.test", "role": "emperor"}, "role"),
        ({"email": "x@zabota.test", "role": "agent", "password": "12345678901"}, "password"),
        ({"email": "x@zabota.test", "role": "agent", "teams": ["9999"]}, "teams"),
    ],
)
def test_bad_new_agent_shows_errors_and_saves_nothing(
    lead: Client, alice_agent: Agent, data: dict[str, object], field: str
) -> None:
    before = Agent.objects.count()
    response = lead.post("/settings/agents/new/", data)
    assert response.status_code == 200
    assert f'id="{field}-errors"' in response.content.decode()
    assert Agent.objects.count() == before


def test_edit_role_name_and_teams(lead: Client, alice_agent: Agent, billing_team: Team) -> None:
    response = lead.post(
        f"/settings/agents/{alice_agent.pk}/",
        {"name": "Alice Lead", "role": "admin", "teams": [billing_team.pk]},
    )
    assert response["Location"] == "/settings/agents/"
    alice = fresh(alice_agent)
    assert alice.name == "Alice Lead" and alice.role == Role.ADMIN
    assert list(alice.teams.values_list("name", flat=True)) == ["Billing"]


def test_deactivate_signs_the_agent_out_and_reactivate(lead: Client, alice_agent: Agent) -> None:
    alice_client = Client()
    alice_client.force_login(alice_agent)
    assert alice_client.get("/me/").status_code == 200
    response = lead.post(f"/settings/agents/{alice_agent.pk}/active/", {"active": "0"})
    assert response["Location"] == "/settings/agents/"
    assert not fresh(alice_agent).is_active
    assert alice_client.get("/me/").status_code == 302
    assert "Deactivated" in lead.get("/settings/agents/").content.decode()
    lead.post(f"/settings/agents/{alice_agent.pk}/active/", {"active": "1"})
    assert fresh(alice_agent).is_active


def test_the_last_active_admin_cannot_demote_or_deactivate_themselves(lead: Client, admin: Agent) -> None:
    response = lead.post(f"/settings/agents/{admin.pk}/", {"name": "Ada", "role": "agent"})
    assert response.status_code == 200
    assert 'id="role-errors"' in response.content.decode()
    assert "last active admin" in response.content.decode()
    assert fresh(admin).role == Role.ADMIN
    page = lead.post(f"/settings/agents/{admin.pk}/active/", {"active": "0"}, follow=True)
    assert "last active admin" in page.content.decode()
    assert fresh(admin).is_active


def test_with_a_second_admin_an_admin_may_step_down(lead: Client, admin: Agent) -> None:
    from tests.support import make_agent

    make_agent("second@zabota.test", Role.ADMIN)
    lead.post(f"/settings/agents/{admin.pk}/", {"name": "Ada", "role": "agent"})
    assert fresh(admin).role == Role.AGENT
    # And is no longer allowed in.
    assert lead.get("/settings/").status_code == 403


def test_reset_password_shows_it_once_and_ends_their_sessions(lead: Client, alice_agent: Agent) -> None:
    alice_client = Client()
    alice_client.force_login(alice_agent)
    response = lead.post(f"/settings/agents/{alice_agent.pk}/password/", {})
    password = re.search(r'<code id="temporary-password">([^<]+)</code>', response.content.decode())
    assert password is not None
    assert fresh(alice_agent).check_password(password.group(1))
    assert alice_client.get("/me/").status_code == 302
    bad = lead.post(f"/settings/agents/{alice_agent.pk}/password/", {"password": "123"})
    assert 'id="password-errors"' in bad.content.decode()


# --- Teams ---------------------------------------------------------------------------------


def test_create_a_team_with_members(lead: Client, alice_agent: Agent, bob_other_team: Agent) -> None:
    response = lead.post(
        "/settings/teams/",
        {
            "new-name": "Escalations",
            "new-restricted": "on",
            "new-members": [alice_agent.pk, bob_other_team.pk],
        },
    )
    assert response["Location"] == "/settings/teams/"
    team = Team.objects.get(name="Escalations")
    assert team.restricted
    assert set(team.members.all()) == {alice_agent, bob_other_team}
    html = lead.get("/settings/teams/").content.decode()
    assert "Escalations" in html and "2 members" in html and "Restricted" in html


def test_rename_unrestrict_and_change_members(lead: Client, alice_agent: Agent, security_team: Team) -> None:
    response = lead.post(
        f"/settings/teams/{security_team.pk}/", {"name": "Trust & Safety", "members": [alice_agent.pk]}
    )
    assert response["Location"] == "/settings/teams/"
    security_team.refresh_from_db()
    assert security_team.name == "Trust & Safety" and not security_team.restricted
    assert list(security_team.members.all()) == [alice_agent]


def test_duplicate_or_empty_team_name_is_refused(
    lead: Client, support_team: Team, billing_team: Team
) -> None:
    response = lead.post("/settings/teams/", {"new-name": "support"})
    assert 'id="new-name-errors"' in response.content.decode()
    assert Team.objects.filter(name__iexact="support").count() == 1
    response = lead.post(f"/settings/teams/{billing_team.pk}/", {"name": "Support"})
    assert 'id="name-errors"' in response.content.decode()
    billing_team.refresh_from_db()
    assert billing_team.name == "Billing"
    response = lead.post("/settings/teams/", {"new-name": "   "})
    assert response.status_code == 200
    assert Team.objects.count() == 2
