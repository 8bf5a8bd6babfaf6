"""Story: support@ is an IMAP account on a server that supports IDLE (a real Dovecot). Carol's
mail becomes a ticket within seconds, without waiting for the minute's poll; when the
connection drops the worker signs in again and keeps listening; mailboxes the admin switches on
are watched and those switched off are let go; shutting the worker down does not hang.

The watcher only triggers the poll task (run at once in tests); fetching is ``imap.poll``'s."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from datetime import timedelta

import pytest
from django.db import OperationalError

from tests.email.dovecot import CuttingProxy, Dovecot
from tests.email.support import mail, make_mailbox
from tests.email.test_imap_receiver import account, deliver, new_user
from zabota.channels.email.models import Mailbox
from zabota.channels.email.receivers import imap, imap_idle
from zabota.core import clock
from zabota.tickets.models import Ticket

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(scope="module")
def server() -> Iterator[Dovecot]:
    dovecot = Dovecot().start()
    yield dovecot
    dovecot.stop()


@pytest.fixture(autouse=True)
def quick_retries(monkeypatch: pytest.MonkeyPatch) -> None:
    # A poll triggered right after another waits IDLE_GUARD (15 s) for the lease; tests don't.
    monkeypatch.setattr(imap, "IDLE_GUARD", 0)


def wait_for(condition: Callable[[], bool], seconds: float = 8.0) -> bool:
    """Look every 0.2 s. SQLite's shared in-memory test database locks a table that another
    thread is writing (and the watcher's poll retries if our read was in its way)."""

    def check() -> bool:
        try:
            return condition()
        except OperationalError:
            return False

    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.2)
    return check()


def change_mailbox(pk: int, **fields: object) -> None:
    """An admin's change while the watchers' polls run: on SQLite's shared in-memory test
    database a write can meet a table another thread is still reading; try again."""
    assert wait_for(lambda: Mailbox.objects.filter(pk=pk).update(**fields) == 1)


def subjects(mailbox: Mailbox | None = None) -> list[str]:
    tickets = Ticket.objects.all() if mailbox is None else Ticket.objects.filter(inbox_id=mailbox.inbox_id)
    return sorted(tickets.values_list("subject", flat=True))


def test_mail_arriving_while_the_watcher_idles_becomes_a_ticket_within_seconds(server: Dovecot) -> None:
    user = new_user()
    box = account(server, user)
    deliver(server, user, mail(subject="Sent before the worker started"))
    watcher = imap_idle.IdleWatcher(box.pk).start()
    try:
        # Mail that came while nobody listened is fetched at once too.
        assert wait_for(lambda: subjects() == ["Sent before the worker started"])
        assert wait_for(watcher.idling.is_set)

        deliver(server, user, mail(subject="Printer on fire"))
        started = time.monotonic()
        assert wait_for(lambda: "Printer on fire" in subjects(), seconds=5)
        assert time.monotonic() - started < 5

        deliver(server, user, mail(subject="And the scanner"))
        assert wait_for(lambda: "And the scanner" in subjects(), seconds=5)
    finally:
        watcher.stop()
    assert not watcher.is_alive()
    assert subjects() == ["And the scanner", "Printer on fire", "Sent before the worker started"]


def test_the_watcher_signs_in_again_after_the_server_drops_it(server: Dovecot) -> None:
    user = new_user()
    proxy = CuttingProxy(server.port, cut_on=None)
    watcher = None
    try:
        box = account(server, user, port=proxy.port)
        watcher = imap_idle.IdleWatcher(box.pk).start()
        assert wait_for(watcher.idling.is_set)

        # The line drops as the server announces the new message: the watcher never hears it.
        proxy.cut_on = b"EXISTS"
        deliver(server, user, mail(subject="Lost in the wire?"))
        assert wait_for(lambda: proxy.cuts >= 1)
        proxy.cut_on = None  # the network is back

        # It signs in again, finds the message waiting and has it fetched.
        assert wait_for(lambda: subjects() == ["Lost in the wire?"])
        assert wait_for(watcher.idling.is_set)

        # And it listens again.
        deliver(server, user, mail(subject="After the reconnect"))
        assert wait_for(lambda: "After the reconnect" in subjects(), seconds=5)
    finally:
        if watcher is not None:
            watcher.stop()
        proxy.close()
    assert subjects() == ["After the reconnect", "Lost in the wire?"]


