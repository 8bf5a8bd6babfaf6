"""Rota demo data: "Developers on duty" for team Support, generated for the current month.

Every active member of Support (in the demo: Alice Agent and Dave Developer) takes shifts, one
person a whole day (00:00-24:00 Europe/Moscow, every day), with a target of 2 days a year. The
team lead or the first admin is the actor of record. Safe to run again: the rota is found by
name and the month is re-generated (generated shifts from today on are replaced).

Note for the demo: a team with an active rota receives routed tickets only for the people on
shift (``zabota.routing``), so Support's tickets go to the person on duty today.
"""

from __future__ import annotations

from datetime import time
from typing import Any

from zabota.accounts.models import Agent, Role, Team
from zabota.core import clock
from zabota.rotas.actions import RotaInput, add_member, generate_month, save_rota
from zabota.rotas.models import Pattern, Rota, Seniority

NAME = "Developers on duty"


def seed_demo() -> dict[str, Any]:
    """Create (or refresh) the demo rota and plan this month; a summary for the demo command."""
    team = Team.objects.filter(name="Support").first()
    actor = Agent.objects.filter(role=Role.ADMIN, is_active=True).order_by("pk").first()
    if team is None or actor is None:
        return {"rota": None, "reason": "no team Support or no admin"}
    data = RotaInput(
        name=NAME,
        team_id=team.pk,
        timezone="Europe/Moscow",
        shift_start=time(0),
        shift_end=time(0),
        pattern=Pattern.ONE_PER_DAY,
        people_per_shift=1,
        yearly_target_days=2,
    )
    rota = save_rota(actor=actor, data=data, rota=Rota.objects.filter(name=NAME, team=team).first())
    people = list(team.members.filter(is_active=True).order_by("pk"))
    for person in people:
        add_member(actor=actor, rota=rota, agent=person, seniority=Seniority.SENIOR, technical=True)
    today = clock.now().astimezone(rota.tz).date()
    warnings = generate_month(actor=actor, rota=rota, year=today.year, month=today.month) if people else []
    return {"rota": rota.pk, "members": len(people), "warnings": warnings}
