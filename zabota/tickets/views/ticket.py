"""Agent workspace: the ticket page (htmx; thin: forms in, actions and queries out).

``/tickets/<number>/`` shows the timeline, the composer, the properties panel and the customer
at a glance. The timeline (``.../timeline``) and the side panel (``.../properties``) are partials
with their own GET URLs: they refresh on the ``live-ticket`` DOM event (fired by live.js when the
ticket changes elsewhere) and on ``ticket-refresh`` (fired by our own responses after a write).

Query budget: the page is at most 15 SQL queries whatever the number of messages, attachments
and activity rows: one query each for the ticket (with its requester, organization, tier,
account manager, assignee, team, project and the requester's email), the teams (which also
primes the visibility rule's team caches), messages, attachments, activity, tags, agents (with
a follower flag), projects, both kinds of field definitions, and the customer's recent tickets.
Mail held on the ticket (email channel) costs a query only when there is some: the ticket query
says whether there is (an EXISTS), and collaborators, who may not act on it, never see it.

Errors from actions are shown inline next to the form that caused them, never as a 500: a
DomainError becomes a message (translated for the codes a person meets) and field errors.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.db import transaction
from django.db.models import Exists, OuterRef, Subquery
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.template.defaultfilters import filesizeformat
from django.urls import URLPattern, path
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from zabota.accounts.models import Agent, Team
from zabota.channels.email.models import InboundEmail, InboundStatus
from zabota.channels.email.views import held_context
from zabota.core.errors import DomainError
from zabota.customers.models import ContactEmail, Project
from zabota.customers.queries import glance_for_ticket
from zabota.tickets import actions
from zabota.tickets.choices import TRANSITIONS, ErrorCode, MessageKind, Status
from zabota.tickets.forms.ticket import (
    MODE_NOTE,
    MODE_REPLY,
    THEN_STATUSES,
    CollaboratorForm,
    ComposerForm,
    MergeForm,
    PropertiesForm,
)
from zabota.tickets.models import CustomFieldDefinition, Follower, Ticket
from zabota.tickets.queries import teams_for, timeline, visible_tickets
from zabota.tickets.views.attachments import preview_kind
from zabota.tickets.views.timeline_text import describe
from zabota.web.auth import agent_required

PAGE = "tickets/pages/ticket.html"
TIMELINE = "tickets/partials/ticket_timeline.html"
SIDE = "tickets/partials/ticket_side.html"
COMPOSER = "tickets/partials/ticket_composer.html"


# --- Reads -----------------------------------------------------------------------------------


def _ticket(agent: Agent, number: int) -> Ticket:
    """The ticket by number with everything the page shows about it; 404 when invisible."""
    primary_email = ContactEmail.objects.filter(contact_id=OuterRef("requester_id")).order_by(
        "-is_primary", "id"
    )
    tickets = visible_tickets(agent)
    if not agent.is_collaborator:
        held = InboundEmail.objects.filter(ticket_id=OuterRef("pk"), status=InboundStatus.HELD)
        tickets = tickets.annotate(has_held_mail=Exists(held))
    ticket = (
        tickets.select_related(
            "requester",
            "organization__tier",
            "organization__account_manager",
            "assignee",
            "team",
            "project",
            "merged_into",
        )
        .annotate(requester_email=Subquery(primary_email.values("email")[:1]))
        .filter(number=number)
        .first()
    )
    if ticket is None:
        raise Http404
    return ticket


def _agents(ticket: Ticket) -> list[Agent]:
    """Active agents (for the assignee and collaborator pickers), each with ``is_follower``."""
    following = Follower.objects.filter(ticket_id=ticket.pk, agent_id=OuterRef("pk"))
    return list(
        Agent.objects.filter(is_active=True)
        .annotate(is_follower=Exists(following))
        .only("id", "email", "name", "role", "can_reply_publicly", "is_active")
        .order_by("name", "email")
    )


_TAG = re.compile(r"(<[^>]*>)")


def quotes_escaped(cleaned_html: str) -> str:
    """Sanitised HTML (nh3 output) with quotes in its text escaped as well.

    nh3 leaves ``"`` and ``'`` bare in text, where they are harmless; escaping them too means
    customer text never appears on a page as the attribute-breaking string it was typed as
    (defence in depth, and what the XSS corpus test checks). Splitting on tags is exact for nh3
    output: it escapes ``<`` and ``>`` everywhere except in the tags it emits.
    """
    if not cleaned_html:
        return ""
    parts = _TAG.split(cleaned_html)
    for i in range(0, len(parts), 2):  # even indexes are text between tags
        parts[i] = parts[i].replace('"', "&quot;").replace("'", "&#x27;")
    return "".join(parts)


def _timeline_context(
    agent: Agent, ticket: Ticket, definitions: list[CustomFieldDefinition] | None = None
) -> dict[str, Any]:
    entries = timeline(agent, ticket)
    labels: dict[str, str] | None = None
    if definitions is not None:
        labels = {d.key: d.label or d.key for d in definitions}
    for e in entries:
        if e.message is not None:
            e.message.body_display = quotes_escaped(e.message.body_html)  # type: ignore[attr-defined]
            for att in e.message.attachments.all():
                att.preview_kind = preview_kind(att.content_type)  # type: ignore[attr-defined]
        elif e.activity is not None:
            if labels is None and e.activity.field == "custom_fields":
                labels = {d.key: d.label or d.key for d in CustomFieldDefinition.objects.all()}
            e.text = describe(e.activity, labels or {})  # type: ignore[attr-defined]
    return {"ticket": ticket, "entries": entries, "MessageKind": MessageKind}


@dataclass
class Choices:
    """What the properties and collaborator pickers offer (loaded once per response)."""

    agents: list[Agent]
    teams: list[Team]
    projects: list[Project]
    definitions: list[CustomFieldDefinition]


def _choices(agent: Agent, ticket: Ticket, teams: list[Team]) -> Choices:
    projects = (
        list(Project.objects.filter(organization_id=ticket.organization_id)) if ticket.organization_id else []
    )
    return Choices(
        agents=_agents(ticket),
        teams=teams,
        projects=projects,
        definitions=list(CustomFieldDefinition.objects.all()),
    )


def _properties_form(ticket: Ticket, choices: Choices, data: Any = None) -> PropertiesForm:
    return PropertiesForm(
        data,
        ticket=ticket,
        agents=choices.agents,
        teams=choices.teams,
        projects=choices.projects,
        definitions=choices.definitions,
    )


def _side_context(
    agent: Agent,
    ticket: Ticket,
    teams: list[Team],
    *,
    choices: Choices | None = None,
    form: PropertiesForm | None = None,
    error: str = "",
    side_error: str = "",
    merge_form: MergeForm | None = None,
    collaborator_form: CollaboratorForm | None = None,
) -> dict[str, Any]:
    choices = choices or _choices(agent, ticket, teams)
    agents = choices.agents
    me = next((a for a in agents if a.pk == agent.pk), None)
    followers = [a for a in agents if a.is_follower]  # type: ignore[attr-defined]
    candidates = [a for a in agents if not a.is_follower]  # type: ignore[attr-defined]
    values = ticket.custom_fields or {}
    return {
        "ticket": ticket,
        "form": form or _properties_form(ticket, choices),
        "error": error,
        "side_error": side_error,
        "can_edit": not agent.is_collaborator and ticket.merged_into_id is None,
        "can_merge": not agent.is_collaborator
        and ticket.merged_into_id is None
        and ticket.status != Status.CLOSED,
        "tags": sorted(ticket.tags.values_list("name", flat=True)),
        "custom_values": [(d, values[d.key]) for d in choices.definitions if d.key in values],
        "following": bool(me and me.is_follower),  # type: ignore[attr-defined]
        "followers": followers,
        "collaborator_form": collaborator_form or CollaboratorForm(agents=candidates),
        "merge_form": merge_form or MergeForm(),
        "assigned_to_me": ticket.assignee_id == agent.pk,
        "projects": choices.projects,
    }


def _composer_context(agent: Agent, ticket: Ticket, form: ComposerForm | None = None) -> dict[str, Any]:
    writable = ticket.merged_into_id is None
    may_reply = agent.may_reply_publicly and ticket.status != Status.CLOSED and writable
    default_mode = MODE_NOTE if (agent.is_collaborator or not may_reply) else MODE_REPLY
    mode = form.data.get("mode", default_mode) if form is not None and form.is_bound else default_mode
    if mode not in (MODE_REPLY, MODE_NOTE) or (mode == MODE_REPLY and not may_reply):
        mode = MODE_NOTE
    then = [s for s in THEN_STATUSES if s != ticket.status and s in TRANSITIONS[ticket.status]]
    return {
        "ticket": ticket,
        "composer": form or ComposerForm(initial={"mode": default_mode}),
        "mode": mode,
        "default_mode": default_mode,
        "may_reply": may_reply,
        "then_statuses": [(s.value, s.label) for s in then] if not agent.is_collaborator and writable else [],
        "writable": writable,
    }


def _page(
    request: HttpRequest, ticket: Ticket, teams: list[Team], *, status: int = 200, **overrides: Any
) -> HttpResponse:
    agent = _me(request)
    composer = overrides.pop("composer", None)
    context: dict[str, Any] = {"nav": "inbox", "ticket": ticket}
    choices = _choices(agent, ticket, teams)
    overrides.pop("choices", None)
    context.update(_timeline_context(agent, ticket, choices.definitions))
    context.update(_side_context(agent, ticket, teams, choices=choices, **overrides))
    context.update(_composer_context(agent, ticket, composer))
    context["glance"] = glance_for_ticket(agent, ticket)
    context.update(held_context(agent, ticket, present=bool(getattr(ticket, "has_held_mail", False))))
    return render(request, PAGE, context, status=status)


def _load(request: HttpRequest, number: int) -> tuple[Agent, list[Team], Ticket]:
    """The signed-in agent, every team (priming the visibility rule) and the visible ticket."""
    agent = _me(request)
    teams = teams_for(agent)
    return agent, teams, _ticket(agent, number)


# --- Error messages --------------------------------------------------------------------------

_FIELD_NAMES = {"assignee_id": "assignee", "team_id": "team", "project_id": "project", "tags": "add_tags"}


def readable(exc: DomainError, *, moving: tuple[str, str] | None = None) -> str:
    """What a person is told when an action refuses (translated for the errors people meet).
    ``moving`` is the (from, to) status a status change attempted, to name them."""
    code = getattr(exc, "code", "")
    if code == ErrorCode.ILLEGAL_TRANSITION:
        if moving and moving[0] in Status.values and moving[1] in Status.values:
            return _(
                "That status change is not allowed: a ticket cannot go from %(before)s to %(after)s."
            ) % {
                "before": Status(moving[0]).label,
                "after": Status(moving[1]).label,
            }
        return _("That status change is not allowed: %(reason)s") % {"reason": exc.message}
    if code == ErrorCode.MERGE_OTHER_REQUESTER:
        return _("Only tickets of the same customer can be merged (%(reason)s).") % {"reason": exc.message}
    if code == ErrorCode.MERGE_SELF:
        return _("A ticket cannot be merged into itself.")
    if code == ErrorCode.MERGED:
        return _("The ticket was merged or is closed: %(reason)s") % {"reason": exc.message}
    if code == ErrorCode.NOT_ASSIGNABLE:
        return _("That agent cannot be assigned: %(reason)s") % {"reason": exc.message}
    if code == ErrorCode.READ_ONLY:
        return _("You may not change this ticket's fields.")
    if code == ErrorCode.REPLY_NOT_ALLOWED:
        return _("You may write internal notes only.")
    fields = exc.fields or {}
    if fields.get("body") == "required":
        return _("Write a message or attach a file.")
    if fields.get("body") == "too_long":
        return _("The message is too long.")
    if fields.get("attachments") == "too_large":
        return _("A file is larger than %(limit)s; share a link to it instead.") % {
            "limit": filesizeformat(settings.ATTACHMENT_MAX_BYTES)
        }
    return exc.message


def _apply_field_errors(form: Any, exc: DomainError, message: str) -> None:
    for key in exc.fields:
        name = key.split(".")[0]
        if name == "custom_fields" and "." in key:
            name = "cf_" + key.split(".", 1)[1]
        name = _FIELD_NAMES.get(name, name)
        if name in form.fields:
            form.add_error(name, message)


def _is_htmx(request: HttpRequest) -> bool:
    return bool(getattr(request, "htmx", False))


def _me(request: HttpRequest) -> Agent:
    return request.user  # type: ignore[return-value]


# --- Pages and partials ----------------------------------------------------------------------


@require_GET
@agent_required
def ticket_page(request: HttpRequest, number: int) -> HttpResponse:
    _, teams, ticket = _load(request, number)
    return _page(request, ticket, teams)


@require_GET
@agent_required
def ticket_timeline(request: HttpRequest, number: int) -> HttpResponse:
    agent, _, ticket = _load(request, number)
    return render(request, TIMELINE, _timeline_context(agent, ticket))


@agent_required
def ticket_properties(request: HttpRequest, number: int) -> HttpResponse:
    """GET: the side panel. POST: save the properties form through ``update_ticket``."""
    agent, teams, ticket = _load(request, number)
    if request.method != "POST":
        return render(request, SIDE, _side_context(agent, ticket, teams))
    choices = _choices(agent, ticket, teams)
    form = _properties_form(ticket, choices, request.POST)
    if not form.is_valid():
        return _side_response(
            request,
            agent,
            ticket,
            teams,
            choices=choices,
            form=form,
            error=_("Please correct the errors below."),
        )
    changes = form.changes()
    if changes:
        try:
            actions.update_ticket(actor=agent, ticket_id=ticket.pk, **changes)
        except DomainError as exc:
            message = readable(
                exc, moving=(ticket.status, changes["status"]) if "status" in changes else None
            )
            _apply_field_errors(form, exc, message)
            return _side_response(request, agent, ticket, teams, choices=choices, form=form, error=message)
    return _after_write(request, agent, teams, ticket)


def _side_response(
    request: HttpRequest, agent: Agent, ticket: Ticket, teams: list[Team], **kwargs: Any
) -> HttpResponse:
    """A refused side-panel write: the panel with its inline errors (200, so htmx swaps it in),
    or the whole page (422) without htmx."""
    if _is_htmx(request):
        return render(request, SIDE, _side_context(agent, ticket, teams, **kwargs))
    return _page(request, ticket, teams, status=422, **kwargs)


def _after_write(request: HttpRequest, agent: Agent, teams: list[Team], ticket: Ticket) -> HttpResponse:
    """After a successful side-panel write: the fresh panel for htmx (and an event so the
    timeline refreshes itself), or a redirect back to the page (POST, redirect, GET)."""
    try:
        fresh = _ticket(agent, ticket.number)
    except Http404:
        return _leave(request)  # no longer visible (a collaborator who stopped following it)
    if _is_htmx(request):
        response = render(request, SIDE, _side_context(agent, fresh, teams))
        response["HX-Trigger"] = "timeline-refresh"
        return response
    return HttpResponseRedirect(f"/tickets/{fresh.number}/")


def _leave(request: HttpRequest) -> HttpResponse:
    if _is_htmx(request):
        response = HttpResponse(status=204)
        response["HX-Redirect"] = "/inbox/"
        return response
    return HttpResponseRedirect("/inbox/")


@require_POST
@agent_required
def ticket_message(request: HttpRequest, number: int) -> HttpResponse:
    """The composer: a public reply or an internal note, optionally setting a status."""
    agent, teams, ticket = _load(request, number)
    form = ComposerForm(request.POST, files_list=request.FILES.getlist("attachments"))
    if form.is_valid():
        mode = form.cleaned_data["mode"]
        then = form.cleaned_data.get("then") or None
        try:
            # One transaction: a note with "and set status" is both or neither.
            with transaction.atomic():
                if mode == MODE_REPLY:
                    actions.reply(
                        actor=agent,
                        ticket_id=ticket.pk,
                        body_text=form.body_text(),
                        attachments=form.uploads(),
                        status=then,
                        channel=ticket.channel,
                    )
                else:
                    actions.add_note(
                        actor=agent,
                        ticket_id=ticket.pk,
                        body_text=form.body_text(),
                        attachments=form.uploads(),
                    )
                    if then and then != ticket.status:
                        actions.update_ticket(actor=agent, ticket_id=ticket.pk, status=then)
        except DomainError as exc:
            form.add_error(None, readable(exc, moving=(ticket.status, then) if then else None))
        else:
            if _is_htmx(request):
                fresh = _ticket(agent, number)
                ctx = _composer_context(agent, fresh)
                ctx["mode"] = mode if (mode == MODE_NOTE or ctx["may_reply"]) else MODE_NOTE
                response = render(request, COMPOSER, ctx)
                response["HX-Trigger"] = "ticket-refresh"
                return response
            messages.success(request, _("Internal note added.") if mode == MODE_NOTE else _("Reply sent."))
            return HttpResponseRedirect(f"/tickets/{ticket.number}/")
    if _is_htmx(request):
        return render(request, COMPOSER, _composer_context(agent, ticket, form))
    return _page(request, ticket, teams, status=422, composer=form)


@require_POST
@agent_required
def ticket_assign_to_me(request: HttpRequest, number: int) -> HttpResponse:
    agent, teams, ticket = _load(request, number)
    try:
        actions.update_ticket(actor=agent, ticket_id=ticket.pk, assignee=agent)
    except DomainError as exc:
        return _side_response(request, agent, ticket, teams, side_error=readable(exc))
    return _after_write(request, agent, teams, ticket)


@require_POST
@agent_required
def ticket_follow(request: HttpRequest, number: int) -> HttpResponse:
    """Follow (``follow=1``) or stop following (``follow=0``) the ticket oneself."""
    agent, teams, ticket = _load(request, number)
    try:
        if request.POST.get("follow") == "0":
            actions.remove_follower(actor=agent, ticket_id=ticket.pk, agent=agent)
        else:
            actions.add_follower(actor=agent, ticket_id=ticket.pk, agent=agent)
    except DomainError as exc:
        return _side_response(request, agent, ticket, teams, side_error=readable(exc))
    return _after_write(request, agent, teams, ticket)


@require_POST
@agent_required
def ticket_add_collaborator(request: HttpRequest, number: int) -> HttpResponse:
    """Bring another agent or a collaborator (a developer) into the ticket as a follower: they
    then see it and can write internal notes on it, which the customer never sees."""
    agent, teams, ticket = _load(request, number)
    candidates = [a for a in _agents(ticket) if not a.is_follower]  # type: ignore[attr-defined]
    form = CollaboratorForm(request.POST, agents=candidates)
    if not form.is_valid():
        return _side_response(request, agent, ticket, teams, collaborator_form=form)
    try:
        actions.add_follower(actor=agent, ticket_id=ticket.pk, agent=form.chosen_agent())
    except DomainError as exc:
        return _side_response(request, agent, ticket, teams, side_error=readable(exc))
    return _after_write(request, agent, teams, ticket)


@require_POST
@agent_required
def ticket_remove_collaborator(request: HttpRequest, number: int, agent_id: int) -> HttpResponse:
    agent, teams, ticket = _load(request, number)
    other = Agent.objects.filter(pk=agent_id).first()
    if other is None:
        raise Http404
    try:
        actions.remove_follower(actor=agent, ticket_id=ticket.pk, agent=other)
    except DomainError as exc:
        return _side_response(request, agent, ticket, teams, side_error=readable(exc))
    return _after_write(request, agent, teams, ticket)


@require_POST
@agent_required
def ticket_merge(request: HttpRequest, number: int) -> HttpResponse:
    """Merge this ticket into another one by its number; then go to the target ticket."""
    agent, teams, ticket = _load(request, number)
    form = MergeForm(request.POST)
    if form.is_valid():
        into = form.cleaned_data["into"]
        target = visible_tickets(agent).filter(number=into).values_list("pk", flat=True).first()
        if target is None:
            form.add_error("into", _("There is no ticket #%(number)s.") % {"number": into})
        else:
            try:
                merged = actions.merge_tickets(actor=agent, source_id=ticket.pk, target_id=target)
            except DomainError as exc:
                form.add_error("into", readable(exc))
            else:
                messages.success(
                    request, _("Ticket #%(source)s was merged into this ticket.") % {"source": ticket.number}
                )
                url = f"/tickets/{merged.number}/"
                if _is_htmx(request):
                    response = HttpResponse(status=204)
                    response["HX-Redirect"] = url
                    return response
                return HttpResponseRedirect(url)
    return _side_response(request, agent, ticket, teams, merge_form=form)


urlpatterns: list[URLPattern] = [
    path("tickets/<int:number>/", ticket_page, name="ticket_page"),
    path("tickets/<int:number>/timeline", ticket_timeline, name="ticket_timeline"),
    path("tickets/<int:number>/properties", ticket_properties, name="ticket_properties"),
    path("tickets/<int:number>/messages", ticket_message, name="ticket_message"),
    path("tickets/<int:number>/assign-to-me", ticket_assign_to_me, name="ticket_assign_to_me"),
    path("tickets/<int:number>/follow", ticket_follow, name="ticket_follow"),
    path("tickets/<int:number>/collaborators", ticket_add_collaborator, name="ticket_add_collaborator"),
    path(
        "tickets/<int:number>/collaborators/<int:agent_id>/remove",
        ticket_remove_collaborator,
        name="ticket_remove_collaborator",
    ),
    path("tickets/<int:number>/merge", ticket_merge, name="ticket_merge"),
]
