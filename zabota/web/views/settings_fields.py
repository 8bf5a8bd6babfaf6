"""/settings/fields/ (custom ticket fields) and /settings/attributes/ (customer attributes of
organizations and contacts): the same shape, key + label + type + choices + position. The key
and type are fixed once created, because stored values live under them."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.db.models import Model
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import URLPattern, path
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from zabota.core.errors import DomainError
from zabota.customers.actions import delete_attribute_definition, save_attribute_definition
from zabota.customers.models import AttributeDefinition
from zabota.tickets.actions.config import delete_custom_field, save_custom_field
from zabota.tickets.models import CustomFieldDefinition
from zabota.web.auth import admin_required
from zabota.web.forms.settings import AttributeForm, CustomFieldForm, type_label
from zabota.web.views.settings_common import actor, page, show_error


class _Kind:
    """One of the two definition kinds: its model, form, actions and URL names."""

    def __init__(
        self,
        section: str,
        model: type[Model],
        form: type[CustomFieldForm] | type[AttributeForm],
        save: Callable[..., Any],
        delete: Callable[..., None],
    ):
        self.section, self.model, self.form, self.save, self.delete = section, model, form, save, delete


FIELDS = _Kind("fields", CustomFieldDefinition, CustomFieldForm, save_custom_field, delete_custom_field)
ATTRIBUTES = _Kind(
    "attributes", AttributeDefinition, AttributeForm, save_attribute_definition, delete_attribute_definition
)


def _list(request: HttpRequest, kind: _Kind) -> HttpResponse:
    form = kind.form(request.POST or None, prefix="new")
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        try:
            definition = kind.save(actor=actor(request), **data)
        except DomainError as exc:
            show_error(form, exc)
        else:
            messages.success(request, _("%(label)s is added.") % {"label": definition.label})
            return redirect(f"settings-{kind.section}")
    definitions = list(kind.model.objects.all())  # type: ignore[attr-defined]
    for definition in definitions:
        definition.type_label = type_label(definition.type)
    return page(
        request, f"web/settings/{kind.section}.html", kind.section, {"definitions": definitions, "form": form}
    )


def _edit(request: HttpRequest, kind: _Kind, definition_id: int) -> HttpResponse:
    definition = get_object_or_404(kind.model, pk=definition_id)
    initial = {
        "label": definition.label,  # type: ignore[attr-defined]
        "choices": "\n".join(str(c) for c in definition.choices),  # type: ignore[attr-defined]
        "position": definition.position,  # type: ignore[attr-defined]
    }
    definition.type_label = type_label(definition.type)  # type: ignore[attr-defined]
    form = kind.form(request.POST or None, initial=initial, editing=True)
    if request.method == "POST" and form.is_valid():
        try:
            kind.save(actor=actor(request), definition=definition, **form.cleaned_data)
        except DomainError as exc:
            show_error(form, exc)
        else:
            messages.success(request, _("%(label)s is saved.") % {"label": form.cleaned_data["label"]})
            return redirect(f"settings-{kind.section}")
    return page(
        request,
        "web/settings/definition_form.html",
        kind.section,
        {
            "form": form,
            "definition": definition,
            "delete_url": f"/settings/{kind.section}/{definition.pk}/delete/",
        },
    )


def _delete(request: HttpRequest, kind: _Kind, definition_id: int) -> HttpResponse:
    definition = get_object_or_404(kind.model, pk=definition_id)
    label = definition.label  # type: ignore[attr-defined]
    kind.delete(actor=actor(request), definition=definition)
    messages.success(request, _("%(label)s is deleted.") % {"label": label})
    return redirect(f"settings-{kind.section}")


@admin_required
@require_http_methods(["GET", "POST"])
def field_list(request: HttpRequest) -> HttpResponse:
    return _list(request, FIELDS)


@admin_required
@require_http_methods(["GET", "POST"])
def field_edit(request: HttpRequest, definition_id: int) -> HttpResponse:
    return _edit(request, FIELDS, definition_id)


@admin_required
@require_POST
def field_delete(request: HttpRequest, definition_id: int) -> HttpResponse:
    return _delete(request, FIELDS, definition_id)


@admin_required
@require_http_methods(["GET", "POST"])
def attribute_list(request: HttpRequest) -> HttpResponse:
    return _list(request, ATTRIBUTES)


@admin_required
@require_http_methods(["GET", "POST"])
def attribute_edit(request: HttpRequest, definition_id: int) -> HttpResponse:
    return _edit(request, ATTRIBUTES, definition_id)


@admin_required
@require_POST
def attribute_delete(request: HttpRequest, definition_id: int) -> HttpResponse:
    return _delete(request, ATTRIBUTES, definition_id)


urlpatterns: list[URLPattern] = [
    path("settings/fields/", field_list, name="settings-fields"),
    path("settings/fields/<int:definition_id>/", field_edit, name="settings-field"),
    path("settings/fields/<int:definition_id>/delete/", field_delete, name="settings-field-delete"),
    path("settings/attributes/", attribute_list, name="settings-attributes"),
    path("settings/attributes/<int:definition_id>/", attribute_edit, name="settings-attribute"),
    path(
        "settings/attributes/<int:definition_id>/delete/", attribute_delete, name="settings-attribute-delete"
    ),
]
