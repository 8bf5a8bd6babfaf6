"""The only writers of contacts, organizations, tiers, projects and attribute definitions."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.utils.translation import gettext

from zabota.accounts.models import Agent
from zabota.core import clock
from zabota.core.errors import Conflict, PermissionDenied, ValidationFailed
from zabota.core.events import publish
from zabota.customers.events import ContactChanged, ContactOrganizationChanged, OrganizationTierChanged
from zabota.customers.models import (
    AttributeDefinition,
    AttributeTarget,
    AttributeType,
    Contact,
    ContactEmail,
    ContactExternalId,
    ContactPhone,
    Organization,
    OrganizationDomain,
    OrganizationExternalId,
    Project,
    Tier,
)

_DOMAIN = re.compile(r"^(?=.{1,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")


def _require_writer(actor: Agent) -> None:
    if actor.is_collaborator:
        raise PermissionDenied("collaborators cannot change customer records")


def _require_admin(actor: Agent) -> None:
    if not actor.is_admin:
        raise PermissionDenied("only admins can change this")


def normalise_email(email: str) -> str:
    email = (email or "").strip()
    if len(email) > 254:
        raise ValidationFailed("an email address has at most 254 characters", fields={"email": "too_long"})
    try:
        validate_email(email)
    except ValidationError as exc:
        raise ValidationFailed(
            f"{email!r} is not a valid email address", fields={"email": "invalid"}
        ) from exc
    local, _, domain = email.rpartition("@")
    return f"{local}@{domain.lower()}"


def clean_attributes(target: str, values: dict[str, Any]) -> dict[str, Any]:
    """Validate values against the admin's attribute definitions; returns JSON-safe values."""
    defs = {d.key: d for d in AttributeDefinition.objects.filter(target=target)}
    clean: dict[str, Any] = {}
    for key, value in values.items():
        d = defs.get(key)
        if d is None:
            raise ValidationFailed(f"unknown attribute {key!r}", fields={f"attributes.{key}": "unknown"})
        if value is None:
            clean[key] = None
            continue
        clean[key] = coerce_typed(d.type, value, d.choices, f"attributes.{key}")
    return clean


def coerce_typed(type_: str, value: Any, choices: list[Any], path: str) -> Any:
    """Check one typed value (attributes and custom fields share the same types)."""

    def bad(why: str) -> ValidationFailed:
        return ValidationFailed(f"{path}: {why}", fields={path: why})

    if type_ == AttributeType.TEXT:
        if not isinstance(value, str):
            raise bad("must be text")
        if len(value) > 2000:
            raise bad("is longer than 2000 characters")
        return value
    if type_ == AttributeType.INTEGER:
        if isinstance(value, bool) or not isinstance(value, int):
            raise bad("must be a whole number")
        return value
    if type_ == AttributeType.NUMBER:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise bad("must be a number")
        if value != value or value in (float("inf"), float("-inf")):
            raise bad("must be a finite number")
        return value
    if type_ == AttributeType.BOOLEAN:
        if not isinstance(value, bool):
            raise bad("must be true or false")
        return value
    if type_ == AttributeType.DATE:
        try:
            return date.fromisoformat(str(value)).isoformat()
        except ValueError as exc:
            raise bad("must be a date YYYY-MM-DD") from exc
    if type_ == AttributeType.CHOICE:
        if value not in choices:
            raise bad(f"must be one of {choices}")
        return value
    raise bad("has an unknown type")


# --- Tiers, definitions ------------------------------------------------------------------------


def create_tier(*, actor: Agent | None, name: str, rank: int, color: str = "#6b7280") -> Tier:
    if actor is not None:
        _require_admin(actor)
    tier, _ = Tier.objects.update_or_create(name=name, defaults={"rank": rank, "color": color})
    return tier


def define_attribute(
    *, actor: Agent | None, target: str, key: str, label: str, type: str, choices: list[Any] | None = None
) -> AttributeDefinition:
    if actor is not None:
        _require_admin(actor)
    if target not in AttributeTarget.values or type not in AttributeType.values:
        raise ValidationFailed("unknown attribute target or type")
    definition, _ = AttributeDefinition.objects.update_or_create(
        target=target, key=key, defaults={"label": label, "type": type, "choices": choices or []}
    )
    return definition


# --- Organizations -----------------------------------------------------------------------------


