"""Priority rules (tier x kind x keywords -> a priority) and incidents (an outage ticket, the
tickets it affects, and the updates sent to all their customers with one row per delivery)."""

from __future__ import annotations

from django.db import models

from zabota.core import clock
from zabota.tickets.choices import Priority
from zabota.triage.choices import DeliveryState, UpdateState


class PriorityRule(models.Model):
    """A rule of automatic priority, applied once when a ticket is created.

    Conditions of one rule must all hold (an empty condition holds for every ticket): the
    organization's tier is one of ``tiers``, the kind is one of ``kinds``, one of ``keywords``
    occurs in the subject or the first message. Among all active rules that match, the highest
    ``priority`` wins; among rules of that priority the first by ``position`` gives the reasons.
    """

    name = models.CharField(max_length=100)
    position = models.PositiveIntegerField(default=0)
    is_active = models.BooleanField(default=True)
    tiers = models.ManyToManyField("customers.Tier", blank=True, related_name="+")
    kinds = models.JSONField(default=list, blank=True)
    keywords = models.JSONField(default=list, blank=True)
    priority = models.PositiveSmallIntegerField(choices=Priority.choices, default=Priority.HIGH)
    created_at = models.DateTimeField(default=clock.now)

    class Meta:
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return self.name


class Incident(models.Model):
    """A ticket marked as an outage; the tickets it affects are linked to it."""

    ticket = models.OneToOneField("tickets.Ticket", on_delete=models.CASCADE, related_name="incident")
    created_by = models.ForeignKey(
        "accounts.Agent", null=True, blank=True, on_delete=models.SET_NULL, related_name="+", db_index=False
    )
    created_at = models.DateTimeField(default=clock.now)
    resolved_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"incident on ticket {self.ticket_id}"


class IncidentLink(models.Model):
    """One affected ticket; a ticket belongs to at most one incident."""

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="links")
    ticket = models.OneToOneField("tickets.Ticket", on_delete=models.CASCADE, related_name="incident_link")
    linked_by = models.ForeignKey(
        "accounts.Agent", null=True, blank=True, on_delete=models.SET_NULL, related_name="+", db_index=False
    )
    created_at = models.DateTimeField(default=clock.now)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"ticket {self.ticket_id} in incident {self.incident_id}"


class IncidentUpdate(models.Model):
    """One text sent as a public reply on the incident ticket and every linked ticket.

    The deliveries are written when the update is created (a snapshot of the links); a task
    posts the pending ones, each in its own transaction with its reply, so a retry never posts
    twice.
    """

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="updates")
    author = models.ForeignKey("accounts.Agent", on_delete=models.PROTECT, related_name="+", db_index=False)
    body_text = models.TextField()
    state = models.CharField(max_length=16, choices=UpdateState.choices, default=UpdateState.QUEUED)
    total = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(default=clock.now)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"update {self.pk} of incident {self.incident_id}"


class IncidentDelivery(models.Model):
    """The update's copy on one ticket: pending until its reply is posted (or it is skipped)."""

    update = models.ForeignKey(IncidentUpdate, on_delete=models.CASCADE, related_name="deliveries")
    ticket = models.ForeignKey("tickets.Ticket", on_delete=models.CASCADE, related_name="+", db_index=False)
    state = models.CharField(max_length=16, choices=DeliveryState.choices, default=DeliveryState.PENDING)
    message = models.ForeignKey(
        "tickets.Message", null=True, blank=True, on_delete=models.SET_NULL, related_name="+", db_index=False
    )
    reason = models.CharField(max_length=200, blank=True)
    done_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["id"]
        constraints = [models.UniqueConstraint(fields=["update", "ticket"], name="uniq_incident_delivery")]
        indexes = [models.Index(fields=["update", "state"], name="incident_delivery_state")]

    def __str__(self) -> str:
        return f"delivery of update {self.update_id} on ticket {self.ticket_id}"
