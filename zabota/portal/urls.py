"""Pages of the portal context (htmx; thin)."""

from __future__ import annotations

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
