"""API authentication: ``Authorization: Bearer <token>``. Read-scope tokens may only read."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja.security import HttpBearer

from zabota.accounts.actions import record_token_use
from zabota.accounts.models import Agent, TokenScope
from zabota.accounts.queries import authenticate_token
from zabota.core.errors import PermissionDenied

SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}


class TokenAuth(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str) -> Any:
        found = authenticate_token(token)
        if found is None:
            return None
        if found.scope == TokenScope.READ and request.method not in SAFE_METHODS:
            raise PermissionDenied(
                "this token has read scope; a write token is needed", code="token_read_only"
            )
        record_token_use(found)
        request.api_token = found  # type: ignore[attr-defined]
        return found.agent


def actor(request: HttpRequest) -> Agent:
    """The agent behind the request (set by TokenAuth)."""
    return request.auth  # type: ignore[attr-defined,no-any-return]