def _resolve_tier(tier: str | None) -> Tier | None:
    if tier is None or tier == "":
        return None
    found = Tier.objects.filter(name__iexact=tier).first()
    if found is None:
        raise ValidationFailed(f"unknown tier {tier!r}", fields={"tier": "unknown"})
    return found


def _resolve_agent(agent_id: int | None) -> Agent | None:
    if agent_id is None:
        return None
    found = Agent.objects.filter(pk=agent_id, is_active=True).first()
    if found is None:
        raise ValidationFailed(f"unknown agent {agent_id}", fields={"account_manager_id": "unknown"})
    return found


_UNSET: Any = object()


def save_organization(
    *,
    actor: Agent,
    organization: Organization | None = None,
    name: str | None = None,
    tier: str | None = _UNSET,
    account_manager_id: int | None = _UNSET,
    domains: list[str] | None = None,
    attributes: dict[str, Any] | None = None,
    notes: str | None = None,
    external_ids: dict[str, str] | None = None,
) -> Organization:
    """Create (``organization`` None) or update an organization; only given fields change.

    ``attributes`` are merged into the existing ones (a key set to null is removed).
    """
    _require_writer(actor)
    with transaction.atomic():
        org = organization or Organization()
        if organization is None and not name:
            raise ValidationFailed("name is required", fields={"name": "required"})
        if name is not None:
            if not name.strip():
                raise ValidationFailed("name cannot be empty", fields={"name": "required"})
            org.name = name.strip()[:200]
        tier_changed = False
        if tier is not _UNSET:
            new_tier = _resolve_tier(tier)
            tier_changed = organization is not None and org.tier_id != (new_tier.pk if new_tier else None)
            org.tier = new_tier
        if account_manager_id is not _UNSET:
            org.account_manager = _resolve_agent(account_manager_id)
        if notes is not None:
            org.notes = notes
        if attributes:
            merged = {**org.attributes, **clean_attributes(AttributeTarget.ORGANIZATION, attributes)}
            org.attributes = {k: v for k, v in merged.items() if v is not None}
        org.updated_at = clock.now()
        org.save()
        if tier_changed:
            publish(OrganizationTierChanged(organization_id=org.pk))
        if domains is not None:
            cleaned = sorted({d.strip().lower() for d in domains if d.strip()})
            for d in cleaned:
                if not _DOMAIN.match(d):
                    raise ValidationFailed(f"{d!r} is not a domain name", fields={"domains": "invalid"})
            taken = OrganizationDomain.objects.filter(domain__in=cleaned).exclude(organization=org)
            if taken.exists():
                raise Conflict(f"domain {taken.first().domain} belongs to another organization")  # type: ignore[union-attr]
            org.domains.exclude(domain__in=cleaned).delete()
            for d in cleaned:
                OrganizationDomain.objects.get_or_create(organization=org, domain=d)
        if external_ids:
            for system, value in external_ids.items():
                _claim_external_id(OrganizationExternalId, "organization", org, system, value)
    return org


def _claim_external_id(model: Any, owner_field: str, owner: Any, system: str, value: str) -> None:
    system = system.strip().lower()
    if not re.fullmatch(r"[a-z0-9_-]{1,32}", system) or not value or len(value) > 200:
        raise ValidationFailed(
            "external ids need a system (a-z, 0-9, _ -) and a value", fields={"external_ids": "invalid"}
        )
    existing = model.objects.filter(system=system, value=value).first()
    if existing is not None and getattr(existing, f"{owner_field}_id") != owner.pk:
        raise Conflict(f"external id {system}:{value} belongs to another {owner_field}")
    model.objects.filter(**{owner_field: owner, "system": system}).exclude(value=value).delete()
    if existing is None:
        model.objects.create(**{owner_field: owner, "system": system, "value": value})


def upsert_organization_by_external_id(
    *, actor: Agent, system: str, value: str, **fields: Any
) -> tuple[Organization, bool]:
    """For CRM and billing systems: find the organization by its id in ``system`` and update it,
    or create it. Returns (organization, created)."""
    _require_writer(actor)
    with transaction.atomic():
        link = (
            OrganizationExternalId.objects.select_related("organization")
            .filter(system=system.strip().lower(), value=value)
            .first()
        )
        org = link.organization if link else None
        saved = save_organization(actor=actor, organization=org, external_ids={system: value}, **fields)
    return saved, org is None


