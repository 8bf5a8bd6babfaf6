"""IMAP IDLE: hear about new mail the moment it arrives, and let the poll task fetch it.

IDLE only *triggers*: every message is still fetched by ``tasks.poll_mailbox`` (``imap.poll``),
so the guarantees of ``imap.py`` (nothing lost, nothing doubled, flagged only once committed)
stay in one place. One ``IdleWatcher`` thread per active IMAP mailbox:

1. signs in with ``imap.connect`` (the mailbox's security and password, as a poll does); a server
   that does not advertise IDLE is left to the periodic poll (the watcher ends, and is not
   restarted until the mailbox's connection settings change);
2. selects the folder read-only (the watcher never changes anything on the server) and checks
   for mail above ``ImapFolderState.last_uid`` (mail that came while nobody was listening);
3. enters IDLE; on ``EXISTS``/``RECENT`` leaves it, checks again and, when there is mail the
   poll has not taken, enqueues ``poll_mailbox(id, soon=True)``. While such mail remains (the
   poll did not get the lease, or failed) it re-checks and re-enqueues after 1, 2, 4 ... seconds,
   up to the poll interval. IDLE is re-issued every ``RENEW_SECONDS`` (RFC 2177: at most 29
   minutes);
4. on any error or a dropped connection, signs in again after 1, 2, 4 ... up to 60 seconds.

``IdleSupervisor`` starts and stops the watchers: every ``RECONCILE_SECONDS`` it compares them
with the Mailbox table (added, removed, deactivated, IMAP switched off, connection settings
changed). It runs wherever the Huey consumer runs (``zabota worker``, and ``zabota run`` unless
``--no-worker``), unless ``ZABOTA_IMAP_IDLE`` is off. Several worker processes each watching is
harmless: their polls share the mailbox's lease.

Every thread closes its database connection after each use: a watcher idles for minutes.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass

from django.conf import settings
from django.db import close_old_connections, connection
from imapclient import IMAPClient

from zabota.channels.email.models import ImapFolderState, Mailbox
from zabota.channels.email.receivers import imap

logger = logging.getLogger(__name__)

RENEW_SECONDS = 25 * 60  # re-issue IDLE this often (RFC 2177: servers may drop it after 29 min)
TICK = 1.0  # seconds between looks at the stop flag while idling
RETRY_MIN, RETRY_MAX = 1.0, 60.0  # reconnect backoff, seconds
RECHECK_MIN = 1.0  # first re-check of mail still waiting after a trigger, seconds
RECONCILE_SECONDS = 60.0


def _release_db() -> None:
    close_old_connections()
    connection.close()


Key = tuple[str, int, str, str, str, str]


def _key(mailbox: Mailbox) -> Key:
    """What the watcher's connection depends on: a change means a new connection."""
    return (
        mailbox.imap_host,
        mailbox.imap_port,
        mailbox.imap_security,
        mailbox.imap_username,
        mailbox.imap_password,
        mailbox.imap_folder or "INBOX",
    )


def watched() -> dict[int, Key]:
    """The mailboxes that should have a watcher, with their connection settings."""
    return {m.pk: _key(m) for m in Mailbox.objects.filter(imap._pollable()).order_by("id")}


@dataclass
class _Pending:
    next_check: float | None = None  # monotonic time of the next look for waiting mail
    delay: float = RECHECK_MIN


