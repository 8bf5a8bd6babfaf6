"""The only writers of tickets and messages. Each action is one transaction that checks
permission, changes rows, records activity, keeps the search document in step and publishes
its event (delivered after commit)."""

from zabota.tickets.actions.bulk import bulk_merge, bulk_update
from zabota.tickets.actions.create import create_ticket
from zabota.tickets.actions.followers import add_follower, remove_follower
from zabota.tickets.actions.merge import merge_tickets
from zabota.tickets.actions.replies import add_note, reply
from zabota.tickets.actions.saved_views import create_saved_view, delete_saved_view, update_saved_view
from zabota.tickets.actions.timeline import record_event
from zabota.tickets.actions.update import update_ticket

__all__ = [
    "add_follower",
    "add_note",
    "bulk_merge",
    "bulk_update",
    "create_saved_view",
    "create_ticket",
    "delete_saved_view",
    "merge_tickets",
    "remove_follower",
    "record_event",
    "reply",
    "update_saved_view",
    "update_ticket",
]
