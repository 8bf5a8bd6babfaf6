"""Ticket models. A package from day one: ticket, message (+ attachments), activity."""

from zabota.tickets.models.activity import Activity
from zabota.tickets.models.message import Attachment, Message
from zabota.tickets.models.saved_view import SavedView
from zabota.tickets.models.ticket import CustomFieldDefinition, Follower, Inbox, Tag, Ticket, TicketTag

__all__ = [
    "Activity",
    "Attachment",
    "CustomFieldDefinition",
    "Follower",
    "Inbox",
    "Message",
    "SavedView",
    "Tag",
    "Ticket",
    "TicketTag",
]