class IdleWatcher:
    """One mailbox's IDLE connection, in its own daemon thread."""

    def __init__(self, mailbox_id: int, key: Key | None = None) -> None:
        self.mailbox_id = mailbox_id
        self.key = key
        self.unsupported = False  # the server does not offer IDLE: the watcher has ended
        self.triggers = 0  # polls enqueued
        self.idling = threading.Event()  # set while in IDLE (tests wait on it)
        self._stop = threading.Event()
        self._pending = _Pending()
        self._thread = threading.Thread(target=self._run, name=f"imap-idle-{mailbox_id}", daemon=True)

    def start(self) -> IdleWatcher:
        self._thread.start()
        return self

    def signal_stop(self) -> None:
        self._stop.set()

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        self._thread.join(timeout)

    def join(self, timeout: float = 5.0) -> None:
        self._thread.join(timeout)

    def is_alive(self) -> bool:
        return self._thread.is_alive()

    # --- the thread -------------------------------------------------------------------------

    def _run(self) -> None:
        backoff = RETRY_MIN
        while not self._stop.is_set():
            reached_idle = False
            try:
                reached_idle = self._session()
            except Exception as exc:
                logger.warning("IMAP IDLE of mailbox %s: %s", self.mailbox_id, imap._describe(exc))
            finally:
                self.idling.clear()
                _release_db()
            if self.unsupported or self._stop.is_set():
                return
            if reached_idle:
                backoff = RETRY_MIN
            if self._stop.wait(backoff):
                return
            backoff = min(backoff * 2, RETRY_MAX)

    def _session(self) -> bool:
        """One connection, until it fails or the watcher stops. True once IDLE was entered."""
        mailbox = Mailbox.objects.filter(imap._pollable(), pk=self.mailbox_id).first()
        _release_db()
        if mailbox is None:
            return False
        folder = mailbox.imap_folder or "INBOX"
        client = imap.connect(mailbox)
        reached_idle = False
        try:
            if not client.has_capability("IDLE"):
                self.unsupported = True
                logger.info("IMAP server of %s has no IDLE: polling only", mailbox.address)
                return False
            info = client.select_folder(folder, readonly=True)
            uidvalidity = int(info[b"UIDVALIDITY"])
            self._pending = _Pending(next_check=time.monotonic())
            while not self._stop.is_set():
                self._check(client, folder, uidvalidity)
                if self._stop.is_set():
                    break
                client.idle()
                reached_idle = True
                self.idling.set()
                self._idle(client)
                self.idling.clear()
                client.idle_done()  # raises when the connection is gone
        finally:
            imap._close(client)
        return reached_idle

    def _idle(self, client: IMAPClient) -> None:
        """Wait in IDLE until new mail, a due re-check, the renewal time, or stop."""
        renew_at = time.monotonic() + RENEW_SECONDS
        while not self._stop.is_set():
            now = time.monotonic()
            due = self._pending.next_check
            if now >= renew_at or (due is not None and now >= due):
                return
            started = time.monotonic()
            responses = client.idle_check(timeout=TICK)
            if any(isinstance(r, tuple) and len(r) > 1 and r[1] in (b"EXISTS", b"RECENT") for r in responses):
                self._pending.next_check = time.monotonic()
                return
            if not responses and time.monotonic() - started < TICK / 2:
                # Readable but nothing to read: the server closed the connection (imapclient
                # swallows the EOF here); leaving IDLE raises it.
                return

    def _check(self, client: IMAPClient, folder: str, uidvalidity: int) -> None:
        """Enqueue a poll if the folder holds mail the poll has not committed yet."""
        pending = self._pending
        if pending.next_check is None or time.monotonic() < pending.next_check:
            return
        state = (
            ImapFolderState.objects.filter(mailbox_id=self.mailbox_id, folder=folder)
            .values_list("uidvalidity", "last_uid")
            .first()
        )
        _release_db()
        last = state[1] if state is not None and state[0] == uidvalidity else 0
        waiting = [u for u in client.search(["UID", f"{last + 1}:*"]) if u > last]
        if not waiting:
            self._pending = _Pending()
            return
        from zabota.channels.email.tasks import poll_mailbox

        self.triggers += 1
        try:
            poll_mailbox(self.mailbox_id, soon=True)  # in tests (immediate) it runs right here
        finally:
            _release_db()
        pending.next_check = time.monotonic() + pending.delay
        pending.delay = min(pending.delay * 2, float(settings.EMAIL_IMAP_POLL_SECONDS))


class IdleSupervisor:
    """Keeps one ``IdleWatcher`` per active IMAP mailbox, reconciled every ``interval`` s."""

    def __init__(self, interval: float = RECONCILE_SECONDS) -> None:
        self.interval = interval
        self.watchers: dict[int, IdleWatcher] = {}
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="imap-idle-supervisor", daemon=True)

    def start(self) -> IdleSupervisor:
        self._thread.start()
        return self

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self.reconcile()
            except Exception:
                logger.exception("IMAP IDLE supervisor: reconciling the watchers failed")
            finally:
                _release_db()
            self._stop.wait(self.interval)

    def reconcile(self) -> None:
        """Start, restart or stop watchers to match the Mailbox table."""
        with self._lock:
            if self._stop.is_set():
                return
            try:
                wanted = watched()
            finally:
                _release_db()
            stopping: list[IdleWatcher] = []
            for pk, watcher in list(self.watchers.items()):
                if wanted.get(pk) != watcher.key:
                    stopping.append(self.watchers.pop(pk))
                elif not watcher.is_alive() and not watcher.unsupported:
                    del self.watchers[pk]  # it died (it should not): start it again
            for watcher in stopping:
                watcher.signal_stop()
            deadline = time.monotonic() + 5.0
            for watcher in stopping:  # before their replacements sign in
                watcher.join(max(0.0, deadline - time.monotonic()))
            for pk, key in wanted.items():
                if pk not in self.watchers:
                    self.watchers[pk] = IdleWatcher(pk, key).start()

    def stop(self, timeout: float = 5.0) -> None:
        """Stop the supervisor and every watcher, waiting at most about ``timeout`` seconds."""
        self._stop.set()
        deadline = time.monotonic() + timeout
        if self._thread.is_alive():
            self._thread.join(timeout)
        with self._lock:
            watchers = list(self.watchers.values())
            self.watchers.clear()
        for watcher in watchers:
            watcher.signal_stop()
        for watcher in watchers:
            watcher.join(max(0.0, deadline - time.monotonic()))


def start_supervisor() -> IdleSupervisor | None:
    """Start the watchers, unless ``ZABOTA_IMAP_IDLE`` is off (then polling alone)."""
    if not settings.EMAIL_IMAP_IDLE:
        return None
    return IdleSupervisor().start()
