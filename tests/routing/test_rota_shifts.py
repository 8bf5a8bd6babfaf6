"""Routing with a real rota (the rotas context): Support's support duty is 09:00-18:00 UTC, one
person a day; only the person on shift receives Support's tickets, and their unanswered tickets go
back to the queue when the shift ends."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, time
from typing import Any

import pytest
import time_machine

from zabota.accounts.models import Agent, Team
from zabota.rotas.actions import RotaInput, add_member, add_shift, save_rota
from zabota.rotas.models import Rota
from zabota.routing.actions import sync_shifts
from zabota.routing.models import TeamRouting
from zabota.tickets.models import Activity, Ticket

MONDAY = date(2026, 3, 2)


def at(hour: int, minute: int = 0) -> datetime:
    return datetime.combine(MONDAY, time(hour, minute), tzinfo=UTC)


@pytest.fixture
def duty(admin: Agent, round_robin: Team, crew: list[Agent]) -> Rota:
    """Support's rota; the second of the crew is on duty on Monday."""
    rota = save_rota(
        actor=admin,
        data=RotaInput(name="Support duty", team_id=round_robin.pk, shift_start=time(9), shift_end=time(18)),
    )
    for agent in crew:
        add_member(actor=admin, rota=rota, agent=agent)
    add_shift(actor=admin, rota=rota, day=MONDAY, agent=crew[1])
    return rota


def test_only_the_person_on_duty_receives_the_teams_tickets(
    duty: Rota, crew: list[Agent], new_ticket: Callable[..., Ticket]
) -> None:
    with time_machine.travel(at(10), tick=False):
        got = {new_ticket().assignee_id for _ in range(3)}
    with time_machine.travel(at(19), tick=False):
        after_hours = new_ticket()

    assert got == {crew[1].pk}
    assert after_hours.assignee_id is None


def test_the_end_of_duty_hands_back_unanswered_tickets(
    duty: Rota, crew: list[Agent], new_ticket: Callable[..., Ticket], delivered: Callable[[], Any]
) -> None:
    with time_machine.travel(at(17, 30), tick=False):
        sync_shifts()
        ticket = new_ticket()
    assert ticket.assignee_id == crew[1].pk

    with (
        time_machine.travel(
            at(
                18,
                0,
            ),
            tick=False,
        ),
        delivered(),
    ):
        done = sync_shifts()

    assert done["handed_back"] == [ticket.pk]
    now = Ticket.objects.get(pk=ticket.pk)
    assert now.assignee_id is None  # nobody is on duty after 18:00
    assert Activity.objects.filter(ticket=ticket, verb="returned_to_queue").exists()


def test_the_shift_job_writes_nothing_when_nothing_changed(
    round_robin: Team, billing_team: Team, security_team: Team, django_assert_max_num_queries: Any
) -> None:
    """Every minute, for every team: one read of the stored sets, then the rota's answer only."""
    with django_assert_max_num_queries(6):
        assert sync_shifts() == {"handed_back": [], "routed": []}
    assert list(TeamRouting.objects.values_list("on_shift", flat=True)) == [None]
