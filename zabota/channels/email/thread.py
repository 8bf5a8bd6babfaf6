"""Which ticket an inbound message belongs to, and whether its sender may write there.

Order: In-Reply-To and References to Message-IDs we know in this inbox (ours and the
customers'); then the HMAC-tagged reply address (``tokens.py``). A ticket number in the subject
alone never threads: anyone can type one. A merged ticket's mail goes to the ticket it was
merged into.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from zabota.accounts.models import Agent
from zabota.channels.email import tokens
from zabota.channels.email.models import EmailReference
from zabota.channels.email.parse import ParsedEmail
from zabota.customers.models import ContactEmail
from zabota.tickets.models import Follower, Inbox, Ticket


@dataclass
class Thread:
    ticket: Ticket
    how: str  # "references" or "reply-address"


def reference_keys(parsed: ParsedEmail) -> list[str]:
    """The keys of the Message-IDs a message answers, nearest first (at most 100)."""
    ids = [*parsed.in_reply_to, *reversed(parsed.references)]
    return [tokens.key(i) for i in ids[:100]]


def known_references(messages: Iterable[ParsedEmail]) -> dict[str, list[EmailReference]]:
    """Every stored reference the messages point to, by key, in every inbox: one query per
    900 keys, for ``find(..., known=...)`` over a batch."""
    keys = sorted({k for parsed in messages for k in reference_keys(parsed)})
    known: dict[str, list[EmailReference]] = {}
    for start in range(0, len(keys), 900):
        chunk = keys[start : start + 900]
        for ref in EmailReference.objects.filter(key__in=chunk).select_related("ticket").order_by("id"):
            known.setdefault(ref.key, []).append(ref)
    return known


def find(
    parsed: ParsedEmail, inbox: Inbox | None, *, known: dict[str, list[EmailReference]] | None = None
) -> Thread | None:
    """The ticket a message belongs to. ``known``: the references looked up for its batch
    (``known_references``, with those written since), instead of a query."""
    keys = reference_keys(parsed)
    if keys:
        if known is None:
            refs = list(EmailReference.objects.filter(key__in=keys, inbox=inbox).select_related("ticket"))
        else:
            inbox_id = inbox.pk if inbox is not None else None
            refs = [r for k in keys for r in known.get(k, ()) if r.inbox_id == inbox_id]
        by_key = {r.key: r for r in refs}
        for k in keys:
            if k in by_key:
                return Thread(_follow_merges(by_key[k].ticket), "references")
    number = tokens.ticket_number_from([*parsed.to, *parsed.cc, *parsed.delivered_to])
    if number is not None:
        ticket = Ticket.objects.filter(number=number).first()
        if ticket is not None and (inbox is None or ticket.inbox_id in (None, inbox.pk)):
            return Thread(_follow_merges(ticket), "reply-address")
    return None


def _follow_merges(ticket: Ticket) -> Ticket:
    seen = {ticket.pk}
    while ticket.merged_into_id is not None and ticket.merged_into_id not in seen:
        seen.add(ticket.merged_into_id)
        ticket = Ticket.objects.get(pk=ticket.merged_into_id)
    return ticket


@dataclass
class Sender:
    kind: str  # "requester", "follower", "agent", "unknown"
    contact_id: int | None = None


def who_wrote(ticket: Ticket, address: str) -> Sender:
    """Is ``address`` someone who may write on ``ticket`` by email?"""
    address = address.lower()
    found = (
        ContactEmail.objects.filter(email__lower=address)
        .values_list("contact_id", "contact__organization_id", "contact__is_organization_admin")
        .first()
    )
    owner: int | None = found[0] if found else None
    if found is not None and owner is not None:
        if owner == ticket.requester_id:
            return Sender("requester", owner)
        if Follower.objects.filter(ticket=ticket, contact_id=owner).exists():
            return Sender("follower", owner)
        if found[2] and found[1] is not None and found[1] == ticket.organization_id:
            return Sender("follower", owner)  # the organization's admin contact sees its tickets
    if Agent.objects.filter(email__iexact=address, is_active=True).exists():
        return Sender("agent")
    return Sender("unknown", owner)
