"""The sign-in email: in the contact's language, branded with the inbox, marked automatic.

Sent directly by a Huey task, not through the email channel's outbox, on purpose: an outbox row
keeps the whole mail in the database until it is sent (and after), so it would store a live
sign-in token, which ``PortalLink`` avoids by keeping only the token's hash. A failed send is
retried by the task a few times (``zabota/portal/tasks.py``); after that the contact asks for a
new link, which expires within minutes anyway.
"""

from __future__ import annotations

import logging
from email.utils import formataddr

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation

from zabota.core import clock
from zabota.portal.actions import hash_token, link_minutes
from zabota.portal.models import PortalLink
from zabota.portal.queries import brand_of

logger = logging.getLogger(__name__)


def sign_in_url(token: str) -> str:
    return settings.SITE_URL.rstrip("/") + reverse("portal:link", args=[token])


def send_sign_in_link(link_id: int, token: str) -> bool:
    """Send the email for link ``link_id``; False when there is nothing (valid) to send."""
    link = PortalLink.objects.select_related("contact", "inbox").filter(pk=link_id).first()
    if link is None or link.token_hash != hash_token(token):
        logger.warning("portal link %s: no such link for this token, email not sent", link_id)
        return False
    if link.used_at is not None or link.expires_at <= clock.now():
        logger.info("portal link %s is used or expired: email not sent", link_id)
        return False
    brand = brand_of(link.inbox)
    language = link.contact.locale if link.contact.locale in dict(settings.LANGUAGES) else "en"
    with translation.override(language):
        context = {
            "brand": brand,
            "contact": link.contact,
            "url": sign_in_url(token),
            "minutes": link_minutes(),
        }
        subject = " ".join(render_to_string("portal/email/sign_in_subject.txt", context).split())
        text = render_to_string("portal/email/sign_in.txt", context)
        html = render_to_string("portal/email/sign_in.html", context)
    from_address = (
        link.inbox.email if link.inbox and link.inbox.email else ""
    ) or settings.DEFAULT_FROM_EMAIL
    message = EmailMultiAlternatives(
        subject=subject,
        body=text,
        from_email=formataddr((brand.name, from_address)),
        to=[link.email],
        headers={
            "Auto-Submitted": "auto-generated",
            "X-Auto-Response-Suppress": "All",
            "Content-Language": language,
        },
    )
    message.attach_alternative(html, "text/html")
    message.send()
    return True
