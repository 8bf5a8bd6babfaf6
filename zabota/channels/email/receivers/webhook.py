"""``POST /email/inbound``: raw MIME from a mail provider's inbound webhook.

The body is the message itself (``Content-Type: message/rfc822``, or any type other than a
form), or a multipart form whose field or file ``email`` (or ``mime``) holds it. The provider
proves itself with the shared secret ``ZABOTA_EMAIL_WEBHOOK_SECRET`` in ``Authorization:
Bearer <secret>`` or ``X-Zabota-Secret: <secret>``; without a configured secret the endpoint
does not exist (404). ``?inbox=<slug>`` puts the message in that inbox; otherwise its recipient
headers choose, as for any mail.

Answers: 202 ``{"id": <stored message>, "status": "received" | "duplicate"}`` once the raw
message is committed (processing is a Huey task), so a provider that retries after a timeout
makes no second ticket; 401 for a missing or wrong secret; 413 for a message over
``parse.MAX_BYTES`` (refused, not lost: the provider still has it and reports the failure);
400 for an empty body; 503 when storing failed (the provider retries).
"""

from __future__ import annotations

import hmac
import logging

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from zabota.channels.email import ingest
from zabota.channels.email.parse import MAX_BYTES
from zabota.tickets.models import Inbox

logger = logging.getLogger(__name__)

FIELDS = ("email", "mime")


def _error(status: int, message: str) -> JsonResponse:
    return JsonResponse({"detail": message}, status=status)


def _authorised(request: HttpRequest, secret: str) -> bool:
    given = request.headers.get("X-Zabota-Secret", "")
    auth = request.headers.get("Authorization", "")
    if not given and auth[:7].lower() == "bearer ":
        given = auth[7:].strip()
    return bool(given) and hmac.compare_digest(given.encode(), secret.encode())


def _content_length(request: HttpRequest) -> int:
    try:
        return int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return 0


def _raw_message(request: HttpRequest) -> bytes | None:
    """The message's bytes; None when it is over the size limit."""
    if request.content_type in ("multipart/form-data", "application/x-www-form-urlencoded"):
        for name in FIELDS:
            upload = request.FILES.get(name)
            if upload is not None:
                if upload.size is not None and upload.size > MAX_BYTES:
                    return None
                return upload.read()
        for name in FIELDS:
            value = request.POST.get(name)
            if value is not None:
                field = value.encode("utf-8", "surrogateescape")
                return None if len(field) > MAX_BYTES else field
        return b""
    data: bytes = request.read(MAX_BYTES + 1)
    return None if len(data) > MAX_BYTES else data


@csrf_exempt
@never_cache
@require_POST
def inbound(request: HttpRequest) -> JsonResponse:
    secret = settings.EMAIL_WEBHOOK_SECRET
    if not secret:
        return _error(404, "The inbound email webhook is not enabled.")
    if not _authorised(request, secret):
        return _error(401, "Wrong or missing secret.")
    # A form adds a little around the message itself.
    if _content_length(request) > MAX_BYTES + 64 * 1024:
        return _error(413, f"Messages over {MAX_BYTES} bytes are not accepted.")
    inbox = None
    if slug := request.GET.get("inbox"):
        inbox = Inbox.objects.filter(slug=slug).first()
        if inbox is None:
            return _error(404, f"No inbox {slug!r}.")
    try:
        raw = _raw_message(request)
    except RequestDataTooBig:
        raw = None
    if raw is None:
        return _error(413, f"Messages over {MAX_BYTES} bytes are not accepted.")
    if not raw.strip():
        return _error(400, "The request holds no message (send it as the body or as the field 'email').")
    try:
        received = ingest.receive(raw, source="webhook", inbox=inbox)
    except Exception:
        logger.exception("inbound webhook: storing the message failed")
        return _error(503, "The message could not be stored; try again later.")
    if not received.duplicate:
        from zabota.channels.email.tasks import process_inbound

        try:
            process_inbound(received.inbound.pk)
        except Exception:  # stored: the periodic sweep processes it
            logger.exception("inbound webhook: processing message #%s failed", received.inbound.pk)
    status = "duplicate" if received.duplicate else "received"
    return JsonResponse({"id": received.inbound.pk, "status": status}, status=202)
