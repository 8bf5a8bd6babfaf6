"""What the email channel stores.

- ``Mailbox``: one of our addresses, tied to an inbox, with how its mail is fetched (IMAP) and
  sent (SMTP). Passwords are encrypted at rest (``credentials.py``) or named as an environment
  variable.
- ``InboundEmail``: every message received, stored raw *before* it is processed, so nothing is
  ever lost: processed, duplicate, quarantined (with the reason), held for an agent, a bounce,
  or ignored. ``(inbox, dedupe_key)`` is unique: the same message twice in one inbox is one row.
- ``ImapFolderState``: per (mailbox, folder) the UIDVALIDITY and the highest UID committed.
- ``EmailReference``: which RFC 5322 Message-ID belongs to which ticket and message (ours and the
  customers'), the first thing threading looks at.
- ``OutboundEmail``: the outbox. A reply is committed together with its row; a worker sends it
  with retries. Its Message-ID is fixed when the row is written, so a retry never shows the
  customer a second copy.
"""

from __future__ import annotations

from django.db import models

from zabota.core import clock


class Security(models.TextChoices):
    SSL = "ssl", "SSL/TLS"
    STARTTLS = "starttls", "STARTTLS"
    NONE = "none", "None (loopback or test only)"


class Mailbox(models.Model):
    inbox = models.ForeignKey("tickets.Inbox", on_delete=models.CASCADE, related_name="mailboxes")
    address = models.EmailField(unique=True, help_text="Our address; customers write to it.")
    from_name = models.CharField(max_length=100, blank=True, help_text="Shown as the sender's name.")
    signature = models.TextField(blank=True)
    is_active = models.BooleanField(default=True)

    imap_enabled = models.BooleanField(default=False)
    imap_host = models.CharField(max_length=255, blank=True)
    imap_port = models.PositiveIntegerField(default=993)
    imap_security = models.CharField(max_length=8, choices=Security.choices, default=Security.SSL)
    imap_username = models.CharField(max_length=255, blank=True)
    imap_password = models.TextField(blank=True, help_text="Encrypted at rest; see credentials.py.")
    imap_folder = models.CharField(max_length=255, default="INBOX")
    imap_archive_folder = models.CharField(
        max_length=255, blank=True, help_text="Move processed mail here; empty: flag it \\Seen and leave it."
    )

    smtp_host = models.CharField(
        max_length=255, blank=True, help_text="Empty: the installation's EMAIL_HOST."
    )
    smtp_port = models.PositiveIntegerField(default=587)
    smtp_security = models.CharField(max_length=8, choices=Security.choices, default=Security.STARTTLS)
    smtp_username = models.CharField(max_length=255, blank=True)
    smtp_password = models.TextField(blank=True, help_text="Encrypted at rest; see credentials.py.")

    auto_ack_enabled = models.BooleanField(default=True)
    auto_ack_subject_en = models.CharField(max_length=255, blank=True)
    auto_ack_body_en = models.TextField(blank=True)
    auto_ack_subject_ru = models.CharField(max_length=255, blank=True)
    auto_ack_body_ru = models.TextField(blank=True)

    last_checked_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)

    class Meta:
        ordering = ["address"]
        verbose_name_plural = "mailboxes"

    def __str__(self) -> str:
        return self.address


class InboundStatus(models.TextChoices):
    RECEIVED = "received", "Received, not yet processed"
    CREATED = "created", "Opened a ticket"
    THREADED = "threaded", "Added to a ticket"
    DUPLICATE = "duplicate", "Duplicate"
    QUARANTINED = "quarantined", "Quarantined"
    HELD = "held", "Held for an agent"
    BOUNCE = "bounce", "Delivery report"
    IGNORED = "ignored", "Ignored"


