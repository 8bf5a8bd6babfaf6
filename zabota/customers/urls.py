"""Pages of the customers context (mounted at /customers/)."""

from __future__ import annotations

from django.urls import URLPattern, path

from zabota.customers import views

urlpatterns: list[URLPattern] = [
    path("contacts/<int:contact_id>/", views.contact_detail, name="customer_contact"),
    path(
        "contacts/<int:contact_id>/activity", views.contact_activity_partial, name="customer_contact_activity"
    ),
    path("organizations/<int:organization_id>/", views.organization_detail, name="customer_organization"),
    path(
        "organizations/<int:organization_id>/tier", views.organization_tier, name="customer_organization_tier"
    ),
]
