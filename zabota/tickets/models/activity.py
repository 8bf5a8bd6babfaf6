"""The immutable record of every change to a ticket."""

from __future__ import annotations

from django.db import models

from zabota.core import clock


class Activity(models.Model):
    """One change: who (agent, contact or system), what, before -> after, when. Never updated."""

    ticket = models.ForeignKey("tickets.Ticket", on_delete=models.CASCADE, related_name="activity")
    actor_agent = models.ForeignKey(
        "accounts.Agent", null=True, blank=True, on_delete=models.SET_NULL, related_name="+", db_index=False
    )
    actor_contact = models.ForeignKey(
        "customers.Contact",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_index=False,
    )
    verb = models.CharField(max_length=32)
    field = models.CharField(max_length=64, blank=True)
    before = models.JSONField(null=True, blank=True)
    after = models.JSONField(null=True, blank=True)
    created_at = models.DateTimeField(default=clock.now)

    class Meta:
        ordering = ["id"]
        verbose_name_plural = "activity"

    def __str__(self) -> str:
        return f"{self.verb} {self.field} on ticket {self.ticket_id}"

    def save(self, *args: object, **kwargs: object) -> None:
        if self.pk is not None:
            raise RuntimeError("activity rows are immutable")
        super().save(*args, **kwargs)  # type: ignore[arg-type]
