"""Permission-scoped reads of tickets. Every read of a ticket by a person goes through here.

``access_ticket(actor, id)`` raises NotFound for a ticket the actor may not see: the same answer
as for a ticket that does not exist, so ids can't be probed.

Visibility:
- admin: every ticket;
- agent: tickets with no team or an unrestricted team, tickets of their own teams, tickets
  assigned to them or that they follow;
- collaborator: tickets of their own teams, assigned to them, or that they follow;
- contact (customer): their own tickets, and their organization's if they are its admin.
"""

from __future__ import annotations

from collections.abc import Sequence

from django.db.models import Exists, OuterRef, Q, QuerySet

from zabota.accounts.models import Agent, Role, Team
from zabota.accounts.queries import team_ids_of
from zabota.core.errors import NotFound
from zabota.customers.models import Contact
from zabota.tickets.models import (
    Follower,
    Ticket,
)

Actor = Agent | Contact


def teams_for(agent: Agent) -> list[Team]:
    """Every team, each with ``is_member`` set for ``agent``, in one query.

    It also fills the caches the visibility rule reads (``accounts.queries.team_ids_of`` and
    ``open_team_ids``), so a page that shows a team picker pays one query for both.
    """
    member = Team.members.through.objects.filter(team_id=OuterRef("pk"), agent_id=agent.pk)
    teams: list[Team] = list(Team.objects.annotate(is_member=Exists(member)).order_by("name"))
    agent._team_ids = [t.pk for t in teams if t.is_member]  # type: ignore[attr-defined]
    agent._open_team_ids = {t.pk for t in teams if t.is_member or not t.restricted}  # type: ignore[attr-defined]
    return teams


def open_team_ids(agent: Agent) -> set[int]:
    """Teams all of whose tickets ``agent`` may see."""
    if agent.role == Role.COLLABORATOR:
        return set(team_ids_of(agent))
    cached = getattr(agent, "_open_team_ids", None)
    if cached is None:
        if getattr(agent, "_team_ids", None) is None:
            teams_for(agent)
        else:
            agent._open_team_ids = set(  # type: ignore[attr-defined]
                Team.objects.filter(restricted=False).values_list("id", flat=True)
            ) | set(team_ids_of(agent))
        cached = agent._open_team_ids  # type: ignore[attr-defined]
    return cached


def visibility_q(actor: Actor) -> Q | None:
    """The condition a ticket must meet to be visible; None means every ticket."""
    if isinstance(actor, Contact):
        q = Q(requester_id=actor.pk)
        if actor.is_organization_admin and actor.organization_id:
            q |= Q(organization_id=actor.organization_id)
        return q
    if not actor.is_active:
        return Q(pk__in=[])
    if actor.role == Role.ADMIN:
        return None
    followed = Follower.objects.filter(agent_id=actor.pk, ticket_id=OuterRef("pk"))
    q = Q(team_id__in=open_team_ids(actor)) | Q(assignee_id=actor.pk) | Q(Exists(followed))
    if actor.role == Role.AGENT:
        q |= Q(team__isnull=True)
    return q


def visible_tickets(actor: Actor) -> QuerySet[Ticket]:
    q = visibility_q(actor)
    qs = Ticket.objects.all()
    return qs if q is None else qs.filter(q)


def filter_visible(actor: Actor, ids: Sequence[int]) -> list[int]:
    """Those of ``ids`` the actor may see, in the given order.

    The same rule as ``visibility_q``, evaluated in Python over plain columns: for a batch of
    search matches this is one primary-key lookup instead of an OR of joins per row.
    """
    if not ids:
        return []
    if isinstance(actor, Contact) or not actor.is_active:
        q = visibility_q(actor)
        ok = (
            set(Ticket.objects.filter(q, id__in=ids).values_list("id", flat=True))
            if q is not None
            else set(ids)
        )
        return [i for i in ids if i in ok]
    if actor.role == Role.ADMIN:
        return list(ids)
    teams = open_team_ids(actor)
    ok, unsure = set(), []
    for ticket_id, team_id, assignee_id in Ticket.objects.filter(id__in=ids).values_list(
        "id", "team_id", "assignee_id"
    ):
        if team_id in teams or assignee_id == actor.pk or (team_id is None and actor.role == Role.AGENT):
            ok.add(ticket_id)
        else:
            unsure.append(ticket_id)
    if unsure:
        ok.update(
            Follower.objects.filter(agent_id=actor.pk, ticket_id__in=unsure).values_list(
                "ticket_id", flat=True
            )
        )
    return [i for i in ids if i in ok]


def access_ticket(actor: Actor, ticket_id: int, *, for_update: bool = False) -> Ticket:
    qs = visible_tickets(actor)
    if for_update:
        qs = qs.select_for_update(of=("self",))
    ticket = qs.filter(pk=ticket_id).first()
    if ticket is None:
        raise NotFound(f"ticket {ticket_id} not found")
    return ticket


def access_ticket_by_number(actor: Actor, number: int) -> Ticket:
    ticket = visible_tickets(actor).filter(number=number).first()
    if ticket is None:
        raise NotFound(f"ticket #{number} not found")
    return ticket
