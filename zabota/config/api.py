"""The one NinjaAPI: routers of every context under /api/v1/, one error shape for all.

Errors are ``{"error": {"code": ..., "message": ..., "fields": {...}}}`` with status:
422 invalid input, 404 unknown (or invisible) id, 403 not allowed, 409 illegal transition or
conflict, 401 missing/unknown/revoked token. Nothing a client sends may produce a 500.
"""

from __future__ import annotations

import logging
from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError
from ninja.parser import Parser

from zabota.accounts.api import router as accounts_router
from zabota.accounts.auth import TokenAuth
from zabota.core.errors import DomainError, ValidationFailed
from zabota.customers.api import router as customers_router
from zabota.rotas.api import router as rotas_router
from zabota.routing.api import router as routing_router
from zabota.sla.api import router as sla_router
from zabota.tickets.api import router as tickets_router
from zabota.triage.api import router as triage_router

logger = logging.getLogger(__name__)


def _reject_nul(value: Any) -> None:
    if isinstance(value, str):
        if "\x00" in value:
            raise ValidationFailed(
                "text may not contain NUL characters", code="invalid", fields={"request": "nul"}
            )
    elif isinstance(value, dict):
        for k, v in value.items():
            _reject_nul(k)
            _reject_nul(v)
    elif isinstance(value, list):
        for v in value:
            _reject_nul(v)


class StrictParser(Parser):
    """JSON and query parsing that refuses NUL characters (422): PostgreSQL cannot store them,
    and no legitimate helpdesk text contains one."""

    def parse_body(self, request: HttpRequest) -> Any:
        data = super().parse_body(request)
        _reject_nul(data)
        return data

    def parse_querydict(self, data: Any, list_fields: list[str], request: HttpRequest) -> Any:
        result = super().parse_querydict(data, list_fields, request)
        _reject_nul(result)
        return result


api = NinjaAPI(
    title="Zabota API",
    version="1",
    description="Tickets, customers and agents of a Zabota helpdesk. Authenticate with "
    "`Authorization: Bearer <token>` (create one with `zabota token create --agent EMAIL`).",
    auth=TokenAuth(),
    urls_namespace="api",
    openapi_url="/openapi.json",
    docs_url="/docs",
    parser=StrictParser(),
)


def error_body(code: str, message: str, fields: dict[str, str] | None = None) -> dict[str, Any]:
    return {"error": {"code": code, "message": message, "fields": fields or {}}}


@api.exception_handler(DomainError)
def _domain_error(request: HttpRequest, exc: DomainError) -> HttpResponse:
    return api.create_response(request, error_body(exc.code, exc.message, exc.fields), status=exc.status)


@api.exception_handler(ValidationError)
def _validation_error(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    fields: dict[str, str] = {}
    for err in exc.errors:
        loc = [str(p) for p in err.get("loc", ()) if p not in ("body", "query", "path", "payload")]
        fields[".".join(loc) or "request"] = str(err.get("msg", "invalid"))
    first = next(iter(fields.items()), ("request", "invalid"))
    return api.create_response(request, error_body("invalid", f"{first[0]}: {first[1]}", fields), status=422)


@api.exception_handler(AuthenticationError)
def _auth_error(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    response = api.create_response(
        request,
        error_body("unauthorized", "a valid API token is required (Authorization: Bearer ...)"),
        status=401,
    )
    response["WWW-Authenticate"] = "Bearer"
    return response


@api.exception_handler(Http404)
def _not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
    return api.create_response(request, error_body("not_found", str(exc) or "not found"), status=404)


@api.exception_handler(HttpError)
def _http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    status = exc.status_code
    code = {400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found"}.get(status, "error")
    if status == 400:
        # Malformed JSON and the like: the client's fault, reported as invalid input.
        status, code = 422, "invalid"
    return api.create_response(request, error_body(code, str(exc)), status=status)


api.add_router("/v1/", tickets_router)
api.add_router("/v1/", customers_router)
api.add_router("/v1/", accounts_router)
api.add_router("/v1/", routing_router)
api.add_router("/v1/", sla_router)
api.add_router("/v1/", triage_router)
api.add_router("/v1/", rotas_router)
