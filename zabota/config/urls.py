"""URL map: the API, health, the Django admin. The agent UI and the portal come later."""

from django.contrib import admin
from django.urls import path
from django.views.generic import RedirectView

from zabota.config.api import api
from zabota.core.views import healthz

urlpatterns = [
    path("api/", api.urls),
    path("healthz", healthz, name="healthz"),
    path("admin/", admin.site.urls),
    path("", RedirectView.as_view(url="/api/docs", permanent=False)),
]
