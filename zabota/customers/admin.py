"""Django admin for customers: tiers and attribute definitions are configuration and editable;
contacts and organizations are read-only here (``customers.actions`` validates their emails,
domains, external ids and typed attributes; use the API)."""

from django.contrib import admin

from zabota.core.admin import ReadOnlyAdmin
from zabota.customers.models import AttributeDefinition, Contact, Organization, Tier


@admin.register(Tier)
class TierAdmin(admin.ModelAdmin):
    list_display = ["name", "rank", "color"]


@admin.register(AttributeDefinition)
class AttributeDefinitionAdmin(admin.ModelAdmin):
    list_display = ["target", "key", "label", "type", "position"]


@admin.register(Organization)
class OrganizationAdmin(ReadOnlyAdmin):
    list_display = ["name", "tier", "account_manager"]
    list_filter = ["tier"]
    search_fields = ["name"]


@admin.register(Contact)
class ContactAdmin(ReadOnlyAdmin):
    list_display = ["name", "organization"]
    search_fields = ["name", "emails__email"]
    list_select_related = ["organization"]
