"""What every workspace page's shell shows: the unread notification count (one query, lazily)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from zabota.accounts.models import Agent


def workspace(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    if not isinstance(user, Agent) or not user.is_authenticated:
        return {}

    def unread() -> int:
        from zabota.notifications.models import Notification

        return Notification.objects.filter(agent=user, read_at__isnull=True).count()

    return {"unread_notifications": SimpleLazyObject(unread)}
