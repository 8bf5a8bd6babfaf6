"""Story: the MTA delivers carol's mail to Zabota's LMTP port. It hears 250 for a recipient only
once the message is stored (and, here with an immediate queue, a ticket is open); 550 at RCPT
for an address that is not ours; 451 when storing fails, so it keeps the message and tries again
later, which then makes exactly one ticket. One delivery to two of our addresses makes one ticket
in each inbox. A real aiosmtpd server on a loopback port, spoken to with smtplib.LMTP."""

from __future__ import annotations

import smtplib
import socket
from collections.abc import Iterator

import pytest

from tests.email.support import mail, make_mailbox
from zabota.channels.email import tokens
from zabota.channels.email.models import InboundEmail
from zabota.channels.email.receivers import lmtp as lmtp_module
from zabota.channels.email.receivers.lmtp import LmtpReceiver
from zabota.tickets.models import Ticket

pytestmark = pytest.mark.django_db(transaction=True)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def lmtp() -> Iterator[smtplib.LMTP]:
    receiver = LmtpReceiver("127.0.0.1", _free_port())
    receiver.start()
    client = smtplib.LMTP("127.0.0.1", receiver.port, timeout=10)
    try:
        client.ehlo()  # smtplib.LMTP sends LHLO
        yield client
    finally:
        try:
            client.quit()
        except smtplib.SMTPException:
            pass
        receiver.stop()


def _deliver(client: smtplib.LMTP, rcpts: list[str], raw: bytes) -> list[tuple[int, bytes]]:
    """MAIL, RCPT for each recipient, DATA; then one reply per accepted recipient (LMTP)."""
    assert client.mail("carol@acme.test")[0] == 250
    accepted = [r for r in rcpts if client.rcpt(r)[0] == 250]
    if not accepted:
        client.rset()
        return []
    replies = [client.data(raw)]
    replies += [client.getreply() for _ in accepted[1:]]
    return replies


def test_250_comes_after_the_message_is_stored_and_its_ticket_opens(lmtp: smtplib.LMTP) -> None:
    box = make_mailbox()
    [(code, text)] = _deliver(lmtp, ["support@zabota.test"], mail(message_id="<lmtp1@acme.test>"))
    assert code == 250, text
    row = InboundEmail.objects.get(mail_id="lmtp1@acme.test")
    assert f"#{row.pk}".encode() in text
    assert row.source == "lmtp" and row.inbox == box.inbox
    assert row.status == "created"
    ticket = row.ticket
    assert ticket is not None
    assert ticket.subject == "Printer is on fire" and ticket.inbox == box.inbox
    # The same message again (the MTA retried after a lost connection) is one ticket.
    [(code, text)] = _deliver(lmtp, ["support@zabota.test"], mail(message_id="<lmtp1@acme.test>"))
    assert code == 250 and b"already received" in text
    assert Ticket.objects.count() == 1


def test_an_address_that_is_not_ours_is_refused_at_rcpt(lmtp: smtplib.LMTP) -> None:
    make_mailbox()
    assert lmtp.mail("carol@acme.test")[0] == 250
    code, text = lmtp.rcpt("nobody@zabota.test")
    assert code == 550 and b"nobody@zabota.test" in text
    # A reply address of one of our mailboxes is ours.
    assert lmtp.rcpt(tokens.reply_address("support@zabota.test", 7))[0] == 250
    lmtp.rset()
    assert not InboundEmail.objects.exists()


def test_a_storage_failure_answers_451_and_the_retry_makes_one_ticket(
    lmtp: smtplib.LMTP, monkeypatch: pytest.MonkeyPatch
) -> None:
    make_mailbox()
    raw = mail(message_id="<disk-full@acme.test>")

    def broken(*args: object, **kwargs: object) -> None:
        raise OSError("No space left on device")

    real = lmtp_module.ingest.receive
    monkeypatch.setattr(lmtp_module.ingest, "receive", broken)
    [(code, text)] = _deliver(lmtp, ["support@zabota.test"], raw)
    assert code == 451, text
    assert not InboundEmail.objects.exists() and not Ticket.objects.exists()

    monkeypatch.setattr(lmtp_module.ingest, "receive", real)
    [(code, _)] = _deliver(lmtp, ["support@zabota.test"], raw)
    assert code == 250
    assert Ticket.objects.count() == 1


def test_one_delivery_to_two_of_our_addresses_makes_one_ticket_in_each_inbox(lmtp: smtplib.LMTP) -> None:
    support = make_mailbox()
    sales = make_mailbox("sales@zabota.test", "Sales")
    raw = mail(to="support@zabota.test, sales@zabota.test", message_id="<both@acme.test>")
    replies = _deliver(lmtp, ["support@zabota.test", "stranger@zabota.test", "sales@zabota.test"], raw)
    assert [code for code, _ in replies] == [250, 250]
    tickets = Ticket.objects.order_by("inbox__name")
    assert [t.inbox for t in tickets] == [sales.inbox, support.inbox]
    rows = InboundEmail.objects.order_by("id")
    assert [r.status for r in rows] == ["created", "created"]
    # Each stored copy says to whom it was delivered, as a local delivery agent writes it.
    with rows[0].raw.open("rb") as f:
        assert f.read().startswith(b"Return-Path: <carol@acme.test>\r\nDelivered-To: support@zabota.test\r\n")
