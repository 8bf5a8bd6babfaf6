"""The portal's records in the Django admin, read-only: who asked for sign-in links and when.

Token hashes are not shown (nothing to do with them), and nothing can be edited: only the
portal's actions write these rows.
"""

from django.contrib import admin

from zabota.core.admin import ReadOnlyAdmin
from zabota.portal.models import PortalLink, SignInRequest


@admin.register(PortalLink)
class PortalLinkAdmin(ReadOnlyAdmin):
    list_display = ("email", "contact", "inbox", "requested_ip", "created_at", "expires_at", "used_at")
    list_filter = ("inbox",)
    search_fields = ("email",)
    date_hierarchy = "created_at"
    exclude = ("token_hash",)
    list_select_related = ("contact", "inbox")


@admin.register(SignInRequest)
class SignInRequestAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "requested_ip", "outcome")
    list_filter = ("outcome",)
    search_fields = ("requested_ip",)
    date_hierarchy = "created_at"
