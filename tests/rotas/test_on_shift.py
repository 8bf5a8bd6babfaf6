"""Who is on shift now, for routing: a night rota in Moscow crossing midnight; a team without a
rota is not restricted; shifts that just ended."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import time_machine

from zabota.accounts.models import Agent, Team
from zabota.core import clock
from zabota.rotas.actions import RotaInput, add_member, add_shift, save_rota
from zabota.rotas.queries import on_shift_agent_ids, shifts_ending

MSK = ZoneInfo("Europe/Moscow")


def test_a_team_without_a_rota_is_not_restricted(support_team: Team, billing_team: Team) -> None:
    assert on_shift_agent_ids(team_id=billing_team.pk, at=clock.now()) is None


def test_the_night_shift_runs_across_midnight_in_the_rotas_time_zone(
    admin: Agent, support_team: Team, alice_agent: Agent, dave_collaborator: Agent
) -> None:
    night = save_rota(
        actor=admin,
        data=RotaInput(
            name="Night",
            team_id=support_team.pk,
            timezone="Europe/Moscow",
            shift_start=time(22),
            shift_end=time(6),
        ),
    )
    add_member(actor=admin, rota=night, agent=alice_agent)
    add_member(actor=admin, rota=night, agent=dave_collaborator)
    monday = date(2026, 3, 2)
    add_shift(actor=admin, rota=night, day=monday, agent=alice_agent)
    add_shift(actor=admin, rota=night, day=monday + timedelta(days=1), agent=dave_collaborator)

    def on(hour: int, day: date) -> set[int] | None:
        moment = datetime.combine(day, time(hour), tzinfo=MSK)
        with time_machine.travel(moment, tick=False):
            return on_shift_agent_ids(team_id=support_team.pk, at=clock.now())

    assert on(21, monday) == set()  # before the shift: a rota, nobody on
    assert on(23, monday) == {alice_agent.pk}
    # 02:00 Moscow on Tuesday is still 23:00 UTC on Monday: Monday's shift, by the rota's clock.
    assert on(2, monday + timedelta(days=1)) == {alice_agent.pk}
    assert on(7, monday + timedelta(days=1)) == set()
    assert on(23, monday + timedelta(days=1)) == {dave_collaborator.pk}


def test_shifts_ending_finds_the_shift_that_just_ended(
    duty: object, admin: Agent, alice_agent: Agent, support_team: Team
) -> None:
    from zabota.rotas.models import Rota

    rota = Rota.objects.get()
    day = date(2026, 3, 2)
    add_shift(actor=admin, rota=rota, day=day, agent=alice_agent)
    end = datetime.combine(day, time(18), tzinfo=MSK)  # 15:00 UTC

    ended = shifts_ending(end - timedelta(minutes=1), end)
    assert [(e.agent_id, e.team_id, e.ended_at) for e in ended] == [(alice_agent.pk, support_team.pk, end)]
    assert ended[0].ended_at.astimezone(UTC).hour == 15
    assert shifts_ending(end, end + timedelta(minutes=1)) == []
