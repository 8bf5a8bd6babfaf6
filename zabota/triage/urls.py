"""URL map of the triage context's pages: the priority rules' settings pages and the incident
pages (included by ``zabota.config.urls`` at the site root)."""

from __future__ import annotations

from django.urls import URLPattern

from zabota.triage import views_incidents, views_rules

urlpatterns: list[URLPattern] = [*views_rules.urlpatterns, *views_incidents.urlpatterns]
