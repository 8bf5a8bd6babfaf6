"""The ticket, its inbox, tags, followers and custom field definitions."""

from __future__ import annotations

from django.db import models

from zabota.core import clock
from zabota.tickets.choices import Channel, CustomFieldType, Kind, Priority, Status


class Inbox(models.Model):
    """Where conversations arrive: a brand or a mailbox inside the one installation."""

    name = models.CharField(max_length=100, unique=True)
    slug = models.SlugField(
        max_length=64, unique=True, null=True, blank=True, help_text="The portal's address: /portal/<slug>/."
    )
    email = models.EmailField(blank=True)
    color = models.CharField(max_length=16, default="#2563eb")
    logo = models.FileField(
        upload_to="branding/", blank=True, help_text="PNG, JPEG or WebP shown on the portal."
    )
    portal_greeting = models.TextField(blank=True, help_text="Shown above the portal's sign-in form.")
    default_team = models.ForeignKey("accounts.Team", null=True, blank=True, on_delete=models.SET_NULL)

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "inboxes"

    def __str__(self) -> str:
        return self.name


class Tag(models.Model):
    name = models.CharField(max_length=64, unique=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class CustomFieldDefinition(models.Model):
    key = models.SlugField(max_length=64, unique=True)
    label = models.CharField(max_length=100)
    type = models.CharField(max_length=16, choices=CustomFieldType.choices, default=CustomFieldType.TEXT)
    choices = models.JSONField(default=list, blank=True)
    position = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["position", "key"]

    def __str__(self) -> str:
        return self.key


class Ticket(models.Model):
    number = models.BigIntegerField(unique=True)
    subject = models.CharField(max_length=500)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.NEW)
    priority = models.PositiveSmallIntegerField(choices=Priority.choices, default=Priority.NORMAL)
    kind = models.CharField(max_length=24, choices=Kind.choices, default=Kind.QUESTION)
    channel = models.CharField(max_length=16, choices=Channel.choices, default=Channel.API)
    inbox = models.ForeignKey(Inbox, null=True, blank=True, on_delete=models.SET_NULL, db_index=False)
    requester = models.ForeignKey(
        "customers.Contact", on_delete=models.PROTECT, related_name="tickets", db_index=False
    )
    organization = models.ForeignKey(
        "customers.Organization",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="tickets",
        db_index=False,
    )
    project = models.ForeignKey(
        "customers.Project", null=True, blank=True, on_delete=models.SET_NULL, db_index=False
    )
    assignee = models.ForeignKey(
        "accounts.Agent", null=True, blank=True, on_delete=models.SET_NULL, related_name="+", db_index=False
    )
    team = models.ForeignKey(
        "accounts.Team", null=True, blank=True, on_delete=models.SET_NULL, related_name="+", db_index=False
    )
    tags: models.ManyToManyField[Tag, TicketTag] = models.ManyToManyField(
        Tag, through="TicketTag", related_name="tickets", blank=True
    )
    custom_fields = models.JSONField(default=dict, blank=True)
    snoozed_until = models.DateTimeField(null=True, blank=True)
    merged_into = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="merged_from", db_index=False
    )
    created_at = models.DateTimeField(default=clock.now)
    updated_at = models.DateTimeField(default=clock.now, db_index=True)
    solved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-id"]
        indexes = [
            # Queues: one index range per status, already in queue order (priority, then oldest).
            models.Index(fields=["team", "status", "-priority", "id"], name="ticket_team_queue"),
            models.Index(fields=["assignee", "status", "-priority", "id"], name="ticket_assignee_queue"),
            models.Index(fields=["status", "-priority", "id"], name="ticket_status_queue"),
            # A customer's and an organization's newest tickets (the customer at a glance, the
            # customer pages, the portal): an index range already in order, whatever their count.
            models.Index(fields=["requester", "-id"], name="ticket_requester_newest"),
            models.Index(fields=["organization", "-id"], name="ticket_organization_newest"),
        ]

    def __str__(self) -> str:
        return f"#{self.number} {self.subject}"

    @property
    def priority_name(self) -> str:
        return Priority(self.priority).name.lower()


class TicketTag(models.Model):
    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, db_index=False)
    tag = models.ForeignKey(Tag, on_delete=models.CASCADE, db_index=False)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["ticket", "tag"], name="uniq_ticket_tag")]
        indexes = [models.Index(fields=["tag", "ticket"], name="tickettag_tag_ticket")]

    def __str__(self) -> str:
        return f"tag {self.tag_id} on ticket {self.ticket_id}"


class Follower(models.Model):
    """An agent (collaborator included) or a contact who follows a ticket.

    An agent follower can see the ticket even when a team restriction or the collaborator role
    would hide it: that is how a developer is brought into one conversation.
    """

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="followers")
    agent = models.ForeignKey("accounts.Agent", null=True, blank=True, on_delete=models.CASCADE)
    contact = models.ForeignKey("customers.Contact", null=True, blank=True, on_delete=models.CASCADE)
    created_at = models.DateTimeField(default=clock.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["ticket", "agent"], name="uniq_follower_agent"),
            models.UniqueConstraint(fields=["ticket", "contact"], name="uniq_follower_contact"),
            models.CheckConstraint(
                condition=models.Q(agent__isnull=False, contact__isnull=True)
                | models.Q(agent__isnull=True, contact__isnull=False),
                name="follower_agent_xor_contact",
            ),
        ]
        indexes = [models.Index(fields=["agent", "ticket"], name="follower_agent_ticket")]

    def __str__(self) -> str:
        return f"follower of ticket {self.ticket_id}"
