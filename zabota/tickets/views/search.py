"""Agent workspace: search pages (htmx; thin: forms in, actions and queries out)."""

from __future__ import annotations

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