def delete_organization(*, actor: Agent, organization: Organization) -> None:
    _require_admin(actor)
    organization.delete()


def create_project(*, actor: Agent, organization: Organization, name: str) -> Project:
    _require_writer(actor)
    if not name.strip():
        raise ValidationFailed("the project needs a name", fields={"name": "required"})
    try:
        with transaction.atomic():
            return Project.objects.create(organization=organization, name=name.strip()[:200])
    except IntegrityError as exc:
        raise Conflict(f"project {name!r} already exists in this organization") from exc


# --- Contacts ----------------------------------------------------------------------------------


def organization_for_email(email: str) -> Organization | None:
    domain = email.rpartition("@")[2].lower()
    link = OrganizationDomain.objects.select_related("organization").filter(domain=domain).first()
    return link.organization if link else None


def save_contact(
    *,
    actor: Agent | None,
    contact: Contact | None = None,
    name: str | None = None,
    emails: list[str] | None = None,
    phones: list[str] | None = None,
    organization_id: int | None = _UNSET,
    is_organization_admin: bool | None = None,
    locale: str | None = None,
    timezone: str | None = None,
    attributes: dict[str, Any] | None = None,
    external_ids: dict[str, str] | None = None,
) -> Contact:
    """Create or update a contact; only given fields change. ``actor`` None means the system
    (a channel creating the sender of an inbound message)."""
    if actor is not None:
        _require_writer(actor)
    with transaction.atomic():
        c = contact or Contact()
        searchable_before = (c.name, _email_set(c)) if c.pk else None
        organization_before = c.organization_id if c.pk else _UNSET
        if name is not None:
            c.name = name.strip()[:200]
        if organization_id is not _UNSET:
            if organization_id is None:
                c.organization = None
            else:
                org = Organization.objects.filter(pk=organization_id).first()
                if org is None:
                    raise ValidationFailed(
                        f"unknown organization {organization_id}", fields={"organization_id": "unknown"}
                    )
                c.organization = org
        if is_organization_admin is not None:
            c.is_organization_admin = is_organization_admin
        if locale is not None:
            if locale not in ("en", "ru"):
                raise ValidationFailed("locale must be en or ru", fields={"locale": "invalid"})
            c.locale = locale
        if timezone is not None:
            _check_timezone(timezone)
            c.timezone = timezone
        if attributes:
            merged = {**c.attributes, **clean_attributes(AttributeTarget.CONTACT, attributes)}
            c.attributes = {k: v for k, v in merged.items() if v is not None}
        cleaned_emails = [normalise_email(e) for e in emails] if emails is not None else None
        if c.pk is None and c.organization_id is None and cleaned_emails:
            c.organization = organization_for_email(cleaned_emails[0])
        c.updated_at = clock.now()
        c.save()
        if cleaned_emails is not None:
            lowered = [e.lower() for e in cleaned_emails]
            for e in cleaned_emails:
                if ContactEmail.objects.filter(email__lower=e.lower()).exclude(contact=c).exists():
                    raise Conflict(f"{e} belongs to another contact")
            for existing in c.emails.all():
                if existing.email.lower() not in lowered:
                    existing.delete()
            have = {e.email.lower() for e in c.emails.all()}
            for i, e in enumerate(cleaned_emails):
                if e.lower() not in have:
                    ContactEmail.objects.create(contact=c, email=e, is_primary=(i == 0))
                    have.add(e.lower())
            c.emails.exclude(email__iexact=cleaned_emails[0] if cleaned_emails else "").update(
                is_primary=False
            )
            if cleaned_emails:
                c.emails.filter(email__iexact=cleaned_emails[0]).update(is_primary=True)
        if phones is not None:
            c.phones.all().delete()
            for p in phones:
                p = p.strip()
                if not re.fullmatch(r"\+?[0-9 ()-]{3,32}", p):
                    raise ValidationFailed(f"{p!r} is not a phone number", fields={"phones": "invalid"})
                ContactPhone.objects.create(contact=c, phone=p)
        if external_ids:
            for system, value in external_ids.items():
                _claim_external_id(ContactExternalId, "contact", c, system, value)
        if searchable_before is not None and searchable_before != (c.name, _email_set(c)):
            publish(ContactChanged(contact_id=c.pk))
        if organization_before is not _UNSET and organization_before != c.organization_id:
            publish(ContactOrganizationChanged(contact_id=c.pk))
    return c


