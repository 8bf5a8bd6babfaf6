"""/settings/tags/, /settings/tiers/, /settings/fields/, /settings/attributes/, /settings/inboxes/:
each change does what the page says; bad input is shown next to the field and saves nothing."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from zabota.accounts.models import Agent, Team
from zabota.customers.actions import save_attribute_definition
from zabota.customers.models import AttributeDefinition, Contact, Organization, Tier
from zabota.tickets.actions import update_ticket
from zabota.tickets.actions.config import save_custom_field, save_inbox
from zabota.tickets.models import CustomFieldDefinition, Inbox, Tag, Ticket

PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"
    b"\x00\x00\x00\rIDATx\x9cc\xf8\xff\xff?\x00\x05\xfe\x02\xfe\xa7V\xbd\xfa\x00\x00\x00\x00IEND\xaeB`\x82"
)


@pytest.fixture
def lead(client: Client, admin: Agent) -> Client:
    client.force_login(admin)
    return client


def tags_of(ticket: Ticket) -> list[str]:
    return sorted(ticket.tags.values_list("name", flat=True))


# --- Tags ----------------------------------------------------------------------------------


@pytest.fixture
def tagged(admin: Agent, support_ticket: Ticket, billing_ticket: Ticket) -> tuple[Ticket, Ticket]:
    update_ticket(actor=admin, ticket_id=support_ticket.pk, tags=["vip", "printer"])
    update_ticket(actor=admin, ticket_id=billing_ticket.pk, tags=["v-i-p", "invoice"])
    return support_ticket, billing_ticket


def test_tags_are_listed_with_ticket_counts(
    lead: Client, tagged: tuple[Ticket, Ticket], admin: Agent
) -> None:
    update_ticket(actor=admin, ticket_id=tagged[1].pk, add_tags=["printer"])
    html = lead.get("/settings/tags/").content.decode()
    printer = Tag.objects.get(name="printer")
    row = re.search(rf'<tr data-tag="{printer.pk}".*?</tr>', html, re.S)
    assert row is not None and "2 tickets" in row.group(0)
    assert "1 ticket<" in html
    found = lead.get("/settings/tags/?q=inv").content.decode()
    assert "invoice" in found and "printer" not in found


def test_rename_a_tag(lead: Client, tagged: tuple[Ticket, Ticket]) -> None:
    printer = Tag.objects.get(name="printer")
    response = lead.post(f"/settings/tags/{printer.pk}/", {"name": "Hardware"})
    assert response["Location"] == "/settings/tags/"
    assert tags_of(tagged[0]) == ["hardware", "vip"]
    assert "Tag printer is now hardware." in lead.get("/settings/tags/").content.decode()


def test_renaming_onto_an_existing_tag_merges_them(
    lead: Client, admin: Agent, tagged: tuple[Ticket, Ticket]
) -> None:
    update_ticket(actor=admin, ticket_id=tagged[0].pk, add_tags=["v-i-p"])  # has both
    typo = Tag.objects.get(name="v-i-p")
    response = lead.post(f"/settings/tags/{typo.pk}/", {"name": "vip"})
    assert response["Location"] == "/settings/tags/"
    assert not Tag.objects.filter(name="v-i-p").exists()
    assert tags_of(tagged[0]) == ["printer", "vip"]
    assert tags_of(tagged[1]) == ["invoice", "vip"]
    assert "merged into vip" in lead.get("/settings/tags/").content.decode()


def test_bad_tag_name_is_refused(lead: Client, tagged: tuple[Ticket, Ticket]) -> None:
    printer = Tag.objects.get(name="printer")
    response = lead.post(f"/settings/tags/{printer.pk}/", {"name": "no/slashes please"})
    assert response.status_code == 200
    assert 'id="name-errors"' in response.content.decode()
    assert Tag.objects.filter(name="printer").exists()


def test_delete_a_tag_removes_it_from_tickets(lead: Client, tagged: tuple[Ticket, Ticket]) -> None:
    vip = Tag.objects.get(name="vip")
    assert lead.get(f"/settings/tags/{vip.pk}/delete/").status_code == 405
    assert lead.post(f"/settings/tags/{vip.pk}/delete/")["Location"] == "/settings/tags/"
    assert tags_of(tagged[0]) == ["printer"]
    assert not Tag.objects.filter(name="vip").exists()


# --- Tiers ---------------------------------------------------------------------------------


def test_create_edit_and_delete_a_tier(lead: Client, acme: Organization) -> None:
    response = lead.post(
        "/settings/tiers/", {"new-name": "Platinum", "new-rank": "1", "new-color": "#E5E4E2"}
    )
    assert response["Location"] == "/settings/tiers/"
    platinum = Tier.objects.get(name="Platinum")
    assert (platinum.rank, platinum.color) == (1, "#e5e4e2")
    html = lead.get("/settings/tiers/").content.decode()
    assert html.index("Platinum") < html.index("Gold")  # rank order

    gold = Tier.objects.get(name="Gold")
    assert (
        lead.post(
            f"/settings/tiers/{gold.pk}/", {"name": "Gold+", "rank": "3", "color": "#d4af37"}
        ).status_code
        == 302
    )
    gold.refresh_from_db()
    assert (gold.name, gold.rank) == ("Gold+", 3)

    assert lead.post(f"/settings/tiers/{gold.pk}/delete/")["Location"] == "/settings/tiers/"
    assert not Tier.objects.filter(pk=gold.pk).exists()
    acme.refresh_from_db()
    assert acme.tier is None  # the organization stays, without a tier


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"new-name": "Bronze", "new-rank": "2", "new-color": "#cd7f32"}, "new-rank"),  # Gold has rank 2
        ({"new-name": "gold", "new-rank": "9", "new-color": "#cd7f32"}, "new-name"),
        ({"new-name": "Bronze", "new-rank": "0", "new-color": "#cd7f32"}, "new-rank"),
        ({"new-name": "Bronze", "new-rank": "x", "new-color": "#cd7f32"}, "new-rank"),
        ({"new-name": "Bronze", "new-rank": "9", "new-color": "red;}body{"}, "new-color"),
    ],
)
def test_bad_tier_is_refused(lead: Client, acme: Organization, data: dict[str, str], field: str) -> None:
    response = lead.post("/settings/tiers/", data)
    assert response.status_code == 200
    assert f'id="{field}-errors"' in response.content.decode()
    assert list(Tier.objects.values_list("name", flat=True)) == ["Gold"]


# --- Custom fields and attributes ----------------------------------------------------------


def test_add_edit_delete_a_custom_field(lead: Client) -> None:
    response = lead.post(
        "/settings/fields/",
        {
            "new-key": "severity",
            "new-label": "Severity",
            "new-type": "choice",
            "new-choices": "low\nhigh\n\nhigh\n",
            "new-position": "2",
        },
    )
    assert response["Location"] == "/settings/fields/"
    field = CustomFieldDefinition.objects.get(key="severity")
    assert (field.label, field.type, field.choices, field.position) == (
        "Severity",
        "choice",
        ["low", "high"],
        2,
    )
    assert "Severity" in lead.get("/settings/fields/").content.decode()

    edit = lead.get(f"/settings/fields/{field.pk}/").content.decode()
    assert 'name="key"' not in edit and 'name="type"' not in edit  # fixed once created
    lead.post(
        f"/settings/fields/{field.pk}/", {"label": "Impact", "choices": "low\nmedium\nhigh", "position": "1"}
    )
    field.refresh_from_db()
    assert (field.label, field.choices, field.position) == ("Impact", ["low", "medium", "high"], 1)

    lead.post(f"/settings/fields/{field.pk}/delete/")
    assert not CustomFieldDefinition.objects.exists()


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"new-key": "Bad Key", "new-label": "X", "new-type": "text", "new-position": "0"}, "new-key"),
        (
            {"new-key": "plan", "new-label": "Plan", "new-type": "text", "new-position": "0"},
            "new-key",
        ),  # taken
        (
            {
                "new-key": "size",
                "new-label": "Size",
                "new-type": "choice",
                "new-choices": "",
                "new-position": "0",
            },
            "new-choices",
        ),
        ({"new-key": "size", "new-label": "Size", "new-type": "colour", "new-position": "0"}, "new-type"),
        ({"new-key": "size", "new-label": "", "new-type": "text", "new-position": "0"}, "new-label"),
    ],
)
def test_bad_custom_field_is_refused(lead: Client, admin: Agent, data: dict[str, str], field: str) -> None:
    save_custom_field(actor=admin, key="plan", label="Plan", type="text")
    response = lead.post("/settings/fields/", data)
    assert response.status_code == 200
    assert f'id="{field}-errors"' in response.content.decode()
    assert list(CustomFieldDefinition.objects.values_list("key", flat=True)) == ["plan"]


def test_a_new_custom_field_is_accepted_on_tickets(
    lead: Client, admin: Agent, support_ticket: Ticket
) -> None:
    lead.post(
        "/settings/fields/",
        {"new-key": "seats", "new-label": "Seats", "new-type": "integer", "new-position": "0"},
    )
    update_ticket(actor=admin, ticket_id=support_ticket.pk, custom_fields={"seats": 12})
    support_ticket.refresh_from_db()
    assert support_ticket.custom_fields == {"seats": 12}


def test_attributes_for_organizations_and_contacts(lead: Client, admin: Agent) -> None:
    lead.post(
        "/settings/attributes/",
        {
            "new-target": "organization",
            "new-key": "plan",
            "new-label": "Plan",
            "new-type": "choice",
            "new-choices": "free\npro",
            "new-position": "0",
        },
    )
    lead.post(
        "/settings/attributes/",
        {
            "new-target": "contact",
            "new-key": "plan",
            "new-label": "Personal plan",
            "new-type": "text",
            "new-position": "0",
        },
    )
    assert AttributeDefinition.objects.count() == 2
    org_plan = AttributeDefinition.objects.get(target="organization", key="plan")
    assert org_plan.choices == ["free", "pro"]
    html = lead.get("/settings/attributes/").content.decode()
    assert "Personal plan" in html and "Organizations" in html
    # The same key twice for one target is refused.
    again = lead.post(
        "/settings/attributes/",
        {
            "new-target": "contact",
            "new-key": "plan",
            "new-label": "Dup",
            "new-type": "text",
            "new-position": "0",
        },
    )
    assert 'id="new-key-errors"' in again.content.decode()
    lead.post(
        f"/settings/attributes/{org_plan.pk}/",
        {"label": "Plan", "choices": "free\npro\nenterprise", "position": "3"},
    )
    org_plan.refresh_from_db()
    assert org_plan.choices == ["free", "pro", "enterprise"] and org_plan.position == 3
    lead.post(f"/settings/attributes/{org_plan.pk}/delete/")
    assert list(AttributeDefinition.objects.values_list("target", flat=True)) == ["contact"]


# --- Inboxes -------------------------------------------------------------------------------


def test_create_an_inbox_with_branding(lead: Client, support_team: Team) -> None:
    logo = SimpleUploadedFile("logo.png", PNG, content_type="image/png")
    response = lead.post(
        "/settings/inboxes/new/",
        {
            "name": "Acme Support",
            "slug": "acme",
            "email": "help@acme.test",
            "color": "#FF6600",
            "portal_greeting": "Hello from Acme!",
            "default_team": support_team.pk,
            "logo": logo,
        },
    )
    assert response["Location"] == "/settings/inboxes/"
    inbox = Inbox.objects.get(name="Acme Support")
    assert (inbox.slug, inbox.email, inbox.color, inbox.default_team) == (
        "acme",
        "help@acme.test",
        "#ff6600",
        support_team,
    )
    assert inbox.logo.name.endswith(".png") and "logo" not in inbox.logo.name
    assert inbox.logo.read() == PNG
    html = lead.get("/settings/inboxes/").content.decode()
    assert "/portal/acme/" in html and "Acme Support" in html
    served = lead.get(f"/settings/inboxes/{inbox.pk}/logo")
    assert served["Content-Type"] == "image/png"
    assert served["X-Content-Type-Options"] == "nosniff"


def test_edit_an_inbox_and_remove_its_logo(
    lead: Client, admin: Agent, django_capture_on_commit_callbacks: Any
) -> None:
    inbox = save_inbox(actor=admin, name="Main", slug="main", logo=SimpleUploadedFile("a.png", PNG))
    old = inbox.logo.name
    with django_capture_on_commit_callbacks(execute=True):
        response = lead.post(
            f"/settings/inboxes/{inbox.pk}/",
            {"name": "Main desk", "slug": "", "color": "#123456", "remove_logo": "on"},
        )
    assert response["Location"] == "/settings/inboxes/"
    inbox.refresh_from_db()
    assert (inbox.name, inbox.slug, inbox.color, bool(inbox.logo)) == ("Main desk", None, "#123456", False)
    assert not inbox.logo.storage.exists(old)


@pytest.mark.parametrize(
    ("upload", "why"),
    [
        (
            SimpleUploadedFile(
                "logo.png",
                b"<svg xmlns='http://www.w3.org/2000/svg'><script>alert(1)</script></svg>",
                content_type="image/png",
            ),
            "PNG, JPEG or WebP",
        ),
        (
            SimpleUploadedFile("logo.png", b"GIF89a" + b"\x00" * 100, content_type="image/png"),
            "PNG, JPEG or WebP",
        ),
        (SimpleUploadedFile("logo.png", PNG + b"\x00" * (1024 * 1024), content_type="image/png"), "1 MiB"),
    ],
)
def test_bad_logo_is_refused_and_nothing_saved(lead: Client, upload: SimpleUploadedFile, why: str) -> None:
    response = lead.post(
        "/settings/inboxes/new/", {"name": "Evil", "slug": "evil", "color": "#000000", "logo": upload}
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="logo-errors"' in html and why in html
    assert not Inbox.objects.filter(name="Evil").exists()


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"name": "", "slug": "x", "color": "#000000"}, "name"),
        ({"name": "Other", "slug": "main", "color": "#000000"}, "slug"),  # taken
        ({"name": "Other", "slug": "Not a slug!", "color": "#000000"}, "slug"),
        ({"name": "Other", "slug": "requests", "color": "#000000"}, "slug"),  # a fixed portal path
        ({"name": "main", "slug": "other", "color": "#000000"}, "name"),  # taken, case-insensitively
        ({"name": "Other", "slug": "other", "color": "url(javascript:1)"}, "color"),
        ({"name": "Other", "slug": "other", "color": "#000000", "email": "nope"}, "email"),
    ],
)
def test_bad_inbox_is_refused(lead: Client, admin: Agent, data: dict[str, str], field: str) -> None:
    save_inbox(actor=admin, name="Main", slug="main")
    response = lead.post("/settings/inboxes/new/", data)
    assert response.status_code == 200
    assert f'id="{field}-errors"' in response.content.decode()
    assert Inbox.objects.count() == 1


def test_customer_pages_and_settings_share_no_session(client: Client, carol_customer: Contact) -> None:
    """A portal visitor (no agent session) is never let into settings."""
    response = client.get("/settings/inboxes/")
    assert response.status_code == 302
    assert response["Location"].startswith("/login/")


def test_an_attribute_defined_in_settings_is_accepted_for_organizations(
    lead: Client, admin: Agent, acme: Organization
) -> None:
    from zabota.customers.actions import save_organization

    save_attribute_definition(actor=admin, target="organization", key="seats", label="Seats", type="integer")
    save_organization(actor=admin, organization=acme, attributes={"seats": 40})
    acme.refresh_from_db()
    assert acme.attributes == {"seats": 40}
