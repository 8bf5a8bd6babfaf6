"""Portal URLs, mounted at /portal/. Fixed paths come first: an inbox slug equal to one of
``RESERVED_SLUGS`` would be shadowed by them, and save_inbox refuses those."""

from __future__ import annotations

from django.urls import URLPattern, path

from zabota.portal import views
from zabota.tickets.actions.config import RESERVED_PORTAL_SLUGS

app_name = "portal"

RESERVED_SLUGS = RESERVED_PORTAL_SLUGS  # refused as inbox portal addresses by save_inbox

urlpatterns: list[URLPattern] = [
    path("", views.home, name="home"),
    path("link/<str:token>", views.link, name="link"),
    path("requests/", views.requests, name="requests"),
    path("requests/new/", views.new_request, name="new_request"),
    path("requests/<int:number>/", views.request_page, name="request"),
    path("attachments/<int:attachment_id>/", views.attachment, name="attachment"),
    path("attachments/<int:attachment_id>/preview", views.attachment_preview, name="attachment_preview"),
    path("preferences/", views.preferences, name="preferences"),
    path("logout/", views.logout, name="logout"),
    path("<slug:slug>/brand.css", views.brand_css, name="brand_css"),
    path("<slug:slug>/logo", views.brand_logo, name="brand_logo"),
    path("<slug:slug>/", views.brand_home, name="brand"),
]