def _email_set(contact: Contact) -> frozenset[str]:
    return frozenset(ContactEmail.objects.filter(contact=contact).values_list("email", flat=True))


def _check_timezone(name: str) -> None:
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValidationFailed(f"unknown timezone {name!r}", fields={"timezone": "invalid"}) from exc


def upsert_contact_by_external_id(
    *, actor: Agent, system: str, value: str, **fields: Any
) -> tuple[Contact, bool]:
    _require_writer(actor)
    with transaction.atomic():
        link = (
            ContactExternalId.objects.select_related("contact")
            .filter(system=system.strip().lower(), value=value)
            .first()
        )
        contact = link.contact if link else None
        saved = save_contact(actor=actor, contact=contact, external_ids={system: value}, **fields)
    return saved, contact is None


def find_or_create_contact(*, email: str, name: str = "") -> Contact:
    """The contact who owns ``email``, created (with its organization by domain) if new."""
    return find_or_create_contacts([(email, name)])[normalise_email(email).lower()]


def find_or_create_contacts(entries: Sequence[tuple[str, str]]) -> dict[str, Contact]:
    """``find_or_create_contact`` for many (email, name) pairs at once (a batch of mail): a few
    queries for them all. Returns the contacts by lower-cased address. An invalid address
    refuses the lot (``ValidationFailed``) before anything is written."""
    wanted: dict[str, tuple[str, str]] = {}
    for email, name in entries:
        address = normalise_email(email)
        wanted.setdefault(address.lower(), (address, name))
    if not wanted:
        return {}
    found = {
        ce.email.lower(): ce.contact
        for ce in ContactEmail.objects.select_related("contact").filter(email__lower__in=list(wanted))
    }
    new = [key for key in wanted if key not in found]
    if not new:
        return found
    # New senders (most inbound mail from someone unknown): the rows directly, rather than
    # save_contact's general update path (a dozen queries). Same rows, same rules.
    domains = {key.rpartition("@")[2] for key in new}
    orgs = {
        link.domain: link.organization
        for link in OrganizationDomain.objects.select_related("organization").filter(domain__in=domains)
    }
    now = clock.now()
    try:
        with transaction.atomic():
            contacts = Contact.objects.bulk_create(
                [
                    Contact(
                        name=(wanted[key][1] or wanted[key][0].partition("@")[0]).strip()[:200],
                        organization=orgs.get(key.rpartition("@")[2]),
                        updated_at=now,
                    )
                    for key in new
                ]
            )
            ContactEmail.objects.bulk_create(
                [
                    ContactEmail(contact=contact, email=wanted[key][0], is_primary=True)
                    for key, contact in zip(new, contacts, strict=True)
                ]
            )
    except IntegrityError:  # one of the addresses was added a moment ago by another process
        for key in new:
            found[key] = _find_or_create_one(*wanted[key], organization=orgs.get(key.rpartition("@")[2]))
        return found
    found.update(zip(new, contacts, strict=True))
    return found


def _find_or_create_one(email: str, name: str, *, organization: Organization | None) -> Contact:
    existing = ContactEmail.objects.select_related("contact").filter(email__lower=email.lower()).first()
    if existing:
        return existing.contact
    with transaction.atomic():
        contact = Contact.objects.create(
            name=(name or email.partition("@")[0]).strip()[:200],
            organization=organization,
            updated_at=clock.now(),
        )
        try:
            with transaction.atomic():
                ContactEmail.objects.create(contact=contact, email=email, is_primary=True)
        except IntegrityError:  # the same address was added a moment ago by another process
            contact.delete()
            return ContactEmail.objects.select_related("contact").get(email__lower=email.lower()).contact
    return contact


def delete_contact(*, actor: Agent, contact: Contact) -> None:
    _require_admin(actor)
    if contact.tickets.exists():
        raise Conflict("this contact has tickets; merge or keep them")
    contact.delete()


# --- Team leads' settings: tiers and attribute definitions (admins only) ------------------------

_HEX_COLOR = re.compile(r"^#[0-9a-fA-F]{6}$")
_KEY = re.compile(r"^[a-z][a-z0-9_]{0,63}$")


