"""The workspace shell: sign-in and sign-out, the agent's preferences, the settings pages."""

from __future__ import annotations

from django.urls import URLPattern, URLResolver, path
from django.views.generic import RedirectView

urlpatterns: list[URLPattern | URLResolver] = [
    path("", RedirectView.as_view(url="/inbox/", permanent=False), name="home"),
]
