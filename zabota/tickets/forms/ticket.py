"""Forms of the ticket page: the composer, the properties panel, merge and collaborators.

Forms only parse input into the values the actions take; every rule (the state machine, who may
be assigned, which project belongs to the organization, custom field types) is checked by the
actions, whose errors the views show next to the fields.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from django import forms
from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext_lazy as _

from zabota.accounts.models import Agent, Team
from zabota.customers.models import Project
from zabota.tickets.actions.common import Upload
from zabota.tickets.choices import TRANSITIONS, CustomFieldType, Kind, Priority, Status
from zabota.tickets.models import CustomFieldDefinition, Ticket

MODE_REPLY = "reply"
MODE_NOTE = "note"
THEN_STATUSES = (Status.PENDING, Status.SOLVED, Status.OPEN)


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


Option = tuple[str, str, bool]  # (value, label, selected)


@dataclass
class Control:
    """One form control as plain data, rendered by the page's own markup.

    Django renders every widget (and every ``<option>``) through its own small templates: on the
    ticket page, with a few dozen options, that was about half the page's render time. The
    page reads these instead; parsing and validation stay the form's.
    """

    name: str
    id: str
    label: str
    kind: str  # "select" or "input"
    value: str = ""
    input_type: str = "text"
    groups: list[tuple[str, list[Option]]] = field(default_factory=list)  # ("", options): no optgroup
    attrs: dict[str, str] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    custom_key: str = ""  # a custom field's key


def control(bound: forms.BoundField) -> Control:
    widget = bound.field.widget
    value = bound.value()
    current = "" if value is None else str(value)
    attrs = {
        k: ("" if v is True else str(v)) for k, v in widget.attrs.items() if k != "type" and v is not False
    }
    c = Control(
        name=bound.html_name,
        id=bound.auto_id or "",
        label=str(bound.label),
        kind="select" if isinstance(widget, forms.Select) else "input",
        attrs=attrs,
        errors=[str(e) for e in bound.errors],
    )
    if c.kind == "select":
        choices = list(getattr(widget, "choices", []))
        flat: list[Option] = []
        for v, label in choices:
            if isinstance(label, (list, tuple)):
                c.groups.append((str(v), [(str(gv), str(gl), str(gv) == current) for gv, gl in label]))
            else:
                flat.append((str(v), str(label), str(v) == current))
        if flat:
            c.groups.insert(0, ("", flat))
    else:
        c.input_type = str(widget.attrs.get("type") or getattr(widget, "input_type", "text") or "text")
        c.value = current
    return c


class ComposerForm(forms.Form):
    """A public reply or an internal note, with attachments and an optional status to set."""

    mode = forms.ChoiceField(choices=[(MODE_REPLY, _("Public reply")), (MODE_NOTE, _("Internal note"))])
    body = forms.CharField(
        label=_("Message"),
        required=False,
        strip=False,
        widget=forms.Textarea(attrs={"rows": 6}),
        max_length=1_000_000,
    )
    then = forms.ChoiceField(
        required=False,
        choices=[("", "")] + [(s.value, s.label) for s in THEN_STATUSES],
    )

    def __init__(self, *args: Any, files_list: list[UploadedFile] | None = None, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.files_list = files_list or []

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not (data.get("body") or "").strip() and not self.files_list:
            self.add_error("body", _("Write a message or attach a file."))
        limit = settings.ATTACHMENT_MAX_BYTES
        for f in self.files_list:
            if (f.size or 0) > limit:  # refused before the bytes are read into memory
                self.add_error(
                    None,
                    _("%(name)s is larger than %(limit)s; share a link to it instead.")
                    % {"name": f.name, "limit": filesizeformat(limit)},
                )
        return data

    def uploads(self) -> list[Upload]:
        out = []
        for f in self.files_list:
            out.append(Upload(name=f.name or "attachment", content=f.read()))
        return out

    def body_text(self) -> str:
        body = self.cleaned_data.get("body") or ""
        # A message that is only attachments still needs a body: name the files.
        if not body.strip():
            return ", ".join(f.name or "attachment" for f in self.files_list)
        return body


def _choice(form: forms.Form, name: str) -> forms.ChoiceField:
    field = form.fields[name]
    assert isinstance(field, forms.ChoiceField)
    return field


def _agent_label(agent: Agent) -> str:
    return f"{agent.name} <{agent.email}>" if agent.name else agent.email


class PropertiesForm(forms.Form):
    """The ticket's fields. ``changes()`` gives only what differs from the ticket, so saving one
    field never re-validates the others (an assignee deactivated since stays until changed)."""

    status = forms.ChoiceField(label=_("Status"))
    priority = forms.TypedChoiceField(
        label=_("Priority"), coerce=int, choices=[(p.value, p.label) for p in Priority]
    )
    kind = forms.ChoiceField(label=_("Kind"), choices=Kind.choices)
    assignee = forms.TypedChoiceField(label=_("Assignee"), coerce=int, required=False, empty_value=None)
    team = forms.TypedChoiceField(label=_("Team"), coerce=int, required=False, empty_value=None)
    project = forms.TypedChoiceField(label=_("Project"), coerce=int, required=False, empty_value=None)
    add_tags = forms.CharField(label=_("Add tags"), required=False, max_length=1000)
    remove_tag = forms.CharField(required=False, max_length=100)

    def __init__(
        self,
        *args: Any,
        ticket: Ticket,
        agents: list[Agent],
        teams: list[Team],
        projects: list[Project],
        definitions: list[CustomFieldDefinition],
        **kwargs: Any,
    ):
        initial = {
            "status": ticket.status,
            "priority": ticket.priority,
            "kind": ticket.kind,
            "assignee": ticket.assignee_id,
            "team": ticket.team_id,
            "project": ticket.project_id,
        }
        for d in definitions:
            value = (ticket.custom_fields or {}).get(d.key)
            if d.type == CustomFieldType.BOOLEAN and value is not None:
                value = "true" if value else "false"
            initial[f"cf_{d.key}"] = value
        kwargs["initial"] = initial
        super().__init__(*args, **kwargs)
        self.ticket = ticket
        self.definitions = definitions
        statuses = [ticket.status, *sorted(TRANSITIONS[ticket.status], key=Status.values.index)]
        # Any status parses; the state machine (in the action) refuses an illegal move with a
        # readable error. Only the legal moves are offered.
        _choice(self, "status").choices = Status.choices
        self.fields["status"].widget.choices = [(s, Status(s).label) for s in statuses]  # type: ignore[attr-defined]
        listed = {a.pk for a in agents}
        people = [(a.pk, _agent_label(a)) for a in agents]
        if ticket.assignee is not None and ticket.assignee_id not in listed:
            people.insert(0, (ticket.assignee.pk, _agent_label(ticket.assignee)))
        _choice(self, "assignee").choices = [("", _("Unassigned")), *people]
        _choice(self, "team").choices = [("", _("No team")), *[(t.pk, t.name) for t in teams]]
        _choice(self, "project").choices = [("", _("No project")), *[(p.pk, p.name) for p in projects]]
        self._agents = {a.pk: a for a in agents}
        if ticket.assignee is not None:
            self._agents.setdefault(ticket.assignee.pk, ticket.assignee)
        self._teams = {t.pk: t for t in teams}
        self._projects = {p.pk: p for p in projects}
        for d in definitions:
            self.fields[f"cf_{d.key}"] = custom_field(d)
        # The ticket page's keyboard: s focuses the status, t the tag field.
        self.fields["status"].widget.attrs["data-shortcut"] = "s"
        self.fields["add_tags"].widget.attrs.update(
            {"data-shortcut": "t", "placeholder": _("tag, another-tag"), "autocomplete": "off"}
        )
        self.fields["remove_tag"].widget = forms.HiddenInput()

    def controls(self) -> list[Control]:
        """The fields in page order (not the hidden ``remove_tag``), custom fields last."""
        names = ["status", "priority", "kind", "assignee", "team", "project", "add_tags"]
        out = [control(self[n]) for n in names]
        for d in self.definitions:
            c = control(self[f"cf_{d.key}"])
            c.custom_key = d.key
            out.append(c)
        return out

    def changes(self) -> dict[str, Any]:
        """Keyword arguments for ``update_ticket``: the fields that differ from the ticket."""
        data = self.cleaned_data
        t = self.ticket
        out: dict[str, Any] = {}
        if data["status"] != t.status:
            out["status"] = data["status"]
        if data["priority"] != t.priority:
            out["priority"] = data["priority"]
        if data["kind"] != t.kind:
            out["kind"] = data["kind"]
        if data["team"] != t.team_id:
            out["team"] = self._teams[data["team"]] if data["team"] else None
        if data["assignee"] != t.assignee_id:
            out["assignee"] = self._agents[data["assignee"]] if data["assignee"] else None
        if data["project"] != t.project_id:
            out["project"] = self._projects[data["project"]] if data["project"] else None
        add = [x for x in (data.get("add_tags") or "").replace(",", " ").split() if x]
        if add:
            out["add_tags"] = add
        if data.get("remove_tag"):
            out["remove_tags"] = [data["remove_tag"]]
        current = t.custom_fields or {}
        custom: dict[str, Any] = {}
        for d in self.definitions:
            value = data.get(f"cf_{d.key}")
            if value != current.get(d.key):
                custom[d.key] = value
        if custom:
            out["custom_fields"] = custom
        return out


def custom_field(d: CustomFieldDefinition) -> forms.Field:
    """A form field for one custom field definition; empty means "not set"."""
    label = d.label or d.key
    if d.type == CustomFieldType.NUMBER:
        return _NumberField(label=label, required=False)
    if d.type == CustomFieldType.INTEGER:
        return forms.IntegerField(label=label, required=False)
    if d.type == CustomFieldType.BOOLEAN:
        return forms.TypedChoiceField(
            label=label,
            required=False,
            choices=[("", "—"), ("true", _("Yes")), ("false", _("No"))],
            coerce=lambda v: v == "true",
            empty_value=None,
        )
    if d.type == CustomFieldType.DATE:
        return _DateField(label=label, required=False, widget=forms.DateInput(attrs={"type": "date"}))
    if d.type == CustomFieldType.CHOICE:
        # Choices keep their JSON type (a choice may be a number): map the posted text back.
        originals = {str(c): c for c in (d.choices or [])}
        return forms.TypedChoiceField(
            label=label,
            required=False,
            choices=[("", "—"), *[(k, k) for k in originals]],
            coerce=lambda v: originals.get(v, v),
            empty_value=None,
        )
    return forms.CharField(label=label, required=False, max_length=10_000, empty_value=None)


class _NumberField(forms.CharField):
    widget = forms.NumberInput(attrs={"step": "any"})

    def to_python(self, value: Any) -> Any:
        value = super().to_python(value)
        if value in ("", None):
            return None
        try:
            number = Decimal(str(value))
        except InvalidOperation as exc:
            raise forms.ValidationError(_("Enter a number.")) from exc
        if not number.is_finite():
            raise forms.ValidationError(_("Enter a number."))
        return int(number) if number == number.to_integral_value() else float(number)


class _DateField(forms.DateField):
    def to_python(self, value: Any) -> Any:
        parsed = super().to_python(value)
        return parsed.isoformat() if isinstance(parsed, date) else None

    def prepare_value(self, value: Any) -> Any:
        return value


class MergeForm(forms.Form):
    into = forms.IntegerField(label=_("Merge into ticket number"), min_value=1, max_value=2**62)


class CollaboratorForm(forms.Form):
    agent = forms.TypedChoiceField(label=_("Add a collaborator"), coerce=int)

    def __init__(self, *args: Any, agents: list[Agent], **kwargs: Any):
        super().__init__(*args, **kwargs)
        self._agents = {a.pk: a for a in agents}
        collaborators = [(a.pk, _agent_label(a)) for a in agents if a.is_collaborator]
        others = [(a.pk, _agent_label(a)) for a in agents if not a.is_collaborator]
        choices: list[Any] = [("", "—")]
        if collaborators:
            choices.append((_("Collaborators (developers, product)"), collaborators))
        if others:
            choices.append((_("Agents"), others))
        _choice(self, "agent").choices = choices

    def picker(self) -> Control:
        return control(self["agent"])

    def chosen_agent(self) -> Agent:
        return self._agents[self.cleaned_data["agent"]]
