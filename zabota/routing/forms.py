"""Forms of the routing pages. They only parse input; the actions validate the rules."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from zabota.routing.choices import AreaSource, Availability, RoutingMode
from zabota.tickets.models import CustomFieldDefinition


class StatusForm(forms.Form):
    status = forms.ChoiceField(label=_("My status"), choices=Availability.choices)


def _split(value: str) -> list[str]:
    return [part.strip() for part in (value or "").replace(";", ",").split(",") if part.strip()]


class AgentRoutingForm(forms.Form):
    status = forms.ChoiceField(label=_("Status"), choices=Availability.choices)
    capacity = forms.IntegerField(
        label=_("Capacity"),
        required=False,
        min_value=0,
        max_value=10_000,
        help_text=_("Most unsolved tickets assigned at once. Empty: no limit."),
    )
    languages = forms.CharField(
        label=_("Languages"),
        required=False,
        max_length=500,
        help_text=_("Language codes, comma-separated: en, ru"),
    )
    areas = forms.CharField(
        label=_("Product areas"),
        required=False,
        max_length=2000,
        help_text=_("Comma-separated, e.g. billing, mobile app"),
    )

    def clean_languages(self) -> list[str]:
        return _split(self.cleaned_data.get("languages", ""))

    def clean_areas(self) -> list[str]:
        return _split(self.cleaned_data.get("areas", ""))


class TeamRoutingForm(forms.Form):
    mode = forms.ChoiceField(label=_("Routing"), choices=RoutingMode.choices, widget=forms.RadioSelect)
    match_language = forms.BooleanField(
        label=_("Match the requester's language to agents' languages"), required=False
    )
    area_source = forms.ChoiceField(
        label=_("Product area comes from"), choices=AreaSource.choices, required=False
    )
    area_field = forms.ChoiceField(
        label=_("Custom field (when areas come from a custom field)"), required=False
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        keys = CustomFieldDefinition.objects.order_by("position", "key").values_list("key", "label")
        self.fields["area_field"].choices = [("", "—"), *[(k, f"{label} ({k})") for k, label in keys]]  # type: ignore[attr-defined]
