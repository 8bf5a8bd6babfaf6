"""Agent workspace: attachment download and inline preview.

``/attachments/<id>/`` downloads (``Content-Disposition: attachment``) for an agent who may see
the attachment's ticket; ``/attachments/<id>/preview`` shows a file inline, but only a type a
browser renders without running anything of the file's: raster images (never SVG), video, and
PDF. Anything else (HTML, SVG, text, archives ...) is a 404 on preview: download only.

Both answer HTTP Range requests (206 Partial Content), so the video player can seek in a
customer's screen recording without downloading it first. Files are read from
``default_storage`` (local files or S3) in chunks; the content type is the one sniffed from the
bytes when the file was stored (``Attachment.content_type``), never the uploader's claim.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import IO
from urllib.parse import quote

from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.http.response import HttpResponseBase
from django.urls import URLPattern, path
from django.views.decorators.clickjacking import xframe_options_sameorigin
from django.views.decorators.http import require_safe

from zabota.core.errors import NotFound
from zabota.tickets.models import Attachment
from zabota.tickets.queries import access_ticket
from zabota.web.auth import agent_required

IMAGE_TYPES = frozenset({"image/png", "image/jpeg", "image/gif", "image/webp"})
# video/quicktime: screen recordings from Macs (.mov; filetype sniffs the "qt  " brand). Browsers
# play the usual H.264 ones inline like an mp4.
VIDEO_TYPES = frozenset({"video/mp4", "video/webm", "video/ogg", "video/quicktime"})
PDF_TYPE = "application/pdf"
CHUNK = 64 * 1024

# A preview opened directly is a document of its own: sandboxed, allowed nothing but itself, and
# only our own pages may frame it. (The ticket page embedding a preview has its own policy.)
# PDF too: Debian's Chromium 156 renders a PDF whose response carries ``sandbox`` both framed
# by the ticket page and opened in a tab (checked with Playwright while building this page), so
# no exception is needed. Should a browser's viewer refuse to run sandboxed, this is the one
# line to change for ``application/pdf``: the file is still never parsed as HTML (nosniff,
# a fixed type).
PREVIEW_CSP = "sandbox; default-src 'none'; img-src 'self'; media-src 'self'; frame-ancestors 'self'"
DOWNLOAD_CSP = "sandbox; default-src 'none'"


def preview_kind(content_type: str) -> str | None:
    """How the timeline shows an attachment inline: "image", "video", "pdf", or None."""
    if content_type in IMAGE_TYPES:
        return "image"
    if content_type in VIDEO_TYPES:
        return "video"
    if content_type == PDF_TYPE:
        return "pdf"
    return None


def content_disposition(disposition: str, name: str) -> str:
    """RFC 6266 with an RFC 5987 ``filename*`` for any name (Russian included) and a plain
    ASCII ``filename`` fallback for old clients."""
    fallback = re.sub(r"[^A-Za-z0-9._ -]", "_", name).strip() or "attachment"
    return f"{disposition}; filename=\"{fallback}\"; filename*=UTF-8''{quote(name, safe='')}"


def _attachment_for(request: HttpRequest, attachment_id: int) -> Attachment:
    att = Attachment.objects.select_related("message").filter(pk=attachment_id).first()
    if att is None:
        raise Http404
    try:
        access_ticket(request.user, att.message.ticket_id)  # type: ignore[arg-type]
    except NotFound as exc:
        raise Http404 from exc  # an invisible ticket's file: the same answer as a missing one
    return att


_RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")


def _parse_range(header: str, size: int) -> tuple[int, int] | None | bool:
    """(first, last) byte of a single satisfiable range; None when there is no usable Range
    header (serve everything); False when it cannot be satisfied (416)."""
    m = _RANGE.match(header.strip())
    if not m or (not m.group(1) and not m.group(2)):
        return None  # absent, malformed or multi-range: a full response is always correct
    start_s, end_s = m.groups()
    if not start_s:  # "bytes=-500": the last 500 bytes
        length = int(end_s)
        if length == 0:
            return False
        return max(0, size - length), size - 1
    start = int(start_s)
    end = int(end_s) if end_s else size - 1
    if start >= size or end < start:
        return False
    return start, min(end, size - 1)


def _read(f: IO[bytes], start: int, length: int) -> Iterator[bytes]:
    try:
        f.seek(start)
        remaining = length
        while remaining > 0:
            chunk = f.read(min(CHUNK, remaining))
            if not chunk:
                break
            remaining -= len(chunk)
            yield chunk
    finally:
        f.close()


def _headers(response: HttpResponseBase, att: Attachment, disposition: str, csp: str) -> HttpResponseBase:
    response["Accept-Ranges"] = "bytes"
    response["Content-Disposition"] = content_disposition(disposition, att.name)
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = csp
    # Files are content-addressed, so the digest is a perfect validator: the browser keeps its
    # copy but asks every time (no-cache), and every ask re-checks permission before the 304.
    response["ETag"] = f'"{att.sha256}"'
    response["Cache-Control"] = "private, no-cache"
    response["Cross-Origin-Resource-Policy"] = "same-origin"
    return response


def _serve(request: HttpRequest, att: Attachment, disposition: str, csp: str) -> HttpResponseBase:
    if request.headers.get("If-None-Match", "").strip() in (f'"{att.sha256}"', f'W/"{att.sha256}"'):
        return _headers(HttpResponse(status=304), att, disposition, csp)
    try:
        f = att.file.storage.open(att.file.name, "rb")
    except (FileNotFoundError, OSError) as exc:
        raise Http404 from exc
    size = att.size
    wanted = _parse_range(request.headers.get("Range", ""), size) if request.headers.get("Range") else None
    if wanted is False:
        f.close()
        response: HttpResponseBase = HttpResponse(status=416)
        response["Content-Range"] = f"bytes */{size}"
    else:
        start, end = wanted if isinstance(wanted, tuple) else (0, size - 1)
        length = max(0, end - start + 1)
        response = StreamingHttpResponse(
            _read(f, start, length), status=206 if isinstance(wanted, tuple) else 200
        )
        response["Content-Type"] = att.content_type
        response["Content-Length"] = str(length)
        if isinstance(wanted, tuple):
            response["Content-Range"] = f"bytes {start}-{end}/{size}"
    return _headers(response, att, disposition, csp)


@require_safe
@agent_required
def download(request: HttpRequest, attachment_id: int) -> HttpResponseBase:
    att = _attachment_for(request, attachment_id)
    return _serve(request, att, "attachment", DOWNLOAD_CSP)


@require_safe
@agent_required
@xframe_options_sameorigin  # the PDF preview is framed by our own ticket page
def preview(request: HttpRequest, attachment_id: int) -> HttpResponseBase:
    att = _attachment_for(request, attachment_id)
    kind = preview_kind(att.content_type)
    if kind is None:
        raise Http404  # HTML, SVG and the rest: download only
    return _serve(request, att, "inline", PREVIEW_CSP)


urlpatterns: list[URLPattern] = [
    path("attachments/<int:attachment_id>/", download, name="attachment_download"),
    path("attachments/<int:attachment_id>/preview", preview, name="attachment_preview"),
]
