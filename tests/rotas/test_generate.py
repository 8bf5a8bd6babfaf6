"""Generating a month in one click: fair, respects days off and seniority, keeps manual shifts
and the past when re-generated; members join the rota's team; only admins and the team lead."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, date, datetime

import pytest
import time_machine

from zabota.accounts.models import Agent, Team
from zabota.core.errors import PermissionDenied
from zabota.rotas.actions import add_day_off, add_member, add_shift, change_shift, generate_month
from zabota.rotas.models import Rota, Seniority, Shift, ShiftLog

FEB_END = datetime(2026, 2, 27, 12, tzinfo=UTC)


def month_counts(rota: Rota) -> Counter[int]:
    return Counter(Shift.objects.filter(rota=rota, date__month=3).values_list("agent_id", flat=True))


@time_machine.travel(FEB_END, tick=False)
def test_the_admin_generates_march_fairly(
    duty: Rota, admin: Agent, alice_agent: Agent, dave_collaborator: Agent
) -> None:
    warnings = generate_month(actor=admin, rota=duty, year=2026, month=3)

    got = month_counts(duty)
    assert warnings == []
    assert sum(got.values()) == 31
    assert abs(got[alice_agent.pk] - got[dave_collaborator.pk]) <= 1
    assert ShiftLog.objects.filter(rota=duty, kind="generated").count() == 1


@time_machine.travel(FEB_END, tick=False)
def test_days_off_are_respected(
    duty: Rota, admin: Agent, alice_agent: Agent, dave_collaborator: Agent
) -> None:
    add_day_off(actor=alice_agent, agent=alice_agent, start_date=date(2026, 3, 1), end_date=date(2026, 3, 10))

    generate_month(actor=admin, rota=duty, year=2026, month=3)

    first_ten = set(Shift.objects.filter(rota=duty, date__day__lte=10).values_list("agent_id", flat=True))
    assert first_ten == {dave_collaborator.pk}


@time_machine.travel(FEB_END, tick=False)
def test_two_juniors_are_never_on_support_together(
    duty: Rota, admin: Agent, alice_agent: Agent, dave_collaborator: Agent, jun: Agent, nora: Agent
) -> None:
    duty.people_per_shift = 2
    duty.save()
    add_member(actor=admin, rota=duty, agent=jun, seniority=Seniority.JUNIOR)
    add_member(actor=admin, rota=duty, agent=nora, seniority=Seniority.JUNIOR, technical=False)

    assert generate_month(actor=admin, rota=duty, year=2026, month=3) == []

    for day in {s.date for s in Shift.objects.filter(rota=duty)}:
        people = set(Shift.objects.filter(rota=duty, date=day).values_list("agent_id", flat=True))
        assert people != {jun.pk, nora.pk}
        assert len(people) == 2


def test_adding_someone_to_the_rota_puts_them_on_its_team(
    duty: Rota, admin: Agent, jun: Agent, support_team: Team
) -> None:
    assert not support_team.members.filter(pk=jun.pk).exists()

    add_member(actor=admin, rota=duty, agent=jun)

    assert support_team.members.filter(pk=jun.pk).exists()


def test_moving_the_rota_to_another_team_puts_its_people_on_that_team(
    duty: Rota, admin: Agent, dave_collaborator: Agent, security_team: Team
) -> None:
    from dataclasses import asdict

    from zabota.rotas.actions import RotaInput, save_rota

    fields = {f: getattr(duty, f) for f in asdict(RotaInput(name="", team_id=0)) if f != "team_id"}
    # The developers now cover the (restricted) Security team's tickets instead: the people on
    # shift must be able to see and be assigned them, as when they were added to the rota.
    save_rota(actor=admin, rota=duty, data=RotaInput(**fields, team_id=security_team.pk))

    assert security_team.members.filter(pk=dave_collaborator.pk).exists()


def test_regenerating_keeps_manual_shifts_and_the_past(
    duty: Rota, admin: Agent, alice_agent: Agent, dave_collaborator: Agent
) -> None:
    with time_machine.travel(FEB_END, tick=False):
        generate_month(actor=admin, rota=duty, year=2026, month=3)
        twentieth = Shift.objects.get(rota=duty, date=date(2026, 3, 20))
        other = dave_collaborator if twentieth.agent_id == alice_agent.pk else alice_agent
        change_shift(actor=admin, rota=duty, shift_id=twentieth.pk, agent=other)
    past = dict(Shift.objects.filter(rota=duty, date__lt=date(2026, 3, 10)).values_list("date", "agent_id"))

    with time_machine.travel(datetime(2026, 3, 10, 12, tzinfo=UTC), tick=False):
        generate_month(actor=admin, rota=duty, year=2026, month=3)

    assert (
        dict(Shift.objects.filter(rota=duty, date__lt=date(2026, 3, 10)).values_list("date", "agent_id"))
        == past
    )
    assert Shift.objects.get(rota=duty, date=date(2026, 3, 20)).agent_id == other.pk
    assert Shift.objects.filter(rota=duty, date__month=3).count() == 31


@time_machine.travel(FEB_END, tick=False)
def test_weekdays_only_rota(duty: Rota, admin: Agent) -> None:
    duty.weekdays_only = True
    duty.save()

    generate_month(actor=admin, rota=duty, year=2026, month=3)

    assert Shift.objects.filter(rota=duty).count() == 22
    assert all(d.weekday() < 5 for d in Shift.objects.values_list("date", flat=True))


@time_machine.travel(FEB_END, tick=False)
def test_only_admins_and_the_team_lead_generate(
    duty: Rota, alice_agent: Agent, dave_collaborator: Agent, support_team: Team
) -> None:
    for outsider in (alice_agent, dave_collaborator):
        with pytest.raises(PermissionDenied):
            generate_month(actor=outsider, rota=duty, year=2026, month=3)
    assert not Shift.objects.exists()

    support_team.lead = alice_agent
    support_team.save()
    duty.refresh_from_db()
    generate_month(actor=alice_agent, rota=duty, year=2026, month=3)
    assert Shift.objects.filter(rota=duty).count() == 31


def test_a_manual_shift_on_a_day_off_is_allowed_with_a_warning(
    duty: Rota, admin: Agent, alice_agent: Agent
) -> None:
    add_day_off(
        actor=admin,
        agent=alice_agent,
        start_date=date(2026, 3, 5),
        end_date=date(2026, 3, 5),
        reason="Dentist",
    )

    _, warnings = add_shift(actor=admin, rota=duty, day=date(2026, 3, 5), agent=alice_agent)

    assert warnings == ["Alice Agent has a day off on 2026-03-05."]
