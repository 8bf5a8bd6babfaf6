"""Rota pages in the workspace (thin: parse, call an action, render).

- ``GET /rotas/``: the rotas, who is on shift now, my next shifts; the create form for admins
  and team leads.
- ``GET /rotas/<id>/?month=YYYY-MM``: the month as a calendar grid; editors (admins, the team
  lead) generate the month, add, change and remove shifts, manage members and the feed token;
  anyone swaps their own shift (editors swap anyone's).
- ``GET /rotas/tracker/``: days on support this year per person against the target.
- ``GET /rotas/<id>/leaderboard/``: what each person did on their shift days.
- ``GET/POST /rotas/days-off/``: my days off (leads and admins record anyone's).
- ``GET /rotas/<id>/<token>.ics``: the iCalendar feed, no login (the token authorises).
"""

from __future__ import annotations

import calendar
from datetime import date, timedelta
from typing import Any

from django.contrib import messages
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import URLPattern, path
from django.utils import timezone
from django.utils.crypto import constant_time_compare
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from zabota.accounts.models import Agent, Team
from zabota.core import clock
from zabota.core.errors import DomainError, NotFound
from zabota.rotas import actions
from zabota.rotas.feed import rota_calendar
from zabota.rotas.forms import (
    AddShiftForm,
    ChangeShiftForm,
    DayOffForm,
    GenerateForm,
    MemberForm,
    RotaForm,
    SwapForm,
)
from zabota.rotas.models import Rota
from zabota.rotas.planning import month_days
from zabota.rotas.queries import (
    can_edit,
    days_off_between,
    days_off_of,
    get_rota,
    members_of,
    my_shifts,
    on_shift_by_rota,
    recent_log,
    rotas_for,
    shifts_between,
)
from zabota.rotas.stats import leaderboard, tracker
from zabota.web.auth import agent_required
from zabota.web.views.settings_common import actor

MAX_ID = 2**63 - 1  # a larger id in a URL can't be a row (the database would refuse to compare)


def _rota(request: HttpRequest, rota_id: int) -> Rota:
    try:
        return get_rota(actor(request), rota_id)
    except NotFound as exc:
        raise Http404 from exc


def _may_create(me: Agent) -> bool:
    return me.is_admin or Team.objects.filter(lead=me).exists()


def _rota_input(form: RotaForm) -> actions.RotaInput:
    d = form.cleaned_data
    return actions.RotaInput(
        name=d["name"],
        team_id=d["team"].pk,
        timezone=d["timezone"],
        shift_start=d["shift_start"],
        shift_end=d["shift_end"],
        pattern=d["pattern"],
        people_per_shift=d["people_per_shift"],
        period_days=d["period_days"],
        weekdays_only=d["weekdays_only"],
        yearly_target_days=d["yearly_target_days"],
        is_active=d["is_active"],
    )


def _flash_warnings(request: HttpRequest, warnings: list[str]) -> None:
    for warning in warnings:
        messages.warning(request, warning)


@agent_required
def rota_list(request: HttpRequest) -> HttpResponse:
    me = actor(request)
    now = clock.now()
    if request.method == "POST":
        form = RotaForm(request.POST)
        if form.is_valid():
            try:
                rota = actions.save_rota(actor=me, data=_rota_input(form))
            except DomainError as exc:
                messages.error(request, exc.message)
            else:
                return redirect(f"/rotas/{rota.pk}/")
    else:
        form = RotaForm()
    rotas = list(rotas_for(me).order_by("name"))
    on_now = on_shift_by_rota(rotas, now)
    rows = [{"rota": rota, "on_now": on_now.get(rota.pk, [])} for rota in rotas]
    context = {
        "nav": "rotas",
        "rows": rows,
        "form": form if _may_create(me) else None,
        "mine": my_shifts(me, timezone.localtime(now).date()),  # the agent's own today
    }
    return render(request, "rotas/list.html", context)


def _month_of(request: HttpRequest, rota: Rota) -> tuple[int, int]:
    raw = request.GET.get("month", "")
    try:
        year, month = (int(x) for x in raw.split("-"))
        date(year, month, 1)
        if not 2000 <= year <= 2100:
            raise ValueError
    except ValueError:
        today = actions.today_of(rota)
        year, month = today.year, today.month
    return year, month


