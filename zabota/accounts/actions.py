"""The only writers of agents, teams and tokens."""

from __future__ import annotations

import secrets
from datetime import timedelta

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext
from django_otp.plugins.otp_totp.models import TOTPDevice

from zabota.accounts.events import AgentDeactivated
from zabota.accounts.models import Agent, ApiToken, Role, Team, TokenScope, hash_token
from zabota.core import clock
from zabota.core.errors import ValidationFailed
from zabota.core.events import publish

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


def add_team_member(*, team: Team, agent: Agent) -> None:
    """Put ``agent`` on ``team`` (nothing if already there). The caller decided the actor may
    (an admin on the teams page, or a rota's editor putting a person on that team's duty)."""
    team.members.add(agent)


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


# --- Sign-in, the agent's own preferences and second factor -------------------------------------
# Called by the workspace (zabota/web): every change an agent makes to their own account.


def update_preferences(*, actor: Agent, locale: str, timezone: str, email_digest: bool) -> Agent:
    """The agent's language ("" follows the browser), time zone and daily digest choice."""
    import zoneinfo

    from django.conf import settings

    languages = {code for code, _name in settings.LANGUAGES}
    if locale and locale not in languages:
        raise ValidationFailed("unknown language", fields={"locale": "invalid"})
    try:
        zoneinfo.ZoneInfo(timezone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError) as exc:
        raise ValidationFailed("unknown time zone", fields={"timezone": "invalid"}) from exc
    if timezone not in zoneinfo.available_timezones() and timezone != "UTC":
        raise ValidationFailed("unknown time zone", fields={"timezone": "invalid"})
    actor.locale = locale
    actor.timezone = timezone
    actor.email_digest = email_digest
    actor.save(update_fields=["locale", "timezone", "email_digest"])
    return actor


def change_password(*, actor: Agent, current_password: str, new_password: str) -> Agent:
    """Set a new password after checking the current one. Other sessions end (Django's session
    hash includes the password); the caller keeps the current one with update_session_auth_hash."""
    if not actor.check_password(current_password):
        raise ValidationFailed("the current password is not right", fields={"current_password": "wrong"})
    try:
        validate_password(new_password, user=actor)
    except ValidationError as exc:
        raise ValidationFailed(" ".join(exc.messages), fields={"new_password": "invalid"}) from exc
    actor.set_password(new_password)
    actor.save(update_fields=["password"])
    return actor


def log_out_everywhere(*, actor: Agent) -> Agent:
    """Raise ``session_version``: every existing session of this agent stops being valid."""
    from django.db.models import F

    Agent.objects.filter(pk=actor.pk).update(session_version=F("session_version") + 1)
    actor.refresh_from_db(fields=["session_version"])
    return actor


def confirmed_totp_device(agent: Agent) -> TOTPDevice | None:
    """The agent's confirmed TOTP device (the second factor at sign-in), if any."""
    return TOTPDevice.objects.devices_for_user(agent, confirmed=True).first()


def verify_second_factor(*, agent: Agent, token: str) -> TOTPDevice | None:
    """Check a TOTP code at sign-in. django-otp records the attempt on the device (its
    throttling: each wrong code doubles the wait); returns the device when the code is right."""
    device = confirmed_totp_device(agent)
    if device is None or not token.isdigit():
        if device is not None:
            device.throttle_increment()
        return None
    return device if device.verify_token(token) else None


def start_totp_setup(*, actor: Agent) -> TOTPDevice:
    """A new unconfirmed TOTP device (replacing any earlier unconfirmed one); the agent scans
    its otpauth URL and confirms with a code before it is asked for at sign-in."""
    with transaction.atomic():
        TOTPDevice.objects.filter(user=actor, confirmed=False).delete()
        return TOTPDevice.objects.create(user=actor, name="Authenticator app", confirmed=False)


def pending_totp_device(agent: Agent) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=agent, confirmed=False).order_by("-pk").first()


def confirm_totp(*, actor: Agent, token: str) -> TOTPDevice:
    """Confirm the pending device with a code from the app; older confirmed devices go.

    Sessions opened before the second factor was on never gave a code: they end (the caller
    keeps its own with ``update_session_auth_hash``)."""
    device = pending_totp_device(actor)
    if device is None:
        raise ValidationFailed("start the set-up first", fields={"token": "no_device"})
    if not token.isdigit() or not device.verify_token(token):
        raise ValidationFailed("the code is not right", fields={"token": "wrong"})
    with transaction.atomic():
        TOTPDevice.objects.filter(user=actor, confirmed=True).exclude(pk=device.pk).delete()
        device.confirmed = True
        device.save(update_fields=["confirmed"])
        log_out_everywhere(actor=actor)
    return device


def disable_totp(*, actor: Agent, password: str) -> None:
    """Remove every TOTP device of the agent, after checking their password."""
    if not actor.check_password(password):
        raise ValidationFailed("the password is not right", fields={"password": "wrong"})
    TOTPDevice.objects.filter(user=actor).delete()


# --- Team leads' settings: agents and teams (admins only) ---------------------------------------


def _require_admin(actor: Agent) -> None:
    from zabota.core.errors import PermissionDenied

    if not (actor.is_active and actor.is_admin):
        raise PermissionDenied(gettext("only admins can change agents and teams"))


def generate_password() -> str:
    """A temporary password for a new agent: 4 groups of 4 easy-to-read characters."""
    alphabet = "abcdefghjkmnpqrstuvwxyz23456789"
    return "-".join("".join(secrets.choice(alphabet) for _ in range(4)) for _ in range(4))


