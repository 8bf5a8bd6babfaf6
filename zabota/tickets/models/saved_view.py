"""Saved inbox views: a named set of ticket filters, private to an agent or shared with everyone."""

from __future__ import annotations

from django.db import models

from zabota.core import clock


class SavedView(models.Model):
    """``filters`` holds the inbox filter form's values (status, priority, kind, assignee, team,
    tag, tier, organization, channel, inbox, sort), parsed by the inbox into a ``TicketFilter``."""

    owner = models.ForeignKey("accounts.Agent", on_delete=models.CASCADE, related_name="saved_views")
    name = models.CharField(max_length=100)
    filters = models.JSONField(default=dict, blank=True)
    shared = models.BooleanField(default=False, help_text="Visible to every agent, not only the owner.")
    position = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(default=clock.now, editable=False)

    class Meta:
        ordering = ["position", "name", "id"]
        indexes = [models.Index(fields=["owner", "position"], name="savedview_owner")]

    def __str__(self) -> str:
        return self.name
