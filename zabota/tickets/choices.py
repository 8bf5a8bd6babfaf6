"""Enumerations of the tickets context, and the status state machine."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Status(models.TextChoices):
    NEW = "new", _("New")
    OPEN = "open", _("Open")
    PENDING = "pending", _("Pending")  # waiting on the customer
    ON_HOLD = "on_hold", _("On hold")  # waiting on a third party or our developers
    SOLVED = "solved", _("Solved")
    CLOSED = "closed", _("Closed")


UNSOLVED = (Status.NEW, Status.OPEN, Status.PENDING, Status.ON_HOLD)

# Allowed moves. Closed is final: a customer writing again after that starts a new ticket.
TRANSITIONS: dict[str, frozenset[str]] = {
    Status.NEW: frozenset({Status.OPEN, Status.PENDING, Status.ON_HOLD, Status.SOLVED}),
    Status.OPEN: frozenset({Status.PENDING, Status.ON_HOLD, Status.SOLVED}),
    Status.PENDING: frozenset({Status.OPEN, Status.ON_HOLD, Status.SOLVED}),
    Status.ON_HOLD: frozenset({Status.OPEN, Status.PENDING, Status.SOLVED}),
    Status.SOLVED: frozenset({Status.OPEN, Status.CLOSED}),
    Status.CLOSED: frozenset(),
}


class Priority(models.IntegerChoices):
    """Stored as a number so that queues sort by it; the API speaks the names."""

    LOW = 1, _("Low")
    NORMAL = 2, _("Normal")
    HIGH = 3, _("High")
    URGENT = 4, _("Urgent")

    @classmethod
    def from_name(cls, name: str) -> Priority:
        return cls[name.upper()]

    @property
    def key(self) -> str:
        return self.name.lower()


PRIORITY_NAMES = [p.name.lower() for p in Priority]


class Kind(models.TextChoices):
    QUESTION = "question", _("Question")
    PROBLEM = "problem", _("Problem")
    FEATURE_REQUEST = "feature_request", _("Feature request")
    COMPLAINT = "complaint", _("Complaint")
    FEEDBACK = "feedback", _("Feedback")
    BILLING = "billing", _("Billing")
    OTHER = "other", _("Other")


class Channel(models.TextChoices):
    EMAIL = "email", _("Email")
    CHAT = "chat", _("Web chat")
    PORTAL = "portal", _("Portal")
    API = "api", _("API")
    PHONE = "phone", _("Phone")
    TELEGRAM = "telegram", _("Telegram")
    OTHER = "other", _("Other")


class MessageKind(models.TextChoices):
    REPLY = "reply", _("Public reply")
    NOTE = "note", _("Internal note")
    EVENT = "event", _("System event")


class DeliveryStatus(models.TextChoices):
    NONE = "", _("Not sent by a channel")
    QUEUED = "queued", _("Queued")
    SENT = "sent", _("Sent")
    DELIVERED = "delivered", _("Delivered")
    FAILED = "failed", _("Failed")
    BOUNCED = "bounced", _("Bounced")


class CustomFieldType(models.TextChoices):
    TEXT = "text", _("Text")
    NUMBER = "number", _("Number")
    INTEGER = "integer", _("Integer")
    BOOLEAN = "boolean", _("Yes/no")
    DATE = "date", _("Date")
    CHOICE = "choice", _("Choice")


class ErrorCode(models.TextChoices):
    ILLEGAL_TRANSITION = "illegal_transition"
    MERGED = "ticket_merged"
    MERGE_SELF = "merge_into_self"
    MERGE_OTHER_REQUESTER = "merge_other_requester"
    NOT_ASSIGNABLE = "not_assignable"
    REPLY_NOT_ALLOWED = "reply_not_allowed"
    READ_ONLY = "read_only"
