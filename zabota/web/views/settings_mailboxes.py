"""/settings/mailboxes/: the email addresses of each inbox, how their mail is fetched (IMAP) and
sent (SMTP), and their automatic acknowledgement. Passwords are write-only (never rendered back).
"Test connection" checks the saved settings (IMAP or SMTP) and shows the answer via htmx."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import URLPattern, path
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from zabota.channels.email import connections
from zabota.channels.email.actions import delete_mailbox, save_mailbox
from zabota.channels.email.models import Mailbox
from zabota.core.errors import DomainError
from zabota.web.auth import admin_required
from zabota.web.forms.mailboxes import MailboxForm
from zabota.web.views.settings_common import actor, page, show_error

FORM = "web/settings/mailbox_form.html"
RESULT = "web/settings/_connection_result.html"

_COPIED = [
    "address",
    "from_name",
    "signature",
    "is_active",
    "imap_enabled",
    "imap_host",
    "imap_port",
    "imap_security",
    "imap_username",
    "imap_folder",
    "imap_archive_folder",
    "smtp_host",
    "smtp_port",
    "smtp_security",
    "smtp_username",
    "auto_ack_enabled",
    "auto_ack_subject_en",
    "auto_ack_body_en",
    "auto_ack_subject_ru",
    "auto_ack_body_ru",
]


@admin_required
@require_GET
def mailbox_list(request: HttpRequest) -> HttpResponse:
    mailboxes = Mailbox.objects.select_related("inbox").order_by("inbox__name", "address")
    return page(request, "web/settings/mailboxes.html", "mailboxes", {"mailboxes": mailboxes})


def _save(request: HttpRequest, form: MailboxForm, mailbox: Mailbox | None) -> HttpResponse | None:
    data = form.cleaned_data
    try:
        saved = save_mailbox(
            actor=actor(request),
            mailbox=mailbox,
            inbox=data["inbox"],
            imap_password=data["imap_password"],
            clear_imap_password=data["clear_imap_password"],
            smtp_password=data["smtp_password"],
            clear_smtp_password=data["clear_smtp_password"],
            **{name: data[name] for name in _COPIED},
        )
    except DomainError as exc:
        show_error(form, exc)
        return None
    messages.success(request, _("Mailbox %(address)s is saved.") % {"address": saved.address})
    return redirect("settings-mailbox", saved.pk)


def _context(form: MailboxForm, mailbox: Mailbox | None) -> dict[str, Any]:
    return {
        "form": form,
        "mailbox": mailbox,
        "imap_password_stored": bool(mailbox and mailbox.imap_password),
        "smtp_password_stored": bool(mailbox and mailbox.smtp_password),
        "imap_password_from_env": bool(mailbox and mailbox.imap_password.startswith("env:")),
        "smtp_password_from_env": bool(mailbox and mailbox.smtp_password.startswith("env:")),
    }


@admin_required
@require_http_methods(["GET", "POST"])
def mailbox_new(request: HttpRequest) -> HttpResponse:
    initial: dict[str, Any] = {}
    if request.GET.get("inbox", "").isdigit():
        initial["inbox"] = int(request.GET["inbox"])
    form = MailboxForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        response = _save(request, form, None)
        if response is not None:
            return response
    return page(request, FORM, "mailboxes", _context(form, None))


@admin_required
@require_http_methods(["GET", "POST"])
def mailbox_edit(request: HttpRequest, mailbox_id: int) -> HttpResponse:
    mailbox = get_object_or_404(Mailbox.objects.select_related("inbox"), pk=mailbox_id)
    initial = {name: getattr(mailbox, name) for name in _COPIED}
    initial["inbox"] = mailbox.inbox_id
    form = MailboxForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        response = _save(request, form, mailbox)
        if response is not None:
            return response
    return page(request, FORM, "mailboxes", _context(form, mailbox))


@admin_required
@require_POST
def mailbox_delete(request: HttpRequest, mailbox_id: int) -> HttpResponse:
    mailbox = get_object_or_404(Mailbox, pk=mailbox_id)
    address = mailbox.address
    delete_mailbox(actor=actor(request), mailbox=mailbox)
    messages.success(request, _("Mailbox %(address)s is deleted.") % {"address": address})
    return redirect("settings-mailboxes")


def _test(request: HttpRequest, mailbox_id: int, protocol: str) -> HttpResponse:
    mailbox = get_object_or_404(Mailbox, pk=mailbox_id)
    check = connections.check_imap if protocol == "imap" else connections.check_smtp
    ok, message = check(mailbox)
    if getattr(request, "htmx", False):
        return render(request, RESULT, {"ok": ok, "message": message, "protocol": protocol})
    (messages.success if ok else messages.error)(request, message)
    return redirect("settings-mailbox", mailbox.pk)


@admin_required
@require_POST
def mailbox_test_imap(request: HttpRequest, mailbox_id: int) -> HttpResponse:
    return _test(request, mailbox_id, "imap")


@admin_required
@require_POST
def mailbox_test_smtp(request: HttpRequest, mailbox_id: int) -> HttpResponse:
    return _test(request, mailbox_id, "smtp")


urlpatterns: list[URLPattern] = [
    path("settings/mailboxes/", mailbox_list, name="settings-mailboxes"),
    path("settings/mailboxes/new/", mailbox_new, name="settings-mailbox-new"),
    path("settings/mailboxes/<int:mailbox_id>/", mailbox_edit, name="settings-mailbox"),
    path("settings/mailboxes/<int:mailbox_id>/delete/", mailbox_delete, name="settings-mailbox-delete"),
    path(
        "settings/mailboxes/<int:mailbox_id>/test-imap/", mailbox_test_imap, name="settings-mailbox-test-imap"
    ),
    path(
        "settings/mailboxes/<int:mailbox_id>/test-smtp/", mailbox_test_smtp, name="settings-mailbox-test-smtp"
    ),
]
