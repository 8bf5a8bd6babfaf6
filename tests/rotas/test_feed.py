"""The iCalendar feed: no login, the token authorises; events parse back with stable UIDs and
times in the rota's time zone; a new token retires the old address."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.test import Client
from icalendar import Calendar

from zabota.accounts.models import Agent
from zabota.core.errors import PermissionDenied
from zabota.rotas.actions import add_shift, generate_month, renew_token
from zabota.rotas.models import Rota

MSK = ZoneInfo("Europe/Moscow")
NOW = datetime(2026, 2, 27, 12, tzinfo=MSK)


def events(client: Client, rota: Rota) -> list:
    response = client.get(f"/rotas/{rota.pk}/{rota.ical_token}.ics")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/calendar")
    return list(Calendar.from_ical(response.content).walk("VEVENT"))


@time_machine.travel(NOW, tick=False)
def test_the_feed_parses_back_with_times_in_moscow(
    client: Client, duty: Rota, admin: Agent, alice_agent: Agent
) -> None:
    add_shift(actor=admin, rota=duty, day=date(2026, 3, 2), agent=alice_agent)

    (event,) = events(client, duty)

    start, end = event["DTSTART"].dt, event["DTEND"].dt
    assert start == datetime(2026, 3, 2, 9, tzinfo=MSK)
    assert end - start == timedelta(hours=9)
    assert str(start.tzinfo) == "Europe/Moscow"
    assert str(event["SUMMARY"]) == "Developers on duty: Alice Agent"


@time_machine.travel(NOW, tick=False)
def test_uids_are_stable_across_fetches_and_regeneration(client: Client, duty: Rota, admin: Agent) -> None:
    generate_month(actor=admin, rota=duty, year=2026, month=3)
    first = {str(e["UID"]): e["DTSTART"].dt for e in events(client, duty)}
    generate_month(actor=admin, rota=duty, year=2026, month=3)
    second = {str(e["UID"]): e["DTSTART"].dt for e in events(client, duty)}

    assert len(first) == 31
    assert first == second


@time_machine.travel(NOW, tick=False)
def test_an_all_day_rota_gives_all_day_events(
    client: Client, duty: Rota, admin: Agent, alice_agent: Agent
) -> None:
    duty.shift_start = duty.shift_end = time(0)
    duty.save()
    add_shift(actor=admin, rota=duty, day=date(2026, 3, 2), agent=alice_agent)

    (event,) = events(client, duty)

    assert event["DTSTART"].dt == date(2026, 3, 2)
    assert event["DTEND"].dt == date(2026, 3, 3)


def test_the_feed_needs_the_right_token(client: Client, duty: Rota, admin: Agent, alice_agent: Agent) -> None:
    assert client.get(f"/rotas/{duty.pk}/wrong.ics").status_code == 404
    assert client.get(f"/rotas/{duty.pk + 1}/{duty.ical_token}.ics").status_code == 404
    old = duty.ical_token
    with pytest.raises(PermissionDenied):
        renew_token(actor=alice_agent, rota=duty)

    renew_token(actor=admin, rota=duty)

    assert client.get(f"/rotas/{duty.pk}/{old}.ics").status_code == 404
    assert client.get(f"/rotas/{duty.pk}/{duty.ical_token}.ics").status_code == 200
