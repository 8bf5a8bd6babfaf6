"""WebSocket routes of the agent workspace (Django Channels)."""

from __future__ import annotations

from django.urls import URLPattern

websocket_urlpatterns: list[URLPattern] = []
