"""HTTP API for contacts, organizations, tiers and projects (thin: parse, call, present)."""

from __future__ import annotations

import re
from typing import Any

from django.db.models import Q
from django.http import HttpRequest
from ninja import Path, Query, Router, Status

from zabota.accounts.auth import actor
from zabota.core.errors import ValidationFailed
from zabota.customers import actions
from zabota.customers.models import Contact, Organization, Tier
from zabota.customers.queries import access_contact, access_organization, contacts, organizations
from zabota.customers.schemas import (
    ContactIn,
    ContactOut,
    ContactPage,
    OrganizationIn,
    OrganizationOut,
    OrganizationPage,
    ProjectIn,
    ProjectOut,
    TierOut,
)

router = Router(tags=["customers"])

SYSTEM = Path(..., min_length=1, max_length=32, pattern=r"^[A-Za-z0-9_-]+$")
VALUE = Path(..., min_length=1, max_length=200, pattern=r"^[^\x00]+$")


def present_contact(c: Contact) -> dict[str, Any]:
    return {
        "id": c.pk,
        "name": c.name,
        "emails": [e.email for e in c.emails.all()],
        "phones": [p.phone for p in c.phones.all()],
        "organization_id": c.organization_id,
        "is_organization_admin": c.is_organization_admin,
        "locale": c.locale,
        "timezone": c.timezone,
        "attributes": c.attributes,
        "external_ids": [{"system": x.system, "value": x.value} for x in c.external_ids.all()],
        "created_at": c.created_at,
        "updated_at": c.updated_at,
    }


def present_organization(o: Organization) -> dict[str, Any]:
    return {
        "id": o.pk,
        "name": o.name,
        "tier": None
        if o.tier is None
        else {"id": o.tier.pk, "name": o.tier.name, "rank": o.tier.rank, "color": o.tier.color},
        "account_manager_id": o.account_manager_id,
        "domains": sorted(d.domain for d in o.domains.all()),
        "attributes": o.attributes,
        "notes": o.notes,
        "external_ids": [{"system": x.system, "value": x.value} for x in o.external_ids.all()],
        "projects": [{"id": p.pk, "name": p.name} for p in o.projects.all()],
        "created_at": o.created_at,
        "updated_at": o.updated_at,
    }


def _page(qs: Any, cursor: int | None, limit: int) -> tuple[list[Any], str | None]:
    if cursor is not None:
        qs = qs.filter(pk__gt=cursor)
    rows = list(qs.order_by("pk")[: limit + 1])
    more = len(rows) > limit
    rows = rows[:limit]
    return rows, (str(rows[-1].pk) if more and rows else None)


def _cursor(value: str | None) -> int | None:
    if value is None:
        return None
    if not re.fullmatch(r"[0-9]{1,18}", value):
        raise ValidationFailed("cursor is not valid", fields={"cursor": "invalid"})
    return int(value)


# --- Contacts --------------------------------------------------------------------------------


@router.get("/contacts", response=ContactPage, summary="List contacts")
def list_contacts(
    request: HttpRequest,
    q: str | None = Query(None, max_length=200, description="Part of a name or email"),
    email: str | None = Query(None, max_length=254),
    organization_id: int | None = Query(None, ge=1, le=2**63 - 1),
    cursor: str | None = Query(None, max_length=20),
    limit: int = Query(50, ge=1, le=100),
) -> dict[str, Any]:
    qs = contacts(actor(request))
    if q:
        qs = qs.filter(Q(name__icontains=q) | Q(emails__email__icontains=q)).distinct()
    if email:
        qs = qs.filter(emails__email__lower=email.strip().lower())
    if organization_id is not None:
        qs = qs.filter(organization_id=organization_id)
    rows, nxt = _page(qs, _cursor(cursor), limit)
    return {"items": [present_contact(c) for c in rows], "next_cursor": nxt}


@router.post("/contacts", response={201: ContactOut}, summary="Create a contact")
def create_contact(request: HttpRequest, payload: ContactIn) -> Status[dict[str, Any]]:
    data = payload.model_dump(exclude_unset=True)
    c = actions.save_contact(actor=actor(request), **data)
    return Status(201, present_contact(access_contact(actor(request), c.pk)))


@router.get("/contacts/{contact_id}", response=ContactOut, summary="A contact")
def read_contact(request: HttpRequest, contact_id: int) -> dict[str, Any]:
    return present_contact(access_contact(actor(request), contact_id))


