"""The only writers of agents, teams and tokens."""

from __future__ import annotations

import secrets
from datetime import timedelta

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction

from zabota.accounts.models import Agent, ApiToken, Role, Team, TokenScope, hash_token
from zabota.core import clock
from zabota.core.errors import ValidationFailed

TOKEN_PREFIX = "zb_"
LAST_USED_GRANULARITY = timedelta(minutes=1)


def create_or_update_agent(
    *, email: str, role: str, name: str = "", password: str | None = None, can_reply_publicly: bool = False
) -> tuple[Agent, bool]:
    """Create an agent, or update an existing one's role and password. Returns (agent, created)."""
    email = email.strip().lower()
    if role not in Role.values:
        raise ValidationFailed(f"role must be one of {', '.join(Role.values)}", fields={"role": "invalid"})
    if password is not None:
        try:
            validate_password(password)
        except ValidationError as exc:
            raise ValidationFailed(" ".join(exc.messages), fields={"password": "invalid"}) from exc
    with transaction.atomic():
        agent = Agent.objects.select_for_update().filter(email__iexact=email).first()
        created = agent is None
        if agent is None:
            agent = Agent(email=email)
        agent.role = role
        if name:
            agent.name = name
        agent.can_reply_publicly = can_reply_publicly
        agent.is_active = True
        if password is not None:
            agent.set_password(password)
        elif created:
            agent.set_unusable_password()
        agent.save()
    return agent, created


def create_team(*, name: str, restricted: bool = False, members: list[Agent] | None = None) -> Team:
    with transaction.atomic():
        team, _ = Team.objects.get_or_create(name=name, defaults={"restricted": restricted})
        if members:
            team.members.add(*members)
    return team


def create_token(*, agent: Agent, scope: str = TokenScope.WRITE, name: str = "") -> tuple[ApiToken, str]:
    """Create a token; the raw value is returned once and never stored."""
    if scope not in TokenScope.values:
        raise ValidationFailed("scope must be read or write", fields={"scope": "invalid"})
    raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        agent=agent, name=name, prefix=raw[:10], token_hash=hash_token(raw), scope=scope
    )
    return token, raw


def revoke_token(*, token: ApiToken) -> None:
    if token.revoked_at is None:
        ApiToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(revoked_at=clock.now())


def record_token_use(token: ApiToken) -> None:
    """Record last use, at most once a minute per token so reads don't become writes."""
    now = clock.now()
    if token.last_used_at is None or now - token.last_used_at >= LAST_USED_GRANULARITY:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now
