"""The only writers of the ticket configuration the team leads manage at /settings/: inboxes
(with their portal branding), tags and custom field definitions. Admins only.

Renaming a tag onto an existing tag merges the two (set-based, in chunks, so a tag on many
tickets does not load every ticket). These are configuration changes, not ticket changes, so
they write no activity rows on the tickets and publish no ticket events; saved views that
filter by the old tag name keep that name. ``tags_with_counts`` is the one read the tags page
needs (admins see every ticket, so it needs no permission scoping).
"""

from __future__ import annotations

import re
import uuid

import filetype
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.db.models import Count
from django.db.models.query import QuerySet
from django.utils.text import slugify
from django.utils.translation import gettext

from zabota.accounts.models import Agent, Team
from zabota.core.errors import PermissionDenied, ValidationFailed
from zabota.customers.actions import check_definition_key, parse_choices
from zabota.tickets.actions.fields import normalise_tag
from zabota.tickets.choices import CustomFieldType
from zabota.tickets.models import CustomFieldDefinition, Inbox, Tag, TicketTag

LOGO_MAX_BYTES = 1024 * 1024
LOGO_TYPES = {"image/png": "png", "image/jpeg": "jpg", "image/webp": "webp"}
_HEX_COLOR = re.compile(r"^#[0-9a-fA-F]{6}$")
_MERGE_CHUNK = 1000


def _require_admin(actor: Agent) -> None:
    if not (actor.is_active and actor.is_admin):
        raise PermissionDenied(gettext("only admins can change the settings"))


# --- Inboxes -----------------------------------------------------------------------------------


def sniff_logo(upload: UploadedFile) -> str:
    """The logo's file extension from its content (never its name): PNG, JPEG or WebP, ≤ 1 MiB."""
    if upload.size is None or upload.size > LOGO_MAX_BYTES:
        raise ValidationFailed(gettext("The logo can be at most 1 MiB."), fields={"logo": "too_large"})
    upload.seek(0)
    head = upload.read(261)
    upload.seek(0)
    kind = filetype.guess(head)
    if kind is None or kind.mime not in LOGO_TYPES:
        raise ValidationFailed(
            gettext("The logo must be a PNG, JPEG or WebP image."), fields={"logo": "type"}
        )
    return LOGO_TYPES[kind.mime]


# The customer portal's fixed paths (/portal/link/..., /portal/requests/...): an inbox with one of
# these as its portal address would be shadowed by them.
RESERVED_PORTAL_SLUGS = frozenset({"link", "requests", "attachments", "preferences", "logout"})


def save_inbox(
    *,
    actor: Agent,
    inbox: Inbox | None = None,
    name: str,
    slug: str = "",
    email: str = "",
    color: str = "#2563eb",
    portal_greeting: str = "",
    default_team: Team | None = None,
    logo: UploadedFile | None = None,
    remove_logo: bool = False,
) -> Inbox:
    """Create or change an inbox and its portal branding. ``slug`` "" means no portal address."""
    _require_admin(actor)
    name = (name or "").strip()
    slug = (slug or "").strip().lower()
    if not name:
        raise ValidationFailed(gettext("An inbox needs a name."), fields={"name": "required"})
    if slug and slugify(slug) != slug:
        raise ValidationFailed(
            gettext("Use lower-case letters, digits and hyphens for the portal address."),
            fields={"slug": "invalid"},
        )
    if slug in RESERVED_PORTAL_SLUGS:
        raise ValidationFailed(
            gettext("This portal address is reserved; choose another."), fields={"slug": "reserved"}
        )
    if not _HEX_COLOR.match(color or ""):
        raise ValidationFailed(gettext("Use a colour like #2563eb."), fields={"color": "invalid"})
    others = Inbox.objects.exclude(pk=inbox.pk) if inbox is not None else Inbox.objects.all()
    if others.filter(name__iexact=name).exists():
        raise ValidationFailed(gettext("An inbox with this name already exists."), fields={"name": "taken"})
    if slug and others.filter(slug=slug).exists():
        raise ValidationFailed(gettext("Another inbox has this portal address."), fields={"slug": "taken"})
    extension = sniff_logo(logo) if logo is not None else None
    try:
        with transaction.atomic():
            if inbox is None:
                inbox = Inbox()
            old_logo = inbox.logo.name if inbox.logo else ""
            inbox.name = name
            inbox.slug = slug or None
            inbox.email = (email or "").strip()
            inbox.color = color.lower()
            inbox.portal_greeting = portal_greeting or ""
            inbox.default_team = default_team
            if remove_logo:
                inbox.logo = ""  # type: ignore[assignment]
            if logo is not None and extension is not None:
                inbox.logo.save(f"{uuid.uuid4().hex}.{extension}", logo, save=False)
            inbox.save()
            new_logo = inbox.logo.name if inbox.logo else ""
            if old_logo and old_logo != new_logo:
                storage = inbox.logo.storage
                transaction.on_commit(lambda: storage.delete(old_logo))
    except IntegrityError as exc:  # a concurrent save took the name or address
        raise ValidationFailed(
            gettext("Another inbox has this name or portal address."), fields={"name": "taken"}
        ) from exc
    return inbox


