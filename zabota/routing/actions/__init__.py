"""The only writers of routing state, and the routing decisions themselves.

- ``config``: an agent's status (``set_status``), capacity and skills; a team's routing settings.
- ``assign``: route a ticket to an eligible agent (``route_ticket``), hand an agent's unanswered
  tickets back to the queue (``hand_back``), route a team's queue (``drain_queue``), follow shift
  changes (``sync_shifts``). Ticket fields change only through ``tickets.actions.update_ticket``.
"""

from zabota.routing.actions.assign import drain_queue, hand_back, route_ticket, sync_shifts
from zabota.routing.actions.config import save_agent_routing, save_team_routing, set_status

__all__ = [
    "drain_queue",
    "hand_back",
    "route_ticket",
    "save_agent_routing",
    "save_team_routing",
    "set_status",
    "sync_shifts",
]
