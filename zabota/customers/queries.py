"""Reads of customers. Every agent role may read customer records; contacts never list them."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.db.models import Prefetch, QuerySet, Subquery

from zabota.accounts.models import Agent
from zabota.core.errors import NotFound
from zabota.customers.models import (
    AttributeDefinition,
    AttributeTarget,
    Contact,
    Organization,
    Project,
)


def contacts(actor: Agent) -> QuerySet[Contact]:
    return Contact.objects.select_related("organization__tier").prefetch_related(
        "emails", "phones", "external_ids"
    )


def access_contact(actor: Agent, contact_id: int) -> Contact:
    c = contacts(actor).filter(pk=contact_id).first()
    if c is None:
        raise NotFound(f"contact {contact_id} not found")
    return c


def organizations(actor: Agent) -> QuerySet[Organization]:
    return Organization.objects.select_related("tier", "account_manager").prefetch_related(
        "domains", "external_ids", Prefetch("projects", queryset=Project.objects.order_by("name"))
    )


def access_organization(actor: Agent, organization_id: int) -> Organization:
    o = organizations(actor).filter(pk=organization_id).first()
    if o is None:
        raise NotFound(f"organization {organization_id} not found")
    return o


# --- The customer at a glance (agent workspace) -------------------------------------------------
# Reads for the ticket page's side panel and the contact and organization pages. Tickets are
# always read through ``tickets.queries.visible_tickets``: a customer's tickets on a restricted
# team never show up for an agent who may not see them. (Imported inside the functions: the
# tickets context builds on this one, not the other way round.)

GLANCE_TICKETS = 5


@dataclass
class AttributeValue:
    key: str
    label: str
    type: str
    value: Any


@dataclass
class Glance:
    """What an agent sees of a customer beside a ticket."""

    contact: Contact
    organization: Organization | None
    email: str
    contact_attributes: list[AttributeValue] = field(default_factory=list)
    organization_attributes: list[AttributeValue] = field(default_factory=list)
    contact_tickets: list[Any] = field(default_factory=list)
    organization_tickets: list[Any] = field(default_factory=list)


def attribute_values(
    definitions: list[AttributeDefinition], target: str, values: dict[str, Any]
) -> list[AttributeValue]:
    """The values set on a record, labelled and ordered by the admin's definitions."""
    return [
        AttributeValue(key=d.key, label=d.label or d.key, type=d.type, value=values[d.key])
        for d in definitions
        if d.target == target and values.get(d.key) is not None
    ]


def _ticket_rows(qs: QuerySet[Any], limit: int, *extra: str) -> list[Any]:
    fields = ("id", "number", "subject", "status", "updated_at", *extra)
    return list(qs.only(*fields).order_by("-id")[:limit])


def glance_for_ticket(actor: Agent, ticket: Any) -> Glance:
    """The requester and their organization as loaded with ``ticket`` (select_related), with
    attributes and recent tickets: two queries (the definitions; the contact's recent tickets
    and the rest of the organization's together, as two limited id subqueries)."""
    from zabota.tickets.models import Ticket
    from zabota.tickets.queries import visible_tickets

    contact = ticket.requester
    org = ticket.organization
    definitions = list(AttributeDefinition.objects.all())
    visible = visible_tickets(actor)
    fields = ("id", "number", "subject", "status", "updated_at", "requester_id")

    def newest(qs: QuerySet[Any]) -> QuerySet[Any]:
        # "id IN (a limited subquery)" on each side of a UNION ALL: an OR of the two would
        # make PostgreSQL walk the whole primary key testing both subplans on every row.
        return (
            Ticket.objects.filter(pk__in=Subquery(qs.order_by("-id").values("pk")[:GLANCE_TICKETS]))
            .only(*fields)
            .order_by()  # no ORDER BY inside a compound statement (SQLite); the union is ordered
        )

    wanted = newest(visible.filter(requester_id=contact.pk))
    if org is not None:
        wanted = wanted.union(
            newest(visible.filter(organization_id=org.pk).exclude(requester_id=contact.pk)), all=True
        )
    rows = list(wanted.order_by("-id"))
    return Glance(
        contact=contact,
        organization=org,
        email=getattr(ticket, "requester_email", "") or "",
        contact_attributes=attribute_values(definitions, AttributeTarget.CONTACT, contact.attributes or {}),
        organization_attributes=(
            attribute_values(definitions, AttributeTarget.ORGANIZATION, org.attributes or {}) if org else []
        ),
        contact_tickets=[t for t in rows if t.requester_id == contact.pk],
        organization_tickets=[t for t in rows if t.requester_id != contact.pk],
    )


def _require_glance(actor: Agent, tickets: QuerySet[Any]) -> None:
    """Agents and admins read every customer record; a collaborator (a developer brought into a
    few tickets) only the customers of tickets they can see."""
    if actor.is_collaborator and not tickets.exists():
        raise NotFound("not found")


@dataclass
class CustomerPage:
    attributes: list[AttributeValue]
    tickets: list[Any]
    activity: list[Any]
    contacts: list[Contact] = field(default_factory=list)
    projects: list[Project] = field(default_factory=list)


PAGE_TICKETS = 25
PAGE_ACTIVITY = 20


def _activity(tickets: QuerySet[Any]) -> list[Any]:
    from zabota.tickets.models import Activity

    return list(
        Activity.objects.filter(ticket_id__in=tickets.values("id"))
        .select_related("ticket", "actor_agent", "actor_contact")
        .order_by("-id")[:PAGE_ACTIVITY]
    )


def contact_page(actor: Agent, contact_id: int) -> tuple[Contact, CustomerPage]:
    """A contact with their attributes, recent visible tickets and the activity on them."""
    from zabota.tickets.queries import visible_tickets

    contact = access_contact(actor, contact_id)
    tickets = visible_tickets(actor).filter(requester_id=contact.pk)
    _require_glance(actor, tickets)
    definitions = list(AttributeDefinition.objects.filter(target=AttributeTarget.CONTACT))
    return contact, CustomerPage(
        attributes=attribute_values(definitions, AttributeTarget.CONTACT, contact.attributes or {}),
        tickets=_ticket_rows(tickets, PAGE_TICKETS),
        activity=_activity(tickets),
    )


def organization_page(actor: Agent, organization_id: int) -> tuple[Organization, CustomerPage]:
    """An organization with attributes, projects, contacts, recent visible tickets, activity."""
    from zabota.tickets.queries import visible_tickets

    org = access_organization(actor, organization_id)
    tickets = visible_tickets(actor).filter(organization_id=org.pk)
    _require_glance(actor, tickets)
    definitions = list(AttributeDefinition.objects.filter(target=AttributeTarget.ORGANIZATION))
    return org, CustomerPage(
        attributes=attribute_values(definitions, AttributeTarget.ORGANIZATION, org.attributes or {}),
        tickets=_ticket_rows(tickets.select_related("requester"), PAGE_TICKETS, "requester__name"),
        activity=_activity(tickets),
        contacts=list(org.contacts.order_by("name", "id")[:100]),
        projects=list(org.projects.all()),
    )


def contact_activity(actor: Agent, contact_id: int) -> tuple[Contact, list[Any]]:
    """The recent activity on a contact's tickets the actor may see (the panel's lazy list)."""
    from zabota.tickets.queries import visible_tickets

    contact = access_contact(actor, contact_id)
    tickets = visible_tickets(actor).filter(requester_id=contact.pk)
    _require_glance(actor, tickets)
    return contact, _activity(tickets)
