"""Configuration actions of the SLA context: calendars, their holidays, and policies with their
conditions, targets and escalation rules. Admins only.

Each function is an action (DESIGN.md rule 1): it checks the actor, validates its input with a
``ValidationFailed`` naming the field, writes in one transaction and, since due times depend on
what it changed, starts the engine's background recomputation of the open tickets' clocks
(``zabota.sla.actions.start_recompute``), returning that job so the page can show its progress.
The clock rules themselves live in the engine (``zabota.sla.actions``); nothing here touches a
``TicketClock``.
"""

from __future__ import annotations

import re
import zoneinfo
from dataclasses import dataclass
from datetime import date
from typing import Any

import holidays as holidays_lib
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils.translation import gettext

from zabota.accounts.models import Agent, Team
from zabota.core import clock
from zabota.core.errors import PermissionDenied, ValidationFailed
from zabota.customers.models import Organization, Tier
from zabota.sla.models import (
    Calendar,
    EscalationAction,
    EscalationRule,
    Holiday,
    Metric,
    Policy,
    RecomputeJob,
    Target,
)
from zabota.tickets.choices import Channel, Kind, Priority
from zabota.tickets.models import Inbox

WEEKDAYS = tuple(str(d) for d in range(7))  # "0" Monday .. "6" Sunday, as Calendar.hours keys
_HHMM = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$|^24:00$")
MAX_TARGET_MINUTES = 60 * 24 * 366  # a year: anything longer is a typo
MAX_INTERVALS_PER_DAY = 6


def _require_admin(actor: Agent) -> None:
    if not actor.is_admin:
        raise PermissionDenied(gettext("Only admins can change SLA settings."))


def _recompute(reason: str) -> RecomputeJob:
    """The engine's background recomputation of every open ticket's clock (enqueued on commit)."""
    from zabota.sla.actions import start_recompute  # the engine; imported late: it imports tickets

    return start_recompute(reason=reason)


def _name(name: str, what: str) -> str:
    name = " ".join((name or "").split())
    if not name:
        raise ValidationFailed(
            gettext("Give the %(what)s a name.") % {"what": what}, fields={"name": "required"}
        )
    if len(name) > 100:
        raise ValidationFailed(gettext("A name has at most 100 characters."), fields={"name": "too_long"})
    return name


# --- Calendars ---------------------------------------------------------------------------------


def _minutes(hhmm: str) -> int:
    hours, minutes = hhmm.split(":")
    return int(hours) * 60 + int(minutes)


def clean_hours(hours: dict[str, Any]) -> dict[str, list[list[str]]]:
    """Weekly hours checked and normalised: weekday -> sorted, non-overlapping ``[start, end]``
    intervals of ``HH:MM`` (``24:00`` ends a day); closed days are left out.

    The engine's ``zabota.sla.calendar.clean_hours`` checks the same shape for its own callers
    (untranslated, and refusing an empty week); this one speaks to the team lead, in their
    language, and leaves "no hours at all" to ``save_calendar`` (fine for a 24/7 calendar)."""
    if not isinstance(hours, dict):
        raise ValidationFailed(gettext("The weekly hours are not valid."), fields={"hours": "invalid"})
    out: dict[str, list[list[str]]] = {}
    for day, intervals in hours.items():
        if day not in WEEKDAYS or not isinstance(intervals, list):
            raise ValidationFailed(gettext("The weekly hours are not valid."), fields={"hours": "invalid"})
        if len(intervals) > MAX_INTERVALS_PER_DAY:
            raise ValidationFailed(
                gettext("At most %(n)d intervals a day.") % {"n": MAX_INTERVALS_PER_DAY},
                fields={"hours": "too_many"},
            )
        clean: list[list[str]] = []
        for interval in intervals:
            if (
                not isinstance(interval, list | tuple)
                or len(interval) != 2
                or not all(isinstance(t, str) and _HHMM.match(t) for t in interval)
            ):
                raise ValidationFailed(
                    gettext("Write times as HH:MM, for example 09:00 and 18:00."), fields={"hours": "invalid"}
                )
            if _minutes(interval[0]) >= _minutes(interval[1]):
                raise ValidationFailed(
                    gettext("An interval ends after it starts (%(start)s–%(end)s).")
                    % {"start": interval[0], "end": interval[1]},
                    fields={"hours": "invalid"},
                )
            clean.append([interval[0], interval[1]])
        clean.sort(key=lambda i: _minutes(i[0]))
        for before, after in zip(clean, clean[1:], strict=False):
            if _minutes(after[0]) < _minutes(before[1]):
                raise ValidationFailed(
                    gettext("The intervals of a day overlap (%(a)s and %(b)s).")
                    % {"a": "–".join(before), "b": "–".join(after)},
                    fields={"hours": "overlap"},
                )
        if clean:
            out[day] = clean
    return out


