"""What every settings page shares: the sub-navigation and showing an action's refusal on the
form (next to the field it names, else above the form)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _

from zabota.accounts.models import Agent
from zabota.core.errors import DomainError

SECTIONS = [
    ("agents", "/settings/agents/", _("Agents and roles")),
    ("teams", "/settings/teams/", _("Teams")),
    ("tags", "/settings/tags/", _("Tags")),
    ("tiers", "/settings/tiers/", _("Tiers")),
    ("fields", "/settings/fields/", _("Custom fields")),
    ("attributes", "/settings/attributes/", _("Customer attributes")),
    ("inboxes", "/settings/inboxes/", _("Inboxes and branding")),
    ("mailboxes", "/settings/mailboxes/", _("Mailboxes")),
    ("email", "/settings/email/", _("Email: quarantine")),
    ("sla-calendars", "/settings/sla/calendars/", _("SLA calendars")),
    ("sla-policies", "/settings/sla/policies/", _("SLA policies")),
    ("priority-rules", "/settings/priority-rules/", _("Priority rules")),
    ("routing", "/settings/routing/", _("Routing")),
]


def actor(request: HttpRequest) -> Agent:
    assert isinstance(request.user, Agent)
    return request.user


def show_error(form: forms.Form, exc: DomainError) -> None:
    """Put a refused action's message next to the field it names (or above the form)."""
    for field in exc.fields:
        if field in form.fields:
            form.add_error(field, exc.message)
            return
    form.add_error(None, exc.message)


def page(
    request: HttpRequest, template: str, section: str, context: dict[str, Any], status: int = 200
) -> HttpResponse:
    return render(
        request,
        template,
        {"nav": "settings", "section": section, "sections": SECTIONS, **context},
        status=status,
    )
