"""The rota pages: agents see, admins and team leads edit; anonymous visitors log in first;
the month grid, the tracker and the leaderboard cost the same whatever the number of people."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
import time_machine
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from tests.support import make_agent
from zabota.accounts.models import Agent
from zabota.rotas.actions import add_member, add_shift, generate_month
from zabota.rotas.models import Rota, Shift

FEB_END = datetime(2026, 2, 27, 12, tzinfo=UTC)


@pytest.fixture
def alice(client: Client, alice_agent: Agent) -> Client:
    client.force_login(alice_agent)
    return client


@pytest.fixture
def boss(admin: Agent) -> Client:
    c = Client()
    c.force_login(admin)
    return c


def test_anonymous_visitors_are_sent_to_log_in(client: Client, duty: Rota) -> None:
    for url in ("/rotas/", f"/rotas/{duty.pk}/", "/rotas/tracker/", f"/rotas/{duty.pk}/leaderboard/"):
        response = client.get(url)
        assert response.status_code == 302 and "/login/" in response["Location"]
    assert client.post(f"/rotas/{duty.pk}/generate/", {"month": "2026-03"}).status_code == 302
    assert not Shift.objects.exists()


@time_machine.travel(FEB_END, tick=False)
def test_an_agent_sees_the_rota_but_cannot_edit_it(alice: Client, duty: Rota, alice_agent: Agent) -> None:
    page = alice.get(f"/rotas/{duty.pk}/?month=2026-03").content.decode()

    assert "Developers on duty" in page and "Alice Agent" in page
    assert 'id="generate-form"' not in page
    assert alice.post(f"/rotas/{duty.pk}/generate/", {"month": "2026-03"}).status_code == 403
    assert alice.post(f"/rotas/{duty.pk}/token/").status_code == 403
    assert (
        alice.post(f"/rotas/{duty.pk}/members/", {"agent": alice_agent.pk, "seniority": "senior"}).status_code
        == 403
    )
    assert not Shift.objects.exists()


@time_machine.travel(FEB_END, tick=False)
def test_the_admin_generates_the_month_in_one_click_and_sees_the_grid(boss: Client, duty: Rota) -> None:
    response = boss.post(f"/rotas/{duty.pk}/generate/", {"month": "2026-03"})

    assert response.status_code == 302 and response["Location"].endswith("?month=2026-03")
    assert Shift.objects.filter(rota=duty).count() == 31
    page = boss.get(response["Location"]).content.decode()
    assert 'id="rota-grid"' in page and 'data-day="2026-03-31"' in page


@time_machine.travel(FEB_END, tick=False)
def test_a_person_on_a_shift_swaps_it_from_the_page(
    client: Client, duty: Rota, admin: Agent, alice_agent: Agent, dave_collaborator: Agent
) -> None:
    mine, _ = add_shift(actor=admin, rota=duty, day=date(2026, 3, 2), agent=dave_collaborator)
    theirs, _ = add_shift(actor=admin, rota=duty, day=date(2026, 3, 3), agent=alice_agent)
    client.force_login(dave_collaborator)

    response = client.post(
        f"/rotas/{duty.pk}/swap/", {"shift": mine.pk, "other_shift": theirs.pk, "month": "2026-03"}
    )

    assert response.status_code == 302
    assert Shift.objects.get(date=date(2026, 3, 3)).agent_id == dave_collaborator.pk


def test_a_team_lead_creates_a_rota_for_their_team_but_an_agent_cannot(
    client: Client, alice_agent: Agent, support_team: object
) -> None:
    client.force_login(alice_agent)
    data = {
        "name": "Weekend",
        "team": support_team.pk,  # type: ignore[attr-defined]
        "timezone": "UTC",
        "shift_start": "09:00",
        "shift_end": "18:00",
        "pattern": "one_per_day",
        "people_per_shift": 1,
        "period_days": 14,
        "yearly_target_days": 2,
        "is_active": "on",
    }
    assert 'id="rota-create-form"' not in client.get("/rotas/").content.decode()
    client.post("/rotas/", data)
    assert not Rota.objects.exists()

    support_team.lead = alice_agent  # type: ignore[attr-defined]
    support_team.save()  # type: ignore[attr-defined]
    response = client.post("/rotas/", data)
    assert response.status_code == 302
    assert Rota.objects.get().name == "Weekend"


def _queries(client: Client, url: str) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


@time_machine.travel(FEB_END, tick=False)
def test_pages_cost_the_same_for_more_people(boss: Client, duty: Rota, admin: Agent) -> None:
    generate_month(actor=admin, rota=duty, year=2026, month=3)
    urls = [
        f"/rotas/{duty.pk}/?month=2026-03",
        "/rotas/tracker/",
        f"/rotas/{duty.pk}/leaderboard/",
        "/rotas/",
    ]
    before = [_queries(boss, url) for url in urls]
    for i in range(5):
        add_member(actor=admin, rota=duty, agent=make_agent(f"extra{i}@zabota.test", name=f"Extra {i}"))
    generate_month(actor=admin, rota=duty, year=2026, month=3)

    assert [_queries(boss, url) for url in urls] == before


def test_the_tracker_page_highlights_who_is_below_target(
    alice: Client, duty: Rota, admin: Agent, alice_agent: Agent
) -> None:
    page = alice.get("/rotas/tracker/?year=2026").content.decode()

    assert f'data-agent="{alice_agent.pk}" class="below"' in page
    assert f'data-agent="{admin.pk}" class="below"' in page


def test_my_days_off_page(alice: Client, alice_agent: Agent, dave_collaborator: Agent) -> None:
    response = alice.post(
        "/rotas/days-off/", {"start_date": "2030-01-02", "end_date": "2030-01-05", "reason": "Ski"}
    )
    assert response.status_code == 302
    assert "Ski" in alice.get("/rotas/days-off/").content.decode()
    alice.post(
        "/rotas/days-off/",
        {"agent": dave_collaborator.pk, "start_date": "2030-01-02", "end_date": "2030-01-05"},
    )
    assert not dave_collaborator.days_off.exists()


def test_a_shift_on_a_day_off_is_flagged_on_the_grid(
    boss: Client, duty: Rota, admin: Agent, alice_agent: Agent
) -> None:
    from zabota.rotas.actions import add_day_off

    add_shift(actor=admin, rota=duty, day=date(2026, 3, 5), agent=alice_agent)
    add_day_off(actor=alice_agent, agent=alice_agent, start_date=date(2026, 3, 5), end_date=date(2026, 3, 6))

    page = boss.get(f"/rotas/{duty.pk}/?month=2026-03").content.decode()

    assert page.count('class="warning conflict"') == 1


def test_junk_on_the_member_and_shift_forms_is_refused_not_a_server_error(
    boss: Client, duty: Rota, admin: Agent, alice_agent: Agent
) -> None:
    boss.raise_request_exception = False
    # A night rota: a shift of the calendar's last day would end after it.
    Rota.objects.filter(pk=duty.pk).update(shift_start="22:00", shift_end="06:00")

    response = boss.post(f"/rotas/{duty.pk}/members/99999999999999999999/remove/")
    assert response.status_code in (302, 404)

    response = boss.post(f"/rotas/{duty.pk}/shifts/", {"day": "9999-12-31", "agent": alice_agent.pk})
    assert response.status_code == 302
    assert not Shift.objects.filter(rota=duty).exists()

    duty.refresh_from_db()
    assert boss.get(f"/rotas/{duty.pk}/{duty.ical_token}.ics").status_code == 200
