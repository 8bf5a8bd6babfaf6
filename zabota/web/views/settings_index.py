"""/settings/: the team leads' settings, one link per page."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.urls import URLPattern, path
from django.views.decorators.http import require_GET

from zabota.web.auth import admin_required
from zabota.web.views.settings_common import page


@admin_required
@require_GET
def index(request: HttpRequest) -> HttpResponse:
    return page(request, "web/settings/index.html", "", {})


urlpatterns: list[URLPattern] = [path("settings/", index, name="settings")]
