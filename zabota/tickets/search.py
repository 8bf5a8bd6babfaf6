"""What of a ticket is searchable, and keeping its search document in step.

Called by ticket actions inside their transaction, so the index never lags the data.
"""

from __future__ import annotations

from collections.abc import Iterable

from zabota.core.models import SearchDocument
from zabota.core.search import normalise
from zabota.customers.models import ContactEmail
from zabota.tickets.choices import MessageKind
from zabota.tickets.models import Message, Ticket

MAX_DOCUMENT = 200_000  # characters of normalised text; keeps PostgreSQL's tsvector under 1 MB


def document_text(subject: str, bodies: Iterable[str], contact_name: str, emails: Iterable[str]) -> str:
    """Subject, requester and messages, stemmed; a ticket with megabytes of pasted logs is
    searchable by its first ``MAX_DOCUMENT`` characters."""
    parts = [subject, contact_name, *emails, *bodies]
    text = normalise("\n".join(p for p in parts if p))
    return text[:MAX_DOCUMENT].rpartition(" ")[0] if len(text) > MAX_DOCUMENT else text


def reindex(ticket_ids: Iterable[int], *, new: bool = False) -> None:
    """Write these tickets' search documents (``new``: tickets just created, without one)."""
    ids = list(ticket_ids)
    if not ids:
        return
    tickets = (
        Ticket.objects.filter(id__in=ids).select_related("requester").only("id", "subject", "requester__name")
    )
    bodies: dict[int, list[str]] = {i: [] for i in ids}
    for ticket_id, text in (
        Message.objects.filter(ticket_id__in=ids)
        .exclude(kind=MessageKind.EVENT)
        .order_by("id")
        .values_list("ticket_id", "body_text")
    ):
        bodies[ticket_id].append(text)
    emails: dict[int, list[str]] = {}
    for contact_id, email in ContactEmail.objects.filter(
        contact_id__in={t.requester_id for t in tickets}
    ).values_list("contact_id", "email"):
        emails.setdefault(contact_id, []).append(email)
    docs = {
        t.id: document_text(t.subject, bodies[t.id], t.requester.name, emails.get(t.requester_id, []))
        for t in tickets
    }
    have = (
        set() if new else set(SearchDocument.objects.filter(ticket_id__in=ids).values_list("pk", flat=True))
    )
    for ticket_id in have:
        SearchDocument.objects.filter(ticket_id=ticket_id).update(document=docs[ticket_id])
    SearchDocument.objects.bulk_create(
        [SearchDocument(ticket_id=i, document=d) for i, d in docs.items() if i not in have]
    )
