"""Routing settings per team and availability, capacity and skills per agent.

- ``TeamRouting``: a team's routing mode, whether skills must match, which ticket field names the
  product area, the round-robin cursor, and who was on shift when the shift job last looked. A
  team without a row routes manually.
- ``AgentStatus``: an agent's availability (available / busy / away), capacity (most unsolved
  tickets assigned to them before least-loaded and round-robin pass them over; empty = no limit)
  and skills (languages, product areas). An agent without a row is available, with no limit and
  no skills.

Only ``zabota.routing.actions`` writes these rows.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from zabota.core import clock
from zabota.routing.choices import AreaSource, Availability, RoutingMode


class TeamRouting(models.Model):
    team = models.OneToOneField("accounts.Team", on_delete=models.CASCADE, related_name="routing")
    mode = models.CharField(max_length=16, choices=RoutingMode.choices, default=RoutingMode.MANUAL)
    match_language = models.BooleanField(
        default=False,
        help_text=_("Only agents who speak the requester's language (their locale) receive the ticket."),
    )
    area_source = models.CharField(
        max_length=16, choices=AreaSource.choices, default=AreaSource.NONE, blank=True
    )
    area_field = models.SlugField(
        max_length=64, blank=True, help_text=_("The custom field's key, when areas come from a custom field.")
    )
    cursor = models.PositiveIntegerField(
        default=0,
        help_text="Round-robin: the id of the agent who got the last ticket (agents go in id order).",
    )
    on_shift = models.JSONField(
        null=True,
        blank=True,
        default=None,
        help_text="Agent ids on shift when the shift job last looked; null when the team has no rota.",
    )
    updated_at = models.DateTimeField(default=clock.now)

    def __str__(self) -> str:
        return f"routing of team {self.team_id}: {self.mode}"

    @property
    def is_automatic(self) -> bool:
        return self.mode != RoutingMode.MANUAL


class AgentStatus(models.Model):
    agent = models.OneToOneField("accounts.Agent", on_delete=models.CASCADE, related_name="routing_status")
    status = models.CharField(max_length=16, choices=Availability.choices, default=Availability.AVAILABLE)
    changed_at = models.DateTimeField(default=clock.now)
    capacity = models.PositiveIntegerField(
        null=True, blank=True, help_text=_("Most unsolved tickets assigned at once; empty for no limit.")
    )
    languages = models.JSONField(default=list, blank=True, help_text='Language codes, e.g. ["en", "ru"].')
    areas = models.JSONField(default=list, blank=True, help_text="Product areas (lower case).")

    class Meta:
        verbose_name_plural = "agent statuses"

    def __str__(self) -> str:
        return f"{self.agent_id}: {self.status}"
