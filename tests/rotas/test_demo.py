"""The demo rota: Support's developers on duty, this month planned; running it twice is safe."""

from __future__ import annotations

import time_machine

from zabota.accounts.models import Agent
from zabota.rotas.demo import seed_demo
from zabota.rotas.models import Rota, Shift


@time_machine.travel("2026-03-01 12:00Z", tick=False)
def test_the_demo_plans_this_month_for_support(
    admin: Agent, alice_agent: Agent, dave_collaborator: Agent
) -> None:
    first = seed_demo()
    again = seed_demo()

    rota = Rota.objects.get()
    assert first["rota"] == again["rota"] == rota.pk and rota.team.name == "Support"
    assert Shift.objects.filter(rota=rota).count() == 31
    assert set(Shift.objects.values_list("agent_id", flat=True)) == {alice_agent.pk, dave_collaborator.pk}
