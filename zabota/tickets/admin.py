"""Django admin for tickets: configuration is editable; tickets, messages and activity are
read-only here, because only the actions in ``tickets.actions`` may change them (activity rows,
events and the search index depend on it). Use the API or, later, the agent workspace."""

from django.contrib import admin

from zabota.core.admin import ReadOnlyAdmin
from zabota.tickets.models import Activity, CustomFieldDefinition, Inbox, Message, Tag, Ticket


@admin.register(Ticket)
class TicketAdmin(ReadOnlyAdmin):
    list_display = ["number", "subject", "status", "priority", "team", "assignee", "updated_at"]
    list_filter = ["status", "priority", "kind", "channel"]
    search_fields = ["=number", "subject"]
    list_select_related = ["team", "assignee"]
    show_full_result_count = False


@admin.register(Message)
class MessageAdmin(ReadOnlyAdmin):
    list_display = ["id", "ticket_id", "kind", "created_at"]
    list_filter = ["kind"]
    show_full_result_count = False


@admin.register(Activity)
class ActivityAdmin(ReadOnlyAdmin):
    list_display = ["id", "ticket_id", "verb", "field", "created_at"]
    show_full_result_count = False


@admin.register(Inbox)
class InboxAdmin(admin.ModelAdmin):
    list_display = ["name", "email", "default_team"]


@admin.register(Tag)
class TagAdmin(admin.ModelAdmin):
    search_fields = ["name"]


@admin.register(CustomFieldDefinition)
class CustomFieldDefinitionAdmin(admin.ModelAdmin):
    list_display = ["key", "label", "type", "position"]
