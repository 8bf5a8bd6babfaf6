"""In-app notifications for agents: assigned to you, mentioned in a note, customer replied, mail
held for you to check, a reply bounced."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from zabota.core import clock


class NotificationKind(models.TextChoices):
    ASSIGNED = "assigned", _("Assigned to you")
    MENTIONED = "mentioned", _("Mentioned you")
    CUSTOMER_REPLIED = "customer_replied", _("Customer replied")
    EMAIL_HELD = "email_held", _("Email held for you to check")
    BOUNCED = "bounced", _("A reply did not reach the customer")
    SLA_WARNING = "sla_warning", _("SLA target at risk")
    SLA_BREACH = "sla_breach", _("SLA target breached")
    ESCALATED = "escalated", _("Escalated to you")
    INCIDENT = "incident", _("Incident update")
    ROUTED_BACK = "routed_back", _("Tickets handed back to the queue")


class Notification(models.Model):
    agent = models.ForeignKey("accounts.Agent", on_delete=models.CASCADE, related_name="notifications")
    kind = models.CharField(max_length=24, choices=NotificationKind.choices)
    ticket = models.ForeignKey("tickets.Ticket", on_delete=models.CASCADE, related_name="+", db_index=False)
    message = models.ForeignKey(
        "tickets.Message", null=True, blank=True, on_delete=models.CASCADE, related_name="+", db_index=False
    )
    actor_name = models.CharField(max_length=200, blank=True, help_text="Who caused it, as shown.")
    created_at = models.DateTimeField(default=clock.now)
    read_at = models.DateTimeField(null=True, blank=True)
    emailed_at = models.DateTimeField(null=True, blank=True, help_text="When a digest included it.")

    class Meta:
        ordering = ["-id"]
        indexes = [
            models.Index(fields=["agent", "read_at", "-id"], name="notification_inbox"),
            # The list page: one agent's notifications, newest first.
            models.Index(fields=["agent", "-id"], name="notification_recent"),
            # The digest: when an agent last got one, and what is still waiting for one.
            models.Index(fields=["agent", "emailed_at"], name="notification_emailed"),
            models.Index(
                fields=["agent", "created_at"],
                condition=models.Q(read_at__isnull=True, emailed_at__isnull=True),
                name="notification_digest_due",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} for {self.agent_id} on ticket {self.ticket_id}"
