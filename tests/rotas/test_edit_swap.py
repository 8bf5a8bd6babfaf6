"""Editing the schedule by hand and swapping shifts: who may, what both people see, and the
warnings when a swap breaks a rule."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
import time_machine

from tests.support import make_agent
from zabota.accounts.models import Agent
from zabota.channels.email.models import OutboundEmail
from zabota.core.errors import PermissionDenied, ValidationFailed
from zabota.rotas.actions import add_day_off, add_member, add_shift, change_shift, remove_shift, swap_shifts
from zabota.rotas.models import Rota, Seniority, Shift, ShiftLog

MON, TUE = date(2026, 3, 2), date(2026, 3, 3)
FEB_END = datetime(2026, 2, 27, 12, tzinfo=UTC)


@pytest.fixture
def week(duty: Rota, admin: Agent, alice_agent: Agent, dave_collaborator: Agent) -> tuple[Shift, Shift]:
    alice_shift, _ = add_shift(actor=admin, rota=duty, day=MON, agent=alice_agent)
    dave_shift, _ = add_shift(actor=admin, rota=duty, day=TUE, agent=dave_collaborator)
    return alice_shift, dave_shift


def test_the_admin_gives_a_shift_to_someone_else(
    duty: Rota, week: tuple[Shift, Shift], admin: Agent, jun: Agent
) -> None:
    add_member(actor=admin, rota=duty, agent=jun)

    shift, warnings = change_shift(actor=admin, rota=duty, shift_id=week[0].pk, agent=jun)

    assert (shift.agent_id, shift.is_generated, warnings) == (jun.pk, False, [])
    log = ShiftLog.objects.filter(kind="changed").get()
    assert (log.agent_id, log.other_agent_id) == (jun.pk, week[0].agent_id)


def test_only_members_get_shifts_and_nobody_twice_a_day(
    duty: Rota, week: tuple[Shift, Shift], admin: Agent, jun: Agent, alice_agent: Agent
) -> None:
    with pytest.raises(ValidationFailed):
        add_shift(actor=admin, rota=duty, day=MON, agent=jun)
    with pytest.raises(ValidationFailed):
        add_shift(actor=admin, rota=duty, day=MON, agent=alice_agent)


def test_removing_a_shift(duty: Rota, week: tuple[Shift, Shift], admin: Agent) -> None:
    remove_shift(actor=admin, rota=duty, shift_id=week[0].pk)

    assert not Shift.objects.filter(pk=week[0].pk).exists()
    assert ShiftLog.objects.filter(kind="removed").count() == 1


def test_an_agent_may_not_edit_the_rota(
    duty: Rota, week: tuple[Shift, Shift], alice_agent: Agent, jun: Agent
) -> None:
    with pytest.raises(PermissionDenied):
        remove_shift(actor=alice_agent, rota=duty, shift_id=week[1].pk)
    with pytest.raises(PermissionDenied):
        add_shift(actor=alice_agent, rota=duty, day=MON, agent=alice_agent)
    with pytest.raises(PermissionDenied):
        add_member(actor=alice_agent, rota=duty, agent=jun)


@time_machine.travel(FEB_END, tick=False)
def test_alice_swaps_her_monday_for_daves_tuesday_and_both_see_it(
    duty: Rota, week: tuple[Shift, Shift], alice_agent: Agent, dave_collaborator: Agent
) -> None:
    warnings = swap_shifts(actor=alice_agent, rota=duty, shift_id=week[0].pk, other_shift_id=week[1].pk)

    assert warnings == []
    monday, tuesday = Shift.objects.get(date=MON), Shift.objects.get(date=TUE)
    assert (monday.agent_id, monday.swapped_from_id) == (dave_collaborator.pk, alice_agent.pk)
    assert (tuesday.agent_id, tuesday.swapped_from_id) == (alice_agent.pk, dave_collaborator.pk)
    # Dave is told by email (alice did it herself, so she isn't).
    mails = list(OutboundEmail.objects.all())
    assert [m.to for m in mails] == [[dave_collaborator.email]]
    assert "swapped" in mails[0].subject
    assert "Alice Agent" in mails[0].body_text


def test_a_swap_onto_a_day_off_is_made_with_a_warning(
    duty: Rota, week: tuple[Shift, Shift], admin: Agent, dave_collaborator: Agent
) -> None:
    add_day_off(actor=dave_collaborator, agent=dave_collaborator, start_date=MON, end_date=MON)

    warnings = swap_shifts(actor=admin, rota=duty, shift_id=week[0].pk, other_shift_id=week[1].pk)

    assert warnings == ["Dave Developer has a day off on 2026-03-02."]
    assert ShiftLog.objects.get(kind="swapped").warnings == warnings
    assert OutboundEmail.objects.count() == 2  # the admin swapped: both people are told


def test_a_swap_that_puts_two_juniors_together_warns(
    duty: Rota, admin: Agent, alice_agent: Agent, jun: Agent, nora: Agent
) -> None:
    add_member(actor=admin, rota=duty, agent=jun, seniority=Seniority.JUNIOR)
    add_member(actor=admin, rota=duty, agent=nora, seniority=Seniority.JUNIOR)
    add_shift(actor=admin, rota=duty, day=MON, agent=jun)
    alice_monday, _ = add_shift(actor=admin, rota=duty, day=MON, agent=alice_agent)
    nora_tuesday, _ = add_shift(actor=admin, rota=duty, day=TUE, agent=nora)

    warnings = swap_shifts(actor=admin, rota=duty, shift_id=alice_monday.pk, other_shift_id=nora_tuesday.pk)

    assert warnings == ["Two juniors are on support together."]


def test_nobody_swaps_other_peoples_shifts(
    duty: Rota, week: tuple[Shift, Shift], admin: Agent, jun: Agent
) -> None:
    add_member(actor=admin, rota=duty, agent=jun)
    with pytest.raises(PermissionDenied):
        swap_shifts(actor=jun, rota=duty, shift_id=week[0].pk, other_shift_id=week[1].pk)
    outsider = make_agent("olga@zabota.test", name="Olga")
    with pytest.raises(PermissionDenied):
        swap_shifts(actor=outsider, rota=duty, shift_id=week[0].pk, other_shift_id=week[1].pk)
    assert Shift.objects.get(date=MON).swapped_from_id is None


def test_days_off_are_ones_own_unless_admin(alice_agent: Agent, dave_collaborator: Agent) -> None:
    with pytest.raises(PermissionDenied):
        add_day_off(actor=alice_agent, agent=dave_collaborator, start_date=MON, end_date=MON)
    with pytest.raises(ValidationFailed):
        add_day_off(actor=alice_agent, agent=alice_agent, start_date=TUE, end_date=MON)


def test_two_shifts_of_the_same_day_cannot_be_swapped(
    duty: Rota, admin: Agent, alice_agent: Agent, dave_collaborator: Agent
) -> None:
    first, _ = add_shift(actor=admin, rota=duty, day=MON, agent=alice_agent)
    second, _ = add_shift(actor=admin, rota=duty, day=MON, agent=dave_collaborator)

    with pytest.raises(ValidationFailed):
        swap_shifts(actor=admin, rota=duty, shift_id=first.pk, other_shift_id=second.pk)


def test_a_day_on_support_that_is_over_is_not_swapped_away_by_its_people(
    duty: Rota, week: tuple[Shift, Shift], admin: Agent, alice_agent: Agent, dave_collaborator: Agent
) -> None:
    # Tuesday evening: Alice's Monday is done. Swapping it for Dave's Tuesday would give her
    # Dave's day on the tracker and Dave a day he can no longer do.
    with time_machine.travel(datetime(2026, 3, 3, 16, tzinfo=UTC), tick=False):
        with pytest.raises(ValidationFailed):
            swap_shifts(actor=alice_agent, rota=duty, shift_id=week[0].pk, other_shift_id=week[1].pk)
        with pytest.raises(ValidationFailed):
            swap_shifts(actor=dave_collaborator, rota=duty, shift_id=week[1].pk, other_shift_id=week[0].pk)
        assert Shift.objects.get(date=MON).agent_id == alice_agent.pk

        # The admin may still put the record straight.
        swap_shifts(actor=admin, rota=duty, shift_id=week[0].pk, other_shift_id=week[1].pk)
    assert Shift.objects.get(date=MON).agent_id == dave_collaborator.pk