@router.patch("/contacts/{contact_id}", response=ContactOut, summary="Change a contact")
def update_contact(request: HttpRequest, contact_id: int, payload: ContactIn) -> dict[str, Any]:
    me = actor(request)
    c = access_contact(me, contact_id)
    actions.save_contact(actor=me, contact=c, **payload.model_dump(exclude_unset=True))
    return present_contact(access_contact(me, contact_id))


@router.delete("/contacts/{contact_id}", response={204: None}, summary="Delete a contact without tickets")
def delete_contact(request: HttpRequest, contact_id: int) -> Status[None]:
    me = actor(request)
    actions.delete_contact(actor=me, contact=access_contact(me, contact_id))
    return Status(204, None)


@router.put(
    "/contacts/by-external-id/{system}/{value}",
    response={200: ContactOut, 201: ContactOut},
    summary="Create or update a contact by its id in another system (CRM, billing)",
)
def upsert_contact(
    request: HttpRequest, payload: ContactIn, system: str = SYSTEM, value: str = VALUE
) -> Status[dict[str, Any]]:
    me = actor(request)
    data = payload.model_dump(exclude_unset=True)
    data.pop("external_ids", None)
    c, created = actions.upsert_contact_by_external_id(actor=me, system=system, value=value, **data)
    return Status((201 if created else 200), present_contact(access_contact(me, c.pk)))


# --- Organizations ---------------------------------------------------------------------------


@router.get("/organizations", response=OrganizationPage, summary="List organizations")
def list_organizations(
    request: HttpRequest,
    q: str | None = Query(None, max_length=200),
    tier: str | None = Query(None, max_length=64),
    cursor: str | None = Query(None, max_length=20),
    limit: int = Query(50, ge=1, le=100),
) -> dict[str, Any]:
    qs = organizations(actor(request))
    if q:
        qs = qs.filter(name__icontains=q)
    if tier:
        qs = qs.filter(tier__name__iexact=tier)
    rows, nxt = _page(qs, _cursor(cursor), limit)
    return {"items": [present_organization(o) for o in rows], "next_cursor": nxt}


@router.post("/organizations", response={201: OrganizationOut}, summary="Create an organization")
def create_organization(request: HttpRequest, payload: OrganizationIn) -> Status[dict[str, Any]]:
    me = actor(request)
    o = actions.save_organization(actor=me, **payload.model_dump(exclude_unset=True))
    return Status(201, present_organization(access_organization(me, o.pk)))


@router.get("/organizations/{organization_id}", response=OrganizationOut, summary="An organization")
def read_organization(request: HttpRequest, organization_id: int) -> dict[str, Any]:
    return present_organization(access_organization(actor(request), organization_id))


@router.patch("/organizations/{organization_id}", response=OrganizationOut, summary="Change an organization")
def update_organization(
    request: HttpRequest, organization_id: int, payload: OrganizationIn
) -> dict[str, Any]:
    me = actor(request)
    o = access_organization(me, organization_id)
    actions.save_organization(actor=me, organization=o, **payload.model_dump(exclude_unset=True))
    return present_organization(access_organization(me, organization_id))


@router.delete("/organizations/{organization_id}", response={204: None}, summary="Delete an organization")
def delete_organization(request: HttpRequest, organization_id: int) -> Status[None]:
    me = actor(request)
    actions.delete_organization(actor=me, organization=access_organization(me, organization_id))
    return Status(204, None)


@router.put(
    "/organizations/by-external-id/{system}/{value}",
    response={200: OrganizationOut, 201: OrganizationOut},
    summary="Create or update an organization by its id in another system (CRM, billing)",
)
def upsert_organization(
    request: HttpRequest, payload: OrganizationIn, system: str = SYSTEM, value: str = VALUE
) -> Status[dict[str, Any]]:
    me = actor(request)
    data = payload.model_dump(exclude_unset=True)
    data.pop("external_ids", None)
    o, created = actions.upsert_organization_by_external_id(actor=me, system=system, value=value, **data)
    return Status((201 if created else 200), present_organization(access_organization(me, o.pk)))


@router.post("/organizations/{organization_id}/projects", response={201: ProjectOut}, summary="Add a project")
def create_project(request: HttpRequest, organization_id: int, payload: ProjectIn) -> Status[dict[str, Any]]:
    me = actor(request)
    p = actions.create_project(
        actor=me, organization=access_organization(me, organization_id), name=payload.name
    )
    return Status(201, {"id": p.pk, "name": p.name})


@router.get("/tiers", response=list[TierOut], summary="Customer tiers, most important first")
def list_tiers(request: HttpRequest) -> list[Tier]:
    return list(Tier.objects.all())
