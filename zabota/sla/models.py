"""SLA: calendars, policies with their targets and escalation rules, and each ticket's clocks.

A ticket's clocks live in ``TicketClock`` (one row per ticket, keyed by the ticket): the facts
the clocks run on (when the customer started waiting, how much business time the resolution
clock has used, whether it is paused) and the due times derived from them with the ticket's
policy and calendar. Due times are recomputed on ticket events and when an admin changes a
policy or calendar; ``next_check_at`` (the nearest warning or due time not yet fired) is what the
per-minute job claims, so nothing is rescanned on a timer. Each warning and breach is recorded
once in ``SlaAlert`` (unique per ticket, metric, kind and due time).
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from zabota.core import clock


class Metric(models.TextChoices):
    FIRST_RESPONSE = "first_response", _("First response")
    NEXT_RESPONSE = "next_response", _("Next response")
    RESOLUTION = "resolution", _("Resolution")


class AlertKind(models.TextChoices):
    WARNING = "warning", _("At risk")
    BREACH = "breach", _("Breached")


class EscalationAction(models.TextChoices):
    RAISE_PRIORITY = "raise_priority", _("Raise the priority one step")
    ASSIGN_TEAM = "assign_team", _("Reassign to a team")
    ASSIGN_AGENT = "assign_agent", _("Reassign to a person")
    NOTIFY_AGENT = "notify_agent", _("Notify a person")


class Calendar(models.Model):
    """Business hours in one timezone: weekly hours, country holidays and custom dates; or 24/7.

    ``hours`` maps the weekday (``"0"`` Monday .. ``"6"`` Sunday) to a list of ``["HH:MM",
    "HH:MM"]`` intervals in the calendar's timezone; a missing or empty day is closed.
    ``country`` (and ``subdivision``) name the ``holidays`` package's country holidays.
    """

    name = models.CharField(max_length=100, unique=True)
    timezone = models.CharField(max_length=64, default="UTC")
    always_open = models.BooleanField(default=False, help_text="24/7: every minute counts.")
    hours = models.JSONField(default=dict, blank=True)
    country = models.CharField(max_length=8, blank=True, help_text="ISO code for country holidays, e.g. RU.")
    subdivision = models.CharField(max_length=16, blank=True)
    updated_at = models.DateTimeField(default=clock.now)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Holiday(models.Model):
    """A custom closed day of a calendar (on top of the country's holidays)."""

    calendar = models.ForeignKey(Calendar, on_delete=models.CASCADE, related_name="holidays")
    date = models.DateField()
    name = models.CharField(max_length=100, blank=True)

    class Meta:
        ordering = ["date"]
        constraints = [models.UniqueConstraint(fields=["calendar", "date"], name="uniq_calendar_holiday")]

    def __str__(self) -> str:
        return f"{self.date} {self.name}"


class Policy(models.Model):
    """Conditions and targets. Ordered by ``position``; the first active match applies.

    An empty condition list means "any". ``priorities`` holds priority numbers (1..4).
    """

    name = models.CharField(max_length=100, unique=True)
    position = models.PositiveIntegerField(default=0)
    is_active = models.BooleanField(default=True)
    tiers = models.ManyToManyField("customers.Tier", blank=True, related_name="+")
    channels = models.JSONField(default=list, blank=True)
    priorities = models.JSONField(default=list, blank=True)
    kinds = models.JSONField(default=list, blank=True)
    inboxes = models.ManyToManyField("tickets.Inbox", blank=True, related_name="+")
    organizations = models.ManyToManyField("customers.Organization", blank=True, related_name="+")
    calendar = models.ForeignKey(
        Calendar,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="policies",
        help_text="Business hours for targets counted in business time; none means 24/7.",
    )
    warning_percent = models.PositiveSmallIntegerField(
        default=75, help_text="Warn when this share of a target has been used."
    )
    pause_on_hold = models.BooleanField(
        default=False, help_text="Pause the resolution clock while the ticket is on hold."
    )
    updated_at = models.DateTimeField(default=clock.now)

    class Meta:
        ordering = ["position", "id"]
        verbose_name_plural = "policies"

    def __str__(self) -> str:
        return self.name


class Target(models.Model):
    """One metric's target for one channel ('' = every channel without its own target)."""

    policy = models.ForeignKey(Policy, on_delete=models.CASCADE, related_name="targets")
    metric = models.CharField(max_length=16, choices=Metric.choices)
    channel = models.CharField(max_length=16, blank=True)
    minutes = models.PositiveIntegerField()
    business_hours = models.BooleanField(
        default=True, help_text="Count only the policy calendar's business hours (else every minute)."
    )

    class Meta:
        ordering = ["policy", "metric", "channel"]
        constraints = [
            models.UniqueConstraint(fields=["policy", "metric", "channel"], name="uniq_sla_target")
        ]

    def __str__(self) -> str:
        return f"{self.metric} {self.channel or '*'} {self.minutes} min"


class EscalationRule(models.Model):
    """What happens when a ticket under ``policy`` breaches ``metric`` ('' = any metric)."""

    policy = models.ForeignKey(Policy, on_delete=models.CASCADE, related_name="escalations")
    metric = models.CharField(max_length=16, choices=Metric.choices, blank=True)
    action = models.CharField(max_length=16, choices=EscalationAction.choices)
    team = models.ForeignKey(
        "accounts.Team", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    agent = models.ForeignKey(
        "accounts.Agent", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    position = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["policy", "position", "id"]

    def __str__(self) -> str:
        return f"{self.action} on {self.metric or 'any'} breach"


class TicketClock(models.Model):
    """The SLA state of one ticket. Written only by ``zabota.sla.actions``.

    Facts: ``first_response_at`` (our first public reply), ``awaiting_since`` (the customer's
    oldest unanswered message after the first response), ``resolution_elapsed`` (business seconds
    the resolution clock used before ``resolution_running_since``; the clock is paused when that
    is null and the ticket is unsolved), ``resolved_at``.
    Derived (recomputed from the facts, the policy and its calendar): the three due times and
    warning times, ``due_at`` (nearest active due time, for sorting and the breached view),
    ``warn_at`` (nearest active warning time) and ``next_check_at`` (nearest warning or due time
    not yet fired, claimed by the per-minute job).
    """

    ticket = models.OneToOneField(
        "tickets.Ticket", on_delete=models.CASCADE, primary_key=True, related_name="sla"
    )
    policy = models.ForeignKey(Policy, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    first_response_at = models.DateTimeField(null=True, blank=True)
    first_response_due_at = models.DateTimeField(null=True, blank=True)
    first_response_warn_at = models.DateTimeField(null=True, blank=True)

    awaiting_since = models.DateTimeField(null=True, blank=True)
    next_response_due_at = models.DateTimeField(null=True, blank=True)
    next_response_warn_at = models.DateTimeField(null=True, blank=True)

    resolution_elapsed = models.PositiveIntegerField(default=0)
    resolution_running_since = models.DateTimeField(null=True, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolution_due_at = models.DateTimeField(null=True, blank=True)
    resolution_warn_at = models.DateTimeField(null=True, blank=True)

    # True while the ticket is pending: the customer owes us a message, so the first and next
    # response clocks do not run (the resolution clock is paused by its own facts above).
    responses_paused = models.BooleanField(default=False)
    # Derived: the resolution target in seconds (to show a paused clock's business time left)
    # and which metrics count business hours (bits: 1 first response, 2 next response,
    # 4 resolution), so that a list shows every clock without loading policies.
    resolution_target = models.PositiveIntegerField(null=True, blank=True)
    business_metrics = models.PositiveSmallIntegerField(default=0)

    due_at = models.DateTimeField(null=True, blank=True)
    warn_at = models.DateTimeField(null=True, blank=True)
    next_check_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(default=clock.now)

    class Meta:
        indexes = [
            models.Index(fields=["next_check_at"], name="sla_clock_next_check"),
            models.Index(fields=["due_at"], name="sla_clock_due"),
            models.Index(fields=["policy"], name="sla_clock_policy"),
        ]

    def __str__(self) -> str:
        return f"SLA clock of ticket {self.ticket_id}"


class SlaAlert(models.Model):
    """A warning or a breach, recorded once per (ticket, metric, kind, due time)."""

    ticket = models.ForeignKey("tickets.Ticket", on_delete=models.CASCADE, related_name="sla_alerts")
    metric = models.CharField(max_length=16, choices=Metric.choices)
    kind = models.CharField(max_length=8, choices=AlertKind.choices)
    due_at = models.DateTimeField()
    policy = models.ForeignKey(Policy, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=clock.now)

    class Meta:
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(fields=["ticket", "metric", "kind", "due_at"], name="uniq_sla_alert")
        ]
        indexes = [models.Index(fields=["kind", "created_at"], name="sla_alert_kind_time")]

    def __str__(self) -> str:
        return f"{self.kind} {self.metric} on ticket {self.ticket_id}"


class RecomputeJob(models.Model):
    """A background recomputation of open tickets' clocks after a policy or calendar change."""

    reason = models.CharField(max_length=200)
    total = models.PositiveIntegerField(default=0)
    done = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(default=clock.now)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"recompute {self.pk}: {self.done}/{self.total}"
