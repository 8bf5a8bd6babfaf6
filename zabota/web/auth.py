"""Access to the agent workspace: ``agent_required`` and ``admin_required`` for views.

Every workspace page is for signed-in, active agents only:

- anonymous visitors are sent to ``/login/?next=<this page>``; an htmx request gets an empty
  response with ``HX-Redirect`` instead (a 302 would be followed by htmx and the login page
  swapped into a fragment of the page);
- an authenticated user who is not an active :class:`~zabota.accounts.models.Agent` gets 403.

``admin_required`` additionally allows only admins (the team leads' settings pages).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar, cast

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import resolve_url

from zabota.accounts.models import Agent

View = TypeVar("View", bound=Callable[..., HttpResponseBase])


def current_agent(request: HttpRequest) -> Agent | None:
    """The signed-in active agent, or None."""
    user = getattr(request, "user", None)
    if isinstance(user, Agent) and user.is_authenticated and user.is_active:
        return user
    return None


def _login_redirect(request: HttpRequest) -> HttpResponse:
    login_url = resolve_url(settings.LOGIN_URL)
    if request.headers.get("HX-Request") == "true":
        # Bring the user back to the page they were on (not to the fragment's URL).
        current = request.headers.get("HX-Current-URL") or request.get_full_path()
        target = redirect_to_login(current, login_url)["Location"]
        response = HttpResponse(status=204)
        response["HX-Redirect"] = target
        return response
    return redirect_to_login(request.get_full_path(), login_url)


def _check(request: HttpRequest, *, admin: bool) -> HttpResponse | None:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return _login_redirect(request)
    agent = current_agent(request)
    if agent is None:
        raise PermissionDenied
    if admin and not agent.is_admin:
        raise PermissionDenied
    return None


def agent_required(view: View) -> View:
    """Only signed-in active agents; anonymous users go to the login page."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        refused = _check(request, admin=False)
        if refused is not None:
            return refused
        return view(request, *args, **kwargs)

    return cast(View, wrapper)


def admin_required(view: View) -> View:
    """Only signed-in active admins (team leads); other agents get 403."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        refused = _check(request, admin=True)
        if refused is not None:
            return refused
        return view(request, *args, **kwargs)

    return cast(View, wrapper)


class AgentRequiredMixin:
    """The same rule for class-based views."""

    admin_only = False

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        refused = _check(request, admin=self.admin_only)
        if refused is not None:
            return refused
        return super().dispatch(request, *args, **kwargs)  # type: ignore[misc]
