"""The workspace shell: sign-in and sign-out, the agent's preferences, the settings pages."""

from __future__ import annotations

from django.urls import URLPattern, URLResolver, path
from django.views.generic import RedirectView

from zabota.web.views import auth

urlpatterns: list[URLPattern | URLResolver] = [
    path("", RedirectView.as_view(url="/inbox/", permanent=False), name="home"),
    path("login/", auth.login_view, name="login"),
    path("login/otp/", auth.login_otp_view, name="login-otp"),
    path("logout/", auth.logout_view, name="logout"),
]
