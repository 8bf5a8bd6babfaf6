"""Agents, teams and API tokens.

Roles:
- admin: everything, including settings and every team's tickets.
- agent: works tickets; sees every ticket except those of restricted teams they are not on.
- collaborator: a developer or product person on support duty. Sees the tickets of teams they
  are on and the tickets they were explicitly added to; writes internal notes; writes public
  replies only when ``can_reply_publicly`` is set.
"""

from __future__ import annotations

import hashlib

from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.db import models

from zabota.core import clock


class Role(models.TextChoices):
    ADMIN = "admin", "Admin"
    AGENT = "agent", "Agent"
    COLLABORATOR = "collaborator", "Collaborator"


class AgentManager(BaseUserManager["Agent"]):
    def get_by_natural_key(self, username: str | None) -> Agent:
        return self.get(email__iexact=(username or "").strip())


class Agent(AbstractBaseUser):
    email = models.EmailField(unique=True)
    name = models.CharField(max_length=200, blank=True)
    role = models.CharField(max_length=16, choices=Role.choices, default=Role.AGENT)
    can_reply_publicly = models.BooleanField(
        default=False, help_text="Collaborators only: may this person send public replies?"
    )
    locale = models.CharField(
        max_length=8, default="", blank=True, help_text="en or ru; empty follows the browser."
    )
    timezone = models.CharField(max_length=64, default="UTC")
    is_active = models.BooleanField(default=True)
    email_digest = models.BooleanField(default=False, help_text="Send a daily email of unread notifications.")
    session_version = models.PositiveIntegerField(
        default=0, help_text="Raised by 'log out everywhere': every older session stops being valid."
    )
    created_at = models.DateTimeField(default=clock.now, editable=False)

    objects = AgentManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = []  # type: ignore[misc]

    class Meta:
        ordering = ["email"]

    def __str__(self) -> str:
        return self.name or self.email

    def get_session_auth_hash(self) -> str:
        """Django checks this on every request; raising ``session_version`` ends all sessions."""
        from django.utils.crypto import salted_hmac

        return salted_hmac(
            "zabota.accounts.Agent.session", f"{self.password}:{self.session_version}", algorithm="sha256"
        ).hexdigest()

    @property
    def is_admin(self) -> bool:
        return self.role == Role.ADMIN

    @property
    def is_collaborator(self) -> bool:
        return self.role == Role.COLLABORATOR

    @property
    def may_reply_publicly(self) -> bool:
        return self.role != Role.COLLABORATOR or self.can_reply_publicly

    # Django admin integration: admins are staff and hold every permission.
    @property
    def is_staff(self) -> bool:
        return self.is_active and self.is_admin

    @property
    def is_superuser(self) -> bool:
        return self.is_staff

    def has_perm(self, perm: str, obj: object = None) -> bool:
        return self.is_staff

    def has_perms(self, perm_list: object, obj: object = None) -> bool:
        return self.is_staff

    def has_module_perms(self, app_label: str) -> bool:
        return self.is_staff


class Team(models.Model):
    name = models.CharField(max_length=100, unique=True)
    restricted = models.BooleanField(
        default=False, help_text="Only members (and admins) see this team's tickets."
    )
    members = models.ManyToManyField(Agent, related_name="teams", blank=True)
    lead = models.ForeignKey(
        Agent,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="The team lead: told about SLA breaches of the team's tickets.",
    )
    created_at = models.DateTimeField(default=clock.now, editable=False)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class TokenScope(models.TextChoices):
    READ = "read", "Read"
    WRITE = "write", "Read and write"


def hash_token(raw: str) -> str:
    """Tokens are 256-bit random strings, so a fast hash is safe and lets us look them up."""
    return hashlib.sha256(raw.encode()).hexdigest()


class ApiToken(models.Model):
    agent = models.ForeignKey(Agent, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=100, blank=True)
    prefix = models.CharField(max_length=12, help_text="The first characters, to recognise a token.")
    token_hash = models.CharField(max_length=64, unique=True)
    scope = models.CharField(max_length=8, choices=TokenScope.choices, default=TokenScope.WRITE)
    created_at = models.DateTimeField(default=clock.now, editable=False)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.agent})"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None and self.agent.is_active