def test_the_supervisor_watches_mailboxes_switched_on_and_lets_go_of_those_switched_off(
    server: Dovecot,
) -> None:
    support_user, sales_user = new_user(), new_user()
    support = account(server, support_user)
    sales = account(server, sales_user, address="sales@zabota.test", name="Sales")
    Mailbox.objects.filter(pk=sales.pk).update(imap_enabled=False)

    supervisor = imap_idle.IdleSupervisor(interval=0.2).start()
    try:
        assert wait_for(lambda: set(supervisor.watchers) == {support.pk})
        support_watcher = supervisor.watchers[support.pk]
        assert wait_for(support_watcher.idling.is_set)

        # The admin switches IMAP on for sales@: it is watched within the next round.
        change_mailbox(sales.pk, imap_enabled=True)
        assert wait_for(lambda: set(supervisor.watchers) == {support.pk, sales.pk})
        assert wait_for(supervisor.watchers[sales.pk].idling.is_set)
        deliver(server, sales_user, mail(subject="Quote please", to="sales@zabota.test"))
        assert wait_for(lambda: subjects(sales) == ["Quote please"], seconds=5)

        # support@ is switched off: its watcher ends and its mail waits on the server.
        change_mailbox(support.pk, is_active=False)
        assert wait_for(lambda: set(supervisor.watchers) == {sales.pk})
        assert wait_for(lambda: not support_watcher.is_alive())
        deliver(server, support_user, mail(subject="Nobody listens"))

        # Changed connection settings (another user name) mean a new connection.
        sales_watcher = supervisor.watchers[sales.pk]
        change_mailbox(sales.pk, imap_username=sales_user + "x")
        assert wait_for(lambda: supervisor.watchers.get(sales.pk) not in (None, sales_watcher))
        assert not sales_watcher.is_alive()
        assert wait_for(supervisor.watchers[sales.pk].idling.is_set)
    finally:
        started = time.monotonic()
        supervisor.stop()
        stopped_in = time.monotonic() - started

    assert stopped_in < 3
    assert not supervisor._thread.is_alive()
    assert all(not w.is_alive() for w in (support_watcher, sales_watcher))
    assert subjects(support) == []


def test_a_server_without_idle_is_left_to_the_poll(server: Dovecot, monkeypatch: pytest.MonkeyPatch) -> None:
    box = account(server, new_user())
    real = imap.IMAPClient.has_capability
    monkeypatch.setattr(imap.IMAPClient, "has_capability", lambda c, cap: cap != "IDLE" and real(c, cap))
    supervisor = imap_idle.IdleSupervisor(interval=3600)
    try:
        supervisor.reconcile()
        watcher = supervisor.watchers[box.pk]
        assert wait_for(lambda: not watcher.is_alive())
        assert watcher.unsupported
        supervisor.reconcile()  # not restarted while the settings stay the same
        assert supervisor.watchers[box.pk] is watcher
    finally:
        supervisor.stop()


def test_a_poll_triggered_by_idle_never_overlaps_one_that_is_running(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(imap, "IDLE_GUARD", 15)
    box = make_mailbox()
    Mailbox.objects.filter(pk=box.pk).update(imap_enabled=True, imap_host="imap.example.test")

    assert imap.claim(box.pk, soon=True)  # never checked: at once
    assert not imap.claim(box.pk, soon=True)  # a poll is running (or just ran)
    later = clock.now() + timedelta(seconds=16)
    assert imap.claim(box.pk, later, soon=True)  # new mail 16 s after the last poll: at once
    assert not imap.claim(box.pk, later + timedelta(seconds=30))  # the minute's poll still waits
