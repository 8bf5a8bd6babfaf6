"""The search page's form: the query and its filters."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.utils.translation import gettext_lazy as _

from zabota.accounts.models import Agent, Team
from zabota.accounts.queries import team_ids_of
from zabota.tickets.choices import Status
from zabota.tickets.queries import TicketFilter
from zabota.tickets.queues import UNSOLVED

STATUS_CHOICES = [("", _("Any status")), ("unsolved", _("Unsolved")), *Status.choices]


class SearchForm(forms.Form):
    q = forms.CharField(label=_("Search"), required=False, max_length=500, strip=True)
    status = forms.ChoiceField(label=_("Status"), choices=STATUS_CHOICES, required=False)
    assignee = forms.ChoiceField(
        label=_("Assignee"),
        required=False,
        choices=[("", _("Anyone")), ("me", _("Me")), ("unassigned", _("Nobody (unassigned)"))],
    )
    team = forms.ChoiceField(label=_("Team"), required=False)
    tag = forms.CharField(label=_("Tag"), required=False, max_length=64)
    sort = forms.ChoiceField(
        label=_("Sort"),
        required=False,
        choices=[("newest", _("Newest")), ("relevance", _("Relevance"))],
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["team"]).choices = [
            ("", _("Any team")),
            ("mine", _("My teams")),
            *[(str(pk), name) for pk, name in Team.objects.values_list("pk", "name")],
        ]

    def query(self) -> str:
        return (self.cleaned_data.get("q") or "").replace("\x00", "")

    def sort_value(self) -> str:
        return self.cleaned_data.get("sort") or "newest"

    def ticket_filter(self, agent: Agent) -> TicketFilter | None:
        """The filters as a ``TicketFilter`` (None when none is set, so search stays unfiltered)."""
        data = self.cleaned_data
        flt = TicketFilter()
        used = False
        status = data.get("status")
        if status == "unsolved":
            flt.status, used = list(UNSOLVED), True
        elif status:
            flt.status, used = [status], True
        if data.get("assignee") == "me":
            flt.assignee_id, used = agent.pk, True
        elif data.get("assignee") == "unassigned":
            flt.unassigned, used = True, True
        team = data.get("team")
        if team == "mine":
            flt.team_ids, used = list(team_ids_of(agent)), True
        elif team:
            flt.team_id, used = int(team), True
        tag = (data.get("tag") or "").strip().lower()
        if tag:
            flt.tag, used = tag, True
        return flt if used else None

    def has_filters(self) -> bool:
        return any(self.cleaned_data.get(k) for k in ("status", "assignee", "team", "tag"))
