"""Business hours: weekly hours in the calendar's timezone across a DST change, country
holidays (the Russian New Year break), custom holidays, and the clocks that count them."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine

from tests.sla.conftest import make_policy
from tests.support import open_ticket
from zabota.core import clock
from zabota.core.errors import ValidationFailed
from zabota.customers.models import Contact
from zabota.sla.calendar import BusinessCalendar, clean_hours
from zabota.sla.models import Calendar, Holiday, TicketClock

NEW_YORK = ZoneInfo("America/New_York")
MOSCOW = ZoneInfo("Europe/Moscow")
H = 3600

pytestmark = pytest.mark.django_db


def weekdays(start: str = "09:00", end: str = "18:00") -> dict[str, list[list[str]]]:
    return {str(d): [[start, end]] for d in range(5)}


@pytest.fixture
def new_york(db: None) -> Calendar:
    return Calendar.objects.create(name="New York office", timezone="America/New_York", hours=weekdays())


def test_business_hours_follow_the_wall_clock_across_the_spring_dst_change(new_york: Calendar) -> None:
    cal = BusinessCalendar.for_calendar(new_york)
    # Friday 6 March 2026, 17:00 EST; clocks go forward on Sunday 8 March.
    friday = datetime(2026, 3, 6, 17, 0, tzinfo=NEW_YORK)
    due = cal.add(friday, 2 * H)
    assert due.astimezone(NEW_YORK) == datetime(2026, 3, 9, 10, 0, tzinfo=NEW_YORK)
    assert due.utcoffset() == timedelta(0)  # stored in UTC
    assert due == datetime(2026, 3, 9, 14, 0, tzinfo=UTC)  # EDT is UTC-4 now, not -5
    assert cal.between(friday, due) == 2 * H
    # Monday's nine open hours are nine hours whatever the offset.
    monday = datetime(2026, 3, 9, 0, 0, tzinfo=NEW_YORK)
    assert cal.between(monday, monday + timedelta(days=1)) == 9 * H
    assert cal.add(due, -2 * H) == friday


def test_a_day_whose_open_hours_contain_the_change_is_an_hour_shorter() -> None:
    night = Calendar(
        pk=999, name="Night desk", timezone="America/New_York", hours={"6": [["00:00", "06:00"]]}
    )
    cal = BusinessCalendar.build(night)
    sunday = datetime(2026, 3, 8, 0, 0, tzinfo=NEW_YORK)
    assert cal.between(sunday, sunday + timedelta(days=1)) == 5 * H  # 02:00 -> 03:00 never happened


def test_the_russian_new_year_holidays_are_closed(moscow_hours: Calendar) -> None:
    cal = BusinessCalendar.for_calendar(moscow_hours)
    last_day = datetime(2025, 12, 30, 17, 0, tzinfo=MOSCOW)  # a Tuesday; the 31st is a day off
    due = cal.add(last_day, 2 * H)
    # One hour on the 30th, then nothing until the first working day, Monday 12 January.
    assert due.astimezone(MOSCOW) == datetime(2026, 1, 12, 10, 0, tzinfo=MOSCOW)
    assert cal.is_open(datetime(2026, 1, 5, 12, 0, tzinfo=MOSCOW)) is False
    assert cal.is_open(datetime(2026, 1, 12, 12, 0, tzinfo=MOSCOW)) is True


def test_a_custom_holiday_closes_the_day_once_the_calendar_changes(new_york: Calendar) -> None:
    thursday = datetime(2026, 6, 4, 17, 0, tzinfo=NEW_YORK)
    assert cal_add(new_york, thursday, 2 * H).date() == date(2026, 6, 5)

    Holiday.objects.create(calendar=new_york, date=date(2026, 6, 5), name="Company picnic")
    new_york.updated_at = clock.now() + timedelta(seconds=1)
    new_york.save()
    assert cal_add(new_york, thursday, 2 * H).astimezone(NEW_YORK) == datetime(
        2026, 6, 8, 10, 0, tzinfo=NEW_YORK
    )


def cal_add(cal: Calendar, start: datetime, seconds: int) -> datetime:
    return BusinessCalendar.for_calendar(cal).add(start, seconds)


def test_always_open_and_no_calendar_count_every_second() -> None:
    start = datetime(2026, 3, 7, 23, 0, tzinfo=UTC)
    for cal in (None, Calendar(name="24/7", always_open=True)):
        bc = BusinessCalendar.for_calendar(cal)
        assert bc.add(start, 3 * H) == start + timedelta(hours=3)
        assert bc.between(start, start + timedelta(hours=3)) == 3 * H


def test_a_calendar_with_no_open_hours_never_hangs_and_cannot_be_saved() -> None:
    closed = Calendar(pk=998, name="Closed", timezone="UTC", hours={})
    start = datetime(2026, 3, 7, 23, 0, tzinfo=UTC)
    assert BusinessCalendar.build(closed).add(start, H) == start + timedelta(hours=1)  # counted as 24/7
    with pytest.raises(ValidationFailed):
        clean_hours({})
    with pytest.raises(ValidationFailed):
        clean_hours({"0": [["18:00", "09:00"]]})
    assert clean_hours({"1": [["13:00", "17:00"], ["09:00", "12:00"]], "2": []}) == {
        "1": [["09:00", "12:00"], ["13:00", "17:00"]]
    }


@pytest.mark.django_db(transaction=True)
def test_a_ticket_opened_on_friday_evening_is_due_on_monday_in_business_hours(
    moscow_hours: Calendar, carol_customer: Contact
) -> None:
    make_policy("Office hours", first=60, resolution=8 * 60, calendar=moscow_hours)
    friday_evening = datetime(2026, 6, 5, 20, 0, tzinfo=MOSCOW)
    with time_machine.travel(friday_evening, tick=False):
        ticket = open_ticket(carol_customer, "Weekend question")
    c = TicketClock.objects.get(ticket=ticket)
    assert c.first_response_due_at.astimezone(MOSCOW) == datetime(2026, 6, 8, 10, 0, tzinfo=MOSCOW)
    assert c.resolution_due_at.astimezone(MOSCOW) == datetime(2026, 6, 8, 17, 0, tzinfo=MOSCOW)
    assert c.business_metrics == 1 | 2 | 4  # every target counts business hours


@pytest.mark.django_db(transaction=True)
def test_a_target_outside_business_hours_counts_every_minute(
    moscow_hours: Calendar, carol_customer: Contact
) -> None:
    make_policy("Chat", first=5, next_=None, resolution=None, calendar=moscow_hours, business_hours=False)
    friday_evening = datetime(2026, 6, 5, 20, 0, tzinfo=MOSCOW)
    with time_machine.travel(friday_evening, tick=False):
        ticket = open_ticket(carol_customer, "Chat at night")
    c = TicketClock.objects.get(ticket=ticket)
    assert c.first_response_due_at == friday_evening + timedelta(minutes=5)
    assert c.business_metrics == 0
