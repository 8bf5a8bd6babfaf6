"""Readable sentences for the ticket timeline's activity rows ("Alice changed status from New to
Open"). Activity rows are data (verb, field, before, after); this is their one presentation in
the workspace, translated. Unknown verbs get a generic sentence rather than an error, so a new
kind of activity row never breaks a ticket page."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from zabota.tickets.choices import Channel, Kind, Priority, Status
from zabota.tickets.models import Activity


def actor_name(a: Activity) -> str:
    if a.actor_agent is not None:
        return str(a.actor_agent)
    if a.actor_contact is not None:
        return str(a.actor_contact)
    return _("System")


def _status(value: Any) -> str:
    try:
        return str(Status(value).label)
    except ValueError:
        return str(value)


def _priority(value: Any) -> str:
    try:
        return str(Priority.from_name(str(value)).label)
    except KeyError:
        return str(value)


def _kind(value: Any) -> str:
    try:
        return str(Kind(value).label)
    except ValueError:
        return str(value)


def _ref(value: Any, empty: str) -> str:
    if isinstance(value, dict):
        return str(value.get("name") or value.get("id") or empty)
    return empty if value in (None, "") else str(value)


def describe(a: Activity, labels: dict[str, str] | None = None) -> str:
    """One sentence for an activity row; ``labels`` names custom fields by their labels."""
    who = actor_name(a)
    before, after = a.before, a.after
    if a.verb == "created":
        channel = (after or {}).get("channel") if isinstance(after, dict) else None
        try:
            via = str(Channel(channel).label) if channel else ""
        except ValueError:
            via = str(channel)
        if via:
            return _("%(actor)s opened the ticket (%(channel)s)") % {"actor": who, "channel": via}
        return _("%(actor)s opened the ticket") % {"actor": who}
    if a.verb == "merged_into":
        number = (after or {}).get("ticket") if isinstance(after, dict) else None
        return _("%(actor)s merged this ticket into #%(number)s") % {"actor": who, "number": number}
    if a.verb == "merged_from":
        number = (after or {}).get("ticket") if isinstance(after, dict) else None
        return _("%(actor)s merged ticket #%(number)s into this one") % {"actor": who, "number": number}
    if a.verb == "follower_added":
        name = _ref(after, "?")
        if isinstance(after, dict) and a.actor_agent_id == after.get("id"):
            return _("%(actor)s started following the ticket") % {"actor": who}
        return _("%(actor)s added %(name)s to the ticket") % {"actor": who, "name": name}
    if a.verb == "follower_removed":
        name = _ref(before, "?")
        if isinstance(before, dict) and a.actor_agent_id == before.get("id"):
            return _("%(actor)s stopped following the ticket") % {"actor": who}
        return _("%(actor)s removed %(name)s from the ticket") % {"actor": who, "name": name}
    if a.verb == "contacts_copied":
        names = [str(n) for n in after] if isinstance(after, list) else [str(after or "?")]
        return ngettext(
            "%(names)s, copied on the conversation, now follows it",
            "%(names)s, copied on the conversation, now follow it",
            len(names),
        ) % {"names": ", ".join(names)}
    if a.verb == "changed":
        return _describe_change(a, who, before, after, labels or {})
    if a.verb in ("routed", "returned_to_queue"):
        return _describe_routing(a.verb, after if isinstance(after, dict) else {})
    if a.verb == "priority_auto" or a.verb.startswith("incident_"):
        return _describe_triage(a.verb, who, after if isinstance(after, dict) else {})
    if a.verb in ("sla_warning", "sla_breach"):
        return _describe_sla(a.verb, after if isinstance(after, dict) else {})
    return _("%(actor)s: %(verb)s %(field)s") % {"actor": who, "verb": a.verb, "field": a.field}


def _describe_change(a: Activity, who: str, before: Any, after: Any, labels: dict[str, str]) -> str:
    field = a.field
    if field == "status":
        return _("%(actor)s changed status from %(before)s to %(after)s") % {
            "actor": who,
            "before": _status(before),
            "after": _status(after),
        }
    if field == "priority":
        return _("%(actor)s changed priority from %(before)s to %(after)s") % {
            "actor": who,
            "before": _priority(before),
            "after": _priority(after),
        }
    if field == "kind":
        return _("%(actor)s changed kind from %(before)s to %(after)s") % {
            "actor": who,
            "before": _kind(before),
            "after": _kind(after),
        }
    if field == "assignee":
        if after is None:
            return _("%(actor)s unassigned %(before)s") % {"actor": who, "before": _ref(before, "")}
        if isinstance(after, dict) and after.get("id") == a.actor_agent_id:
            return _("%(actor)s took the ticket") % {"actor": who}
        return _("%(actor)s assigned the ticket to %(after)s") % {"actor": who, "after": _ref(after, "")}
    if field == "team":
        if after is None:
            return _("%(actor)s removed the ticket from team %(before)s") % {
                "actor": who,
                "before": _ref(before, ""),
            }
        return _("%(actor)s moved the ticket to team %(after)s") % {"actor": who, "after": _ref(after, "")}
    if field == "project":
        if after is None:
            return _("%(actor)s removed the project") % {"actor": who}
        return _("%(actor)s set the project to %(after)s") % {"actor": who, "after": _ref(after, "")}
    if field == "tags":
        old, new = set(before or []), set(after or [])
        added, removed = sorted(new - old), sorted(old - new)
        parts = []
        if added:
            parts.append(_("added tags %(tags)s") % {"tags": ", ".join(added)})
        if removed:
            parts.append(_("removed tags %(tags)s") % {"tags": ", ".join(removed)})
        return _("%(actor)s %(changes)s") % {
            "actor": who,
            "changes": _("; ").join(parts) or _("changed tags"),
        }
    if field == "subject":
        return _("%(actor)s renamed the ticket to “%(after)s”") % {"actor": who, "after": after}
    if field == "custom_fields":
        was: dict[str, Any] = before if isinstance(before, dict) else {}
        now: dict[str, Any] = after if isinstance(after, dict) else {}
        keys = sorted(k for k in set(was) | set(now) if was.get(k) != now.get(k))
        names = ", ".join(labels.get(k, k) for k in keys)
        return _("%(actor)s changed %(fields)s") % {"actor": who, "fields": names}
    if field == "snoozed_until":
        if after:
            return _("%(actor)s snoozed the ticket") % {"actor": who}
        return _("%(actor)s woke the ticket up") % {"actor": who}
    return _("%(actor)s changed %(field)s") % {"actor": who, "field": field}


def _describe_routing(verb: str, after: dict[str, Any]) -> str:
    """The routing context's events: a ticket routed to an agent, or handed back to the queue."""
    name = _ref(after.get("agent"), "?")
    if verb == "returned_to_queue":
        if after.get("reason") == "off_shift":
            return _("Returned to the queue: %(name)s's shift ended") % {"name": name}
        if after.get("reason") == "deactivated":
            return _("Returned to the queue: %(name)s was deactivated") % {"name": name}
        return _("Returned to the queue: %(name)s went away") % {"name": name}
    if after.get("reason") == "fewest_open":
        why = _("least loaded: %(load)s open tickets") % {"load": after.get("load", 0)}
    else:
        why = _("round-robin: next in turn")
    extras = []
    if after.get("language"):
        extras.append(_("speaks %(language)s") % {"language": after["language"]})
    if after.get("area"):
        extras.append(_("knows %(area)s") % {"area": after["area"]})
    if extras:
        why = "; ".join([why, *extras])
    return _("Routed to %(name)s (%(why)s)") % {"name": name, "why": why}


