"""URL map: the API, health, the inbound email webhook, the Django admin, the agent workspace and the customer portal."""

from django.contrib import admin
from django.urls import include, path

from zabota.channels.email.receivers import webhook as email_webhook
from zabota.config.api import api
from zabota.core.views import healthz

urlpatterns = [
    path("api/", api.urls),
    path("healthz", healthz, name="healthz"),
    path("email/inbound", email_webhook.inbound, name="email-inbound"),
    path("admin/", admin.site.urls),
    path("portal/", include("zabota.portal.urls")),
    path("notifications/", include("zabota.notifications.urls")),
    path("customers/", include("zabota.customers.urls")),
    path("", include("zabota.tickets.urls")),
    path("", include("zabota.sla.urls")),
    path("", include("zabota.triage.urls")),
    path("", include("zabota.routing.urls")),
    path("", include("zabota.rotas.urls")),
    path("", include("zabota.web.urls")),
]
