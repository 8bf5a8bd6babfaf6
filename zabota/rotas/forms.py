"""Forms of the rota pages (parsing only; the actions hold the rules)."""

from __future__ import annotations

from datetime import time

from django import forms
from django.utils.translation import gettext_lazy as _

from zabota.accounts.models import Agent, Team
from zabota.rotas.models import Pattern, Seniority


class RotaForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=100)
    team = forms.ModelChoiceField(label=_("Team"), queryset=Team.objects.order_by("name"))
    timezone = forms.CharField(label=_("Time zone"), max_length=64, initial="UTC")
    shift_start = forms.TimeField(
        label=_("Shift starts"),
        initial=time(9, 0),
        widget=forms.TimeInput(format="%H:%M", attrs={"type": "time"}),
    )
    shift_end = forms.TimeField(
        label=_("Shift ends"),
        initial=time(18, 0),
        widget=forms.TimeInput(format="%H:%M", attrs={"type": "time"}),
        help_text=_("At or before the start: the shift ends the next day (00:00-00:00: whole days)."),
    )
    pattern = forms.ChoiceField(label=_("Pattern"), choices=Pattern.choices)
    people_per_shift = forms.IntegerField(label=_("People per shift"), min_value=1, max_value=10, initial=1)
    period_days = forms.IntegerField(label=_("Days per period"), min_value=1, max_value=31, initial=14)
    weekdays_only = forms.BooleanField(label=_("Weekdays only"), required=False)
    yearly_target_days = forms.IntegerField(
        label=_("Days on support per person a year"), min_value=0, max_value=366, initial=2
    )
    is_active = forms.BooleanField(label=_("Active"), required=False, initial=True)


def _agents() -> forms.ModelChoiceField:
    return forms.ModelChoiceField(
        label=_("Person"), queryset=Agent.objects.filter(is_active=True).order_by("name")
    )


class MemberForm(forms.Form):
    agent = _agents()
    seniority = forms.ChoiceField(label=_("Seniority"), choices=Seniority.choices, initial=Seniority.SENIOR)
    technical = forms.BooleanField(label=_("Technical"), required=False, initial=True)


class AddShiftForm(forms.Form):
    day = forms.DateField(label=_("Day"))
    agent = _agents()


class ChangeShiftForm(forms.Form):
    agent = _agents()


class SwapForm(forms.Form):
    shift = forms.IntegerField(label=_("Shift"))
    other_shift = forms.IntegerField(label=_("Swap with"))


class GenerateForm(forms.Form):
    month = forms.RegexField(regex=r"^\d{4}-\d{2}$", label=_("Month"))


class DayOffForm(forms.Form):
    agent = forms.ModelChoiceField(
        label=_("Person"), queryset=Agent.objects.filter(is_active=True).order_by("name"), required=False
    )
    start_date = forms.DateField(label=_("First day"), widget=forms.DateInput(attrs={"type": "date"}))
    end_date = forms.DateField(label=_("Last day"), widget=forms.DateInput(attrs={"type": "date"}))
    reason = forms.CharField(label=_("Reason"), max_length=200, required=False)
