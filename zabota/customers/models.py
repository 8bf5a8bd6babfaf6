"""Contacts, organizations, tiers, projects and admin-defined typed attributes.

Attributes (plan, seats, MRR, usage ...) are defined by admins as ``AttributeDefinition`` rows
and stored as a JSON object on the organization or contact, validated against the definitions
by ``customers.actions`` (the only writer). External ids (a CRM id, a billing id, a Telegram id)
are unique per system, so a company's systems can upsert by them.
"""

from __future__ import annotations

from django.db import models
from django.db.models.functions import Lower

from zabota.core.models import TimestampedModel


class Tier(models.Model):
    """An admin-defined customer tier; a lower ``rank`` is a more important tier (Platinum = 1)."""

    name = models.CharField(max_length=64, unique=True)
    rank = models.PositiveSmallIntegerField(unique=True)
    color = models.CharField(max_length=16, default="#6b7280")

    class Meta:
        ordering = ["rank"]

    def __str__(self) -> str:
        return self.name


class AttributeType(models.TextChoices):
    TEXT = "text", "Text"
    NUMBER = "number", "Number"
    INTEGER = "integer", "Integer"
    BOOLEAN = "boolean", "Yes/no"
    DATE = "date", "Date"
    CHOICE = "choice", "Choice"


class AttributeTarget(models.TextChoices):
    ORGANIZATION = "organization", "Organization"
    CONTACT = "contact", "Contact"


class AttributeDefinition(models.Model):
    target = models.CharField(max_length=16, choices=AttributeTarget.choices)
    key = models.SlugField(max_length=64)
    label = models.CharField(max_length=100)
    type = models.CharField(max_length=16, choices=AttributeType.choices, default=AttributeType.TEXT)
    choices = models.JSONField(default=list, blank=True)
    position = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["target", "position", "key"]
        constraints = [models.UniqueConstraint(fields=["target", "key"], name="uniq_attribute_key")]

    def __str__(self) -> str:
        return f"{self.target}.{self.key}"


class Organization(TimestampedModel):
    name = models.CharField(max_length=200)
    tier = models.ForeignKey(Tier, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    account_manager = models.ForeignKey(
        "accounts.Agent",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="managed_organizations",
    )
    attributes = models.JSONField(default=dict, blank=True)
    notes = models.TextField(blank=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class OrganizationDomain(models.Model):
    """Mail from this domain is associated with the organization automatically."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="domains")
    domain = models.CharField(max_length=253, unique=True)

    def __str__(self) -> str:
        return self.domain


class Project(models.Model):
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="projects")
    name = models.CharField(max_length=200)

    class Meta:
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["organization", "name"], name="uniq_project_name")]

    def __str__(self) -> str:
        return self.name


class Contact(TimestampedModel):
    name = models.CharField(max_length=200, blank=True)
    organization = models.ForeignKey(
        Organization, null=True, blank=True, on_delete=models.SET_NULL, related_name="contacts"
    )
    is_organization_admin = models.BooleanField(
        default=False, help_text="Sees every ticket of the organization in the portal."
    )
    locale = models.CharField(max_length=8, default="en")
    timezone = models.CharField(max_length=64, default="UTC")
    attributes = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name or f"contact {self.pk}"


# ``email__lower=...`` compiles to ``LOWER(email) = ...``, which the functional unique index
# below serves on SQLite and PostgreSQL alike (``email__iexact`` is ``UPPER(...)`` on PostgreSQL
# and cannot use it: a sequential scan of every address on each inbound email).
models.EmailField.register_lookup(Lower)


class ContactEmail(models.Model):
    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="emails")
    email = models.EmailField(max_length=254)
    is_primary = models.BooleanField(default=False)

    class Meta:
        ordering = ["-is_primary", "id"]
        constraints = [models.UniqueConstraint(Lower("email"), name="uniq_contact_email_ci")]

    def __str__(self) -> str:
        return self.email


class ContactPhone(models.Model):
    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="phones")
    phone = models.CharField(max_length=32)

    def __str__(self) -> str:
        return self.phone


class ContactExternalId(models.Model):
    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="external_ids")
    system = models.SlugField(max_length=32)
    value = models.CharField(max_length=200)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["system", "value"], name="uniq_contact_external_id")]

    def __str__(self) -> str:
        return f"{self.system}:{self.value}"


class OrganizationExternalId(models.Model):
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="external_ids")
    system = models.SlugField(max_length=32)
    value = models.CharField(max_length=200)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["system", "value"], name="uniq_org_external_id")]

    def __str__(self) -> str:
        return f"{self.system}:{self.value}"
