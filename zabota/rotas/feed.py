"""The iCalendar feed of a rota: one event per shift, for calendar apps to subscribe to.

``GET /rotas/<id>/<token>.ics`` needs no login: the rota's secret token authorises it (a wrong
token is a 404, like a missing rota). The feed covers shifts from 60 days ago on. Each event's
UID is fixed by the rota, the day and the person (``rota-<id>-<yyyymmdd>-<agent id>@<domain>``),
so re-generating a month that gives someone the same day keeps their event, and a swap replaces
one event by another. A rota whose shift is 00:00-00:00 gives all-day events; others are timed
in the rota's time zone (with its VTIMEZONE).
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from icalendar import Calendar, Event

from zabota.core import clock
from zabota.rotas.models import Rota, Shift

HISTORY_DAYS = 60


def uid_of(shift: Shift) -> str:
    domain = getattr(settings, "EMAIL_DOMAIN", "") or "zabota"
    return f"rota-{shift.rota_id}-{shift.date:%Y%m%d}-{shift.agent_id}@{domain}"


def rota_calendar(rota: Rota) -> bytes:
    """The feed's bytes (two queries: the rota is given; shifts with their people)."""
    cal = Calendar()
    cal.add("prodid", "-//Zabota//Rotas//EN")
    cal.add("version", "2.0")
    cal.add("x-wr-calname", rota.name)
    cal.add("x-wr-timezone", rota.timezone)
    since = clock.now().astimezone(rota.tz).date() - timedelta(days=HISTORY_DAYS)
    shifts = (
        Shift.objects.filter(rota=rota, date__gte=since).select_related("agent").order_by("date", "agent_id")
    )
    stamp = clock.now()
    for shift in shifts:
        event = Event()
        event.add("uid", uid_of(shift))
        event.add("dtstamp", stamp)
        event.add("summary", f"{rota.name}: {shift.agent}")
        if rota.is_all_day:
            event.add("dtstart", shift.date)
            event.add("dtend", shift.date + timedelta(days=1))
        else:
            start, end = rota.window(shift.date)
            event.add("dtstart", start)
            event.add("dtend", end)
        event.add("transp", "TRANSPARENT")
        cal.add_component(event)
    cal.add_missing_timezones()
    return cal.to_ical()