def supported_countries() -> dict[str, list[str]]:
    """Country codes the ``holidays`` package knows, each with its subdivision codes."""
    return {
        code: list(subdivisions) for code, subdivisions in holidays_lib.list_supported_countries().items()
    }


def save_calendar(
    *,
    actor: Agent,
    calendar: Calendar | None = None,
    name: str,
    timezone: str,
    always_open: bool,
    hours: dict[str, Any],
    country: str = "",
    subdivision: str = "",
) -> tuple[Calendar, RecomputeJob]:
    """Create or change a calendar, then recompute the open tickets' clocks.

    A calendar that is not 24/7 needs at least one open interval a week (otherwise no due time
    could ever be reached). ``country``/``subdivision``: the ``holidays`` package's codes.
    """
    _require_admin(actor)
    name = _name(name, gettext("calendar"))
    timezone = (timezone or "").strip()
    try:
        zoneinfo.ZoneInfo(timezone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise ValidationFailed(
            gettext("“%(tz)s” is not a timezone; use a name like Europe/Moscow.") % {"tz": timezone},
            fields={"timezone": "invalid"},
        ) from None
    hours = clean_hours(hours)
    if not always_open and not hours:
        raise ValidationFailed(
            gettext("Give the calendar its open hours, or make it 24/7."), fields={"hours": "required"}
        )
    country, subdivision = (country or "").strip().upper(), (subdivision or "").strip().upper()
    countries = supported_countries()
    if country and country not in countries:
        raise ValidationFailed(
            gettext("No holidays are known for the country code “%(code)s”.") % {"code": country},
            fields={"country": "invalid"},
        )
    if subdivision and (not country or subdivision not in countries[country]):
        raise ValidationFailed(
            gettext("“%(code)s” is not a subdivision of the country.") % {"code": subdivision},
            fields={"subdivision": "invalid"},
        )
    others = Calendar.objects.exclude(pk=calendar.pk) if calendar is not None else Calendar.objects.all()
    if others.filter(name__iexact=name).exists():
        raise ValidationFailed(gettext("A calendar with this name already exists."), fields={"name": "taken"})
    values = {
        "name": name,
        "timezone": timezone,
        "always_open": always_open,
        "hours": hours,
        "country": country,
        "subdivision": subdivision,
        "updated_at": clock.now(),
    }
    try:
        with transaction.atomic():
            if calendar is None:
                calendar = Calendar.objects.create(**values)
            else:
                for key, value in values.items():
                    setattr(calendar, key, value)
                calendar.save(update_fields=list(values))
            job = _recompute(f"calendar {calendar.name} saved")
    except IntegrityError as exc:  # a concurrent save took the name
        raise ValidationFailed(
            gettext("A calendar with this name already exists."), fields={"name": "taken"}
        ) from exc
    return calendar, job


def delete_calendar(*, actor: Agent, calendar: Calendar) -> RecomputeJob:
    """Delete a calendar; its policies count every minute (24/7) from then on."""
    _require_admin(actor)
    with transaction.atomic():
        name = calendar.name
        calendar.delete()
        return _recompute(f"calendar {name} deleted")


def _touch(calendar: Calendar) -> None:
    # The engine caches a calendar's days keyed by updated_at: a holiday changes them.
    calendar.updated_at = clock.now()
    calendar.save(update_fields=["updated_at"])


def add_holiday(
    *, actor: Agent, calendar: Calendar, day: date, name: str = ""
) -> tuple[Holiday, RecomputeJob]:
    """Close ``calendar`` on ``day`` (on top of its country's holidays)."""
    _require_admin(actor)
    if not isinstance(day, date) or not 1900 <= day.year <= 9000:
        raise ValidationFailed(gettext("Choose a date."), fields={"date": "invalid"})
    name = " ".join((name or "").split())[:100]
    if calendar.holidays.filter(date=day).exists():
        raise ValidationFailed(
            gettext("%(date)s is already a holiday of this calendar.") % {"date": day.isoformat()},
            fields={"date": "taken"},
        )
    try:
        with transaction.atomic():
            holiday = Holiday.objects.create(calendar=calendar, date=day, name=name)
            _touch(calendar)
            job = _recompute(f"holiday {day.isoformat()} added to calendar {calendar.name}")
    except IntegrityError as exc:
        raise ValidationFailed(
            gettext("%(date)s is already a holiday of this calendar.") % {"date": day.isoformat()},
            fields={"date": "taken"},
        ) from exc
    return holiday, job


def remove_holiday(*, actor: Agent, holiday: Holiday) -> RecomputeJob:
    """Open a custom holiday's day again."""
    _require_admin(actor)
    with transaction.atomic():
        calendar = holiday.calendar
        holiday.delete()
        _touch(calendar)
        return _recompute(f"holiday {holiday.date.isoformat()} removed from calendar {calendar.name}")


# --- Policies ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class TargetSpec:
    """One target of a policy: ``minutes`` for ``metric`` on ``channel`` ('' = every channel)."""

    metric: str
    channel: str
    minutes: int
    business_hours: bool = True


@dataclass(frozen=True)
class EscalationSpec:
    """One escalation rule: on a breach of ``metric`` ('' = any), do ``action``."""

    metric: str
    action: str
    team: Team | None = None
    agent: Agent | None = None


@dataclass(frozen=True)
class Conditions:
    """Which tickets a policy applies to; an empty list means any."""

    tiers: list[Tier]
    channels: list[str]
    priorities: list[int]
    kinds: list[str]
    inboxes: list[Inbox]
    organizations: list[Organization]

    def any(self) -> bool:
        """Whether there is any condition at all (else the policy matches every ticket)."""
        return bool(
            self.tiers or self.channels or self.priorities or self.kinds or self.inboxes or self.organizations
        )


def _check_conditions(conditions: Conditions) -> None:
    bad = [c for c in conditions.channels if c not in Channel.values]
    if bad:
        raise ValidationFailed(
            gettext("Unknown channel %(c)s.") % {"c": bad[0]}, fields={"channels": "invalid"}
        )
    bad_priorities = [p for p in conditions.priorities if p not in Priority.values]
    if bad_priorities:
        raise ValidationFailed(gettext("Unknown priority."), fields={"priorities": "invalid"})
    bad = [k for k in conditions.kinds if k not in Kind.values]
    if bad:
        raise ValidationFailed(gettext("Unknown kind %(k)s.") % {"k": bad[0]}, fields={"kinds": "invalid"})


def _check_targets(targets: list[TargetSpec]) -> None:
    if not targets:
        raise ValidationFailed(
            gettext("Give the policy at least one target (for example a first response in 1 hour)."),
            fields={"targets": "required"},
        )
    seen: set[tuple[str, str]] = set()
    for target in targets:
        if target.metric not in Metric.values:
            raise ValidationFailed(gettext("Choose the target's metric."), fields={"targets": "invalid"})
        if target.channel and target.channel not in Channel.values:
            raise ValidationFailed(gettext("Unknown channel of a target."), fields={"targets": "invalid"})
        if not isinstance(target.minutes, int) or not 0 < target.minutes <= MAX_TARGET_MINUTES:
            raise ValidationFailed(
                gettext("A target is from 1 minute to 366 days."), fields={"targets": "invalid"}
            )
        key = (target.metric, target.channel)
        if key in seen:
            raise ValidationFailed(
                gettext("Two targets for %(metric)s on the same channel.")
                % {"metric": Metric(target.metric).label},
                fields={"targets": "duplicate"},
            )
        seen.add(key)


def _check_escalations(escalations: list[EscalationSpec]) -> None:
    for rule in escalations:
        if rule.metric and rule.metric not in Metric.values:
            raise ValidationFailed(
                gettext("Unknown metric of an escalation."), fields={"escalations": "invalid"}
            )
        if rule.action not in EscalationAction.values:
            raise ValidationFailed(
                gettext("Choose what the escalation does."), fields={"escalations": "invalid"}
            )
        if rule.action == EscalationAction.ASSIGN_TEAM and rule.team is None:
            raise ValidationFailed(
                gettext("Choose the team to reassign breached tickets to."),
                fields={"escalations": "required"},
            )
        if (
            rule.action in (EscalationAction.ASSIGN_AGENT, EscalationAction.NOTIFY_AGENT)
            and rule.agent is None
        ):
            raise ValidationFailed(
                gettext("Choose the person the escalation reassigns to or notifies."),
                fields={"escalations": "required"},
            )


def save_policy(
    *,
    actor: Agent,
    policy: Policy | None = None,
    name: str,
    is_active: bool = True,
    conditions: Conditions,
    calendar: Calendar | None,
    warning_percent: int = 75,
    pause_on_hold: bool = False,
    targets: list[TargetSpec],
    escalations: list[EscalationSpec] | None = None,
) -> tuple[Policy, RecomputeJob]:
    """Create or change a policy with its conditions, targets and escalation rules (the targets
    and rules given replace the old ones), then recompute the open tickets' clocks. A new policy
    goes last in the order."""
    _require_admin(actor)
    name = _name(name, gettext("policy"))
    if not isinstance(warning_percent, int) or not 1 <= warning_percent <= 99:
        raise ValidationFailed(
            gettext("Warn at 1 to 99 per cent of a target."), fields={"warning_percent": "invalid"}
        )
    _check_conditions(conditions)
    _check_targets(targets)
    escalations = escalations or []
    _check_escalations(escalations)
    others = Policy.objects.exclude(pk=policy.pk) if policy is not None else Policy.objects.all()
    if others.filter(name__iexact=name).exists():
        raise ValidationFailed(gettext("A policy with this name already exists."), fields={"name": "taken"})
    values = {
        "name": name,
        "is_active": is_active,
        "channels": sorted(set(conditions.channels)),
        "priorities": sorted(set(conditions.priorities)),
        "kinds": sorted(set(conditions.kinds)),
        "calendar": calendar,
        "warning_percent": warning_percent,
        "pause_on_hold": pause_on_hold,
        "updated_at": clock.now(),
    }
    try:
        with transaction.atomic():
            if policy is None:
                last = Policy.objects.aggregate(m=Max("position"))["m"]
                policy = Policy.objects.create(position=0 if last is None else last + 1, **values)
                if conditions.any():
                    _place_before_catch_all(policy)
            else:
                for key, value in values.items():
                    setattr(policy, key, value)
                policy.save(update_fields=list(values))
            policy.tiers.set(conditions.tiers)
            policy.inboxes.set(conditions.inboxes)
            policy.organizations.set(conditions.organizations)
            policy.targets.all().delete()
            Target.objects.bulk_create(
                [
                    Target(
                        policy=policy,
                        metric=t.metric,
                        channel=t.channel,
                        minutes=t.minutes,
                        business_hours=t.business_hours,
                    )
                    for t in targets
                ]
            )
            policy.escalations.all().delete()
            EscalationRule.objects.bulk_create(
                [
                    EscalationRule(
                        policy=policy,
                        metric=r.metric,
                        action=r.action,
                        team=r.team if r.action == EscalationAction.ASSIGN_TEAM else None,
                        agent=r.agent
                        if r.action in (EscalationAction.ASSIGN_AGENT, EscalationAction.NOTIFY_AGENT)
                        else None,
                        position=i,
                    )
                    for i, r in enumerate(escalations)
                ]
            )
            job = _recompute(f"policy {policy.name} saved")
    except IntegrityError as exc:
        raise ValidationFailed(
            gettext("A policy with this name already exists."), fields={"name": "taken"}
        ) from exc
    return policy, job


def delete_policy(*, actor: Agent, policy: Policy) -> RecomputeJob:
    """Delete a policy; its tickets fall to the next matching policy (or none)."""
    _require_admin(actor)
    with transaction.atomic():
        name = policy.name
        policy.delete()
        return _recompute(f"policy {name} deleted")


def _place_before_catch_all(policy: Policy) -> None:
    """A new policy with conditions goes just before the first policy that matches every ticket
    (a catch-all such as "Standard"); added after it, it could never apply."""
    ids = list(Policy.objects.select_for_update().order_by("position", "id").values_list("id", flat=True))
    others = Policy.objects.exclude(pk=policy.pk).prefetch_related("tiers", "inboxes", "organizations")
    catch_all = {
        p.pk
        for p in others
        if not (p.channels or p.priorities or p.kinds)
        and not (p.tiers.all() or p.inboxes.all() or p.organizations.all())
    }
    first = next((i for i, pk in enumerate(ids) if pk in catch_all), None)
    if first is None:
        return
    ids.remove(policy.pk)
    ids.insert(first, policy.pk)
    for position, pk in enumerate(ids):
        Policy.objects.filter(pk=pk).update(position=position)


def move_policy(*, actor: Agent, policy: Policy, up: bool) -> RecomputeJob | None:
    """Move a policy one place up (earlier: checked first) or down; None when it is already
    first (last). Positions are renumbered 0..n-1 under a lock, so gaps and ties disappear."""
    _require_admin(actor)
    with transaction.atomic():
        ids = list(Policy.objects.select_for_update().order_by("position", "id").values_list("id", flat=True))
        if policy.pk not in ids:
            return None
        i = ids.index(policy.pk)
        j = i - 1 if up else i + 1
        if not 0 <= j < len(ids):
            return None
        ids[i], ids[j] = ids[j], ids[i]
        now = clock.now()
        for position, pk in enumerate(ids):
            Policy.objects.filter(pk=pk).update(position=position, updated_at=now)
        return _recompute(f"policy {policy.name} moved {'up' if up else 'down'}")
