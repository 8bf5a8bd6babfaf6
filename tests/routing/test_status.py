"""Setting a status: agents change their own (collaborators on duty too), admins anyone's."""

from __future__ import annotations

import pytest

from zabota.accounts.models import Agent, Team
from zabota.core.errors import PermissionDenied, ValidationFailed
from zabota.routing.actions import save_agent_routing, save_team_routing, set_status
from zabota.routing.choices import Availability, RoutingMode
from zabota.routing.models import AgentStatus
from zabota.routing.queries import state_of


def test_an_agent_cannot_change_another_agents_status(alice_agent: Agent, bob_other_team: Agent) -> None:
    with pytest.raises(PermissionDenied):
        set_status(actor=alice_agent, agent=bob_other_team, status=Availability.AWAY)

    assert state_of(bob_other_team.pk).status == Availability.AVAILABLE


def test_a_collaborator_on_duty_sets_their_own_status(dave_collaborator: Agent) -> None:
    set_status(actor=dave_collaborator, agent=dave_collaborator, status=Availability.BUSY)

    assert state_of(dave_collaborator.pk).status == Availability.BUSY


def test_an_admin_sets_anyones_status(admin: Agent, alice_agent: Agent) -> None:
    set_status(actor=admin, agent=alice_agent, status=Availability.AWAY)

    row = AgentStatus.objects.get(agent=alice_agent)
    assert row.status == Availability.AWAY and row.changed_at is not None


def test_an_unknown_status_is_refused(alice_agent: Agent) -> None:
    with pytest.raises(ValidationFailed):
        set_status(actor=alice_agent, agent=alice_agent, status="asleep")


def test_only_admins_change_capacity_skills_and_team_routing(
    alice_agent: Agent, dave_collaborator: Agent, support_team: Team
) -> None:
    with pytest.raises(PermissionDenied):
        save_agent_routing(actor=alice_agent, agent=alice_agent, capacity=100, languages=[], areas=[])
    with pytest.raises(PermissionDenied):
        save_team_routing(actor=dave_collaborator, team=support_team, mode=RoutingMode.ROUND_ROBIN)
