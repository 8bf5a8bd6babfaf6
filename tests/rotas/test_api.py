"""The rotas API: agents read rotas, shifts and who is on shift; only admins and the team lead
plan a month; a person swaps their own shift; read tokens write nothing."""

from __future__ import annotations

from datetime import UTC, date, datetime

import time_machine

from tests.support import Api, assert_error
from zabota.accounts.models import Agent, Team
from zabota.rotas.actions import add_shift
from zabota.rotas.models import Rota, Shift

FEB_END = datetime(2026, 2, 27, 12, tzinfo=UTC)


def test_agents_read_rotas_without_the_feed_token(alice_api: Api, duty: Rota) -> None:
    response = alice_api.get("/rotas")

    assert response.status_code == 200
    (rota,) = response.json()
    assert rota["name"] == "Developers on duty" and rota["timezone"] == "Europe/Moscow"
    assert "ical_token" not in rota and duty.ical_token not in response.content.decode()


@time_machine.travel(FEB_END, tick=False)
def test_only_editors_generate_and_shifts_come_back_with_times(
    alice_api: Api, admin_api: Api, read_only_api: Api, duty: Rota
) -> None:
    assert_error(alice_api.post(f"/rotas/{duty.pk}/generate", {"year": 2026, "month": 3}), 403)
    assert_error(read_only_api.post(f"/rotas/{duty.pk}/generate", {"year": 2026, "month": 3}), 403)
    assert not Shift.objects.exists()

    response = admin_api.post(f"/rotas/{duty.pk}/generate", {"year": 2026, "month": 3})
    assert response.status_code == 200 and response.json() == {"warnings": []}

    shifts = alice_api.get(f"/rotas/{duty.pk}/shifts", {"since": "2026-03-02", "until": "2026-03-08"}).json()
    assert [s["date"] for s in shifts] == [f"2026-03-0{d}" for d in range(2, 9)]
    assert shifts[0]["starts_at"] == "2026-03-02T09:00:00+03:00"
    assert_error(
        alice_api.get(f"/rotas/{duty.pk}/shifts", {"since": "2026-03-02", "until": "2026-01-01"}), 422
    )
    assert_error(alice_api.get("/rotas/999999/shifts"), 404)


def test_who_is_on_shift_now(
    alice_api: Api, duty: Rota, admin: Agent, dave_collaborator: Agent, support_team: Team, billing_team: Team
) -> None:
    add_shift(actor=admin, rota=duty, day=date(2026, 3, 2), agent=dave_collaborator)

    with time_machine.travel("2026-03-02 10:00Z", tick=False):  # 13:00 in Moscow
        on = alice_api.get("/rotas/on-shift", {"team_id": support_team.pk}).json()
        billing = alice_api.get("/rotas/on-shift", {"team_id": billing_team.pk}).json()

    assert on == {"team_id": support_team.pk, "restricted": True, "agent_ids": [dave_collaborator.pk]}
    assert billing["restricted"] is False


@time_machine.travel(FEB_END, tick=False)
def test_dave_swaps_his_shift_but_not_other_peoples(
    dave_api: Api, duty: Rota, admin: Agent, alice_agent: Agent, dave_collaborator: Agent, jun: Agent
) -> None:
    from zabota.rotas.actions import add_member

    add_member(actor=admin, rota=duty, agent=jun)
    mine, _ = add_shift(actor=admin, rota=duty, day=date(2026, 3, 2), agent=dave_collaborator)
    alices, _ = add_shift(actor=admin, rota=duty, day=date(2026, 3, 3), agent=alice_agent)
    juns, _ = add_shift(actor=admin, rota=duty, day=date(2026, 3, 4), agent=jun)

    assert_error(
        dave_api.post(f"/rotas/{duty.pk}/swap", {"shift_id": alices.pk, "other_shift_id": juns.pk}), 403
    )
    response = dave_api.post(f"/rotas/{duty.pk}/swap", {"shift_id": mine.pk, "other_shift_id": alices.pk})

    assert response.status_code == 200
    assert Shift.objects.get(date=date(2026, 3, 3)).agent_id == dave_collaborator.pk


def test_shifts_of_a_range_at_the_ends_of_the_calendar_are_refused_not_crashed(
    alice_api: Api, duty: Rota
) -> None:
    alice_api.client.raise_request_exception = False
    for params in (
        {"since": "9999-12-31"},
        {"since": "9999-12-01", "until": "9999-12-31"},
        {"since": "0001-01-01", "until": "0001-01-31"},
    ):
        assert_error(alice_api.get(f"/rotas/{duty.pk}/shifts", params), 422)
