"""Forms of the team leads' settings pages. They only parse input; the actions validate the
rules (unique names and ranks, the last admin, logo types) and the views show their errors."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from zabota.accounts.models import Agent, Role, Team
from zabota.customers.models import AttributeTarget, AttributeType
from zabota.tickets.choices import CustomFieldType


def role_choices() -> list[tuple[str, Any]]:
    return [
        (Role.ADMIN, _("Admin (team lead): everything, including settings")),
        (Role.AGENT, _("Agent: works tickets")),
        (Role.COLLABORATOR, _("Collaborator: sees their teams' tickets, writes notes")),
    ]


def role_label(role: str) -> Any:
    """The short, translated name of a role (the model's labels are not translated)."""
    labels: dict[str, Any] = {
        Role.ADMIN: _("Admin"),
        Role.AGENT: _("Agent"),
        Role.COLLABORATOR: _("Collaborator"),
    }
    return labels.get(role, role)


def type_label(type_: str) -> Any:
    """The translated name of a custom field or attribute type (they share the same types)."""
    return dict(CustomFieldType.choices).get(type_, type_)


class ColorInput(forms.TextInput):
    input_type = "color"


class TeamsField(forms.ModelMultipleChoiceField):
    widget = forms.CheckboxSelectMultiple

    def __init__(self, **kwargs: Any):
        super().__init__(queryset=Team.objects.order_by("name"), required=False, label=_("Teams"), **kwargs)


class AgentsField(forms.ModelMultipleChoiceField):
    widget = forms.CheckboxSelectMultiple

    def __init__(self, **kwargs: Any):
        super().__init__(
            queryset=Agent.objects.filter(is_active=True).order_by("name", "email"),
            required=False,
            label=_("Members"),
            **kwargs,
        )

    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.name} <{obj.email}>" if obj.name else str(obj.email)


class AgentEditForm(forms.Form):
    name = forms.CharField(label=pgettext_lazy("person", "Name"), max_length=200, required=False)
    role = forms.ChoiceField(label=_("Role"), choices=role_choices, widget=forms.RadioSelect)
    can_reply_publicly = forms.BooleanField(
        label=_("Collaborators: may send public replies to customers"), required=False
    )
    teams = TeamsField()


class AgentCreateForm(AgentEditForm):
    email = forms.EmailField(label=_("Email"), max_length=254)
    password = forms.CharField(
        label=_("Password"),
        required=False,
        strip=False,
        max_length=4096,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=_("Leave empty to generate a temporary password, shown once."),
    )
    field_order = ["email", "name", "role", "can_reply_publicly", "teams", "password"]


class PasswordResetForm(forms.Form):
    password = forms.CharField(
        label=_("New password"),
        required=False,
        strip=False,
        max_length=4096,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=_("Leave empty to generate a temporary password, shown once."),
    )


class TeamForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=100)
    restricted = forms.BooleanField(
        label=_("Restricted: only members and admins see this team's tickets"), required=False
    )
    members = AgentsField()
    lead = forms.ModelChoiceField(
        label=_("Team lead"),
        queryset=Agent.objects.filter(is_active=True).order_by("name", "email"),
        required=False,
        empty_label=_("No lead"),
        help_text=_("Told about SLA breaches of the team's tickets."),
    )


class TagRenameForm(forms.Form):
    name = forms.CharField(
        label=_("New name"),
        max_length=64,
        help_text=_("An existing tag's name merges the two tags."),
    )


class TierForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=64)
    rank = forms.IntegerField(
        label=_("Rank"), min_value=1, max_value=32767, help_text=_("1 is the most important tier.")
    )
    color = forms.CharField(label=_("Colour"), max_length=7, initial="#6b7280", widget=ColorInput)


class _DefinitionForm(forms.Form):
    """Shared by custom ticket fields and customer attributes."""

    key = forms.CharField(
        label=_("Key"),
        max_length=64,
        help_text=_("Used in the API; lower-case letters, digits and _. Cannot change later."),
    )
    label = forms.CharField(label=_("Label"), max_length=100)
    type = forms.ChoiceField(label=_("Type"), choices=CustomFieldType.choices)
    choices = forms.CharField(
        label=_("Choices"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("For the choice type: one choice per line."),
    )
    position = forms.IntegerField(label=_("Position"), min_value=0, max_value=100000, initial=0)

    def __init__(self, *args: Any, editing: bool = False, **kwargs: Any):
        super().__init__(*args, **kwargs)
        if editing:
            # Key and type are fixed once values are stored under them.
            for name in ("key", "type", "target"):
                if name in self.fields:
                    del self.fields[name]

    def clean_choices(self) -> list[str]:
        return [
            line.strip() for line in str(self.cleaned_data.get("choices") or "").splitlines() if line.strip()
        ]


class CustomFieldForm(_DefinitionForm):
    pass


def attribute_type_choices() -> list[tuple[str, Any]]:
    labels = dict(CustomFieldType.choices)  # the same types, with translated labels
    return [(value, labels.get(value, value)) for value in AttributeType.values]


class AttributeForm(_DefinitionForm):
    target = forms.ChoiceField(
        label=_("For"),
        choices=[
            (AttributeTarget.ORGANIZATION, _("Organizations")),
            (AttributeTarget.CONTACT, _("Contacts")),
        ],
    )
    type = forms.ChoiceField(label=_("Type"), choices=attribute_type_choices)
    field_order = ["target", "key", "label", "type", "choices", "position"]


class InboxForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=100)
    slug = forms.CharField(
        label=_("Portal address"),
        max_length=64,
        required=False,
        help_text=_("The customer portal of this inbox is at /portal/<address>/. Empty: no portal."),
    )
    email = forms.EmailField(label=_("Email address"), required=False)
    color = forms.CharField(label=_("Colour"), max_length=7, initial="#2563eb", widget=ColorInput)
    logo = forms.FileField(label=_("Logo"), required=False, help_text=_("PNG, JPEG or WebP, at most 1 MiB."))
    remove_logo = forms.BooleanField(label=_("Remove the logo"), required=False)
    portal_greeting = forms.CharField(
        label=_("Portal greeting"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Shown above the portal's sign-in form."),
    )
    default_team = forms.ModelChoiceField(
        label=_("Default team"), queryset=Team.objects.order_by("name"), required=False
    )
