"""/settings/sla/calendars/: business-hours calendars (timezone, weekly hours, country holidays,
custom closed days; or 24/7), and the progress of the recomputation a change starts.

Thin: forms parse, ``zabota.sla.config`` validates and writes, and every change redirects with
``?job=<id>`` so the page shows the background recomputation's progress bar
(``settings/sla/jobs/<id>/``, polled by htmx until the job has finished).
"""

from __future__ import annotations

from datetime import date

import holidays as holidays_lib
from django.contrib import messages
from django.db.models import Count
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import URLPattern, path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from zabota.core.errors import DomainError
from zabota.sla import config
from zabota.sla.forms import WEEKDAY_LABELS, CalendarForm, HolidayForm
from zabota.sla.models import Calendar, Holiday, RecomputeJob
from zabota.web.auth import admin_required
from zabota.web.views.settings_common import actor, page, show_error


def job_from(request: HttpRequest) -> RecomputeJob | None:
    """The recompute job named by ``?job=`` (shown as a progress bar), if any."""
    raw = request.GET.get("job") or ""
    return RecomputeJob.objects.filter(pk=int(raw)).first() if raw.isdigit() and len(raw) < 18 else None


def with_job(url: str, job: RecomputeJob | None) -> str:
    return f"{url}?job={job.pk}" if job is not None else url


UPCOMING_COUNTRY_HOLIDAYS = 8


def upcoming_country_holidays(calendar: Calendar) -> list[tuple[date, str]]:
    """The next public holidays of the calendar's country (and region), from the ``holidays``
    package, so the lead sees which days are closed without adding them."""
    if not calendar.country:
        return []
    today = timezone.localdate()
    try:
        found = holidays_lib.country_holidays(
            calendar.country, subdiv=calendar.subdivision or None, years=[today.year, today.year + 1]
        )
    except (NotImplementedError, KeyError, ValueError):
        return []
    return sorted((d, str(name)) for d, name in found.items() if d >= today)[:UPCOMING_COUNTRY_HOLIDAYS]


def _week(calendar: Calendar) -> list[tuple[str, str]]:
    """(weekday, hours) for the calendar's table."""
    hours = calendar.hours or {}
    return [
        (str(label), ", ".join(f"{a}–{b}" for a, b in hours.get(str(d), [])) or _("closed"))
        for d, label in enumerate(WEEKDAY_LABELS)
    ]


@admin_required
@require_http_methods(["GET", "POST"])
def calendar_list(request: HttpRequest) -> HttpResponse:
    form = CalendarForm(request.POST or None, prefix="new", initial=CalendarForm.initial_for(None))
    if request.method == "POST" and form.is_valid():
        response = _save(request, form, None)
        if response is not None:
            return response
    calendars = list(Calendar.objects.annotate(policy_count=Count("policies")).order_by("name"))
    rows = [(c, _week(c)) for c in calendars]
    return page(
        request,
        "sla/settings/calendars.html",
        "sla-calendars",
        {"rows": rows, "form": form, "job": job_from(request), "weekdays": WEEKDAY_LABELS},
    )


def _save(request: HttpRequest, form: CalendarForm, calendar: Calendar | None) -> HttpResponse | None:
    data = form.cleaned_data
    try:
        saved, job = config.save_calendar(
            actor=actor(request),
            calendar=calendar,
            name=data["name"],
            timezone=data["timezone"],
            always_open=data["always_open"],
            hours=data["hours"],
            country=data["country"],
            subdivision=data["subdivision"],
        )
    except DomainError as exc:
        if exc.fields.get("hours"):
            form.add_error(None, exc.message)
        else:
            show_error(form, exc)
        return None
    messages.success(request, _("Calendar %(name)s is saved.") % {"name": saved.name})
    return redirect(with_job(reverse("settings-sla-calendar", args=[saved.pk]), job))


