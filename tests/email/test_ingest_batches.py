"""Story: an import (or a mailbox's backlog) processes mail in batches: one transaction, the new
tickets opened together. Every message must come out exactly as it would alone: a ticket per
new message with its requester, copied followers, SLA clock and search entry; a reply to a
message earlier in the same batch on that message's ticket; one contact per new sender; one
bad message quarantined without taking its neighbours along; and a batch costs a few queries
per message, not a few dozen."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.email.support import mail, make_mailbox
from zabota.accounts.models import Agent, Team
from zabota.channels.email import ingest
from zabota.channels.email.models import InboundEmail
from zabota.core.errors import ValidationFailed
from zabota.customers.models import ContactEmail
from zabota.sla.models import TicketClock
from zabota.tickets.actions import create as create_module
from zabota.tickets.models import Activity, Follower, Inbox, Message, Ticket
from zabota.tickets.queries import search_tickets

pytestmark = pytest.mark.django_db(transaction=True)


def batch_of(raws: list[bytes]) -> list[ingest.Outcome]:
    return ingest.ingest_many([(raw, f"batch:{i}") for i, raw in enumerate(raws)])


def test_a_batch_opens_each_ticket_as_a_single_message_would(admin: Agent) -> None:
    box = make_mailbox()
    outcomes = batch_of(
        [
            mail(sender="Dana <dana@acme.test>", subject="Invoice wrong", body="Twice charged"),
            mail(
                sender="Erin <erin@beta.test>",
                subject="Cannot log in",
                body="Password reset never arrives",
                cc="frank@beta.test, support@zabota.test",
                attachments=[("screen.txt", b"error 42", "text/plain")],
            ),
        ]
    )
    assert [o.outcome for o in outcomes] == ["created", "created"]
    dana = Ticket.objects.get(number=outcomes[0].ticket)
    erin = Ticket.objects.get(number=outcomes[1].ticket)
    assert dana.inbox == box.inbox and dana.channel == "email" and dana.status == "new"
    assert dana.requester.name == "Dana" and erin.requester.name == "Erin"
    assert erin.messages.get().body_text == "Password reset never arrives"
    assert outcomes[1].attachments == ["screen.txt"]
    # Frank, copied, follows Erin's ticket; our own address is not a customer.
    followers = set(
        Follower.objects.filter(ticket=erin, contact__isnull=False).values_list(
            "contact__emails__email", flat=True
        )
    )
    assert followers == {"erin@beta.test", "frank@beta.test"}
    assert not ContactEmail.objects.filter(email="support@zabota.test").exists()
    assert Activity.objects.filter(ticket=erin, verb="contacts_copied").count() == 1
    # Numbers in order, clocks running, and both searchable.
    assert erin.number == dana.number + 1
    assert TicketClock.objects.filter(ticket__in=[dana, erin]).count() == 2
    assert [row["id"] for row in search_tickets(admin, "reset").items] == [erin.pk]
    assert InboundEmail.objects.filter(status="created").count() == 2


def test_a_reply_to_a_message_earlier_in_the_batch_lands_on_its_ticket() -> None:
    make_mailbox()
    outcomes = batch_of(
        [
            mail(message_id="<first@acme.test>", body="The printer is on fire."),
            mail(subject="Re: Printer is on fire", body="Now the desk too.", in_reply_to="<first@acme.test>"),
            mail(sender="gina@gamma.test", subject="Unrelated", body="Hi"),
        ]
    )
    assert [o.outcome for o in outcomes] == ["created", "threaded", "created"]
    assert outcomes[1].ticket == outcomes[0].ticket
    assert list(
        Message.objects.filter(ticket__number=outcomes[0].ticket)
        .order_by("id")
        .values_list("body_text", flat=True)
    ) == ["The printer is on fire.", "Now the desk too."]


def test_one_new_sender_writing_twice_in_a_batch_is_one_contact() -> None:
    make_mailbox()
    outcomes = batch_of(
        [mail(subject="One"), mail(subject="Two"), mail(sender="CAROL@ACME.TEST", subject="Three")]
    )
    assert [o.outcome for o in outcomes] == ["created"] * 3
    requesters = set(Ticket.objects.values_list("requester_id", flat=True))
    assert len(requesters) == 1
    assert ContactEmail.objects.filter(email__iexact="carol@acme.test").count() == 1


def test_the_same_message_twice_in_one_batch_is_one_ticket() -> None:
    make_mailbox()
    raw = mail(message_id="<twice@acme.test>")
    outcomes = batch_of([raw, raw])
    assert [o.outcome for o in outcomes] == ["created", "duplicate"]
    assert Ticket.objects.count() == 1


def test_a_message_that_fails_is_quarantined_alone(monkeypatch: pytest.MonkeyPatch) -> None:
    make_mailbox()
    real = create_module.create_tickets

    def refuse_the_poison(specs: Any) -> Any:
        if any(s.subject == "poison" for s in specs):
            raise RuntimeError("the database said no")
        return real(specs)

    monkeypatch.setattr(ingest, "create_tickets", refuse_the_poison)
    outcomes = batch_of(
        [
            mail(sender="a@acme.test", subject="fine one"),
            mail(sender="b@acme.test", subject="poison"),
            mail(sender="c@acme.test", subject="fine two"),
        ]
    )
    assert [o.outcome for o in outcomes] == ["created", "quarantined", "created"]
    assert "the database said no" in outcomes[1].reason
    bad = InboundEmail.objects.get(pk=outcomes[1].inbound_id)
    assert bad.status == "quarantined" and bad.raw.read()
    assert set(Ticket.objects.values_list("subject", flat=True)) == {"fine one", "fine two"}
    # Nothing half-written by the failed attempt: one contact per ticket's sender only.
    assert not ContactEmail.objects.filter(email="b@acme.test").exists()


def test_an_invalid_copied_address_quarantines_only_its_message() -> None:
    make_mailbox()
    outcomes = batch_of(
        [
            mail(sender="a@acme.test", subject="fine"),
            mail(sender="b@acme.test", subject="bad cc", cc='"x" <not an address@@acme.test>'),
        ]
    )
    assert outcomes[0].outcome == "created"
    assert outcomes[1].outcome in ("created", "quarantined")
    if outcomes[1].outcome == "quarantined":
        assert "refused" in outcomes[1].reason


def _queries_for(n: int, offset: int) -> int:
    raws = [
        mail(
            sender=f"sender{offset + i}@cust{offset + i}.test",
            subject=f"Question {offset + i}",
            body="Help me",
        )
        for i in range(n)
    ]
    with CaptureQueriesContext(connection) as ctx:
        outcomes = batch_of(raws)
    assert {o.outcome for o in outcomes} == {"created"}
    return len(ctx.captured_queries)


def test_a_batch_costs_the_same_queries_whatever_its_size(support_team: Team) -> None:
    box = make_mailbox()
    box.auto_ack_enabled = False  # acknowledgements are their own task's work (queries per mail sent)
    box.save()
    Inbox.objects.filter(pk=box.inbox_id).update(default_team=support_team)
    small = _queries_for(5, 0)
    large = _queries_for(25, 100)
    per_message = (large - small) / 20
    assert set(Ticket.objects.values_list("team_id", flat=True)) == {support_team.pk}
    # Alone, a new sender's message costs ~40 queries with its listeners. In a batch every
    # statement is the batch's (one insert of the rows, one look-up of the references, one
    # update of the outcomes ...): 25 new tickets cost what 5 do.
    assert per_message < 0.5, (small, large)


def test_a_refused_reply_is_quarantined_and_undone_while_the_batch_goes_on(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    make_mailbox()
    first = batch_of([mail(message_id="<orig@acme.test>", body="It broke.")])[0]
    real_reply = ingest.reply

    def refuse(**kwargs: Any) -> Any:
        real_reply(**kwargs)  # it writes the message, then the rules say no
        raise ValidationFailed("the message is empty", fields={"body": "required"})

    monkeypatch.setattr(ingest, "reply", refuse)
    outcomes = batch_of(
        [
            mail(sender="new@beta.test", subject="A new question"),
            mail(subject="Re: Printer is on fire", body="more", in_reply_to="<orig@acme.test>"),
            mail(sender="other@gamma.test", subject="Another question"),
        ]
    )
    assert [o.outcome for o in outcomes] == ["created", "quarantined", "created"]
    assert outcomes[1].reason.startswith("refused:")
    # What the refused reply wrote is gone; its neighbours are in.
    assert Message.objects.filter(ticket__number=first.ticket).count() == 1
    assert Ticket.objects.count() == 3


def test_an_unexpected_failure_redoes_the_batch_one_message_at_a_time(
    monkeypatch: pytest.MonkeyPatch, admin: Agent
) -> None:
    make_mailbox()
    real_find = ingest.thread.find

    def broken_for_one(parsed: Any, inbox: Any, **kwargs: Any) -> Any:
        if parsed.subject == "breaks":
            raise RuntimeError("disk on fire")
        return real_find(parsed, inbox, **kwargs)

    monkeypatch.setattr(ingest.thread, "find", broken_for_one)
    outcomes = batch_of(
        [
            mail(sender="a@acme.test", subject="fine one"),
            mail(sender="b@acme.test", subject="breaks"),
            mail(sender="c@acme.test", subject="fine two"),
        ]
    )
    assert [o.outcome for o in outcomes] == ["created", "quarantined", "created"]
    assert "disk on fire" in outcomes[1].reason
    # Nothing was written twice by the first, abandoned attempt at the batch.
    assert sorted(Ticket.objects.values_list("subject", flat=True)) == ["fine one", "fine two"]
    assert ContactEmail.objects.filter(email="a@acme.test").count() == 1
    assert InboundEmail.objects.filter(status="created").count() == 2
    # Once the fault is gone, an admin re-processes it.
    monkeypatch.undo()
    assert ingest.reprocess(actor=admin, inbound_id=outcomes[1].inbound_id).outcome == "created"


def test_a_reply_with_a_long_references_chain_threads_onto_the_ticket_opened_earlier_in_the_batch() -> None:
    make_mailbox()
    # A long thread elsewhere (a mailing list), then carol's message opening a ticket; her
    # colleague's client sends no In-Reply-To, only References (oldest first, hers last).
    older = " ".join(f"<old{i}@list.test>" for i in range(120))
    raws = [
        mail(message_id="<first@acme.test>", body="The printer is on fire."),
        mail(
            subject="Re: Printer is on fire",
            body="Now the desk too.",
            references=f"{older} <first@acme.test>",
        ),
    ]
    alone = [ingest.ingest(raw, source=f"a:{i}") for i, raw in enumerate(raws)]
    assert [o.outcome for o in alone] == ["created", "threaded"]  # one at a time: threaded

    make_mailbox(address="help@zabota.test", name="Help")
    raws = [
        mail(to="help@zabota.test", message_id="<second@acme.test>", body="The printer is on fire."),
        mail(
            to="help@zabota.test",
            subject="Re: Printer is on fire",
            body="Now the desk too.",
            references=f"{older} <second@acme.test>",
        ),
    ]
    together = ingest.ingest_many([(raw, f"b:{i}") for i, raw in enumerate(raws)])
    assert [o.outcome for o in together] == ["created", "threaded"]
    assert together[1].ticket == together[0].ticket
