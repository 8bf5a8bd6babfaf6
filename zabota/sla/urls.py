"""URL map of the SLA context's pages: the settings pages for calendars and policies (included
by ``zabota.config.urls`` at the site root, beside the other settings pages)."""

from __future__ import annotations

from django.urls import URLPattern

from zabota.sla import views_calendars, views_policies

urlpatterns: list[URLPattern] = [*views_calendars.urlpatterns, *views_policies.urlpatterns]
