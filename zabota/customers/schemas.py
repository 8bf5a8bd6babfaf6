"""API shapes of contacts, organizations, tiers and projects."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from ninja import Field, Schema

from zabota.core.schemas import Out


class TierOut(Out):
    id: int
    name: str
    rank: int
    color: str


class ExternalIdOut(Out):
    system: str
    value: str


class ProjectOut(Out):
    id: int
    name: str


class OrganizationOut(Out):
    id: int
    name: str
    tier: TierOut | None
    account_manager_id: int | None
    domains: list[str]
    attributes: dict[str, Any]
    notes: str
    external_ids: list[ExternalIdOut]
    projects: list[ProjectOut]
    created_at: datetime
    updated_at: datetime


class OrganizationIn(Schema):
    name: str | None = Field(None, min_length=1, max_length=200)
    tier: str | None = Field(None, description="Tier name; empty string clears it")
    account_manager_id: int | None = None
    domains: list[str] | None = Field(None, max_length=100)
    attributes: dict[str, Any] | None = None
    notes: str | None = Field(None, max_length=20000)
    external_ids: dict[str, str] | None = None


class ContactOut(Out):
    id: int
    name: str
    emails: list[str]
    phones: list[str]
    organization_id: int | None
    is_organization_admin: bool
    locale: str
    timezone: str
    attributes: dict[str, Any]
    external_ids: list[ExternalIdOut]
    created_at: datetime
    updated_at: datetime


class ContactIn(Schema):
    name: str | None = Field(None, max_length=200)
    emails: list[str] | None = Field(None, max_length=20)
    phones: list[str] | None = Field(None, max_length=20)
    organization_id: int | None = None
    is_organization_admin: bool | None = None
    locale: str | None = Field(None, max_length=8)
    timezone: str | None = Field(None, max_length=64)
    attributes: dict[str, Any] | None = None
    external_ids: dict[str, str] | None = None


class ProjectIn(Schema):
    name: str = Field(..., min_length=1, max_length=200)


class ContactPage(Out):
    items: list[ContactOut]
    next_cursor: str | None


class OrganizationPage(Out):
    items: list[OrganizationOut]
    next_cursor: str | None
