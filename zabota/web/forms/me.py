"""The agent's own preferences at /me/: language, time zone, digest, password, second factor."""

from __future__ import annotations

import functools
import zoneinfo
from typing import Any

from django import forms
from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _


@functools.cache
def timezone_choices() -> list[tuple[str, str]]:
    names = sorted(zoneinfo.available_timezones() | {"UTC"})
    return [(name, name.replace("_", " ")) for name in names if not name.startswith(("posix/", "right/"))]


def language_choices() -> list[tuple[str, Any]]:
    # Language names are shown in their own language (English, Русский) on purpose.
    return [("", _("Browser default")), *settings.LANGUAGES]


class PreferencesForm(forms.Form):
    locale = forms.ChoiceField(label=_("Language"), choices=language_choices, required=False)
    timezone = forms.ChoiceField(label=_("Time zone"), choices=timezone_choices)
    email_digest = forms.BooleanField(
        label=_("Email me a daily digest of unread notifications"), required=False
    )


class PasswordChangeForm(forms.Form):
    def __init__(self, *args: Any, agent: Any = None, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.agent = agent

    current_password = forms.CharField(
        label=_("Current password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )
    new_password = forms.CharField(
        label=_("New password"),
        strip=False,
        min_length=8,
        max_length=4096,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=_(
            "At least 8 characters; not a common password, not only digits, not like your name or email."
        ),
    )
    new_password_again = forms.CharField(
        label=_("New password again"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def clean_new_password(self) -> str:
        password = str(self.cleaned_data["new_password"])
        try:
            validate_password(password, user=self.agent)
        except ValidationError as exc:
            raise forms.ValidationError(exc.messages) from exc
        return password

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("new_password") and data.get("new_password") != data.get("new_password_again"):
            self.add_error("new_password_again", _("The two new passwords are not the same."))
        return data


class TotpConfirmForm(forms.Form):
    token = forms.RegexField(
        label=_("Code from the app"),
        regex=r"^\s*\d{6}\s*$",
        error_messages={"invalid": _("Enter the 6-digit code.")},
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "maxlength": "6"}
        ),
    )

    def clean_token(self) -> str:
        return str(self.cleaned_data["token"]).strip()


class TotpDisableForm(forms.Form):
    password = forms.CharField(
        label=_("Your password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )
