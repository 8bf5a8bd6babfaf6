"""The only writers of rotas, members, days off and shifts.

Who may do what:
- an admin, or the lead of the rota's team, creates and changes a rota, its members and its
  shifts (generate a month, add, remove, change the person, swap), and renews its feed token;
- a person on a shift may swap it with someone else's shift (both are told by email);
- anyone records their own days off; admins and team leads record anyone's.

Members: adding someone to a rota also adds them to the rota's team (so tickets can be
assigned to them); removing them from the rota leaves them on the team (they may belong there
for other reasons) and drops their future generated shifts.

Re-generating a month replaces the month's *generated* shifts from today on; manual shifts
(added, changed or swapped by hand) are kept and count toward their day's places; past days are
never touched. Every change writes a :class:`~zabota.rotas.models.ShiftLog` row with the
constraints it breaks (changes that break one are made, with a warning, not refused).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Count, Max, Q
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.translation import gettext as _

from zabota.accounts.models import Agent, Team
from zabota.core import clock
from zabota.core.errors import NotFound, PermissionDenied, ValidationFailed
from zabota.rotas.models import (
    DayOff,
    LogKind,
    Pattern,
    Rota,
    RotaMember,
    Seniority,
    Shift,
    ShiftLog,
    new_token,
)
from zabota.rotas.planning import Person, check_day, month_days, plan_month
from zabota.rotas.queries import can_edit, days_off_between

# The days a rota plans (the months ``generate_month`` accepts): a shift beyond them would end
# after the calendar's last day, and no page or feed could show it.
FIRST_DAY, LAST_DAY = date(2000, 1, 1), date(2100, 12, 31)


def _require_editor(actor: Agent, rota: Rota) -> None:
    if not can_edit(actor, rota):
        raise PermissionDenied(_("Only admins and the team lead change this rota."))


def today_of(rota: Rota, now: datetime | None = None) -> date:
    return (now or clock.now()).astimezone(rota.tz).date()


# --- Rotas -------------------------------------------------------------------------------------


@dataclass
class RotaInput:
    """A rota's settings as a form or the API gives them."""

    name: str
    team_id: int
    timezone: str = "UTC"
    shift_start: time = time(9, 0)
    shift_end: time = time(18, 0)
    pattern: str = Pattern.ONE_PER_DAY
    people_per_shift: int = 1
    period_days: int = 14
    weekdays_only: bool = False
    yearly_target_days: int = 2
    is_active: bool = True


def save_rota(*, actor: Agent, data: RotaInput, rota: Rota | None = None) -> Rota:
    """Create a rota (admins, or the lead of its team) or change one (its editors)."""
    team = Team.objects.filter(pk=data.team_id).first()
    if team is None:
        raise ValidationFailed(_("Choose a team."), fields={"team": "required"})
    if rota is not None:
        _require_editor(actor, rota)
    if not (actor.is_admin or team.lead_id == actor.pk):
        raise PermissionDenied(_("Only admins and the team lead change this rota."))
    name = (data.name or "").strip()
    if not name:
        raise ValidationFailed(_("A rota needs a name."), fields={"name": "required"})
    try:
        ZoneInfo(data.timezone or "UTC")
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValidationFailed(_("Unknown time zone."), fields={"timezone": "invalid"}) from exc
    if data.pattern not in Pattern.values:
        raise ValidationFailed(_("Unknown pattern."), fields={"pattern": "invalid"})
    if not 1 <= data.people_per_shift <= 10 or not 1 <= data.period_days <= 31:
        raise ValidationFailed(
            _("People per shift: 1-10; days per period: 1-31."), fields={"people_per_shift": "range"}
        )
    values = {
        "name": name[:100],
        "team": team,
        "timezone": data.timezone or "UTC",
        "shift_start": data.shift_start,
        "shift_end": data.shift_end,
        "pattern": data.pattern,
        "people_per_shift": data.people_per_shift,
        "period_days": data.period_days,
        "weekdays_only": data.weekdays_only,
        "yearly_target_days": data.yearly_target_days,
        "is_active": data.is_active,
    }
    with transaction.atomic():
        if rota is None:
            rota = Rota.objects.create(**values)
        else:
            for key, value in values.items():
                setattr(rota, key, value)
            rota.save()
            # Its people join the (new) team, as when they were added (tickets can be assigned).
            team.members.add(*RotaMember.objects.filter(rota=rota).values_list("agent_id", flat=True))
    return rota


def renew_token(*, actor: Agent, rota: Rota) -> Rota:
    """A new secret for the rota's iCalendar feed; the old feed URL stops working."""
    _require_editor(actor, rota)
    rota.ical_token = new_token()
    rota.save(update_fields=["ical_token"])
    return rota


# --- Members and days off ----------------------------------------------------------------------


def add_member(
    *, actor: Agent, rota: Rota, agent: Agent, seniority: str = Seniority.SENIOR, technical: bool = True
) -> RotaMember:
    """Put ``agent`` on the rota (or change their seniority and technical flag) and on its team."""
    _require_editor(actor, rota)
    if not agent.is_active:
        raise ValidationFailed(_("This person is deactivated."), fields={"agent": "inactive"})
    if seniority not in Seniority.values:
        raise ValidationFailed(_("Unknown seniority."), fields={"seniority": "invalid"})
    with transaction.atomic():
        member, _created = RotaMember.objects.update_or_create(
            rota=rota, agent=agent, defaults={"seniority": seniority, "technical": technical}
        )
        rota.team.members.add(agent)
    return member


def remove_member(*, actor: Agent, rota: Rota, agent_id: int) -> None:
    """Take someone off the rota; their generated shifts from today on go too."""
    _require_editor(actor, rota)
    with transaction.atomic():
        RotaMember.objects.filter(rota=rota, agent_id=agent_id).delete()
        Shift.objects.filter(
            rota=rota, agent_id=agent_id, is_generated=True, date__gte=today_of(rota)
        ).delete()


def _may_manage_days_off(actor: Agent, agent: Agent) -> bool:
    if actor.pk == agent.pk or actor.is_admin:
        return True
    return Rota.objects.filter(team__lead=actor, members__agent=agent).exists()


def add_day_off(*, actor: Agent, agent: Agent, start_date: date, end_date: date, reason: str = "") -> DayOff:
    """Record an absence (both dates included); generation won't plan the person on it."""
    if not _may_manage_days_off(actor, agent):
        raise PermissionDenied(_("You may record only your own days off."))
    if end_date < start_date:
        raise ValidationFailed(_("The last day is before the first."), fields={"end_date": "before_start"})
    if (end_date - start_date).days > 366:
        raise ValidationFailed(_("At most a year at a time."), fields={"end_date": "range"})
    return DayOff.objects.create(agent=agent, start_date=start_date, end_date=end_date, reason=reason[:200])


def remove_day_off(*, actor: Agent, day_off_id: int) -> None:
    row = DayOff.objects.select_related("agent").filter(pk=day_off_id).first()
    if row is None:
        raise NotFound(_("No such day off."))
    if not _may_manage_days_off(actor, row.agent):
        raise PermissionDenied(_("You may remove only your own days off."))
    row.delete()


# --- Generation --------------------------------------------------------------------------------


def people_of(rota: Rota) -> list[Person]:
    return [
        Person(
            agent_id=m.agent_id,
            junior=m.seniority == Seniority.JUNIOR,
            technical=m.technical,
            name=str(m.agent),
        )
        for m in RotaMember.objects.filter(rota=rota, agent__is_active=True)
        .select_related("agent")
        .order_by("agent_id")
    ]


def generate_month(*, actor: Agent, rota: Rota, year: int, month: int) -> list[str]:
    """Plan the month (``zabota.rotas.planning.plan_month``) and write it; the warnings back.

    Replaces the month's generated shifts from today on (see the module docstring)."""
    _require_editor(actor, rota)
    if not (FIRST_DAY.year <= year <= LAST_DAY.year and 1 <= month <= 12):
        raise ValidationFailed(_("No such month."), fields={"month": "invalid"})
    days = month_days(year, month)
    first, last = days[0], days[-1]
    start = max(first, today_of(rota))
    if start > last:
        raise ValidationFailed(_("This month is over."), fields={"month": "past"})
    people = people_of(rota)
    if not people:
        raise ValidationFailed(_("The rota has no members yet."), fields={"members": "empty"})
    ids = [p.agent_id for p in people]
    replaced = Q(is_generated=True, date__gte=start, date__lte=last)
    with transaction.atomic():
        Rota.objects.select_for_update().filter(pk=rota.pk).first()
        year_shifts = Shift.objects.filter(
            rota=rota, date__gte=date(year, 1, 1), date__lte=date(year, 12, 31)
        )
        kept = year_shifts.exclude(replaced)
        # Every kept shift of the year outside what is re-planned counts toward fairness
        # (earlier months, the month's past days, and kept manual shifts of later months).
        counts = dict(
            kept.exclude(date__gte=start, date__lte=last)
            .values("agent_id")
            .annotate(n=Count("id"))
            .values_list("agent_id", "n")
        )
        last_dates = dict(
            Shift.objects.filter(rota=rota, date__lt=start)
            .values("agent_id")
            .annotate(d=Max("date"))
            .values_list("agent_id", "d")
        )
        fixed: dict[date, list[int]] = {}
        for agent_id, day in kept.filter(date__gte=start, date__lte=last).values_list("agent_id", "date"):
            fixed.setdefault(day, []).append(agent_id)
        plan = plan_month(
            year=year,
            month=month,
            people=people,
            people_per_shift=rota.people_per_shift,
            one_per_day=rota.pattern == Pattern.ONE_PER_DAY,
            period_days=rota.period_days,
            weekdays_only=rota.weekdays_only,
            days_off=days_off_between(ids, start, last),
            counts=counts,
            last_dates=last_dates,
            fixed=fixed,
            start=start,
        )
        old = Shift.objects.filter(rota=rota).filter(replaced)
        # Whoever keeps their day keeps its reminder: nobody is told "tomorrow" twice.
        reminded = {(d, a): at for d, a, at in old.values_list("date", "agent_id", "reminded_at") if at}
        old.delete()
        rows = [
            Shift(
                rota=rota,
                agent_id=agent_id,
                date=day,
                is_generated=True,
                created_by=actor,
                reminded_at=reminded.get((day, agent_id)),
            )
            for day, agent_ids in sorted(plan.days.items())
            for agent_id in agent_ids
            if agent_id not in fixed.get(day, [])
        ]
        Shift.objects.bulk_create(rows)
        ShiftLog.objects.create(
            rota=rota,
            kind=LogKind.GENERATED,
            actor=actor,
            date=start,
            other_date=last,
            warnings=plan.warnings,
            note=f"{year:04d}-{month:02d}",
        )
    return plan.warnings


# --- Editing -----------------------------------------------------------------------------------


def _member_person(rota: Rota, agent_ids: list[int]) -> list[Person]:
    members = {
        m.agent_id: m
        for m in RotaMember.objects.filter(rota=rota, agent_id__in=agent_ids).select_related("agent")
    }
    names = dict(Agent.objects.filter(pk__in=agent_ids).values_list("pk", "name"))
    result = []
    for agent_id in agent_ids:
        m = members.get(agent_id)
        result.append(
            Person(
                agent_id=agent_id,
                junior=bool(m and m.seniority == Seniority.JUNIOR),
                technical=m.technical if m else True,
                name=names.get(agent_id) or str(agent_id),
            )
        )
    return result


def day_warnings(rota: Rota, day: date) -> list[str]:
    """The constraints the shifts of ``day`` break now."""
    ids = list(Shift.objects.filter(rota=rota, date=day).values_list("agent_id", flat=True))
    return check_day(_member_person(rota, ids), day=day, days_off=days_off_between(ids, day, day))


def _check_assignable(rota: Rota, agent: Agent) -> None:
    if not agent.is_active:
        raise ValidationFailed(_("This person is deactivated."), fields={"agent": "inactive"})
    if not RotaMember.objects.filter(rota=rota, agent=agent).exists():
        raise ValidationFailed(_("Add this person to the rota first."), fields={"agent": "not_member"})


def _taken(rota: Rota, day: date, agent: Agent, *, other_than: int | None = None) -> bool:
    qs = Shift.objects.filter(rota=rota, date=day, agent=agent)
    if other_than is not None:
        qs = qs.exclude(pk=other_than)
    return qs.exists()


def add_shift(*, actor: Agent, rota: Rota, day: date, agent: Agent) -> tuple[Shift, list[str]]:
    """Put a member on a day by hand; the shift and the constraints the day now breaks."""
    _require_editor(actor, rota)
    _check_assignable(rota, agent)
    if not FIRST_DAY <= day <= LAST_DAY:
        raise ValidationFailed(_("Choose a day between 2000 and 2100."), fields={"day": "range"})
    if _taken(rota, day, agent):
        raise ValidationFailed(_("This person is already on support that day."), fields={"agent": "taken"})
    with transaction.atomic():
        try:
            with transaction.atomic():  # a savepoint: the same person added twice at once
                shift = Shift.objects.create(
                    rota=rota, agent=agent, date=day, is_generated=False, created_by=actor
                )
        except IntegrityError as exc:
            raise ValidationFailed(
                _("This person is already on support that day."), fields={"agent": "taken"}
            ) from exc
        warnings = day_warnings(rota, day)
        ShiftLog.objects.create(
            rota=rota, kind=LogKind.ADDED, actor=actor, date=day, agent=agent, warnings=warnings
        )
    return shift, warnings


def _get_shift(rota: Rota, shift_id: int, *, lock: bool = False) -> Shift:
    qs = Shift.objects.filter(rota=rota, pk=shift_id).select_related("agent")
    if lock:
        qs = qs.select_for_update(of=("self",))  # the shift only, not its agent
    shift = qs.first()
    if shift is None:
        raise NotFound(_("No such shift."))
    return shift


def remove_shift(*, actor: Agent, rota: Rota, shift_id: int) -> list[str]:
    _require_editor(actor, rota)
    with transaction.atomic():
        shift = _get_shift(rota, shift_id, lock=True)
        shift.delete()
        warnings = day_warnings(rota, shift.date)
        ShiftLog.objects.create(
            rota=rota,
            kind=LogKind.REMOVED,
            actor=actor,
            date=shift.date,
            agent=shift.agent,
            warnings=warnings,
        )
    return warnings


def change_shift(*, actor: Agent, rota: Rota, shift_id: int, agent: Agent) -> tuple[Shift, list[str]]:
    """Give a shift to another member; it becomes manual (re-generating keeps it)."""
    _require_editor(actor, rota)
    _check_assignable(rota, agent)
    with transaction.atomic():
        shift = _get_shift(rota, shift_id, lock=True)
        before = shift.agent
        if before.pk == agent.pk:
            return shift, day_warnings(rota, shift.date)
        if _taken(rota, shift.date, agent):
            raise ValidationFailed(
                _("This person is already on support that day."), fields={"agent": "taken"}
            )
        shift.agent = agent
        shift.is_generated = False
        shift.reminded_at = None
        shift.save(update_fields=["agent", "is_generated", "reminded_at"])
        warnings = day_warnings(rota, shift.date)
        ShiftLog.objects.create(
            rota=rota,
            kind=LogKind.CHANGED,
            actor=actor,
            date=shift.date,
            agent=agent,
            other_agent=before,
            warnings=warnings,
        )
    return shift, warnings


def swap_shifts(*, actor: Agent, rota: Rota, shift_id: int, other_shift_id: int) -> list[str]:
    """Two people exchange their shifts (on different days). Allowed to the rota's editors and to
    either person (for days not over yet); both are told by email (not the one who did it). Breaking a constraint (a day
    off, two juniors...) is allowed with the warnings returned and logged."""
    if shift_id == other_shift_id:
        raise ValidationFailed(_("Choose two different shifts."), fields={"other_shift": "same"})
    with transaction.atomic():
        # Locked in id order, so two opposite swaps of the same pair wait for each other
        # instead of deadlocking.
        locked = {i: _get_shift(rota, i, lock=True) for i in sorted((shift_id, other_shift_id))}
        first, second = locked[shift_id], locked[other_shift_id]
        editor = can_edit(actor, rota)
        if not (editor or actor.pk in (first.agent_id, second.agent_id)):
            raise PermissionDenied(_("You may swap only your own shifts."))
        if not editor and min(first.date, second.date) < today_of(rota):
            # A day that is over stays whose it was (the tracker counts it); editors may still
            # correct the record.
            raise ValidationFailed(
                _("A day that is over cannot be swapped; ask the team lead."), fields={"other_shift": "past"}
            )
        if first.date == second.date:
            raise ValidationFailed(_("Both shifts are on the same day."), fields={"other_shift": "same_day"})
        if first.agent_id == second.agent_id:
            raise ValidationFailed(
                _("Both shifts are the same person's."), fields={"other_shift": "same_person"}
            )
        a, b = first.agent, second.agent
        if _taken(rota, first.date, b, other_than=second.pk) or _taken(
            rota, second.date, a, other_than=first.pk
        ):
            raise ValidationFailed(
                _("One of them is already on support that day."), fields={"other_shift": "taken"}
            )
        # Free the unique (rota, date, agent) slots before exchanging.
        Shift.objects.filter(pk__in=[first.pk, second.pk]).delete()
        first_new = Shift.objects.create(
            rota=rota, agent=b, date=first.date, is_generated=False, created_by=actor, swapped_from=a
        )
        second_new = Shift.objects.create(
            rota=rota, agent=a, date=second.date, is_generated=False, created_by=actor, swapped_from=b
        )
        warnings = day_warnings(rota, first_new.date) + (
            day_warnings(rota, second_new.date) if second_new.date != first_new.date else []
        )
        ShiftLog.objects.create(
            rota=rota,
            kind=LogKind.SWAPPED,
            actor=actor,
            date=first.date,
            agent=a,
            other_date=second.date,
            other_agent=b,
            warnings=warnings,
        )
        for person, gave, took in ((a, first.date, second.date), (b, second.date, first.date)):
            if person.pk != actor.pk and person.is_active:
                _mail_swap(
                    person,
                    rota=rota,
                    gave=gave,
                    took=took,
                    other=b if person is a else a,
                    log_id=first_new.pk,
                )
    return warnings


def _mail_swap(person: Agent, *, rota: Rota, gave: date, took: date, other: Agent, log_id: int) -> None:
    from zabota.channels.email.outbox import queue_agent_mail

    with translation.override(person.locale or settings.LANGUAGE_CODE):
        context = {
            "person": person,
            "rota": rota,
            "gave": gave,
            "took": took,
            "other": other,
            "site_url": settings.SITE_URL.rstrip("/"),
        }
        subject = _("Your support shift of %(day)s was swapped") % {"day": gave.isoformat()}
        text = render_to_string("rotas/email/swap.txt", context)
    queue_agent_mail(
        to=person.email,
        subject=subject,
        body_text=text,
        body_html="",
        purpose=f"rota-swap:{log_id}:{person.pk}",
    )
