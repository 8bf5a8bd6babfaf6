"""Pages of the notifications context (mounted at /notifications/)."""

from __future__ import annotations

from django.urls import URLPattern, path

from zabota.notifications import views

urlpatterns: list[URLPattern] = [
    path("", views.notification_list, name="notifications"),
    path("read-all/", views.notification_read_all, name="notifications-read-all"),
    path("<int:notification_id>/open", views.notification_open, name="notification-open"),
    path("<int:notification_id>/read", views.notification_read, name="notification-read"),
]
