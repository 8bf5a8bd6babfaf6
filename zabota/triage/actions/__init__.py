"""The only writers of the triage context: priority rules and automatic priority
(``priority``), incidents, their links, updates and solving (``incidents``)."""

from zabota.triage.actions.incidents import (
    deliver_update,
    link_tickets,
    mark_incident,
    note_incident_status,
    send_update,
    solve_linked,
    unlink_ticket,
    unmark_incident,
)
from zabota.triage.actions.priority import apply_automatic_priority, delete_rule, move_rule, save_rule

__all__ = [
    "apply_automatic_priority",
    "delete_rule",
    "deliver_update",
    "link_tickets",
    "mark_incident",
    "move_rule",
    "note_incident_status",
    "save_rule",
    "send_update",
    "solve_linked",
    "unlink_ticket",
    "unmark_incident",
]
