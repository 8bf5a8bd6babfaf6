"""The mailbox form of /settings/mailboxes/. It only parses input; ``save_mailbox`` validates.

Password fields are write-only: rendered empty always (``render_value=False``), blank keeps the
stored password, ``env:NAME`` reads it from the environment.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from zabota.channels.email.models import Security
from zabota.tickets.models import Inbox


def security_choices() -> list[tuple[str, Any]]:
    return [
        (Security.SSL, _("SSL/TLS")),
        (Security.STARTTLS, _("STARTTLS")),
        (Security.NONE, _("None (loopback or tests only)")),
    ]


def _password(label: Any) -> forms.CharField:
    return forms.CharField(
        label=label,
        required=False,
        strip=False,
        max_length=4096,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
        help_text=_(
            "Never shown again. Leave empty to keep the stored password; "
            "env:NAME takes it from the environment variable NAME."
        ),
    )


class MailboxForm(forms.Form):
    inbox = forms.ModelChoiceField(label=_("Inbox"), queryset=Inbox.objects.order_by("name"))
    address = forms.EmailField(label=_("Email address"), max_length=254)
    from_name = forms.CharField(label=_("Sender name"), max_length=100, required=False)
    signature = forms.CharField(
        label=_("Signature"), required=False, max_length=5000, widget=forms.Textarea(attrs={"rows": 3})
    )
    is_active = forms.BooleanField(label=_("Active"), required=False, initial=True)

    imap_enabled = forms.BooleanField(label=_("Fetch mail from this mailbox by IMAP"), required=False)
    imap_host = forms.CharField(label=_("IMAP server"), max_length=255, required=False)
    imap_port = forms.IntegerField(label=_("IMAP port"), min_value=1, max_value=65535, initial=993)
    imap_security = forms.ChoiceField(
        label=_("IMAP security"), choices=security_choices, initial=Security.SSL
    )
    imap_username = forms.CharField(label=_("IMAP user name"), max_length=255, required=False)
    imap_password = _password(_("IMAP password"))
    clear_imap_password = forms.BooleanField(label=_("Remove the stored IMAP password"), required=False)
    imap_folder = forms.CharField(label=_("Folder"), max_length=255, initial="INBOX")
    imap_archive_folder = forms.CharField(
        label=_("Archive folder"),
        max_length=255,
        required=False,
        help_text=_("Processed mail is moved here. Empty: it is marked as read and left in place."),
    )

    smtp_host = forms.CharField(
        label=_("SMTP server"),
        max_length=255,
        required=False,
        help_text=_("Empty: the installation's EMAIL_HOST."),
    )
    smtp_port = forms.IntegerField(label=_("SMTP port"), min_value=1, max_value=65535, initial=587)
    smtp_security = forms.ChoiceField(
        label=_("SMTP security"), choices=security_choices, initial=Security.STARTTLS
    )
    smtp_username = forms.CharField(label=_("SMTP user name"), max_length=255, required=False)
    smtp_password = _password(_("SMTP password"))
    clear_smtp_password = forms.BooleanField(label=_("Remove the stored SMTP password"), required=False)

    auto_ack_enabled = forms.BooleanField(
        label=_("Acknowledge new requests automatically"), required=False, initial=True
    )
    auto_ack_subject_en = forms.CharField(
        label=_("Acknowledgement subject (English)"), max_length=255, required=False
    )
    auto_ack_body_en = forms.CharField(
        label=_("Acknowledgement text (English)"),
        required=False,
        max_length=10000,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    auto_ack_subject_ru = forms.CharField(
        label=_("Acknowledgement subject (Russian)"), max_length=255, required=False
    )
    auto_ack_body_ru = forms.CharField(
        label=_("Acknowledgement text (Russian)"),
        required=False,
        max_length=10000,
        widget=forms.Textarea(attrs={"rows": 4}),
    )

    GROUPS = {
        "general": ["inbox", "address", "from_name", "signature", "is_active"],
        "imap": [
            "imap_enabled",
            "imap_host",
            "imap_port",
            "imap_security",
            "imap_username",
            "imap_password",
            "clear_imap_password",
            "imap_folder",
            "imap_archive_folder",
        ],
        "smtp": [
            "smtp_host",
            "smtp_port",
            "smtp_security",
            "smtp_username",
            "smtp_password",
            "clear_smtp_password",
        ],
        "auto_ack": [
            "auto_ack_enabled",
            "auto_ack_subject_en",
            "auto_ack_body_en",
            "auto_ack_subject_ru",
            "auto_ack_body_ru",
        ],
    }

    def groups(self) -> list[tuple[str, list[forms.BoundField]]]:
        """The form's fields in the page's sections: (section key, bound fields)."""
        return [(name, [self[field] for field in fields]) for name, fields in self.GROUPS.items()]
