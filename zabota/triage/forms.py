"""Forms of the triage pages: a priority rule, an incident update, solving an incident."""

from __future__ import annotations

import re
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from zabota.customers.models import Tier
from zabota.tickets.choices import Kind, Priority
from zabota.triage.models import PriorityRule


class RuleForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=100)
    priority = forms.TypedChoiceField(
        label=_("Set priority to"), choices=Priority.choices, coerce=int, initial=Priority.HIGH
    )
    tiers = forms.ModelMultipleChoiceField(
        label=_("Tiers (any of)"),
        queryset=Tier.objects.order_by("rank"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    kinds = forms.MultipleChoiceField(
        label=_("Kinds (any of)"), choices=Kind.choices, required=False, widget=forms.CheckboxSelectMultiple
    )
    keywords = forms.CharField(
        label=_("Keywords (any of; one a line or separated by commas)"),
        required=False,
        max_length=10_000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_(
            "Whole words in the subject or first message, any case and word form: “не работает” also finds “не работают”."
        ),
    )
    is_active = forms.BooleanField(label=_("Active"), required=False, initial=True)

    def clean_keywords(self) -> list[str]:
        raw = self.cleaned_data.get("keywords") or ""
        return [k.strip() for k in re.split(r"[,\n;]", raw) if k.strip()]

    @staticmethod
    def initial_for(rule: PriorityRule) -> dict[str, Any]:
        return {
            "name": rule.name,
            "priority": rule.priority,
            "tiers": list(rule.tiers.all()),
            "kinds": rule.kinds,
            "keywords": "\n".join(rule.keywords),
            "is_active": rule.is_active,
        }


class UpdateForm(forms.Form):
    body = forms.CharField(
        label=_("Update to all affected customers"),
        max_length=20_000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_(
            "Sent as a public reply on the incident ticket and every linked ticket, on each customer's own channel."
        ),
    )


class SolveForm(forms.Form):
    solve_linked = forms.BooleanField(label=_("Also solve the linked tickets"), required=False, initial=True)


class LinkForm(forms.Form):
    """Tickets (ids) to link; from the incident's search results or the inbox's bulk bar (where
    the incident is given by its ticket number)."""

    ticket = forms.TypedMultipleChoiceField(coerce=int, required=False)
    incident = forms.IntegerField(
        label=_("Incident ticket number"), required=False, min_value=1, max_value=2**62
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["ticket"].valid_value = lambda value: str(value).isdigit() and len(str(value)) < 19  # type: ignore[attr-defined]