@admin_required
@require_http_methods(["GET", "POST"])
def calendar_edit(request: HttpRequest, calendar_id: int) -> HttpResponse:
    calendar = get_object_or_404(Calendar, pk=calendar_id)
    form = CalendarForm(request.POST or None, initial=CalendarForm.initial_for(calendar))
    if request.method == "POST" and form.is_valid():
        response = _save(request, form, calendar)
        if response is not None:
            return response
    return _edit_page(request, calendar, form=form, holiday_form=HolidayForm(prefix="holiday"))


def _edit_page(
    request: HttpRequest,
    calendar: Calendar,
    *,
    form: CalendarForm,
    holiday_form: HolidayForm,
    status: int = 200,
) -> HttpResponse:
    return page(
        request,
        "sla/settings/calendar_form.html",
        "sla-calendars",
        {
            "calendar": calendar,
            "form": form,
            "holiday_form": holiday_form,
            "holidays": list(calendar.holidays.order_by("date")),
            "country_holidays": upcoming_country_holidays(calendar),
            "job": job_from(request),
        },
        status=status,
    )


@admin_required
@require_POST
def calendar_delete(request: HttpRequest, calendar_id: int) -> HttpResponse:
    calendar = get_object_or_404(Calendar, pk=calendar_id)
    name = calendar.name
    job = config.delete_calendar(actor=actor(request), calendar=calendar)
    messages.success(request, _("Calendar %(name)s is deleted.") % {"name": name})
    return redirect(with_job(reverse("settings-sla-calendars"), job))


@admin_required
@require_POST
def holiday_add(request: HttpRequest, calendar_id: int) -> HttpResponse:
    calendar = get_object_or_404(Calendar, pk=calendar_id)
    form = HolidayForm(request.POST, prefix="holiday")
    if form.is_valid():
        try:
            _holiday, job = config.add_holiday(
                actor=actor(request),
                calendar=calendar,
                day=form.cleaned_data["date"],
                name=form.cleaned_data["name"],
            )
        except DomainError as exc:
            show_error(form, exc)
        else:
            messages.success(request, _("The holiday is added."))
            return redirect(with_job(reverse("settings-sla-calendar", args=[calendar.pk]), job))
    edit_form = CalendarForm(initial=CalendarForm.initial_for(calendar))
    return _edit_page(request, calendar, form=edit_form, holiday_form=form, status=422)


@admin_required
@require_POST
def holiday_remove(request: HttpRequest, calendar_id: int, holiday_id: int) -> HttpResponse:
    holiday = get_object_or_404(Holiday, pk=holiday_id, calendar_id=calendar_id)
    job = config.remove_holiday(actor=actor(request), holiday=holiday)
    messages.success(request, _("The holiday is removed."))
    return redirect(with_job(reverse("settings-sla-calendar", args=[calendar_id]), job))


@admin_required
@require_GET
def job_progress(request: HttpRequest, job_id: int) -> HttpResponse:
    """The progress bar of a recompute job (htmx polls it every second until it has finished)."""
    job = get_object_or_404(RecomputeJob, pk=job_id)
    return render(request, "sla/settings/_job.html", {"job": job})


urlpatterns: list[URLPattern] = [
    path("settings/sla/calendars/", calendar_list, name="settings-sla-calendars"),
    path("settings/sla/calendars/<int:calendar_id>/", calendar_edit, name="settings-sla-calendar"),
    path(
        "settings/sla/calendars/<int:calendar_id>/delete/",
        calendar_delete,
        name="settings-sla-calendar-delete",
    ),
    path("settings/sla/calendars/<int:calendar_id>/holidays/", holiday_add, name="settings-sla-holiday-add"),
    path(
        "settings/sla/calendars/<int:calendar_id>/holidays/<int:holiday_id>/delete/",
        holiday_remove,
        name="settings-sla-holiday-remove",
    ),
    path("settings/sla/jobs/<int:job_id>/", job_progress, name="settings-sla-job"),
]