class InboundEmail(models.Model):
    inbox = models.ForeignKey(
        "tickets.Inbox", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    mailbox = models.ForeignKey(Mailbox, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    source = models.CharField(max_length=500, help_text="imap:…, lmtp, webhook, file:…, mbox:…:N")
    raw = models.FileField(upload_to="mail/raw/", max_length=255)
    sha256 = models.CharField(max_length=64)
    size = models.BigIntegerField()
    mail_id = models.TextField(blank=True, help_text="The RFC 5322 Message-ID, without angle brackets.")
    dedupe_key = models.CharField(max_length=64, help_text="SHA-256 of the Message-ID, else of the bytes.")
    status = models.CharField(max_length=12, choices=InboundStatus.choices, default=InboundStatus.RECEIVED)
    reason = models.TextField(blank=True)
    from_address = models.CharField(max_length=320, blank=True)
    subject = models.TextField(blank=True)
    ticket = models.ForeignKey(
        "tickets.Ticket", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    message = models.ForeignKey(
        "tickets.Message", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    attempts = models.PositiveIntegerField(default=0)
    received_at = models.DateTimeField(default=clock.now)
    processed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["inbox", "dedupe_key"], name="uniq_inbound_per_inbox"),
        ]
        indexes = [models.Index(fields=["status", "id"], name="inbound_status_idx")]

    def __str__(self) -> str:
        return f"{self.source} ({self.status})"


class ImapFolderState(models.Model):
    mailbox = models.ForeignKey(Mailbox, on_delete=models.CASCADE, related_name="folder_states")
    folder = models.CharField(max_length=255)
    uidvalidity = models.BigIntegerField()
    last_uid = models.BigIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["mailbox", "folder"], name="uniq_imap_folder")]

    def __str__(self) -> str:
        return f"{self.folder} {self.uidvalidity}:{self.last_uid}"


class EmailReference(models.Model):
    inbox = models.ForeignKey(
        "tickets.Inbox", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    key = models.CharField(max_length=64, help_text="SHA-256 of the normalised Message-ID.")
    mail_id = models.TextField(help_text="The RFC 5322 Message-ID, without angle brackets.")
    ticket = models.ForeignKey("tickets.Ticket", on_delete=models.CASCADE, related_name="+")
    message = models.ForeignKey(
        "tickets.Message", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    outgoing = models.BooleanField(default=False)

    class Meta:
        indexes = [models.Index(fields=["key"], name="email_reference_key_idx")]

    def __str__(self) -> str:
        return self.mail_id


class OutboundKind(models.TextChoices):
    REPLY = "reply", "Reply"
    AUTO_ACK = "auto_ack", "Auto-acknowledgement"
    NOTIFICATION = "notification", "Notification"


class OutboundStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    SENT = "sent", "Sent"
    FAILED = "failed", "Failed"
    BOUNCED = "bounced", "Bounced"


class OutboundEmail(models.Model):
    kind = models.CharField(max_length=16, choices=OutboundKind.choices, default=OutboundKind.REPLY)
    mailbox = models.ForeignKey(Mailbox, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    ticket = models.ForeignKey(
        "tickets.Ticket", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    message = models.ForeignKey(
        "tickets.Message", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    from_address = models.CharField(max_length=400)
    reply_to = models.CharField(max_length=400, blank=True)
    to = models.JSONField(default=list)
    cc = models.JSONField(default=list, blank=True)
    subject = models.TextField()
    mail_id = models.CharField(max_length=255, unique=True, help_text="Our Message-ID, fixed when queued.")
    in_reply_to = models.TextField(blank=True)
    references = models.TextField(blank=True)
    body_text = models.TextField()
    body_html = models.TextField(blank=True)
    auto_submitted = models.CharField(max_length=32, blank=True, help_text="auto-replied / auto-generated")
    status = models.CharField(max_length=8, choices=OutboundStatus.choices, default=OutboundStatus.QUEUED)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(default=clock.now)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(default=clock.now)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["id"]
        indexes = [
            models.Index(fields=["status", "next_attempt_at"], name="outbox_due_idx"),
            models.Index(fields=["ticket", "created_at"], name="outbox_ticket_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.mail_id} ({self.status})"


class AutoAckLog(models.Model):
    """When a sender last got an auto-acknowledgement (at most one per sender per window)."""

    inbox = models.ForeignKey("tickets.Inbox", on_delete=models.CASCADE, related_name="+")
    address = models.CharField(max_length=320)
    sent_at = models.DateTimeField(default=clock.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["inbox", "address"], name="uniq_auto_ack_sender")]

    def __str__(self) -> str:
        return self.address
