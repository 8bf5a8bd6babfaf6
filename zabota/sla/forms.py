"""Forms of the SLA settings pages. They only parse input (weekly hours typed as ``09:00-18:00``,
targets in minutes, hours or days); ``zabota.sla.config`` validates the rules and the views show
its refusals next to the field they name."""

from __future__ import annotations

import re
import zoneinfo
from functools import cache
from typing import Any

from django import forms
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from zabota.accounts.models import Agent, Team
from zabota.customers.models import Organization, Tier
from zabota.sla.config import Conditions, EscalationSpec, TargetSpec
from zabota.sla.models import Calendar, EscalationAction, Metric
from zabota.tickets.choices import Channel, Kind, Priority
from zabota.tickets.models import Inbox

WEEKDAY_LABELS = [
    _("Monday"),
    _("Tuesday"),
    _("Wednesday"),
    _("Thursday"),
    _("Friday"),
    _("Saturday"),
    _("Sunday"),
]
_INTERVAL = re.compile(r"^\s*(\d{1,2}:\d{2})\s*[-–—]\s*(\d{1,2}:\d{2})\s*$")
UNITS = {"minutes": 1, "hours": 60, "days": 60 * 24}


@cache
def timezone_choices() -> list[tuple[str, str]]:
    return [(tz, tz) for tz in sorted(zoneinfo.available_timezones())]


def parse_day(text: str) -> list[list[str]]:
    """``"09:00-13:00, 14:00-18:00"`` -> ``[["09:00", "13:00"], ["14:00", "18:00"]]``; empty
    is a closed day. Times get a leading zero (``9:00`` -> ``09:00``)."""
    out: list[list[str]] = []
    for part in re.split(r"[,;]", text or ""):
        if not part.strip():
            continue
        match = _INTERVAL.match(part)
        if match is None:
            raise forms.ValidationError(
                _("Write the hours like 09:00-18:00 (several: 09:00-13:00, 14:00-18:00).")
            )
        out.append([t.zfill(5) for t in match.groups()])
    return out


def format_day(intervals: list[list[str]]) -> str:
    return ", ".join(f"{a}-{b}" for a, b in intervals or [])


class CalendarForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=100)
    timezone = forms.ChoiceField(label=_("Timezone"), initial="UTC")
    always_open = forms.BooleanField(label=_("Open 24/7 (every minute counts)"), required=False)
    country = forms.CharField(
        label=_("Country holidays"),
        max_length=8,
        required=False,
        help_text=_("An ISO country code such as RU or US: that country's public holidays are closed days."),
    )
    subdivision = forms.CharField(
        label=_("Region"),
        max_length=16,
        required=False,
        help_text=_("Optional: a state or region code, such as CA for California."),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["timezone"].choices = timezone_choices()  # type: ignore[attr-defined]
        for day, label in enumerate(WEEKDAY_LABELS):
            self.fields[f"day_{day}"] = forms.CharField(
                label=label,
                required=False,
                max_length=200,
                help_text=_("Empty: closed.") if day == 6 else "",
            )

    @classmethod
    def initial_for(cls, calendar: Calendar | None) -> dict[str, Any]:
        if calendar is None:
            weekdays = {f"day_{d}": "09:00-18:00" for d in range(5)}
            return {"timezone": "UTC", **weekdays}
        return {
            "name": calendar.name,
            "timezone": calendar.timezone,
            "always_open": calendar.always_open,
            "country": calendar.country,
            "subdivision": calendar.subdivision,
            **{f"day_{d}": format_day((calendar.hours or {}).get(str(d), [])) for d in range(7)},
        }

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        hours: dict[str, list[list[str]]] = {}
        for day in range(7):
            try:
                intervals = parse_day(data.get(f"day_{day}") or "")
            except forms.ValidationError as exc:
                self.add_error(f"day_{day}", exc)
                continue
            if intervals:
                hours[str(day)] = intervals
        data["hours"] = hours
        return data


class HolidayForm(forms.Form):
    date = forms.DateField(label=_("Date"), widget=forms.DateInput(attrs={"type": "date"}))
    name = forms.CharField(label=_("Name"), max_length=100, required=False)


class _Multiple(forms.MultipleChoiceField):
    widget = forms.CheckboxSelectMultiple

    def __init__(self, label: Any, choices: Any) -> None:
        super().__init__(label=label, choices=choices, required=False)


class PolicyForm(forms.Form):
    """A policy's name, conditions and options (targets and escalations are formsets)."""

    name = forms.CharField(label=_("Name"), max_length=100)
    is_active = forms.BooleanField(label=_("Active"), required=False, initial=True)
    tiers = forms.ModelMultipleChoiceField(
        label=_("Customer tiers"),
        queryset=Tier.objects.order_by("rank"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    channels = _Multiple(_("Channels"), Channel.choices)
    priorities = _Multiple(_("Priorities"), [(str(int(p)), p.label) for p in sorted(Priority, reverse=True)])
    kinds = _Multiple(_("Kinds"), Kind.choices)
    inboxes = forms.ModelMultipleChoiceField(
        label=_("Inboxes"),
        queryset=Inbox.objects.order_by("name"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    organizations = forms.CharField(
        label=_("Organizations"),
        required=False,
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Exact names, one per line. Empty: any organization."),
    )
    calendar = forms.ModelChoiceField(
        label=_("Business hours"),
        queryset=Calendar.objects.order_by("name"),
        required=False,
        empty_label=_("24/7 (no calendar)"),
    )
    warning_percent = forms.IntegerField(
        label=_("Warn at this percentage of a target"), min_value=1, max_value=99, initial=75
    )
    pause_on_hold = forms.BooleanField(
        label=_("Pause the resolution clock while the ticket is on hold"), required=False
    )

    def clean_organizations(self) -> list[Organization]:
        names = [n.strip() for n in (self.cleaned_data.get("organizations") or "").splitlines() if n.strip()]
        names = list(dict.fromkeys(names))[:200]
        if not names:
            return []
        query = Q()
        for name in names:
            query |= Q(name__iexact=name)
        found = {o.name.lower(): o for o in Organization.objects.filter(query)}
        missing = [n for n in names if n.lower() not in found]
        if missing:
            raise forms.ValidationError(_("No organization is called %(name)s."), params={"name": missing[0]})
        return list({o.pk: o for o in (found[n.lower()] for n in names)}.values())

    def conditions(self) -> Conditions:
        data = self.cleaned_data
        return Conditions(
            tiers=list(data["tiers"]),
            channels=list(data["channels"]),
            priorities=[int(p) for p in data["priorities"]],
            kinds=list(data["kinds"]),
            inboxes=list(data["inboxes"]),
            organizations=list(data["organizations"]),
        )


def channel_choices(blank: Any) -> list[tuple[str, Any]]:
    return [("", blank), *Channel.choices]


class TargetForm(forms.Form):
    """One row of the targets table; a row without an amount is ignored."""

    metric = forms.ChoiceField(label=_("Metric"), choices=Metric.choices)
    channel = forms.ChoiceField(
        label=_("Channel"), choices=channel_choices(_("Every channel")), required=False
    )
    amount = forms.IntegerField(label=_("Within"), min_value=1, max_value=527040, required=False)
    unit = forms.ChoiceField(
        label=_("Unit"),
        choices=[("minutes", _("minutes")), ("hours", _("hours")), ("days", _("days"))],
        initial="hours",
    )
    business_hours = forms.BooleanField(label=_("Business hours only"), required=False, initial=True)

    def spec(self) -> TargetSpec | None:
        data = getattr(self, "cleaned_data", None) or {}
        if not data.get("amount"):
            return None
        return TargetSpec(
            metric=data["metric"],
            channel=data.get("channel") or "",
            minutes=data["amount"] * UNITS.get(data.get("unit") or "minutes", 1),
            business_hours=bool(data.get("business_hours")),
        )

    @staticmethod
    def initial_for(minutes: int) -> dict[str, Any]:
        """An amount and unit showing ``minutes`` in the largest whole unit."""
        for unit in ("days", "hours"):
            if minutes % UNITS[unit] == 0:
                return {"amount": minutes // UNITS[unit], "unit": unit}
        return {"amount": minutes, "unit": "minutes"}


class EscalationForm(forms.Form):
    """One escalation rule; a row without an action is ignored."""

    metric = forms.ChoiceField(
        label=_("On a breach of"), choices=[("", _("Any target")), *Metric.choices], required=False
    )
    action = forms.ChoiceField(label=_("Do"), choices=[("", "—"), *EscalationAction.choices], required=False)
    team = forms.ModelChoiceField(
        label=_("Team"), queryset=Team.objects.order_by("name"), required=False, empty_label="—"
    )
    agent = forms.ModelChoiceField(
        label=_("Person"),
        queryset=Agent.objects.filter(is_active=True).order_by("name", "email"),
        required=False,
        empty_label="—",
    )

    def spec(self) -> EscalationSpec | None:
        data = getattr(self, "cleaned_data", None) or {}
        if not data.get("action"):
            return None
        return EscalationSpec(
            metric=data.get("metric") or "",
            action=data["action"],
            team=data.get("team"),
            agent=data.get("agent"),
        )


TargetFormSet = forms.formset_factory(TargetForm, extra=3, max_num=40, validate_max=True)
EscalationFormSet = forms.formset_factory(EscalationForm, extra=2, max_num=20, validate_max=True)
