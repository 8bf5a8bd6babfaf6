"""Sign-in (password, then the TOTP code when the agent has one) and sign-out.

Failures are counted by django-axes: ``authenticate()`` reports a wrong password, and a wrong
second-factor code is reported the same way (``user_login_failed``), so five wrong tries of
either kind for one account from one address lock it for the cool-off time. The lockout page is
``web/lockout.html`` with status 429 (rendered by axes' middleware, or here for the code step).

Between the two steps the session holds only the pending agent's id, the time, the session hash
(so a password change in between voids it) and where to go next; the agent is logged in (and the
session key rotated by ``login()``) only after the code is right. Pending state lasts 5 minutes.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from axes.handlers.proxy import AxesProxyHandler
from axes.helpers import get_lockout_response
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import authenticate, login, logout, user_login_failed
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods
from django_otp import login as otp_login

from zabota.accounts.actions import confirmed_totp_device, verify_second_factor
from zabota.accounts.models import Agent
from zabota.core import clock
from zabota.web.auth import current_agent
from zabota.web.forms.auth import LoginForm, OtpForm

PENDING_KEY = "zabota_login_pending"
PENDING_LIFETIME = timedelta(minutes=5)
MODEL_BACKEND = "django.contrib.auth.backends.ModelBackend"


def safe_next(request: HttpRequest, value: str | None = None) -> str:
    """Where to go after sign-in: ``next`` when it points at this site, else the inbox."""
    candidate = value if value is not None else request.POST.get("next") or request.GET.get("next", "")
    if candidate and url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return str(settings.LOGIN_REDIRECT_URL)


def _finish_login(request: HttpRequest, agent: Agent, next_url: str) -> HttpResponse:
    request.session.pop(PENDING_KEY, None)
    login(request, agent, backend=MODEL_BACKEND)  # rotates the session key
    return HttpResponseRedirect(next_url)


@sensitive_post_parameters("password")
@csrf_protect
@never_cache
@require_http_methods(["GET", "POST"])
def login_view(request: HttpRequest) -> HttpResponse:
    next_url = safe_next(request)
    if current_agent(request) is not None:
        return HttpResponseRedirect(next_url)
    form = LoginForm(request.POST if request.method == "POST" else None)
    if form.is_valid():
        username = form.cleaned_data["username"].strip().lower()
        user = authenticate(request, username=username, password=form.cleaned_data["password"])
        if isinstance(user, Agent):
            if confirmed_totp_device(user) is None:
                return _finish_login(request, user, next_url)
            request.session.cycle_key()
            request.session[PENDING_KEY] = {
                "agent": user.pk,
                "at": clock.now().timestamp(),
                "hash": user.get_session_auth_hash(),
                "username": username,
                "next": next_url,
            }
            return redirect("login-otp")
        # A lockout (request.axes_locked_out) is turned into the lockout page by axes' middleware.
        form.add_error(None, _("The email or the password is not right, or the account is disabled."))
    return render(request, "web/auth/login.html", {"form": form, "next": next_url})


def _pending(request: HttpRequest) -> tuple[Agent, dict[str, Any]] | None:
    state = request.session.get(PENDING_KEY)
    if not isinstance(state, dict):
        return None
    try:
        started = float(state["at"])
        agent = Agent.objects.get(pk=state["agent"], is_active=True)
    except (KeyError, TypeError, ValueError, Agent.DoesNotExist):
        request.session.pop(PENDING_KEY, None)
        return None
    fresh = clock.now().timestamp() - started <= PENDING_LIFETIME.total_seconds()
    if not fresh or state.get("hash") != agent.get_session_auth_hash():
        request.session.pop(PENDING_KEY, None)
        return None
    return agent, state


@sensitive_post_parameters("code")
@csrf_protect
@never_cache
@require_http_methods(["GET", "POST"])
def login_otp_view(request: HttpRequest) -> HttpResponse:
    pending = _pending(request)
    if pending is None:
        messages.info(request, _("Your sign-in has expired. Please enter your email and password again."))
        return redirect("login")
    agent, state = pending
    credentials = {settings.AXES_USERNAME_FORM_FIELD: state["username"]}
    if not AxesProxyHandler.is_allowed(request, credentials):
        request.session.pop(PENDING_KEY, None)
        return get_lockout_response(request, None, credentials)
    form = OtpForm(request.POST if request.method == "POST" else None)
    if form.is_valid():
        device = verify_second_factor(agent=agent, token=form.cleaned_data["code"])
        if device is not None:
            response = _finish_login(request, agent, safe_next(request, state.get("next", "")))
            otp_login(request, device)
            return response
        # Count the wrong code like a wrong password (axes may now lock the account).
        user_login_failed.send(sender=__name__, credentials=credentials, request=request)
        if getattr(request, "axes_locked_out", False):
            request.session.pop(PENDING_KEY, None)
            return get_lockout_response(request, None, credentials)
        form.add_error("code", _("That code is not right. Check the time on your phone and try again."))
    return render(request, "web/auth/otp.html", {"form": form, "agent": agent})


@csrf_protect
@require_http_methods(["GET", "POST"])
def logout_view(request: HttpRequest) -> HttpResponse:
    if request.method == "GET":
        if current_agent(request) is None:
            return redirect("login")
        return render(request, "web/auth/logout.html", {})
    logout(request)
    messages.info(request, _("You are logged out."))
    return redirect("login")