# --- Tags --------------------------------------------------------------------------------------


def tags_with_counts() -> QuerySet[Tag]:
    """Every tag with the number of tickets carrying it (for the settings list)."""
    return Tag.objects.annotate(ticket_count=Count("tickettag")).order_by("name")


def rename_tag(*, actor: Agent, tag: Tag, new_name: str) -> Tag:
    """Rename a tag; onto an existing tag's name, merge into it. Returns the surviving tag."""
    _require_admin(actor)
    try:
        name = normalise_tag(new_name)
    except ValidationFailed as exc:
        raise ValidationFailed(
            gettext("Tags use letters, digits and . : - _ (up to 64 characters)."), fields={"name": "invalid"}
        ) from exc
    with transaction.atomic():
        target = Tag.objects.select_for_update().filter(name=name).exclude(pk=tag.pk).first()
        if target is None:
            Tag.objects.filter(pk=tag.pk).update(name=name)
            tag.name = name
            return tag
        already = TicketTag.objects.filter(tag=target).values("ticket_id")
        moving = (
            TicketTag.objects.filter(tag=tag)
            .exclude(ticket_id__in=already)
            .values_list("ticket_id", flat=True)
        )
        batch: list[int] = []
        for ticket_id in moving.iterator(chunk_size=_MERGE_CHUNK):
            batch.append(ticket_id)
            if len(batch) >= _MERGE_CHUNK:
                TicketTag.objects.bulk_create([TicketTag(ticket_id=t, tag=target) for t in batch])
                batch = []
        if batch:
            TicketTag.objects.bulk_create([TicketTag(ticket_id=t, tag=target) for t in batch])
        TicketTag.objects.filter(tag=tag).delete()
        tag.delete()
    return target


def delete_tag(*, actor: Agent, tag: Tag) -> None:
    """Delete a tag; it disappears from every ticket that had it."""
    _require_admin(actor)
    with transaction.atomic():
        TicketTag.objects.filter(tag=tag).delete()
        tag.delete()


# --- Custom field definitions ------------------------------------------------------------------


def save_custom_field(
    *,
    actor: Agent,
    definition: CustomFieldDefinition | None = None,
    key: str = "",
    label: str,
    type: str = "",
    choices: list[str] | None = None,
    position: int = 0,
) -> CustomFieldDefinition:
    """Create a custom ticket field, or change an existing one's label, choices and position.
    The key and type of an existing field stay: tickets store values under them."""
    _require_admin(actor)
    label = (label or "").strip()
    if not label:
        raise ValidationFailed(gettext("A label is required."), fields={"label": "required"})
    if definition is None:
        if type not in CustomFieldType.values:
            raise ValidationFailed(gettext("Choose a type."), fields={"type": "invalid"})
        check_definition_key(key)
        if CustomFieldDefinition.objects.filter(key=key).exists():
            raise ValidationFailed(gettext("This key is already used."), fields={"key": "taken"})
        return CustomFieldDefinition.objects.create(
            key=key, label=label, type=type, choices=parse_choices(type, choices or []), position=position
        )
    definition.label = label
    definition.choices = parse_choices(definition.type, choices or [])
    definition.position = position
    definition.save(update_fields=["label", "choices", "position"])
    return definition


def delete_custom_field(*, actor: Agent, definition: CustomFieldDefinition) -> None:
    """Remove a field definition; values stored on tickets stay in their JSON, unshown."""
    _require_admin(actor)
    definition.delete()
