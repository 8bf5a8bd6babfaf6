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


class SignInOutcome(models.TextChoices):
    SENT = "sent", "Link sent"
    UNKNOWN = "unknown", "Unknown address"
    ADDRESS_LIMITED = "address_limited", "Too many links for the address"
    IP_LIMITED = "ip_limited", "Too many requests from the address's network"


class SignInRequest(models.Model):
    """One request for a sign-in link, known address or not: what the per-IP limit counts.

    It holds no email address on purpose (requests for unknown addresses are counted, not
    remembered); the per-address limit counts ``PortalLink`` rows instead.
    """

    requested_ip = models.GenericIPAddressField(null=True, blank=True)
    outcome = models.CharField(max_length=16, choices=SignInOutcome.choices)
    created_at = models.DateTimeField(default=clock.now)

    class Meta:
        indexes = [
            models.Index(fields=["requested_ip", "created_at"], name="signinrequest_ip_recent"),
            models.Index(fields=["created_at"], name="signinrequest_created"),
        ]

    def __str__(self) -> str:
        return f"sign-in request from {self.requested_ip}: {self.outcome}"
