"""The "days on support this year" tracker and the leaderboard of who handled what on their
shift days (local days of the rota's time zone)."""

from __future__ import annotations

from datetime import date, datetime, time
from zoneinfo import ZoneInfo

import time_machine

from tests.support import open_ticket
from zabota.accounts.models import Agent, Team
from zabota.customers.models import Contact
from zabota.rotas.actions import add_shift
from zabota.rotas.models import Rota
from zabota.rotas.stats import leaderboard, tracker
from zabota.tickets.actions import reply, update_ticket
from zabota.tickets.choices import Status

MSK = ZoneInfo("Europe/Moscow")
MON, TUE = date(2026, 3, 2), date(2026, 3, 3)


def at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=MSK)


def test_the_tracker_lists_everyone_against_the_target(
    duty: Rota, admin: Agent, alice_agent: Agent, dave_collaborator: Agent, bob_other_team: Agent
) -> None:
    for day in (MON, date(2026, 3, 4)):
        add_shift(actor=admin, rota=duty, day=day, agent=alice_agent)
    add_shift(actor=admin, rota=duty, day=date(2026, 3, 20), agent=alice_agent)
    add_shift(actor=admin, rota=duty, day=TUE, agent=dave_collaborator)
    add_shift(actor=admin, rota=duty, day=date(2025, 12, 30), agent=dave_collaborator)  # last year

    rows = {r.agent.pk: r for r in tracker(2026, date(2026, 3, 10))}

    assert (rows[alice_agent.pk].done, rows[alice_agent.pk].planned, rows[alice_agent.pk].below_target) == (
        2,
        1,
        False,
    )
    assert (rows[dave_collaborator.pk].done, rows[dave_collaborator.pk].below_target) == (1, True)
    # Everyone is listed, managers and people on no rota included.
    assert rows[admin.pk].below_target and rows[bob_other_team.pk].total == 0
    assert rows[bob_other_team.pk].target == 2


def test_the_leaderboard_counts_replies_and_solves_on_shift_days_only(
    duty: Rota,
    admin: Agent,
    alice_agent: Agent,
    dave_collaborator: Agent,
    carol_customer: Contact,
    support_team: Team,
) -> None:
    add_shift(actor=admin, rota=duty, day=MON, agent=alice_agent)
    add_shift(actor=admin, rota=duty, day=TUE, agent=dave_collaborator)
    with time_machine.travel(at(MON, 8), tick=False):
        tickets = [open_ticket(carol_customer, f"Question {i}", team=support_team) for i in range(4)]
    with time_machine.travel(at(MON, 12), tick=False):
        reply(actor=alice_agent, ticket_id=tickets[0].pk, body_text="Try again now.")
        reply(actor=alice_agent, ticket_id=tickets[0].pk, body_text="And once more.")
        reply(actor=alice_agent, ticket_id=tickets[1].pk, body_text="Looking into it.")
        update_ticket(actor=alice_agent, ticket_id=tickets[0].pk, status=Status.SOLVED)
    with time_machine.travel(at(MON, 23, 30), tick=False):  # 20:30 UTC: still Monday in Moscow
        reply(actor=alice_agent, ticket_id=tickets[2].pk, body_text="Late answer.")
    with time_machine.travel(at(TUE, 1), tick=False):  # Monday 22:00 UTC, but Tuesday in Moscow
        reply(actor=alice_agent, ticket_id=tickets[3].pk, body_text="Not on my shift.")
    with time_machine.travel(at(TUE, 11), tick=False):
        update_ticket(actor=admin, ticket_id=tickets[3].pk, status=Status.SOLVED)
        reply(actor=admin, ticket_id=tickets[1].pk, body_text="Admin helps.")

    rows = {r.agent.pk: r for r in leaderboard(duty, date(2026, 1, 1), date(2026, 12, 31))}

    assert (rows[alice_agent.pk].shift_days, rows[alice_agent.pk].replied, rows[alice_agent.pk].solved) == (
        1,
        3,
        1,
    )
    assert (rows[dave_collaborator.pk].replied, rows[dave_collaborator.pk].solved) == (0, 0)
    assert admin.pk not in rows  # no shifts, not on the board
