"""The email the day before a shift (``send_reminders``, run hourly by ``zabota.config.tasks``).

A shift of local date D is reminded on D - 1 in the rota's time zone, by the first hourly run
at or after ``REMIND_AT`` (10:00 local time, so nobody is woken up at midnight), unless the
person is on the same rota on D - 1 already: a stretch of days (a team's fortnight is a row a
day) gets one reminder, before it starts. Each shift is claimed with a conditional UPDATE on
``reminded_at`` inside the transaction that writes the outbox row, so overlapping runs send it
once; the outbox retries a failed send. Changing a shift's person clears ``reminded_at`` so the
new person is reminded too. The mail is in the agent's language (their locale, else the site's).
"""

from __future__ import annotations

from datetime import datetime, time, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Exists, OuterRef
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from zabota.core import clock
from zabota.rotas.models import Rota, Shift

REMIND_AT = time(10, 0)


def due_shift_ids(now: datetime) -> list[int]:
    """Shifts of active rotas whose reminder is due at ``now`` and not yet sent (one query per
    active rota: rotas are few)."""
    ids: list[int] = []
    for rota in Rota.objects.filter(is_active=True):
        local = now.astimezone(rota.tz)
        if local.time() < REMIND_AT:
            continue
        tomorrow = local.date() + timedelta(days=1)
        on_today = Shift.objects.filter(rota=rota, date=local.date(), agent_id=OuterRef("agent_id"))
        ids.extend(
            Shift.objects.filter(rota=rota, date=tomorrow, reminded_at__isnull=True, agent__is_active=True)
            .exclude(Exists(on_today))
            .values_list("pk", flat=True)
        )
    return ids


def send_reminder(shift_id: int, *, now: datetime | None = None) -> bool:
    """Email the person on the shift; False when it was sent already (or the shift is gone)."""
    from zabota.channels.email.outbox import queue_agent_mail

    now = now or clock.now()
    shift = Shift.objects.select_related("rota", "agent").filter(pk=shift_id).first()
    if shift is None or not shift.agent.is_active:
        return False
    rota, person = shift.rota, shift.agent
    start, end = rota.window(shift.date)
    partners = [
        str(s.agent)
        for s in Shift.objects.filter(rota=rota, date=shift.date).exclude(pk=shift.pk).select_related("agent")
    ]
    with translation.override(person.locale or settings.LANGUAGE_CODE):
        context = {
            "person": person,
            "rota": rota,
            "shift": shift,
            "start": start.strftime("%H:%M"),
            "end": end.strftime("%H:%M"),
            "whole_day": rota.shift_start == rota.shift_end,  # 00:00-00:00: the whole day
            "partners": partners,
            "site_url": settings.SITE_URL.rstrip("/"),
        }
        subject = _("Tomorrow you are on support: %(rota)s, %(day)s") % {
            "rota": rota.name,
            "day": date_format(shift.date, "j E"),
        }
        text = render_to_string("rotas/email/reminder.txt", context)
    with transaction.atomic():
        claimed = Shift.objects.filter(pk=shift.pk, agent=person, reminded_at__isnull=True).update(
            reminded_at=now
        )
        if not claimed:
            return False
        queue_agent_mail(
            to=person.email,
            subject=subject,
            body_text=text,
            body_html="",
            purpose=f"rota-reminder:{shift.pk}:{person.pk}:{shift.date.isoformat()}",
        )
    return True


def send_reminders(now: datetime | None = None) -> int:
    """Send every due reminder; returns how many were sent."""
    now = now or clock.now()
    return sum(1 for shift_id in due_shift_ids(now) if send_reminder(shift_id, now=now))
