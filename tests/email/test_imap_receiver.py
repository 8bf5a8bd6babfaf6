"""Story: support@ is an IMAP account on a real Dovecot. Carol's mail in it becomes tickets,
whether or not someone already read it in their mail client; a message is flagged read (or
moved to the archive) only once its ticket is committed. The folder being rebuilt on the server
(a new UIDVALIDITY), the connection dropping mid-fetch, processing failing halfway, or a message
too big to take in loses nothing and doubles nothing. A mailbox with a wrong password does not
stop the others, and the settings page's "test connection" says what is wrong.

Dovecot runs as a private process on a loopback port (``tests/email/dovecot.py``); every test
signs in as a fresh user, so every test starts with an empty mail store."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
from imapclient import SEEN, IMAPClient

from tests.email.dovecot import PASSWORD, CuttingProxy, Dovecot
from tests.email.support import mail, make_mailbox
from zabota.channels.email import credentials, ingest, parse, tasks
from zabota.channels.email.models import ImapFolderState, InboundEmail, InboundStatus, Mailbox, Security
from zabota.channels.email.receivers import imap
from zabota.tickets.models import Ticket

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(scope="module")
def dovecot() -> Iterator[Dovecot]:
    server = Dovecot().start()
    yield server
    server.stop()


def new_user() -> str:
    return f"u{uuid.uuid4().hex[:10]}"


def account(
    dovecot: Dovecot,
    user: str,
    *,
    address: str = "support@zabota.test",
    name: str = "Support",
    folder: str = "INBOX",
    archive: str = "",
    password: str = PASSWORD,
    port: int | None = None,
) -> Mailbox:
    box = make_mailbox(address, name)
    Mailbox.objects.filter(pk=box.pk).update(
        imap_enabled=True,
        imap_host=dovecot.host,
        imap_port=port or dovecot.port,
        imap_security=Security.NONE,
        imap_username=user,
        imap_password=credentials.seal(password),
        imap_folder=folder,
        imap_archive_folder=archive,
    )
    return Mailbox.objects.get(pk=box.pk)


def client(dovecot: Dovecot, user: str) -> IMAPClient:
    c = IMAPClient(dovecot.host, port=dovecot.port, ssl=False, timeout=10)
    c.login(user, PASSWORD)
    return c


def deliver(dovecot: Dovecot, user: str, *messages: bytes, folder: str = "INBOX", seen: bool = False) -> None:
    c = client(dovecot, user)
    try:
        if not c.folder_exists(folder):
            c.create_folder(folder)
        for raw in messages:
            c.append(folder, raw, flags=[SEEN] if seen else [])
    finally:
        c.logout()


def server_flags(dovecot: Dovecot, user: str, folder: str = "INBOX") -> dict[str, bool]:
    """Subject -> is it flagged \\Seen on the server."""
    c = client(dovecot, user)
    try:
        c.select_folder(folder, readonly=True)
        uids = c.search(["ALL"])
        found = c.fetch(uids, ["FLAGS", "BODY.PEEK[HEADER.FIELDS (SUBJECT)]"]) if uids else {}
    finally:
        c.logout()
    out = {}
    for data in found.values():
        header = data[b"BODY[HEADER.FIELDS (SUBJECT)]"].decode().strip()
        out[header.removeprefix("Subject: ")] = SEEN in data[b"FLAGS"]
    return out


def subjects() -> list[str]:
    return sorted(Ticket.objects.values_list("subject", flat=True))


def test_new_mail_becomes_tickets_and_mail_read_elsewhere_is_fetched_too(dovecot: Dovecot) -> None:
    user = new_user()
    box = account(dovecot, user)
    deliver(dovecot, user, mail(subject="Printer on fire"))
    deliver(dovecot, user, mail(subject="Already read in Thunderbird"), seen=True)
    assert server_flags(dovecot, user) == {"Printer on fire": False, "Already read in Thunderbird": True}

    result = imap.poll(box.pk)

    assert (result.fetched, result.error) == (2, "")
    assert subjects() == ["Already read in Thunderbird", "Printer on fire"]
    assert all(t.inbox_id == box.inbox_id for t in Ticket.objects.all())
    assert server_flags(dovecot, user) == {"Printer on fire": True, "Already read in Thunderbird": True}
    state = ImapFolderState.objects.get(mailbox=box, folder="INBOX")
    assert state.last_uid == 2
    assert (
        InboundEmail.objects.get(subject="Printer on fire").source
        == f"imap:{box.pk}/INBOX/{state.uidvalidity}/1"
    )
    box.refresh_from_db()
    assert box.last_checked_at is not None and box.last_error == ""

    # Nothing new: the next poll fetches nothing and opens nothing.
    assert imap.poll(box.pk).fetched == 0
    deliver(dovecot, user, mail(subject="One more thing"))
    assert imap.poll(box.pk).fetched == 1
    assert Ticket.objects.count() == 3


def test_with_an_archive_folder_processed_mail_is_moved_there(dovecot: Dovecot) -> None:
    user = new_user()
    box = account(dovecot, user, archive="Done")
    deliver(dovecot, user, mail(subject="Move me"))

    assert imap.poll(box.pk).fetched == 1

    assert subjects() == ["Move me"]
    assert server_flags(dovecot, user, "INBOX") == {}
    assert server_flags(dovecot, user, "Done") == {"Move me": False}


def test_a_failure_while_processing_marks_nothing_and_the_next_poll_delivers(
    dovecot: Dovecot, monkeypatch: pytest.MonkeyPatch
) -> None:
    user = new_user()
    box = account(dovecot, user)
    deliver(dovecot, user, mail(subject="First"), mail(subject="Second"))

    def database_went_away(inbound_id: int) -> ingest.Outcome:
        raise RuntimeError("database went away")

    with monkeypatch.context() as m:
        m.setattr(ingest, "process", database_went_away)
        result = imap.poll(box.pk)

    assert "database went away" in result.error
    assert Ticket.objects.count() == 0
    assert server_flags(dovecot, user) == {"First": False, "Second": False}
    assert ImapFolderState.objects.get(mailbox=box).last_uid == 0
    box.refresh_from_db()
    assert "database went away" in box.last_error

    result = imap.poll(box.pk)

    assert (result.fetched, result.error) == (2, "")
    assert subjects() == ["First", "Second"]
    assert InboundEmail.objects.count() == 2
    assert server_flags(dovecot, user) == {"First": True, "Second": True}
    box.refresh_from_db()
    assert box.last_error == ""


def test_a_rebuilt_folder_with_a_new_uidvalidity_is_fetched_again_without_duplicates(
    dovecot: Dovecot,
) -> None:
    user = new_user()
    box = account(dovecot, user, folder="Support")
    a = mail(subject="Alpha", message_id="<alpha@acme.test>")
    b = mail(subject="Beta", message_id="<beta@acme.test>")
    deliver(dovecot, user, a, b, folder="Support")
    assert imap.poll(box.pk).fetched == 2
    before = ImapFolderState.objects.get(mailbox=box)

    # The server's folder is rebuilt: same messages, new UIDs and UIDVALIDITY, and one new one.
    c = client(dovecot, user)
    c.delete_folder("Support")
    c.logout()
    deliver(dovecot, user, a, b, mail(subject="Gamma"), folder="Support")

    result = imap.poll(box.pk)

    after = ImapFolderState.objects.get(mailbox=box)
    assert after.uidvalidity != before.uidvalidity
    assert (result.fetched, after.last_uid) == (3, 3)
    assert subjects() == ["Alpha", "Beta", "Gamma"]
    assert InboundEmail.objects.count() == 3
    assert server_flags(dovecot, user, "Support") == {"Alpha": True, "Beta": True, "Gamma": True}


def test_the_connection_dropping_mid_fetch_loses_and_doubles_nothing(dovecot: Dovecot) -> None:
    user = new_user()
    deliver(
        dovecot,
        user,
        mail(subject="One"),
        mail(subject="Two", body="the line drops while this comes down: CUT-THE-WIRE"),
        mail(subject="Three"),
    )
    proxy = CuttingProxy(dovecot.port, cut_on=b"CUT-THE-WIRE")
    try:
        box = account(dovecot, user, port=proxy.port)
        result = imap.poll(box.pk)
        assert proxy.cuts == 1 and result.error
        assert subjects() == ["One"]
        assert server_flags(dovecot, user) == {"One": True, "Two": False, "Three": False}
        box.refresh_from_db()
        assert box.last_error

        proxy.cut_on = None  # the network is back
        result = imap.poll(box.pk)
    finally:
        proxy.close()

    assert (result.fetched, result.error) == (2, "")
    assert subjects() == ["One", "Three", "Two"]
    assert InboundEmail.objects.count() == 3
    assert server_flags(dovecot, user) == {"One": True, "Two": True, "Three": True}


def test_the_connection_dropping_after_commit_before_the_flag_doubles_nothing(dovecot: Dovecot) -> None:
    user = new_user()
    deliver(dovecot, user, mail(subject="One"), mail(subject="Two"))
    proxy = CuttingProxy(dovecot.port, cut_on=b"UID STORE")  # the receiver flagging a message
    try:
        box = account(dovecot, user, port=proxy.port)
        first = imap.poll(box.pk)
        assert proxy.cuts == 1 and first.error
        # The first message's ticket is committed, but the server never learnt it.
        assert subjects() == ["One"]
        assert server_flags(dovecot, user) == {"One": False, "Two": False}

        proxy.cut_on = None
        second = imap.poll(box.pk)
    finally:
        proxy.close()

    assert (second.fetched, second.error) == (2, "")
    assert subjects() == ["One", "Two"]
    assert InboundEmail.objects.count() == 2
    assert server_flags(dovecot, user) == {"One": True, "Two": True}


def test_an_oversize_message_is_quarantined_and_left_on_the_server(
    dovecot: Dovecot, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(parse, "MAX_BYTES", 4000)
    user = new_user()
    box = account(dovecot, user)
    deliver(dovecot, user, mail(subject="Huge", body="x" * 20_000), mail(subject="Small"))

    result = imap.poll(box.pk)

    assert (result.fetched, result.error) == (2, "")
    huge = InboundEmail.objects.get(status=InboundStatus.QUARANTINED)
    assert "over the 4000-byte limit" in huge.reason
    assert huge.size == 4001  # only the first bytes were downloaded
    assert "the whole message stays on the server" in huge.source
    assert subjects() == ["Small"]
    assert server_flags(dovecot, user) == {"Huge": False, "Small": True}
    assert ImapFolderState.objects.get(mailbox=box).last_uid == 2
    assert imap.poll(box.pk).fetched == 0


def test_a_mailbox_with_a_wrong_password_does_not_stop_the_others(dovecot: Dovecot) -> None:
    good_user, bad_user = new_user(), new_user()
    bad = account(dovecot, bad_user, password="wrong")
    good = account(dovecot, good_user, address="sales@zabota.test", name="Sales")
    deliver(dovecot, bad_user, mail(subject="Stuck for now"))
    deliver(dovecot, good_user, mail(subject="Buy", to="sales@zabota.test"))

    assert tasks.queue_imap_polls() == 2  # one task per mailbox (run at once in tests)

    assert subjects() == ["Buy"]
    bad.refresh_from_db()
    good.refresh_from_db()
    assert "LoginError" in bad.last_error and bad.last_checked_at is not None
    assert good.last_error == "" and good.last_checked_at is not None

    # Both were just checked: the next minute's run enqueues nothing, and a stray task for a
    # mailbox another worker holds does nothing.
    assert tasks.queue_imap_polls() == 0
    assert tasks.poll_mailbox.call_local(good.pk) is None

    # The admin fixes the password; once the interval has passed, the mail comes in.
    Mailbox.objects.filter(pk=bad.pk).update(imap_password=credentials.seal(PASSWORD), last_checked_at=None)
    assert tasks.queue_imap_polls() == 1
    assert subjects() == ["Buy", "Stuck for now"]


def test_a_poll_that_runs_out_of_time_hands_over_to_its_continuation(
    dovecot: Dovecot, monkeypatch: pytest.MonkeyPatch
) -> None:
    user = new_user()
    box = account(dovecot, user)
    deliver(dovecot, user, mail(subject="One"), mail(subject="Two"), mail(subject="Three"))
    monkeypatch.setattr(imap, "TIME_BUDGET", 0.0)  # every poll stops after one message
    polls: list[imap.PollResult] = []
    real_poll = imap.poll

    def counting_poll(mailbox_id: int) -> imap.PollResult:
        polls.append(real_poll(mailbox_id))
        return polls[-1]

    monkeypatch.setattr(imap, "poll", counting_poll)

    tasks.poll_mailbox(box.pk)  # runs at once in tests, and so do its continuations

    assert [(p.fetched, p.more) for p in polls] == [(1, True), (1, True), (1, False)]
    assert subjects() == ["One", "Three", "Two"]
    # A continuation that comes too late, after another poll took the mailbox, does nothing.
    assert tasks.poll_mailbox.call_local(box.pk, polls[0].finished_at) is None


def test_inactive_and_non_imap_mailboxes_are_not_polled(dovecot: Dovecot) -> None:
    box = account(dovecot, new_user())
    Mailbox.objects.filter(pk=box.pk).update(is_active=False)
    assert imap.due_mailbox_ids() == []
    Mailbox.objects.filter(pk=box.pk).update(is_active=True, imap_enabled=False)
    assert imap.due_mailbox_ids() == []
    assert not imap.claim(box.pk)


def test_test_connection_reports_the_message_count_or_what_failed(dovecot: Dovecot) -> None:
    user = new_user()
    box = account(dovecot, user)
    deliver(dovecot, user, mail(subject="a"), mail(subject="b"))

    assert imap.check_imap(box) == (True, f"Signed in as {user}; the folder INBOX holds 2 messages.")

    box.imap_password = credentials.seal("wrong")
    ok, message = imap.check_imap(box)
    assert not ok and message.startswith("Could not connect:") and "failed" in message.lower()

    box.imap_password = credentials.seal(PASSWORD)
    box.imap_folder = "Nowhere"
    ok, message = imap.check_imap(box)
    assert not ok and "Could not connect" in message

    box.imap_folder = "INBOX"
    box.imap_security = Security.STARTTLS  # this test server offers no TLS
    ok, message = imap.check_imap(box)
    assert not ok

    box.imap_host = ""
    assert imap.check_imap(box) == (False, "No IMAP server is set.")
    assert InboundEmail.objects.count() == 0
