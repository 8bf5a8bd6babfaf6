"""Forms of the inbox: the filter form (ad hoc filters and saved views), saving a view, bulk actions.

The filter form's ``cleaned_filters()`` is what a saved view stores as JSON;
``zabota.tickets.queues.saved_filter`` turns that JSON into a ``TicketFilter``. Choice lists are
loaded only when a form is built (one query per list), never when the inbox counts its views.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Any, cast

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from zabota.accounts.models import Agent, Team
from zabota.core.errors import ValidationFailed
from zabota.customers.models import ContactEmail, Organization, Project, Tier
from zabota.tickets.actions.fields import normalise_tag
from zabota.tickets.choices import Channel, Kind, Priority, Status
from zabota.tickets.models import CustomFieldDefinition, Inbox
from zabota.tickets.queries import MAX_FILTER_TAGS, custom_field_value

SORT_CHOICES = [
    ("queue", _("Priority, then oldest")),
    ("newest", _("Newest")),
    ("oldest", _("Oldest")),
    ("updated", _("Last update")),
    ("status", _("Status")),
    ("assignee", _("Assignee")),
    ("requester", _("Requester")),
    ("due", _("Nearest SLA due time")),
]
SLA_CHOICES = [
    ("at_risk", _("At risk")),
    ("breached", _("Breached")),
    ("paused", _("Paused")),
    ("none", _("No SLA")),
]
PRIORITY_CHOICES = [(p.name.lower(), p.label) for p in sorted(Priority, reverse=True)]
FILTER_KEYS = (
    "status",
    "priority",
    "kind",
    "channel",
    "assignee",
    "team",
    "tag",
    "tier",
    "organization",
    "project",
    "requester",
    "inbox",
    "custom_field",
    "custom_value",
    "created_from",
    "created_to",
    "updated_from",
    "updated_to",
    "sla",
    "sla_due_before",
    "sort",
)
DATE_KEYS = ("created_from", "created_to", "updated_from", "updated_to")


class DateInput(forms.DateInput):
    input_type = "date"


def agent_choices() -> list[tuple[str, str]]:
    return [
        (str(pk), name or email)
        for pk, name, email in Agent.objects.filter(is_active=True)
        .order_by("name", "email")
        .values_list("pk", "name", "email")
    ]


class InboxFilterForm(forms.Form):
    """Every condition an inbox view can have. Bound to the query string (ad hoc filters) or to
    a saved view's JSON (editing it)."""

    status = forms.MultipleChoiceField(
        label=_("Status"), choices=Status.choices, required=False, widget=forms.CheckboxSelectMultiple
    )
    priority = forms.MultipleChoiceField(
        label=_("Priority"), choices=PRIORITY_CHOICES, required=False, widget=forms.CheckboxSelectMultiple
    )
    kind = forms.MultipleChoiceField(
        label=_("Kind"), choices=Kind.choices, required=False, widget=forms.CheckboxSelectMultiple
    )
    channel = forms.MultipleChoiceField(
        label=_("Channel"), choices=Channel.choices, required=False, widget=forms.CheckboxSelectMultiple
    )
    assignee = forms.ChoiceField(label=_("Assignee"), required=False)
    team = forms.ChoiceField(label=_("Team"), required=False)
    tag = forms.CharField(
        label=_("Tags"),
        required=False,
        max_length=700,
        help_text=_("Tickets with all of these tags; separate them with spaces."),
    )
    tier = forms.ChoiceField(label=_("Tier"), required=False)
    organization = forms.CharField(
        label=_("Organization"),
        required=False,
        max_length=200,
        help_text=_("The organization's exact name."),
    )
    project = forms.CharField(
        label=_("Project"),
        required=False,
        max_length=200,
        help_text=_("The project's exact name (with the organization above when several share it)."),
    )
    requester = forms.CharField(
        label=_("Requester"), required=False, max_length=254, help_text=_("The requester's email address.")
    )
    inbox = forms.ChoiceField(label=_("Inbox"), required=False)
    custom_field = forms.ChoiceField(label=_("Custom field"), required=False)
    custom_value = forms.CharField(
        label=_("Custom field value"),
        required=False,
        max_length=2000,
        help_text=_("Equal to this value (yes/no fields: true or false)."),
    )
    created_from = forms.DateField(label=_("Created on or after"), required=False, widget=DateInput)
    created_to = forms.DateField(label=_("Created on or before"), required=False, widget=DateInput)
    updated_from = forms.DateField(label=_("Updated on or after"), required=False, widget=DateInput)
    updated_to = forms.DateField(label=_("Updated on or before"), required=False, widget=DateInput)
    sla = forms.MultipleChoiceField(
        label=_("SLA"), choices=SLA_CHOICES, required=False, widget=forms.CheckboxSelectMultiple
    )
    sla_due_before = forms.DateTimeField(
        label=_("SLA due before"),
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )
    sort = forms.ChoiceField(label=_("Sort"), choices=SORT_CHOICES, required=False)

    def __init__(
        self,
        *args: Any,
        agents: list[tuple[str, str]] | None = None,
        teams: list[tuple[int, str]] | None = None,
        **kwargs: Any,
    ) -> None:
        """``agents`` and ``teams``: the choice lists when the page has them already."""
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["assignee"]).choices = [
            ("", _("Anyone")),
            ("me", _("Me")),
            ("unassigned", _("Nobody (unassigned)")),
            *(agent_choices() if agents is None else agents),
        ]
        cast(forms.ChoiceField, self.fields["team"]).choices = [
            ("", _("Any team")),
            ("mine", _("My teams")),
            *[
                (str(pk), name)
                for pk, name in (Team.objects.values_list("pk", "name") if teams is None else teams)
            ],
        ]
        cast(forms.ChoiceField, self.fields["tier"]).choices = [
            ("", _("Any tier")),
            *[(str(pk), name) for pk, name in Tier.objects.values_list("pk", "name")],
        ]
        cast(forms.ChoiceField, self.fields["inbox"]).choices = [
            ("", _("Any inbox")),
            *[(str(pk), name) for pk, name in Inbox.objects.values_list("pk", "name")],
        ]
        # The definitions' types too, so checking the value needs no second query.
        self.custom_fields = {
            key: (label, type_, choices)
            for key, label, type_, choices in CustomFieldDefinition.objects.values_list(
                "key", "label", "type", "choices"
            )
        }
        cast(forms.ChoiceField, self.fields["custom_field"]).choices = [
            ("", _("Any custom field")),
            *[(key, label) for key, (label, _type, _choices) in self.custom_fields.items()],
        ]

    def clean_organization(self) -> int | None:
        name = (self.cleaned_data.get("organization") or "").strip()
        if not name:
            return None
        ids = list(Organization.objects.filter(name__iexact=name).values_list("pk", flat=True)[:2])
        if not ids:
            raise forms.ValidationError(_("No organization is called %(name)s."), params={"name": name})
        if len(ids) > 1:
            raise forms.ValidationError(
                _("Several organizations are called %(name)s."), params={"name": name}
            )
        return ids[0]

    def clean_tag(self) -> list[str]:
        tags: list[str] = []
        for word in re.split(r"[\s,]+", self.cleaned_data.get("tag") or ""):
            if not word:
                continue
            try:
                tags.append(normalise_tag(word))
            except ValidationFailed as exc:
                raise forms.ValidationError(_("“%(tag)s” is not a valid tag."), params={"tag": word}) from exc
        tags = list(dict.fromkeys(tags))
        if len(tags) > MAX_FILTER_TAGS:
            raise forms.ValidationError(_("At most %(count)d tags."), params={"count": MAX_FILTER_TAGS})
        return tags

    def clean_requester(self) -> int | None:
        email = (self.cleaned_data.get("requester") or "").strip()
        if not email:
            return None
        contact = (
            ContactEmail.objects.filter(email__iexact=email).values_list("contact_id", flat=True).first()
        )
        if contact is None:
            raise forms.ValidationError(_("No customer has the address %(email)s."), params={"email": email})
        return contact

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        name = (data.get("project") or "").strip() if isinstance(data.get("project"), str) else ""
        if name:
            projects = Project.objects.filter(name__iexact=name)
            if data.get("organization"):
                projects = projects.filter(organization_id=data["organization"])
            ids = list(projects.values_list("pk", flat=True)[:2])
            if not ids:
                self.add_error("project", _("No project is called %(name)s.") % {"name": name})
            elif len(ids) > 1:
                self.add_error(
                    "project",
                    _("Several projects are called %(name)s: choose the organization too.") % {"name": name},
                )
            else:
                data["project"] = ids[0]
        else:
            data["project"] = None
        key, value = data.get("custom_field"), (data.get("custom_value") or "").strip()
        if key and not value:
            self.add_error("custom_value", _("Give the value the custom field must have."))
        elif value and not key:
            self.add_error("custom_field", _("Choose the custom field."))
        elif key:
            try:
                _label, type_, choices = self.custom_fields[key]
                data["custom_value"] = custom_field_value(key, type_, choices, value)
            except ValidationFailed:
                self.add_error("custom_value", _("This value does not fit the custom field."))
        for key in DATE_KEYS:
            if data.get(key) and not 1900 <= data[key].year <= 9000:
                self.add_error(key, _("Choose a date between the years 1900 and 9000."))
                data[key] = None
        for start, end in (("created_from", "created_to"), ("updated_from", "updated_to")):
            if data.get(start) and data.get(end) and data[start] > data[end]:
                self.add_error(end, _("The end date is before the start date."))
        return data

    def cleaned_filters(self) -> dict[str, Any]:
        """The JSON a saved view stores: only the conditions that are set (dates as
        YYYY-MM-DD, the custom field's value typed as the field is)."""
        data = self.cleaned_data
        out: dict[str, Any] = {}
        for key in FILTER_KEYS:
            value = data.get(key)
            if value in (None, "", []):
                continue
            out[key] = value.isoformat() if isinstance(value, date) else value
        return out

    @classmethod
    def initial_from(cls, filters: dict[str, Any]) -> dict[str, Any]:
        """Form data for a saved view's JSON (the organization id shown as its name)."""
        data = {k: v for k, v in (filters or {}).items() if k in FILTER_KEYS}
        org_id = data.get("organization")
        if org_id:
            data["organization"] = (
                Organization.objects.filter(pk=org_id).values_list("name", flat=True).first() or ""
            )
        if data.get("project"):
            data["project"] = (
                Project.objects.filter(pk=data["project"]).values_list("name", flat=True).first() or ""
            )
        if data.get("requester"):
            data["requester"] = (
                ContactEmail.objects.filter(contact_id=data["requester"])
                .order_by("-is_primary", "id")
                .values_list("email", flat=True)
                .first()
                or ""
            )
        tags = data.get("tag")
        if isinstance(tags, list):
            data["tag"] = " ".join(str(t) for t in tags)
        value = data.get("custom_value")
        if isinstance(value, bool):
            data["custom_value"] = "true" if value else "false"
        elif value is not None:
            data["custom_value"] = str(value)
        for key in ("assignee", "team", "tier", "inbox"):
            if key in data:
                data[key] = str(data[key])
        due = data.get("sla_due_before")
        if isinstance(due, str):  # stored with its offset; the picker shows local minutes
            try:
                moment = datetime.fromisoformat(due)
                data["sla_due_before"] = timezone.localtime(moment).strftime("%Y-%m-%dT%H:%M")
            except ValueError:
                data.pop("sla_due_before")
        return data


class SavedViewForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=100)
    shared = forms.BooleanField(
        label=_("Shared with every agent"), required=False, help_text=_("Otherwise only you see it.")
    )

    def clean_name(self) -> str:
        name = " ".join(self.cleaned_data["name"].split())
        if not name:
            raise forms.ValidationError(_("Give the view a name."))
        return name


MAX_BULK = 200  # tickets per bulk action (four pages)
BULK_ACTIONS = [
    ("assign_me", _("Assign to me")),
    ("assign", _("Assign")),
    ("unassign", _("Unassign")),
    ("status", _("Change status")),
    ("add_tag", _("Add tag")),
    ("remove_tag", _("Remove tag")),
    ("merge", _("Merge")),
]


class IdListField(forms.Field):
    """Repeated integer values (``ticket=1&ticket=2``); anything else is an error."""

    widget = forms.MultipleHiddenInput

    def to_python(self, value: Any) -> list[int]:
        if not value:
            return []
        if not isinstance(value, (list, tuple)):
            value = [value]
        out: list[int] = []
        for v in value:
            s = str(v).strip()
            if not s.isdigit() or len(s) > 18:
                raise forms.ValidationError(_("The selection is not valid."))
            out.append(int(s))
        return list(dict.fromkeys(out))


class BulkForm(forms.Form):
    """A bulk action on the selected tickets (ids, in the order they are listed)."""

    action = forms.ChoiceField(choices=BULK_ACTIONS)
    ticket = IdListField(required=False)
    assignee = forms.IntegerField(label=_("Agent"), required=False, min_value=1, max_value=2**62)
    status = forms.ChoiceField(
        label=_("Status"), required=False, choices=[("", "—")] + [c for c in Status.choices]
    )
    tag = forms.CharField(label=_("Tag"), max_length=64, required=False)
    target = forms.IntegerField(
        label=_("Merge into ticket number"),
        required=False,
        min_value=1,
        max_value=2**62,
        help_text=_("Empty: into the first selected ticket."),
    )
    next = forms.CharField(required=False, max_length=2000)

    def clean_ticket(self) -> list[int]:
        return (self.cleaned_data.get("ticket") or [])[:MAX_BULK]

    def clean_tag(self) -> str:
        tag = (self.cleaned_data.get("tag") or "").strip()
        if not tag:
            return ""
        try:
            return normalise_tag(tag)
        except ValidationFailed as exc:
            raise forms.ValidationError(_("“%(tag)s” is not a valid tag."), params={"tag": tag}) from exc

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        action = data.get("action")
        if not data.get("ticket"):
            raise forms.ValidationError(_("Select at least one ticket."))
        if action == "assign" and not data.get("assignee"):
            self.add_error("assignee", _("Choose an agent."))
        if action == "status" and not data.get("status"):
            self.add_error("status", _("Choose a status."))
        if action in ("add_tag", "remove_tag") and not (data.get("tag") or "").strip():
            self.add_error("tag", _("Type a tag."))
        if action == "merge" and not data.get("target") and len(data.get("ticket") or []) < 2:
            raise forms.ValidationError(_("Select at least two tickets to merge, or give a ticket number."))
        return data
