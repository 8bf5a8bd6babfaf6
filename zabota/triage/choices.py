"""Enumerations of the triage context: delivery states of an incident update and error codes."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class DeliveryState(models.TextChoices):
    """One affected ticket's copy of an incident update."""

    PENDING = "pending", _("Waiting")
    SENT = "sent", _("Sent")
    SKIPPED = "skipped", _("Skipped")  # closed, merged, or not visible to the author


class UpdateState(models.TextChoices):
    QUEUED = "queued", _("Queued")
    SENDING = "sending", _("Sending")
    DONE = "done", _("Done")


class ErrorCode(models.TextChoices):
    NOT_INCIDENT = "not_incident"
    ALREADY_INCIDENT = "already_incident"
    INCIDENT_LINKED = "incident_is_linked"
    LINKED_ELSEWHERE = "linked_to_other_incident"
    LINK_SELF = "link_to_itself"
    NOT_ALLOWED = "incident_not_allowed"
