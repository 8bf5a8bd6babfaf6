"""/me/: the signed-in agent's own preferences.

One page with four small forms, each posting to its own URL and coming back to /me/:
preferences (language, time zone, daily digest), password, the TOTP second factor (set up with
a QR code, confirm with a code, disable with the password) and "log out everywhere". Every write
goes through ``zabota.accounts.actions``; the current session is kept with
``update_session_auth_hash`` after a password change or "log out everywhere".
"""

from __future__ import annotations

import base64
from typing import Any

import segno
from django import forms
from django.contrib import messages
from django.contrib.auth import update_session_auth_hash
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods, require_POST

from zabota.accounts import actions
from zabota.accounts.models import Agent
from zabota.core.errors import ValidationFailed
from zabota.web.auth import agent_required
from zabota.web.forms.me import PasswordChangeForm, PreferencesForm, TotpConfirmForm, TotpDisableForm


def _agent(request: HttpRequest) -> Agent:
    assert isinstance(request.user, Agent)
    return request.user


def _qr_data_uri(url: str) -> str:
    return str(segno.make(url, error="m").svg_data_uri(scale=5, border=2))


def _page(request: HttpRequest, status: int = 200, **forms_: forms.Form) -> HttpResponse:
    agent = _agent(request)
    confirmed = actions.confirmed_totp_device(agent)
    pending = actions.pending_totp_device(agent)
    totp_setup: dict[str, Any] | None = None
    if pending is not None:
        totp_setup = {
            "qr": _qr_data_uri(pending.config_url),
            "secret": base64.b32encode(pending.bin_key).decode().rstrip("="),
        }
    context = {
        "nav": "me",
        "preferences_form": forms_.get("preferences")
        or PreferencesForm(
            initial={"locale": agent.locale, "timezone": agent.timezone, "email_digest": agent.email_digest}
        ),
        "password_form": forms_.get("password") or PasswordChangeForm(agent=agent),
        "totp_confirm_form": forms_.get("totp_confirm") or TotpConfirmForm(),
        "totp_disable_form": forms_.get("totp_disable") or TotpDisableForm(),
        "totp_enabled": confirmed is not None,
        "totp_setup": totp_setup,
    }
    return render(request, "web/me/index.html", context, status=status)


@agent_required
@require_http_methods(["GET", "POST"])
def me_view(request: HttpRequest) -> HttpResponse:
    if request.method == "GET":
        return _page(request)
    form = PreferencesForm(request.POST)
    if form.is_valid():
        try:
            actions.update_preferences(
                actor=_agent(request),
                locale=form.cleaned_data["locale"],
                timezone=form.cleaned_data["timezone"],
                email_digest=form.cleaned_data["email_digest"],
            )
        except ValidationFailed as exc:
            for field in exc.fields:
                form.add_error(field if field in form.fields else None, _("This value is not valid."))
        else:
            messages.success(request, _("Your preferences are saved."))
            return redirect("me")
    return _page(request, preferences=form)


@sensitive_post_parameters("current_password", "new_password", "new_password_again")
@agent_required
@require_POST
def password_view(request: HttpRequest) -> HttpResponse:
    agent = _agent(request)
    form = PasswordChangeForm(request.POST, agent=agent)
    if form.is_valid():
        try:
            actions.change_password(
                actor=agent,
                current_password=form.cleaned_data["current_password"],
                new_password=form.cleaned_data["new_password"],
            )
        except ValidationFailed as exc:
            if "current_password" in exc.fields:
                form.add_error("current_password", _("The current password is not right."))
            else:
                form.add_error("new_password", exc.message)
        else:
            update_session_auth_hash(request, agent)
            messages.success(request, _("Your password is changed. Other sessions were logged out."))
            return redirect("me")
    return _page(request, password=form)


@agent_required
@require_POST
def totp_start_view(request: HttpRequest) -> HttpResponse:
    actions.start_totp_setup(actor=_agent(request))
    return redirect("/me/#two-factor")


@agent_required
@require_POST
def totp_cancel_view(request: HttpRequest) -> HttpResponse:
    actions.cancel_totp_setup(actor=_agent(request))
    return redirect("/me/#two-factor")


@agent_required
@require_POST
def totp_confirm_view(request: HttpRequest) -> HttpResponse:
    form = TotpConfirmForm(request.POST)
    if form.is_valid():
        try:
            agent = _agent(request)
            actions.confirm_totp(actor=agent, token=form.cleaned_data["token"])
        except ValidationFailed as exc:
            if "no_device" in exc.fields.values():
                messages.error(request, _("Start the set-up first."))
                return redirect("/me/#two-factor")
            form.add_error("token", _("That code is not right. Check the time on your phone and try again."))
        else:
            update_session_auth_hash(request, agent)
            messages.success(
                request, _("Two-factor sign-in is on. You will be asked for a code when you sign in.")
            )
            return redirect("me")
    return _page(request, totp_confirm=form)


@sensitive_post_parameters("password")
@agent_required
@require_POST
def totp_disable_view(request: HttpRequest) -> HttpResponse:
    form = TotpDisableForm(request.POST)
    if form.is_valid():
        try:
            actions.disable_totp(actor=_agent(request), password=form.cleaned_data["password"])
        except ValidationFailed:
            form.add_error("password", _("The password is not right."))
        else:
            messages.success(request, _("Two-factor sign-in is off."))
            return redirect("me")
    return _page(request, totp_disable=form)


@agent_required
@require_POST
def logout_everywhere_view(request: HttpRequest) -> HttpResponse:
    agent = actions.log_out_everywhere(actor=_agent(request))
    update_session_auth_hash(request, agent)
    messages.success(request, _("You are logged out on every other device and browser."))
    return redirect("me")
