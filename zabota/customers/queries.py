"""Reads of customers. Every agent role may read customer records; contacts never list them."""

from __future__ import annotations

from django.db.models import Prefetch, QuerySet

from zabota.accounts.models import Agent
from zabota.core.errors import NotFound
from zabota.customers.models import Contact, Organization, Project


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
