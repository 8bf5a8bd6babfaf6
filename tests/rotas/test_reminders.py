"""The email the day before a shift: sent once, from 10:00 in the rota's time zone, in the
person's language; a new person after a change is reminded too."""

from __future__ import annotations

from datetime import date, datetime, time
from zoneinfo import ZoneInfo

import time_machine

from zabota.accounts.actions import update_preferences
from zabota.accounts.models import Agent
from zabota.channels.email.models import OutboundEmail
from zabota.core import clock
from zabota.rotas.actions import add_shift, change_shift
from zabota.rotas.models import Rota, Shift
from zabota.rotas.reminders import send_reminders

MSK = ZoneInfo("Europe/Moscow")
TUESDAY = date(2026, 3, 3)


def at(day: int, hour: int) -> datetime:
    return datetime.combine(date(2026, 3, day), time(hour), tzinfo=MSK)


def run(moment: datetime) -> int:
    with time_machine.travel(moment, tick=False):
        return send_reminders(clock.now())


def test_the_reminder_goes_once_the_day_before(duty: Rota, admin: Agent, alice_agent: Agent) -> None:
    add_shift(actor=admin, rota=duty, day=TUESDAY, agent=alice_agent)

    assert run(at(2, 9)) == 0  # Monday 09:00 Moscow: too early
    assert run(at(2, 10)) == 1
    assert run(at(2, 11)) == 0  # once
    assert run(at(3, 10)) == 0

    mail = OutboundEmail.objects.get()
    assert mail.to == [alice_agent.email]
    assert mail.subject == "Tomorrow you are on support: Developers on duty, 3 March"
    assert "09:00 to 18:00 (Europe/Moscow)" in mail.body_text
    assert Shift.objects.get().reminded_at is not None


def test_a_russian_speaker_gets_it_in_russian(duty: Rota, admin: Agent, dave_collaborator: Agent) -> None:
    update_preferences(actor=dave_collaborator, locale="ru", timezone="Europe/Moscow", email_digest=False)
    add_shift(actor=admin, rota=duty, day=TUESDAY, agent=dave_collaborator)

    run(at(2, 12))

    mail = OutboundEmail.objects.get()
    assert "марта" in mail.subject
    assert "вторник" in mail.body_text.lower()


def test_the_new_person_is_reminded_after_a_change(
    duty: Rota, admin: Agent, alice_agent: Agent, dave_collaborator: Agent
) -> None:
    shift, _ = add_shift(actor=admin, rota=duty, day=TUESDAY, agent=alice_agent)
    run(at(2, 10))
    with time_machine.travel(at(2, 13), tick=False):
        change_shift(actor=admin, rota=duty, shift_id=shift.pk, agent=dave_collaborator)

    assert run(at(2, 14)) == 1

    assert sorted(m.to[0] for m in OutboundEmail.objects.all()) == [
        alice_agent.email,
        dave_collaborator.email,
    ]


def test_paused_rotas_and_deactivated_people_get_no_reminder(
    duty: Rota, admin: Agent, alice_agent: Agent
) -> None:
    add_shift(actor=admin, rota=duty, day=TUESDAY, agent=alice_agent)
    Rota.objects.filter(pk=duty.pk).update(is_active=False)

    assert run(at(2, 10)) == 0


def test_a_stretch_of_days_on_support_is_reminded_once_before_it_starts(
    duty: Rota, admin: Agent, alice_agent: Agent, dave_collaborator: Agent
) -> None:
    # Alice is on support Tuesday to Thursday (a team-per-period rota writes a row a day).
    for day in (3, 4, 5):
        add_shift(actor=admin, rota=duty, day=date(2026, 3, day), agent=alice_agent)
    add_shift(actor=admin, rota=duty, day=date(2026, 3, 4), agent=dave_collaborator)

    assert run(at(2, 10)) == 1  # Monday: "tomorrow you are on support"
    assert run(at(3, 10)) == 1  # Tuesday: only Dave, who starts on Wednesday
    assert run(at(4, 10)) == 0  # Wednesday: Alice is on support already
    assert sorted(m.to[0] for m in OutboundEmail.objects.all()) == sorted(
        [alice_agent.email, dave_collaborator.email]
    )


def test_planning_the_month_again_does_not_remind_the_same_person_twice(duty: Rota, admin: Agent) -> None:
    from zabota.rotas.actions import generate_month

    with time_machine.travel(at(1, 11), tick=False):  # Sunday 1 March, 11:00 in Moscow
        generate_month(actor=admin, rota=duty, year=2026, month=3)
    assert run(at(1, 11)) == 1  # tomorrow's person
    monday = Shift.objects.get(date=date(2026, 3, 2))

    # The lead plans the month once more that afternoon; Monday's person stays the same.
    with time_machine.travel(at(1, 15), tick=False):
        generate_month(actor=admin, rota=duty, year=2026, month=3)
    assert Shift.objects.get(date=date(2026, 3, 2)).agent_id == monday.agent_id

    assert run(at(1, 16)) == 0
    assert OutboundEmail.objects.count() == 1


def test_a_whole_day_shift_is_announced_as_all_day(duty: Rota, admin: Agent, alice_agent: Agent) -> None:
    Rota.objects.filter(pk=duty.pk).update(shift_start=time(0), shift_end=time(0))
    add_shift(actor=admin, rota=duty, day=TUESDAY, agent=alice_agent)
    assert run(at(2, 10)) == 1
    body = OutboundEmail.objects.get().body_text
    assert "you are on support duty (Developers on duty) all day." in body
    assert "00:00 to 00:00" not in body
