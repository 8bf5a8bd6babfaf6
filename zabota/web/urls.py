"""The workspace shell: sign-in and sign-out, the agent's preferences, the settings pages."""

from __future__ import annotations

from django.urls import URLPattern, URLResolver, path
from django.views.generic import RedirectView

from zabota.channels.email import views as email_views
from zabota.web.views import (
    auth,
    me,
    settings_agents,
    settings_email,
    settings_fields,
    settings_inboxes,
    settings_index,
    settings_mailboxes,
    settings_tags,
    settings_teams,
    settings_tiers,
)

urlpatterns: list[URLPattern | URLResolver] = [
    path("", RedirectView.as_view(url="/inbox/", permanent=False), name="home"),
    path("login/", auth.login_view, name="login"),
    path("login/otp/", auth.login_otp_view, name="login-otp"),
    path("logout/", auth.logout_view, name="logout"),
]

urlpatterns += [
    path("me/", me.me_view, name="me"),
    path("me/password/", me.password_view, name="me-password"),
    path("me/two-factor/start/", me.totp_start_view, name="me-totp-start"),
    path("me/two-factor/confirm/", me.totp_confirm_view, name="me-totp-confirm"),
    path("me/two-factor/cancel/", me.totp_cancel_view, name="me-totp-cancel"),
    path("me/two-factor/disable/", me.totp_disable_view, name="me-totp-disable"),
    path("me/logout-everywhere/", me.logout_everywhere_view, name="me-logout-everywhere"),
]

urlpatterns += [
    *settings_index.urlpatterns,
    *settings_agents.urlpatterns,
    *settings_teams.urlpatterns,
    *settings_tags.urlpatterns,
    *settings_tiers.urlpatterns,
    *settings_fields.urlpatterns,
    *settings_inboxes.urlpatterns,
    *settings_mailboxes.urlpatterns,
    *settings_email.urlpatterns,
]

# The email channel on the ticket page (held mail, the original of an email message).
urlpatterns += email_views.urlpatterns
