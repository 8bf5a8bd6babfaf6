"""Forms of the portal: sign-in by email, a reply, a new request (with attachments)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from zabota.tickets.actions.common import Upload

MAX_FILES = 10
MAX_BODY = 100_000


class SignInForm(forms.Form):
    email = forms.EmailField(
        label=_("Your email address"),
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "email", "autofocus": True, "id": "portal-email"}),
    )


def _zones() -> list[tuple[str, str]]:
    import zoneinfo

    return [
        (z, z.replace("_", " ")) for z in sorted(zoneinfo.available_timezones()) if "/" in z or z == "UTC"
    ]


class PreferencesForm(forms.Form):
    """The contact's own language and time zone (what the portal and our emails use)."""

    locale = forms.ChoiceField(
        label=_("Language"), choices=settings.LANGUAGES, widget=forms.Select(attrs={"id": "portal-locale"})
    )
    timezone = forms.ChoiceField(
        label=_("Time zone"), choices=_zones, widget=forms.Select(attrs={"id": "portal-timezone"})
    )


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files in one input (Django's documented pattern)."""

    def __init__(self, *args: Any, **kwargs: Any):
        kwargs.setdefault("widget", MultipleFileInput(attrs={"id": "portal-attachments"}))
        kwargs.setdefault("required", False)
        super().__init__(*args, **kwargs)

    def clean(self, data: Any, initial: Any = None) -> list[UploadedFile]:
        single = super().clean
        if isinstance(data, (list, tuple)):
            files = [single(d, initial) for d in data if d]
        else:
            files = [single(data, initial)] if data else []
        files = [f for f in files if f]
        if len(files) > MAX_FILES:
            raise forms.ValidationError(
                ngettext("Attach at most %(count)d file.", "Attach at most %(count)d files.", MAX_FILES)
                % {"count": MAX_FILES}
            )
        for f in files:
            if f.size is not None and f.size > settings.ATTACHMENT_MAX_BYTES:
                raise forms.ValidationError(
                    _("%(name)s is larger than %(limit)s.")
                    % {"name": f.name, "limit": filesizeformat(settings.ATTACHMENT_MAX_BYTES)}
                )
        return files


class _WithAttachments(forms.Form):
    attachments = MultipleFileField(label=_("Attachments"))

    def uploads(self) -> list[Upload]:
        return [
            Upload(name=f.name or "attachment", content=f.read()) for f in self.cleaned_data["attachments"]
        ]


class ReplyForm(_WithAttachments):
    body = forms.CharField(
        label=_("Your reply"),
        max_length=MAX_BODY,
        widget=forms.Textarea(attrs={"rows": 6, "id": "portal-reply-body"}),
    )

    def clean_body(self) -> str:
        body: str = self.cleaned_data["body"].replace("\x00", "")
        if not body.strip():
            raise forms.ValidationError(_("Write a message."))
        return body


class NewRequestForm(_WithAttachments):
    subject = forms.CharField(
        label=_("Subject"), max_length=200, widget=forms.TextInput(attrs={"id": "portal-subject"})
    )
    body = forms.CharField(
        label=_("How can we help?"),
        max_length=MAX_BODY,
        widget=forms.Textarea(attrs={"rows": 8, "id": "portal-body"}),
    )

    def clean_subject(self) -> str:
        subject: str = self.cleaned_data["subject"].replace("\x00", "").strip()
        if not subject:
            raise forms.ValidationError(_("Give your request a subject."))
        return subject

    def clean_body(self) -> str:
        body: str = self.cleaned_data["body"].replace("\x00", "")
        if not body.strip():
            raise forms.ValidationError(_("Describe what you need."))
        return body
