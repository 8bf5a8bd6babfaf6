"""Permission-scoped reads of tickets: every read of a ticket by a person goes through here.

- ``access``: who sees what (``visible_tickets``, ``access_ticket``; see its docstring);
- ``listing``: ``TicketFilter`` (the one filter of the inbox, saved views and the API), paged
  lists and counts, and the rows lists show;
- ``ticket``: one ticket's timeline and customer messages;
- ``search``: full-text search within what the actor may see.

Import from here (``from zabota.tickets.queries import visible_tickets``); tests that tune a
module's limit patch that module (``zabota.tickets.queries.search.COUNT_CAP``).
"""

from zabota.tickets.queries.access import (
    Actor,
    access_ticket,
    access_ticket_by_number,
    filter_visible,
    open_team_ids,
    teams_for,
    visibility_q,
    visible_tickets,
)
from zabota.tickets.queries.listing import (
    CURSOR_MAX_CHARS,
    MAX_FILTER_TAGS,
    NAME_SORT_MAX,
    SLA_STATES,
    SORTS,
    Page,
    TicketFilter,
    count_tickets,
    custom_field_condition,
    custom_field_value,
    list_tickets,
    load_rows,
    priority_value,
    sla_q,
)
from zabota.tickets.queries.search import SearchResult, message_texts, search_tickets
from zabota.tickets.queries.ticket import TimelineEntry, customer_messages, timeline

__all__ = [
    "CURSOR_MAX_CHARS",
    "MAX_FILTER_TAGS",
    "NAME_SORT_MAX",
    "SLA_STATES",
    "SORTS",
    "Actor",
    "Page",
    "SearchResult",
    "TicketFilter",
    "TimelineEntry",
    "access_ticket",
    "access_ticket_by_number",
    "count_tickets",
    "custom_field_condition",
    "custom_field_value",
    "customer_messages",
    "filter_visible",
    "list_tickets",
    "load_rows",
    "message_texts",
    "open_team_ids",
    "priority_value",
    "search_tickets",
    "sla_q",
    "teams_for",
    "timeline",
    "visibility_q",
    "visible_tickets",
]
