"""One-time sign-in links for the customer portal.

Only the SHA-256 of the token is stored; the token itself exists only in the email. A link is
used once and expires after ``PORTAL_LINK_MINUTES`` (at most 60).
"""

from __future__ import annotations

from django.db import models

from zabota.core import clock


class PortalLink(models.Model):
    contact = models.ForeignKey("customers.Contact", on_delete=models.CASCADE, related_name="+")
    inbox = models.ForeignKey(
        "tickets.Inbox", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    email = models.EmailField(max_length=254, help_text="The address the link was sent to.")
    token_hash = models.CharField(max_length=64, unique=True)
    requested_ip = models.GenericIPAddressField(null=True, blank=True)
    created_at = models.DateTimeField(default=clock.now)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["email", "created_at"], name="portallink_email_recent"),
            models.Index(fields=["requested_ip", "created_at"], name="portallink_ip_recent"),
        ]

    def __str__(self) -> str:
        return f"portal link for contact {self.contact_id}"
