"""Rotas and support duty: who is on shift for a team, and when.

- :class:`Rota` belongs to a team (the team whose tickets the people on shift receive), has a
  time zone, a daily shift window and a pattern (one person a day, or N people for a period of
  K days), optionally on weekdays only, a yearly target of days on support per person and a
  secret token for its iCalendar feed.
- :class:`RotaMember` is a person who takes shifts (an agent, or a collaborator such as a
  developer). Adding someone to a rota also makes them a member of the rota's team, so tickets
  can be assigned to them (``zabota.rotas.actions.add_member``).
- :class:`Shift` is one person on support on one day (the local date in the rota's time zone
  on which the shift starts). A period of K days is K shift rows per person, so "days on
  support" is a count of rows. ``is_generated`` tells generated rows (which re-generating a
  month replaces) from manual ones (added, edited or swapped: kept).
- :class:`DayOff` is a person's absence (inclusive date range); generation never plans it.
- :class:`ShiftLog` records every change to the schedule (generated, added, removed,
  changed, swapped) with who did it and the constraints it broke.
"""

from __future__ import annotations

import secrets
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.db import models
from django.utils.translation import gettext_lazy as _

from zabota.core import clock


def new_token() -> str:
    return secrets.token_urlsafe(24)


class Pattern(models.TextChoices):
    ONE_PER_DAY = "one_per_day", _("One person a day")
    TEAM_PER_PERIOD = "team_per_period", _("A team for a period of days")


class Seniority(models.TextChoices):
    JUNIOR = "junior", _("Junior")
    SENIOR = "senior", _("Senior")


class Rota(models.Model):
    """A support-duty schedule for one team."""

    name = models.CharField(max_length=100)
    team = models.ForeignKey(
        "accounts.Team",
        on_delete=models.CASCADE,
        related_name="rotas",
        help_text="The team whose tickets the people on shift receive.",
    )
    timezone = models.CharField(max_length=64, default="UTC")
    shift_start = models.TimeField(default=time(9, 0))
    shift_end = models.TimeField(
        default=time(18, 0),
        help_text="At or before the start: the shift ends the next day (equal: a whole day).",
    )
    pattern = models.CharField(max_length=20, choices=Pattern.choices, default=Pattern.ONE_PER_DAY)
    people_per_shift = models.PositiveSmallIntegerField(default=1)
    period_days = models.PositiveSmallIntegerField(
        default=14, help_text="Team per period only: how many days one team stays on support."
    )
    weekdays_only = models.BooleanField(default=False)
    yearly_target_days = models.PositiveSmallIntegerField(
        default=2, help_text="Days on support each person should do in a year."
    )
    is_active = models.BooleanField(default=True)
    ical_token = models.CharField(max_length=64, default=new_token, unique=True)
    created_at = models.DateTimeField(default=clock.now, editable=False)

    class Meta:
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return self.name

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone or "UTC")

    @property
    def is_all_day(self) -> bool:
        return self.shift_start == self.shift_end and self.shift_start == time(0, 0)

    def window(self, day: date) -> tuple[datetime, datetime]:
        """The shift of local date ``day``: its start and end, aware, in the rota's time zone."""
        tz = self.tz
        start = datetime.combine(day, self.shift_start, tzinfo=tz)
        end_day = day if self.shift_end > self.shift_start else day + timedelta(days=1)
        end = datetime.combine(end_day, self.shift_end, tzinfo=tz)
        return start, end


class RotaMember(models.Model):
    """A person who takes shifts on a rota, with what generation needs to pair people well."""

    rota = models.ForeignKey(Rota, on_delete=models.CASCADE, related_name="members")
    agent = models.ForeignKey("accounts.Agent", on_delete=models.CASCADE, related_name="rota_memberships")
    seniority = models.CharField(max_length=8, choices=Seniority.choices, default=Seniority.SENIOR)
    technical = models.BooleanField(default=True, help_text="Can handle technical questions alone.")
    created_at = models.DateTimeField(default=clock.now, editable=False)

    class Meta:
        ordering = ["rota_id", "id"]
        constraints = [models.UniqueConstraint(fields=["rota", "agent"], name="rota_member_once")]

    def __str__(self) -> str:
        return f"{self.agent} on {self.rota}"


class DayOff(models.Model):
    """A person's absence, both dates included."""

    agent = models.ForeignKey("accounts.Agent", on_delete=models.CASCADE, related_name="days_off")
    start_date = models.DateField()
    end_date = models.DateField()
    reason = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(default=clock.now, editable=False)

    class Meta:
        ordering = ["start_date", "id"]
        indexes = [models.Index(fields=["agent", "start_date"], name="dayoff_agent_start")]

    def __str__(self) -> str:
        return f"{self.agent}: {self.start_date}..{self.end_date}"


class Shift(models.Model):
    """One person on support on one local day of the rota."""

    rota = models.ForeignKey(Rota, on_delete=models.CASCADE, related_name="shifts")
    agent = models.ForeignKey("accounts.Agent", on_delete=models.CASCADE, related_name="shifts")
    date = models.DateField(help_text="The local date (rota's time zone) on which the shift starts.")
    is_generated = models.BooleanField(default=True)
    created_by = models.ForeignKey(
        "accounts.Agent", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    swapped_from = models.ForeignKey(
        "accounts.Agent",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="Who had this shift before a swap.",
    )
    reminded_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=clock.now, editable=False)

    class Meta:
        ordering = ["date", "id"]
        constraints = [models.UniqueConstraint(fields=["rota", "date", "agent"], name="shift_once_a_day")]
        indexes = [
            models.Index(fields=["date", "rota"], name="shift_date_rota"),
            models.Index(fields=["agent", "date"], name="shift_agent_date"),
        ]

    def __str__(self) -> str:
        return f"{self.agent} on {self.rota} {self.date}"


class LogKind(models.TextChoices):
    GENERATED = "generated", _("Generated")
    ADDED = "added", _("Added")
    REMOVED = "removed", _("Removed")
    CHANGED = "changed", _("Changed")
    SWAPPED = "swapped", _("Swapped")


class ShiftLog(models.Model):
    """One change to a rota's schedule. Never updated."""

    rota = models.ForeignKey(Rota, on_delete=models.CASCADE, related_name="log")
    kind = models.CharField(max_length=12, choices=LogKind.choices)
    actor = models.ForeignKey(
        "accounts.Agent", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    date = models.DateField(null=True, blank=True)
    agent = models.ForeignKey(
        "accounts.Agent", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    other_date = models.DateField(null=True, blank=True)
    other_agent = models.ForeignKey(
        "accounts.Agent", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    warnings = models.JSONField(default=list, blank=True)
    note = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(default=clock.now, editable=False)

    class Meta:
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"{self.kind} on {self.rota_id} {self.date}"
