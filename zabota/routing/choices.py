"""Enumerations of the routing context."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class RoutingMode(models.TextChoices):
    """How a team's new tickets find an agent."""

    MANUAL = "manual", _("Manual (agents pick tickets from the queue)")
    ROUND_ROBIN = "round_robin", _("Round-robin")
    LEAST_LOADED = "least_loaded", _("Least loaded")


class Availability(models.TextChoices):
    """An agent's status. Busy keeps their tickets but takes no new ones; away hands back the
    unanswered ones too."""

    AVAILABLE = "available", _("Available")
    BUSY = "busy", _("Busy")
    AWAY = "away", _("Away")


class AreaSource(models.TextChoices):
    """Which ticket field names the product area that agents' area skills are matched to."""

    NONE = "", _("No product areas")
    PROJECT = "project", _("The ticket's project")
    CUSTOM_FIELD = "custom_field", _("A custom field")


class HandBackReason(models.TextChoices):
    AWAY = "away", _("went away")
    OFF_SHIFT = "off_shift", _("shift ended")
    DEACTIVATED = "deactivated", _("deactivated")  # every unsolved ticket, not only unanswered


class ErrorCode(models.TextChoices):
    NOT_YOURS = "routing_not_yours"
    UNKNOWN_FIELD = "routing_unknown_field"
