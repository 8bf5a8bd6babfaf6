"""WebSocket routes of the agent workspace (Django Channels): one socket per page."""

from __future__ import annotations

from django.urls import URLPattern, path

from zabota.web.consumers import WorkspaceConsumer

websocket_urlpatterns: list[URLPattern] = [
    path("ws/workspace/", WorkspaceConsumer.as_asgi(), name="ws-workspace"),  # type: ignore[arg-type]
]