def _describe_triage(verb: str, who: str, after: dict[str, Any]) -> str:
    """The triage context's events: automatic priority (and why), incidents and their links."""
    if verb == "priority_auto":
        reasons = []
        for w in after.get("why") or []:
            if not isinstance(w, dict):
                continue
            if "tier" in w:
                reasons.append(_("tier %(tier)s") % {"tier": w["tier"]})
            elif "kind" in w:
                reasons.append(_("kind %(kind)s") % {"kind": _kind(w["kind"])})
            elif "keyword" in w:
                reasons.append(_("keyword «%(keyword)s»") % {"keyword": w["keyword"]})
        if not reasons:
            reasons = [str(r) for r in after.get("reasons") or []]
        return _("Priority set to %(priority)s automatically: %(reasons)s") % {
            "priority": _priority(after.get("priority")),
            "reasons": ", ".join(reasons) or _("a priority rule"),
        }
    number = after.get("incident")
    if verb == "incident_marked":
        return _("%(actor)s marked this ticket as an incident") % {"actor": who}
    if verb == "incident_unmarked":
        return _("%(actor)s unmarked this ticket as an incident") % {"actor": who}
    if verb == "incident_linked":
        return _("%(actor)s linked this ticket to incident #%(number)s") % {"actor": who, "number": number}
    if verb == "incident_unlinked":
        return _("%(actor)s unlinked this ticket from incident #%(number)s") % {
            "actor": who,
            "number": number,
        }
    if verb == "incident_tickets_linked":
        tickets = [f"#{n}" for n in after.get("tickets") or []]
        return ngettext(
            "%(actor)s linked ticket %(tickets)s to this incident",
            "%(actor)s linked tickets %(tickets)s to this incident",
            len(tickets),
        ) % {"actor": who, "tickets": ", ".join(tickets)}
    return _("%(actor)s: %(verb)s") % {"actor": who, "verb": verb}


def _describe_sla(verb: str, after: dict[str, Any]) -> str:
    """The SLA context's alerts: a target at risk (the warning share used) or breached."""
    from zabota.sla.models import Metric

    try:
        metric = str(Metric(str(after.get("metric"))).label)
    except ValueError:
        metric = str(after.get("metric") or "?")
    policy = str(after.get("policy") or "")
    if verb == "sla_breach":
        if policy:
            return _("SLA breached: %(metric)s target of policy %(policy)s missed") % {
                "metric": metric,
                "policy": policy,
            }
        return _("SLA breached: %(metric)s target missed") % {"metric": metric}
    if policy:
        return _("SLA at risk: %(metric)s target of policy %(policy)s is nearly due") % {
            "metric": metric,
            "policy": policy,
        }
    return _("SLA at risk: %(metric)s target is nearly due") % {"metric": metric}