@agent_required
def rota_month(request: HttpRequest, rota_id: int) -> HttpResponse:
    me = actor(request)
    rota = _rota(request, rota_id)
    year, month = _month_of(request, rota)
    days = month_days(year, month)
    shifts = shifts_between(rota, days[0], days[-1])
    members = members_of(rota)
    by_day: dict[date, list[Any]] = {d: [] for d in days}
    for s in shifts:
        by_day[s.date].append(s)
    off = days_off_between([m.agent_id for m in members], days[0], days[-1])
    weeks = []
    for week in calendar.Calendar(firstweekday=0).monthdatescalendar(year, month):
        weeks.append(
            [
                {
                    "day": d,
                    "in_month": d.month == month,
                    "shifts": by_day.get(d, []),
                    "off": [m.agent for m in members if d in off.get(m.agent_id, set())],
                    "off_ids": {m.agent_id for m in members if d in off.get(m.agent_id, set())},
                    "weekend": d.weekday() >= 5,
                }
                for d in week
            ]
        )
    first = days[0]
    prev_month = (first - timedelta(days=1)).strftime("%Y-%m")
    next_month = (days[-1] + timedelta(days=1)).strftime("%Y-%m")
    editable = can_edit(me, rota)
    context = {
        "nav": "rotas",
        "rota": rota,
        "weeks": weeks,
        "month": first,
        "month_value": first.strftime("%Y-%m"),
        "prev_month": prev_month,
        "next_month": next_month,
        "members": members,
        "shifts": shifts,
        "my_shift_ids": [s.pk for s in shifts if s.agent_id == me.pk],
        "can_edit": editable,
        "member_form": MemberForm() if editable else None,
        "rota_form": RotaForm(initial=_initial(rota)) if editable else None,
        "log": recent_log(rota),
        "feed_url": request.build_absolute_uri(f"/rotas/{rota.pk}/{rota.ical_token}.ics"),
        "today": actions.today_of(rota),
    }
    return render(request, "rotas/month.html", context)


def _initial(rota: Rota) -> dict[str, Any]:
    return {
        "name": rota.name,
        "team": rota.team_id,
        "timezone": rota.timezone,
        "shift_start": rota.shift_start,
        "shift_end": rota.shift_end,
        "pattern": rota.pattern,
        "people_per_shift": rota.people_per_shift,
        "period_days": rota.period_days,
        "weekdays_only": rota.weekdays_only,
        "yearly_target_days": rota.yearly_target_days,
        "is_active": rota.is_active,
    }


def _back(rota: Rota, request: HttpRequest) -> HttpResponse:
    month = request.POST.get("month") or request.GET.get("month") or ""
    suffix = (
        f"?month={month}" if len(month) == 7 and month[4] == "-" and month.replace("-", "").isdigit() else ""
    )
    return redirect(f"/rotas/{rota.pk}/{suffix}")


def _run(request: HttpRequest, rota: Rota, call: Any, done: str) -> HttpResponse:
    """Call an action; flash its warnings (or its refusal) and go back to the month."""
    try:
        warnings = call()
    except DomainError as exc:
        if exc.status == 403:
            raise
        messages.error(request, exc.message)
    else:
        messages.success(request, done)
        _flash_warnings(request, warnings or [])
    return _back(rota, request)


def _forbidden_as_403(view: Any) -> Any:
    from functools import wraps

    from django.core.exceptions import PermissionDenied as DjangoDenied

    from zabota.core.errors import PermissionDenied

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            response: HttpResponse = view(request, *args, **kwargs)
        except PermissionDenied as exc:
            raise DjangoDenied(exc.message) from exc
        return response

    return wrapper


@agent_required
@require_POST
@_forbidden_as_403
def rota_settings(request: HttpRequest, rota_id: int) -> HttpResponse:
    rota = _rota(request, rota_id)
    form = RotaForm(request.POST)
    if not form.is_valid():
        messages.error(
            request, _("Check the rota's settings: %(errors)s") % {"errors": form.errors.as_text()}
        )
        return _back(rota, request)
    return _run(
        request,
        rota,
        lambda: actions.save_rota(actor=actor(request), rota=rota, data=_rota_input(form)) and [],
        _("Rota saved."),
    )


