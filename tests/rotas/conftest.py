"""The rotas cast: Support's "Developers on duty" rota with alice (senior, technical), dave the
developer (senior, technical), and two newcomers: jun (junior, technical) and nora (senior,
not technical). Everything through the actions."""

from __future__ import annotations

from datetime import time

import pytest

from tests.support import make_agent
from zabota.accounts.models import Agent, Team
from zabota.rotas.actions import RotaInput, add_member, save_rota
from zabota.rotas.models import Pattern, Rota


@pytest.fixture
def jun(db: None) -> Agent:
    return make_agent("jun@zabota.test", name="Jun Junior")


@pytest.fixture
def nora(db: None) -> Agent:
    return make_agent("nora@zabota.test", name="Nora Nontech")


@pytest.fixture
def duty(admin: Agent, support_team: Team, alice_agent: Agent, dave_collaborator: Agent) -> Rota:
    """One person a day, 09:00-18:00 Moscow time, alice and dave on it."""
    rota = save_rota(
        actor=admin,
        data=RotaInput(
            name="Developers on duty",
            team_id=support_team.pk,
            timezone="Europe/Moscow",
            shift_start=time(9),
            shift_end=time(18),
            pattern=Pattern.ONE_PER_DAY,
        ),
    )
    add_member(actor=admin, rota=rota, agent=alice_agent)
    add_member(actor=admin, rota=rota, agent=dave_collaborator)
    return rota
