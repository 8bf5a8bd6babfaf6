"""The settings page's "test connection" buttons: can we reach and sign in to a mailbox's servers?

Each check returns ``(ok, message)`` for a person to read and never raises for a network or
authentication failure. The IMAP check is the IMAP receiver's own (``receivers.imap.check_imap``,
imported lazily). Nothing is written: the checks only read the saved mailbox.
"""

from __future__ import annotations

import smtplib
import ssl

from django.conf import settings
from django.utils.translation import gettext

from zabota.channels.email import credentials
from zabota.channels.email.models import Mailbox, Security

TIMEOUT = 10  # seconds: a button press should not hang a worker for long


def _failure(exc: BaseException) -> str:
    detail = str(exc) or exc.__class__.__name__
    return gettext("Could not connect: %(error)s") % {"error": detail[:500]}


def check_smtp(mailbox: Mailbox) -> tuple[bool, str]:
    """Connect to the mailbox's SMTP server (or the installation's EMAIL_HOST), secure the
    connection as configured, sign in when a user name is set, and leave."""
    host = mailbox.smtp_host or settings.EMAIL_HOST
    port = mailbox.smtp_port if mailbox.smtp_host else settings.EMAIL_PORT
    try:
        password = credentials.reveal(mailbox.smtp_password)
        context = ssl.create_default_context()
        client: smtplib.SMTP
        if mailbox.smtp_security == Security.SSL:
            client = smtplib.SMTP_SSL(host, port, timeout=TIMEOUT, context=context)
        else:
            client = smtplib.SMTP(host, port, timeout=TIMEOUT)
        try:
            client.ehlo()
            if mailbox.smtp_security == Security.STARTTLS:
                client.starttls(context=context)
                client.ehlo()
            if mailbox.smtp_username:
                client.login(mailbox.smtp_username, password)
            client.noop()
        finally:
            try:
                client.quit()
            except (OSError, smtplib.SMTPException):
                client.close()
    except (OSError, smtplib.SMTPException, credentials.SecretUnavailable, ValueError) as exc:
        return False, _failure(exc)
    if mailbox.smtp_username:
        return True, gettext("Connected to %(server)s and signed in as %(user)s.") % {
            "server": f"{host}:{port}",
            "user": mailbox.smtp_username,
        }
    return True, gettext("Connected to %(server)s.") % {"server": f"{host}:{port}"}


def check_imap(mailbox: Mailbox) -> tuple[bool, str]:
    """The IMAP receiver's own check (sign in, open the folder read-only)."""
    try:
        from zabota.channels.email.receivers.imap import check_imap as receiver_check
    except ImportError:  # pragma: no cover - the receiver ships with the channel
        return False, gettext("The IMAP receiver is not installed.")
    try:
        return receiver_check(mailbox)
    except Exception as exc:  # the receiver's check should not raise; never let it break the page
        return False, _failure(exc)