@agent_required
@require_POST
@_forbidden_as_403
def generate(request: HttpRequest, rota_id: int) -> HttpResponse:
    rota = _rota(request, rota_id)
    form = GenerateForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose a month."))
        return _back(rota, request)
    year, month = (int(x) for x in form.cleaned_data["month"].split("-"))
    return _run(
        request,
        rota,
        lambda: actions.generate_month(actor=actor(request), rota=rota, year=year, month=month),
        _("The month is planned."),
    )


@agent_required
@require_POST
@_forbidden_as_403
def add_member(request: HttpRequest, rota_id: int) -> HttpResponse:
    rota = _rota(request, rota_id)
    form = MemberForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose a person."))
        return _back(rota, request)
    d = form.cleaned_data
    return _run(
        request,
        rota,
        lambda: (
            actions.add_member(
                actor=actor(request),
                rota=rota,
                agent=d["agent"],
                seniority=d["seniority"],
                technical=d["technical"],
            )
            and []
        ),
        _("Member saved."),
    )


@agent_required
@require_POST
@_forbidden_as_403
def remove_member(request: HttpRequest, rota_id: int, agent_id: int) -> HttpResponse:
    rota = _rota(request, rota_id)
    if not 1 <= agent_id <= MAX_ID:
        raise Http404
    return _run(
        request,
        rota,
        lambda: actions.remove_member(actor=actor(request), rota=rota, agent_id=agent_id),
        _("Removed."),
    )


@agent_required
@require_POST
@_forbidden_as_403
def add_shift(request: HttpRequest, rota_id: int) -> HttpResponse:
    rota = _rota(request, rota_id)
    form = AddShiftForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose a day and a person."))
        return _back(rota, request)
    d = form.cleaned_data
    return _run(
        request,
        rota,
        lambda: actions.add_shift(actor=actor(request), rota=rota, day=d["day"], agent=d["agent"])[1],
        _("Shift added."),
    )


@agent_required
@require_POST
@_forbidden_as_403
def change_shift(request: HttpRequest, rota_id: int, shift_id: int) -> HttpResponse:
    rota = _rota(request, rota_id)
    form = ChangeShiftForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose a person."))
        return _back(rota, request)
    agent = form.cleaned_data["agent"]
    return _run(
        request,
        rota,
        lambda: actions.change_shift(actor=actor(request), rota=rota, shift_id=shift_id, agent=agent)[1],
        _("Shift changed."),
    )


@agent_required
@require_POST
@_forbidden_as_403
def remove_shift(request: HttpRequest, rota_id: int, shift_id: int) -> HttpResponse:
    rota = _rota(request, rota_id)
    return _run(
        request,
        rota,
        lambda: actions.remove_shift(actor=actor(request), rota=rota, shift_id=shift_id),
        _("Shift removed."),
    )


@agent_required
@require_POST
@_forbidden_as_403
def swap(request: HttpRequest, rota_id: int) -> HttpResponse:
    rota = _rota(request, rota_id)
    form = SwapForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose two shifts."))
        return _back(rota, request)
    d = form.cleaned_data
    return _run(
        request,
        rota,
        lambda: actions.swap_shifts(
            actor=actor(request), rota=rota, shift_id=d["shift"], other_shift_id=d["other_shift"]
        ),
        _("Shifts swapped."),
    )


@agent_required
@require_POST
@_forbidden_as_403
def renew_token(request: HttpRequest, rota_id: int) -> HttpResponse:
    rota = _rota(request, rota_id)
    return _run(
        request,
        rota,
        lambda: actions.renew_token(actor=actor(request), rota=rota) and [],
        _("The feed has a new address; the old one no longer works."),
    )