def save_tier(*, actor: Agent, tier: Tier | None = None, name: str, rank: int, color: str) -> Tier:
    """Create or change a tier. ``rank`` is unique; a lower rank is a more important tier."""
    _require_admin(actor)
    name = (name or "").strip()
    if not name:
        raise ValidationFailed(gettext("A tier needs a name."), fields={"name": "required"})
    if not _HEX_COLOR.match(color or ""):
        raise ValidationFailed(gettext("Use a colour like #d4af37."), fields={"color": "invalid"})
    if not 0 < rank < 32768:
        raise ValidationFailed(gettext("The rank is a number from 1 to 32767."), fields={"rank": "invalid"})
    others = Tier.objects.exclude(pk=tier.pk) if tier is not None else Tier.objects.all()
    if others.filter(name__iexact=name).exists():
        raise ValidationFailed(gettext("A tier with this name already exists."), fields={"name": "taken"})
    if others.filter(rank=rank).exists():
        raise ValidationFailed(gettext("Another tier already has this rank."), fields={"rank": "taken"})
    try:
        with transaction.atomic():
            if tier is None:
                tier = Tier.objects.create(name=name, rank=rank, color=color.lower())
            else:
                tier.name, tier.rank, tier.color = name, rank, color.lower()
                tier.save(update_fields=["name", "rank", "color"])
    except IntegrityError as exc:  # a concurrent save took the name or rank
        raise ValidationFailed(
            gettext("Another tier already has this rank."), fields={"rank": "taken"}
        ) from exc
    return tier


def delete_tier(*, actor: Agent, tier: Tier) -> None:
    """Delete a tier; its organizations keep existing without a tier."""
    _require_admin(actor)
    tier.delete()


def parse_choices(type_: str, choices: list[str]) -> list[Any]:
    """Choice lists for attributes and custom fields: trimmed, unique, only for the choice type."""
    if type_ != AttributeType.CHOICE:
        return []
    clean: list[str] = []
    for choice in choices:
        choice = choice.strip()
        if choice and choice not in clean:
            if len(choice) > 100:
                raise ValidationFailed(
                    gettext("A choice has at most 100 characters."), fields={"choices": "too_long"}
                )
            clean.append(choice)
    if not clean:
        raise ValidationFailed(
            gettext("A choice field needs at least one choice."), fields={"choices": "required"}
        )
    if len(clean) > 200:
        raise ValidationFailed(gettext("At most 200 choices."), fields={"choices": "too_many"})
    return clean


def check_definition_key(key: str) -> str:
    if not _KEY.match(key or ""):
        raise ValidationFailed(
            gettext("Use lower-case letters, digits and _, starting with a letter."),
            fields={"key": "invalid"},
        )
    return key


def save_attribute_definition(
    *,
    actor: Agent,
    definition: AttributeDefinition | None = None,
    target: str = "",
    key: str = "",
    label: str,
    type: str = "",
    choices: list[str] | None = None,
    position: int = 0,
) -> AttributeDefinition:
    """Create an attribute definition, or change an existing one's label, choices and position.
    The target, key and type of an existing definition stay: stored values depend on them."""
    _require_admin(actor)
    label = (label or "").strip()
    if not label:
        raise ValidationFailed(gettext("A label is required."), fields={"label": "required"})
    if definition is None:
        if target not in AttributeTarget.values:
            raise ValidationFailed(gettext("Choose organization or contact."), fields={"target": "invalid"})
        if type not in AttributeType.values:
            raise ValidationFailed(gettext("Choose a type."), fields={"type": "invalid"})
        check_definition_key(key)
        if AttributeDefinition.objects.filter(target=target, key=key).exists():
            raise ValidationFailed(gettext("This key is already used."), fields={"key": "taken"})
        return AttributeDefinition.objects.create(
            target=target,
            key=key,
            label=label,
            type=type,
            choices=parse_choices(type, choices or []),
            position=position,
        )
    definition.label = label
    definition.choices = parse_choices(definition.type, choices or [])
    definition.position = position
    definition.save(update_fields=["label", "choices", "position"])
    return definition


def delete_attribute_definition(*, actor: Agent, definition: AttributeDefinition) -> None:
    """Remove a definition; values already stored on records are left as they are, unshown."""
    _require_admin(actor)
    definition.delete()
