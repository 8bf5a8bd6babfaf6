"""Domain errors. Presentation layers map them to HTTP status codes in one place.

Each context raises these (with its own ``code`` strings from its ``ErrorCode`` enum); the API
maps them in ``zabota.config.api``: NotFound -> 404, PermissionDenied -> 403, Conflict /
IllegalTransition -> 409, ValidationFailed -> 422.
"""

from __future__ import annotations


class DomainError(Exception):
    status = 400
    code = "error"

    def __init__(self, message: str, *, code: str | None = None, fields: dict[str, str] | None = None):
        super().__init__(message)
        self.message = message
        if code:
            self.code = code
        self.fields = fields or {}


class NotFound(DomainError):
    """The object does not exist, or the actor may not see it (the same answer on purpose)."""

    status = 404
    code = "not_found"


class PermissionDenied(DomainError):
    status = 403
    code = "forbidden"


class Conflict(DomainError):
    status = 409
    code = "conflict"


class IllegalTransition(Conflict):
    code = "illegal_transition"


class ValidationFailed(DomainError):
    status = 422
    code = "invalid"