@require_GET
def feed(request: HttpRequest, rota_id: int, token: str) -> HttpResponse:
    """The iCalendar feed; no login, the rota's secret token authorises (else 404)."""
    rota = Rota.objects.filter(pk=rota_id).first()
    if rota is None or not constant_time_compare(rota.ical_token, token):
        raise Http404
    response = HttpResponse(rota_calendar(rota), content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = f'inline; filename="rota-{rota.pk}.ics"'
    response["Cache-Control"] = "private, max-age=300"
    return response


@agent_required
def tracker_page(request: HttpRequest) -> HttpResponse:
    today = clock.now().date()
    try:
        year = int(request.GET.get("year", today.year))
        if not 2000 <= year <= 2100:
            raise ValueError
    except ValueError:
        year = today.year
    rows = tracker(year, today)
    return render(
        request,
        "rotas/tracker.html",
        {"nav": "rotas", "rows": rows, "year": year, "below": sum(1 for r in rows if r.below_target)},
    )


@agent_required
def leaderboard_page(request: HttpRequest, rota_id: int) -> HttpResponse:
    rota = _rota(request, rota_id)
    today = actions.today_of(rota)
    try:
        year = int(request.GET.get("year", today.year))
        if not 2000 <= year <= 2100:
            raise ValueError
    except ValueError:
        year = today.year
    rows = leaderboard(rota, date(year, 1, 1), min(date(year, 12, 31), today))
    return render(
        request, "rotas/leaderboard.html", {"nav": "rotas", "rota": rota, "rows": rows, "year": year}
    )


@agent_required
def days_off(request: HttpRequest) -> HttpResponse:
    me = actor(request)
    if request.method == "POST":
        form = DayOffForm(request.POST)
        if form.is_valid():
            d = form.cleaned_data
            try:
                actions.add_day_off(
                    actor=me,
                    agent=d["agent"] or me,
                    start_date=d["start_date"],
                    end_date=d["end_date"],
                    reason=d["reason"],
                )
            except DomainError as exc:
                messages.error(request, exc.message)
            else:
                messages.success(request, _("Day off recorded."))
                return redirect("/rotas/days-off/")
    else:
        form = DayOffForm()
    today = clock.now().date()
    if me.is_admin:
        ids = list(Agent.objects.filter(is_active=True).values_list("pk", flat=True))
    else:
        led = Agent.objects.filter(Q(pk=me.pk) | Q(rota_memberships__rota__team__lead=me)).values_list(
            "pk", flat=True
        )
        ids = list(set(led))
    rows = days_off_of(ids, today)
    return render(request, "rotas/days_off.html", {"nav": "rotas", "form": form, "rows": rows, "me": me})


@agent_required
@require_POST
def remove_day_off(request: HttpRequest, day_off_id: int) -> HttpResponse:
    try:
        actions.remove_day_off(actor=actor(request), day_off_id=day_off_id)
    except DomainError as exc:
        if exc.status == 404:
            raise Http404 from exc
        messages.error(request, exc.message)
        if exc.status == 403:
            return HttpResponse(exc.message, status=403)
    return redirect("/rotas/days-off/")


urlpatterns: list[URLPattern] = [
    path("rotas/", rota_list),
    path("rotas/tracker/", tracker_page),
    path("rotas/days-off/", days_off),
    path("rotas/days-off/<int:day_off_id>/remove/", remove_day_off),
    path("rotas/<int:rota_id>/", rota_month),
    path("rotas/<int:rota_id>/settings/", rota_settings),
    path("rotas/<int:rota_id>/generate/", generate),
    path("rotas/<int:rota_id>/members/", add_member),
    path("rotas/<int:rota_id>/members/<int:agent_id>/remove/", remove_member),
    path("rotas/<int:rota_id>/shifts/", add_shift),
    path("rotas/<int:rota_id>/shifts/<int:shift_id>/change/", change_shift),
    path("rotas/<int:rota_id>/shifts/<int:shift_id>/remove/", remove_shift),
    path("rotas/<int:rota_id>/swap/", swap),
    path("rotas/<int:rota_id>/token/", renew_token),
    path("rotas/<int:rota_id>/leaderboard/", leaderboard_page),
    path("rotas/<int:rota_id>/<str:token>.ics", feed),
]
