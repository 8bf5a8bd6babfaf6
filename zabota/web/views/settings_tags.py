"""/settings/tags/: every tag with its ticket count; rename (merging onto an existing name), delete."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import URLPattern, path
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from zabota.core.errors import DomainError
from zabota.tickets.actions.config import delete_tag, rename_tag, tags_with_counts
from zabota.tickets.models import Tag
from zabota.web.auth import admin_required
from zabota.web.forms.settings import TagRenameForm
from zabota.web.views.settings_common import actor, page, show_error

PER_PAGE = 100


@admin_required
@require_GET
def tag_list(request: HttpRequest) -> HttpResponse:
    query = request.GET.get("q", "").strip()[:64]
    tags = tags_with_counts()
    if query:
        tags = tags.filter(name__icontains=query)
    paginator = Paginator(tags, PER_PAGE)
    tag_page = paginator.get_page(request.GET.get("page"))
    return page(request, "web/settings/tags.html", "tags", {"tag_page": tag_page, "q": query})


@admin_required
@require_http_methods(["GET", "POST"])
def tag_edit(request: HttpRequest, tag_id: int) -> HttpResponse:
    tag = get_object_or_404(tags_with_counts(), pk=tag_id)
    form = TagRenameForm(request.POST or None, initial={"name": tag.name})
    if request.method == "POST" and form.is_valid():
        old = tag.name
        try:
            survivor = rename_tag(actor=actor(request), tag=tag, new_name=form.cleaned_data["name"])
        except DomainError as exc:
            show_error(form, exc)
        else:
            if survivor.pk != tag.pk:
                messages.success(
                    request, _("Tag %(old)s is merged into %(new)s.") % {"old": old, "new": survivor.name}
                )
            else:
                messages.success(
                    request, _("Tag %(old)s is now %(new)s.") % {"old": old, "new": survivor.name}
                )
            return redirect("settings-tags")
    return page(request, "web/settings/tag_form.html", "tags", {"form": form, "tag": tag})


@admin_required
@require_POST
def tag_delete(request: HttpRequest, tag_id: int) -> HttpResponse:
    tag = get_object_or_404(Tag, pk=tag_id)
    name = tag.name
    delete_tag(actor=actor(request), tag=tag)
    messages.success(request, _("Tag %(tag)s is deleted.") % {"tag": name})
    return redirect("settings-tags")


urlpatterns: list[URLPattern] = [
    path("settings/tags/", tag_list, name="settings-tags"),
    path("settings/tags/<int:tag_id>/", tag_edit, name="settings-tag"),
    path("settings/tags/<int:tag_id>/delete/", tag_delete, name="settings-tag-delete"),
]