def _check_password(password: str, agent: Agent | None = None) -> None:
    try:
        validate_password(password, user=agent)
    except ValidationError as exc:
        raise ValidationFailed(" ".join(exc.messages), fields={"password": "invalid"}) from exc


def _keeps_an_active_admin(agent: Agent, *, role: str, is_active: bool) -> bool:
    """Would there still be an active admin if ``agent`` had this role and state?"""
    if agent.role != Role.ADMIN or not agent.is_active:
        return True
    if role == Role.ADMIN and is_active:
        return True
    return Agent.objects.filter(role=Role.ADMIN, is_active=True).exclude(pk=agent.pk).exists()


def invite_agent(
    *,
    actor: Agent,
    email: str,
    name: str,
    role: str,
    can_reply_publicly: bool = False,
    teams: list[Team] | None = None,
    password: str | None = None,
) -> tuple[Agent, str]:
    """Add an agent with the given password, or a generated one. Returns (agent, password):
    the password is shown once to the admin and never stored in clear."""
    from django.core.validators import validate_email

    _require_admin(actor)
    email = (email or "").strip().lower()
    try:
        validate_email(email)
    except ValidationError as exc:
        raise ValidationFailed(gettext("Enter a valid email address."), fields={"email": "invalid"}) from exc
    if role not in Role.values:
        raise ValidationFailed(gettext("Choose a role."), fields={"role": "invalid"})
    if Agent.objects.filter(email__iexact=email).exists():
        raise ValidationFailed(gettext("An agent with this email already exists."), fields={"email": "taken"})
    raw = password or generate_password()
    if password:
        _check_password(password)
    try:
        with transaction.atomic():
            agent = Agent(email=email, name=name.strip(), role=role, can_reply_publicly=can_reply_publicly)
            agent.set_password(raw)
            agent.save()
            if teams:
                agent.teams.set(teams)
    except IntegrityError as exc:  # a concurrent invite of the same email
        raise ValidationFailed(
            gettext("An agent with this email already exists."), fields={"email": "taken"}
        ) from exc
    return agent, raw


def update_agent(
    *,
    actor: Agent,
    agent: Agent,
    name: str,
    role: str,
    can_reply_publicly: bool,
    teams: list[Team],
) -> Agent:
    """Change an agent's name, role and teams. The last active admin cannot be demoted."""
    _require_admin(actor)
    if role not in Role.values:
        raise ValidationFailed(gettext("Choose a role."), fields={"role": "invalid"})
    with transaction.atomic():
        agent = Agent.objects.select_for_update().get(pk=agent.pk)
        if not _keeps_an_active_admin(agent, role=role, is_active=agent.is_active):
            raise ValidationFailed(
                gettext("This is the last active admin; make someone else an admin first."),
                fields={"role": "last_admin"},
            )
        agent.name = name.strip()
        agent.role = role
        agent.can_reply_publicly = can_reply_publicly
        agent.save(update_fields=["name", "role", "can_reply_publicly"])
        agent.teams.set(teams)
    return agent


def set_agent_active(*, actor: Agent, agent: Agent, active: bool) -> Agent:
    """Deactivate (signed out at once, cannot sign in, no longer assignable) or reactivate."""
    from django.db.models import F

    _require_admin(actor)
    with transaction.atomic():
        agent = Agent.objects.select_for_update().get(pk=agent.pk)
        if not active and not _keeps_an_active_admin(agent, role=agent.role, is_active=False):
            raise ValidationFailed(
                gettext("This is the last active admin; make someone else an admin first."),
                fields={"is_active": "last_admin"},
            )
        if agent.is_active != active:
            updates: dict[str, object] = {"is_active": active}
            if not active:
                updates["session_version"] = F("session_version") + 1
            Agent.objects.filter(pk=agent.pk).update(**updates)
            agent.refresh_from_db()
            if not active:
                publish(AgentDeactivated(agent_id=agent.pk, actor_agent_id=actor.pk))
    return agent


def reset_agent_password(*, actor: Agent, agent: Agent, password: str | None = None) -> tuple[Agent, str]:
    """Give an agent a new password (generated unless given); their sessions end."""
    _require_admin(actor)
    raw = password or generate_password()
    if password:
        _check_password(password, agent)
    agent.set_password(raw)
    agent.save(update_fields=["password"])
    return agent, raw


def save_team(
    *,
    actor: Agent,
    team: Team | None = None,
    name: str,
    restricted: bool,
    members: list[Agent],
    lead: Agent | None = None,
) -> Team:
    """Create a team, or rename it and change its restricted flag, members and lead (the
    person told about SLA breaches of the team's tickets; None: no lead)."""
    _require_admin(actor)
    name = (name or "").strip()
    if not name:
        raise ValidationFailed(gettext("A team needs a name."), fields={"name": "required"})
    clash = Team.objects.filter(name__iexact=name)
    if team is not None:
        clash = clash.exclude(pk=team.pk)
    if clash.exists():
        raise ValidationFailed(gettext("A team with this name already exists."), fields={"name": "taken"})
    try:
        with transaction.atomic():
            if team is None:
                team = Team.objects.create(name=name, restricted=restricted, lead=lead)
            else:
                team.name = name
                team.restricted = restricted
                team.lead = lead
                team.save(update_fields=["name", "restricted", "lead"])
            team.members.set(members)
    except IntegrityError as exc:
        raise ValidationFailed(
            gettext("A team with this name already exists."), fields={"name": "taken"}
        ) from exc
    return team


def cancel_totp_setup(*, actor: Agent) -> None:
    """Drop an unconfirmed TOTP device (the set-up was abandoned); a confirmed one stays."""
    TOTPDevice.objects.filter(user=actor, confirmed=False).delete()
