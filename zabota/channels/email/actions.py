"""The only writers of mailbox configuration (the settings page /settings/mailboxes/). Admins only.

Passwords are write-only: the form never shows them back. ``imap_password``/``smtp_password``
``None`` or ``""`` keep the stored value, ``env:NAME`` means "read the environment variable NAME
when connecting", anything else is encrypted with ``credentials.seal``; ``clear_*_password``
removes a stored one. Like the rest of the settings these are configuration changes: no
activity rows, no events.
"""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.utils.translation import gettext

from zabota.accounts.models import Agent
from zabota.channels.email import credentials
from zabota.channels.email.models import Mailbox, Security
from zabota.core.errors import PermissionDenied, ValidationFailed
from zabota.tickets.models import Inbox

_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_HOST = re.compile(r"^[A-Za-z0-9.\-:\[\]]+$")


def _require_admin(actor: Agent) -> None:
    if not (actor.is_active and actor.is_admin):
        raise PermissionDenied(gettext("only admins can change the settings"))


def _check_port(value: int, field: str) -> int:
    if not 1 <= int(value) <= 65535:
        raise ValidationFailed(gettext("A port is a number from 1 to 65535."), fields={field: "invalid"})
    return int(value)


def _check_host(value: str, field: str) -> str:
    value = (value or "").strip()
    if value and (len(value) > 255 or not _HOST.match(value)):
        raise ValidationFailed(gettext("This is not a host name."), fields={field: "invalid"})
    return value


def _check_security(value: str, field: str) -> str:
    if value not in Security.values:
        raise ValidationFailed(gettext("Choose a connection security."), fields={field: "invalid"})
    return value


def _new_password(typed: str | None, stored: str, *, clear: bool, field: str) -> str:
    """What to store for a password field: keep, clear, an ``env:NAME`` reference or a sealed value."""
    if clear:
        return ""
    if not typed:
        return stored
    if typed.startswith(credentials.ENV_PREFIX):
        name = typed[len(credentials.ENV_PREFIX) :]
        if not _ENV_NAME.match(name):
            raise ValidationFailed(
                gettext("After env: write the name of an environment variable, e.g. env:IMAP_PASSWORD."),
                fields={field: "invalid"},
            )
    return credentials.seal(typed)


def save_mailbox(
    *,
    actor: Agent,
    mailbox: Mailbox | None = None,
    inbox: Inbox,
    address: str,
    from_name: str = "",
    signature: str = "",
    is_active: bool = True,
    imap_enabled: bool = False,
    imap_host: str = "",
    imap_port: int = 993,
    imap_security: str = Security.SSL,
    imap_username: str = "",
    imap_password: str | None = None,
    clear_imap_password: bool = False,
    imap_folder: str = "INBOX",
    imap_archive_folder: str = "",
    smtp_host: str = "",
    smtp_port: int = 587,
    smtp_security: str = Security.STARTTLS,
    smtp_username: str = "",
    smtp_password: str | None = None,
    clear_smtp_password: bool = False,
    auto_ack_enabled: bool = True,
    auto_ack_subject_en: str = "",
    auto_ack_body_en: str = "",
    auto_ack_subject_ru: str = "",
    auto_ack_body_ru: str = "",
) -> Mailbox:
    """Create (``mailbox=None``) or change a mailbox of ``inbox``."""
    _require_admin(actor)
    address = (address or "").strip().lower()
    try:
        validate_email(address)
    except ValidationError as exc:
        raise ValidationFailed(
            gettext("Enter a valid email address."), fields={"address": "invalid"}
        ) from exc
    others = Mailbox.objects.filter(address__iexact=address)
    if mailbox is not None:
        others = others.exclude(pk=mailbox.pk)
    if others.exists():
        raise ValidationFailed(
            gettext("Another mailbox already has this address."), fields={"address": "taken"}
        )
    imap_host = _check_host(imap_host, "imap_host")
    smtp_host = _check_host(smtp_host, "smtp_host")
    imap_folder = (imap_folder or "").strip() or "INBOX"
    if imap_enabled and not imap_host:
        raise ValidationFailed(
            gettext("Fetching mail by IMAP needs the IMAP server's host."), fields={"imap_host": "required"}
        )
    if imap_enabled and not (imap_username or "").strip():
        raise ValidationFailed(
            gettext("Fetching mail by IMAP needs a user name."), fields={"imap_username": "required"}
        )
    if imap_archive_folder.strip() and imap_archive_folder.strip() == imap_folder:
        raise ValidationFailed(
            gettext("The archive folder must differ from the folder mail is fetched from."),
            fields={"imap_archive_folder": "invalid"},
        )

    box = mailbox or Mailbox()
    box.inbox = inbox
    box.address = address
    box.from_name = (from_name or "").strip()[:100]
    box.signature = signature or ""
    box.is_active = bool(is_active)
    box.imap_enabled = bool(imap_enabled)
    box.imap_host = imap_host
    box.imap_port = _check_port(imap_port, "imap_port")
    box.imap_security = _check_security(imap_security, "imap_security")
    box.imap_username = (imap_username or "").strip()[:255]
    box.imap_password = _new_password(
        imap_password, box.imap_password, clear=clear_imap_password, field="imap_password"
    )
    box.imap_folder = imap_folder[:255]
    box.imap_archive_folder = (imap_archive_folder or "").strip()[:255]
    box.smtp_host = smtp_host
    box.smtp_port = _check_port(smtp_port, "smtp_port")
    box.smtp_security = _check_security(smtp_security, "smtp_security")
    box.smtp_username = (smtp_username or "").strip()[:255]
    box.smtp_password = _new_password(
        smtp_password, box.smtp_password, clear=clear_smtp_password, field="smtp_password"
    )
    box.auto_ack_enabled = bool(auto_ack_enabled)
    box.auto_ack_subject_en = (auto_ack_subject_en or "").strip()[:255]
    box.auto_ack_body_en = auto_ack_body_en or ""
    box.auto_ack_subject_ru = (auto_ack_subject_ru or "").strip()[:255]
    box.auto_ack_body_ru = auto_ack_body_ru or ""
    try:
        with transaction.atomic():
            box.save()
    except IntegrityError as exc:  # a concurrent save took the address
        raise ValidationFailed(
            gettext("Another mailbox already has this address."), fields={"address": "taken"}
        ) from exc
    return box


def delete_mailbox(*, actor: Agent, mailbox: Mailbox) -> None:
    """Remove a mailbox. Mail already received keeps its raw copy (its row loses the link)."""
    _require_admin(actor)
    mailbox.delete()
