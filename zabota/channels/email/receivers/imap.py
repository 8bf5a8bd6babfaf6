"""The IMAP receiver: fetch each mailbox's folder and hand every message to ``ingest``.

One poll of one mailbox (``poll``), run as its own Huey task (``tasks.poll_mailbox``) so a slow
or broken mailbox never delays another:

1. connect (SSL/TLS, STARTTLS or plain, as the mailbox says) and sign in with the revealed
   password; select the folder;
2. read the folder's UIDVALIDITY. ``ImapFolderState`` keeps the UIDVALIDITY and the highest UID
   whose message is committed; when the server's UIDVALIDITY differs (the folder was rebuilt or
   recreated) the last UID goes back to 0 and the whole folder is fetched again. Nothing
   doubles: ``ingest.receive`` deduplicates per inbox by Message-ID;
3. fetch every message with a UID above the last one, ``\\Seen`` or not, one at a time with
   ``BODY.PEEK[]`` (fetching never marks a message read);
4. for each, in UID order: ``ingest.receive`` then ``ingest.process`` (both commit); only then
   flag it ``\\Seen`` (or MOVE it to the archive folder) and advance the last UID. A connection
   dropped anywhere, or a failure while processing, stops the poll: the next one starts again
   from the last committed UID, and whatever was stored but not yet marked is deduplicated.

Memory stays bounded: sizes are fetched first (``RFC822.SIZE``), bodies one message at a time.
A message over ``parse.MAX_BYTES`` is fetched only up to ``MAX_BYTES + 1`` bytes (a partial
fetch) and stored: ingest quarantines it as over-size with its headers readable; the complete
message is left on the server, unflagged and unmoved, for a person to deal with.

The periodic job in ``config/tasks.py`` runs every minute and enqueues a poll for each mailbox
not checked for ``ZABOTA_IMAP_POLL_SECONDS`` (so at most once a minute). Where the server
supports IDLE, ``imap_idle`` also enqueues a poll the moment new mail arrives (``soon=True``).
Two workers never poll one mailbox at once: a poll starts by claiming the mailbox with a
conditional UPDATE of ``last_checked_at`` (the lease), refreshed after every message; a poll
stops after ``TIME_BUDGET`` seconds, well inside the lease, and its task enqueues the
continuation at once (which takes the lease only if nothing touched the mailbox meanwhile).
A poll triggered by IDLE takes the lease once the mailbox has not been touched for
``IDLE_GUARD`` seconds (a running poll renews it after every message); should one message take
longer than that, two polls overlap harmlessly: ``ingest.receive`` deduplicates.

This module is the only writer of ``Mailbox.last_checked_at``/``last_error`` and of
``ImapFolderState``.
"""

from __future__ import annotations

import logging
import ssl
import time
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Q
from django.utils.translation import gettext, ngettext
from imapclient import DELETED, SEEN, IMAPClient

from zabota.channels.email import credentials, ingest, parse
from zabota.channels.email.models import ImapFolderState, Mailbox, Security
from zabota.core import clock

logger = logging.getLogger(__name__)

TIMEOUT = 30  # seconds for any one network operation
CHECK_TIMEOUT = 10  # the settings page's button should not hang for long
TIME_BUDGET = 30.0  # seconds of fetching per poll; the rest waits for the next poll
SIZE_BATCH = 500  # UIDs per RFC822.SIZE fetch
LEASE_FLOOR = 45  # seconds: a claim is never shorter than this (well above TIME_BUDGET)
IDLE_GUARD = 15  # seconds: an IDLE-triggered poll waits this long after the last touch


@dataclass
class PollResult:
    fetched: int = 0  # messages stored and processed (including duplicates) in this poll
    error: str = ""
    more: bool = False  # stopped at the time budget with messages left
    finished_at: datetime | None = None  # the last_checked_at it recorded


# --- connecting -----------------------------------------------------------------------------


def connect(mailbox: Mailbox, *, timeout: float = TIMEOUT) -> IMAPClient:
    """A signed-in client for ``mailbox`` (the caller logs out)."""
    password = credentials.reveal(mailbox.imap_password)
    context = ssl.create_default_context()
    if mailbox.imap_security == Security.SSL:
        client = IMAPClient(
            mailbox.imap_host, port=mailbox.imap_port, ssl=True, ssl_context=context, timeout=timeout
        )
    else:
        client = IMAPClient(mailbox.imap_host, port=mailbox.imap_port, ssl=False, timeout=timeout)
    try:
        if mailbox.imap_security == Security.STARTTLS:
            client.starttls(context)
        client.login(mailbox.imap_username, password)
    except BaseException:
        _close(client, logout=False)
        raise
    return client


def _close(client: IMAPClient, *, logout: bool = True) -> None:
    try:
        if logout:
            client.logout()
        else:
            client.shutdown()
    except Exception:  # the connection is already gone: nothing to close
        try:
            client.shutdown()
        except Exception:
            pass


def _describe(exc: BaseException) -> str:
    text = str(exc) or ""
    return f"{exc.__class__.__name__}: {text}"[:2000] if text else exc.__class__.__name__


# --- the settings page's "test connection" --------------------------------------------------


def check_imap(mailbox: Mailbox) -> tuple[bool, str]:
    """Sign in, open the folder read-only and say how many messages it holds, or what failed.
    Writes nothing."""
    if not mailbox.imap_host:
        return False, gettext("No IMAP server is set.")
    folder = mailbox.imap_folder or "INBOX"
    try:
        client = connect(mailbox, timeout=CHECK_TIMEOUT)
        try:
            info = client.select_folder(folder, readonly=True)
        finally:
            _close(client)
    except Exception as exc:
        return False, gettext("Could not connect: %(error)s") % {"error": (str(exc) or _describe(exc))[:500]}
    count = int(info.get(b"EXISTS", 0))
    return True, ngettext(
        "Signed in as %(user)s; the folder %(folder)s holds %(count)d message.",
        "Signed in as %(user)s; the folder %(folder)s holds %(count)d messages.",
        count,
    ) % {"user": mailbox.imap_username, "folder": folder, "count": count}


# --- scheduling and the per-mailbox lease ---------------------------------------------------


def _lease_start(now: datetime) -> datetime:
    """A mailbox checked (or claimed) before this moment is due for a poll."""
    seconds = max(settings.EMAIL_IMAP_POLL_SECONDS - 15, LEASE_FLOOR)
    return now - timedelta(seconds=seconds)


def _pollable() -> Q:
    return Q(is_active=True, imap_enabled=True) & ~Q(imap_host="")


def due_mailbox_ids(now: datetime | None = None) -> list[int]:
    """Active IMAP mailboxes not checked for the poll interval."""
    now = clock.now() if now is None else now
    due = Q(last_checked_at__isnull=True) | Q(last_checked_at__lte=_lease_start(now))
    return list(Mailbox.objects.filter(_pollable() & due).order_by("id").values_list("id", flat=True))


def claim(
    mailbox_id: int, now: datetime | None = None, *, after: datetime | None = None, soon: bool = False
) -> bool:
    """Take the mailbox's lease (a conditional UPDATE): False when it was checked or claimed
    less than the poll interval ago, so two workers never poll it at once. ``after``: the
    continuation of a poll that stopped at its time budget, which takes the lease only if
    nobody touched the mailbox since that poll finished at ``after``. ``soon``: new mail was
    announced (IDLE), so only ``IDLE_GUARD`` seconds since the last touch are needed."""
    now = clock.now() if now is None else now
    if after is not None:
        due = Q(last_checked_at=after)
    elif soon:
        due = Q(last_checked_at__isnull=True) | Q(last_checked_at__lte=now - timedelta(seconds=IDLE_GUARD))
    else:
        due = Q(last_checked_at__isnull=True) | Q(last_checked_at__lte=_lease_start(now))
    return Mailbox.objects.filter(_pollable() & due, pk=mailbox_id).update(last_checked_at=now) == 1


def record_check(mailbox_id: int, *, error: str = "") -> datetime:
    """What the settings page shows: when the mailbox was last checked and the last error."""
    now = clock.now()
    Mailbox.objects.filter(pk=mailbox_id).update(last_checked_at=now, last_error=error[:2000])
    return now


def _renew(mailbox_id: int) -> None:
    Mailbox.objects.filter(pk=mailbox_id).update(last_checked_at=clock.now())


def poll_if_due(mailbox_id: int, *, after: datetime | None = None, soon: bool = False) -> PollResult | None:
    """The task's body: claim the mailbox, then poll it. None when another poll holds it."""
    if not claim(mailbox_id, after=after, soon=soon):
        return None
    return poll(mailbox_id)


# --- polling --------------------------------------------------------------------------------


def poll(mailbox_id: int) -> PollResult:
    """Fetch the mailbox's new mail into ingest. Never raises for a network, server or
    processing failure: it is recorded on the mailbox and the next poll tries again."""
    result = PollResult()
    mailbox = Mailbox.objects.select_related("inbox").filter(pk=mailbox_id).first()
    if mailbox is None:
        return result
    try:
        client = connect(mailbox)
        try:
            _fetch_folder(client, mailbox, result)
        finally:
            _close(client)
    except Exception as exc:
        result.error = _describe(exc)
        logger.warning("IMAP poll of %s failed: %s", mailbox.address, result.error, exc_info=True)
    result.finished_at = record_check(mailbox.pk, error=result.error)
    return result


def _folder_state(mailbox: Mailbox, folder: str, uidvalidity: int) -> ImapFolderState:
    state, _ = ImapFolderState.objects.get_or_create(
        mailbox=mailbox, folder=folder, defaults={"uidvalidity": uidvalidity}
    )
    if state.uidvalidity != uidvalidity:
        logger.info(
            "IMAP %s/%s: UIDVALIDITY changed from %s to %s, fetching the folder again",
            mailbox.address,
            folder,
            state.uidvalidity,
            uidvalidity,
        )
        ImapFolderState.objects.filter(pk=state.pk).update(uidvalidity=uidvalidity, last_uid=0)
        state.uidvalidity, state.last_uid = uidvalidity, 0
    return state


def _advance(state: ImapFolderState, uid: int) -> None:
    ImapFolderState.objects.filter(pk=state.pk, uidvalidity=state.uidvalidity, last_uid__lt=uid).update(
        last_uid=uid
    )
    state.last_uid = max(state.last_uid, uid)


def _fetch_folder(client: IMAPClient, mailbox: Mailbox, result: PollResult) -> None:
    folder = mailbox.imap_folder or "INBOX"
    archive = mailbox.imap_archive_folder
    if archive and archive != folder and not client.folder_exists(archive):
        client.create_folder(archive)
    info = client.select_folder(folder)
    uidvalidity = int(info[b"UIDVALIDITY"])
    state = _folder_state(mailbox, folder, uidvalidity)
    # "n:*" always matches the newest message, even below n: keep only the new UIDs. The search
    # has no flag criteria, so mail another client already read is fetched too.
    uids = sorted(u for u in client.search(["UID", f"{state.last_uid + 1}:*"]) if u > state.last_uid)
    deadline = time.monotonic() + TIME_BUDGET
    for start in range(0, len(uids), SIZE_BATCH):
        batch = uids[start : start + SIZE_BATCH]
        sizes = client.fetch(batch, ["RFC822.SIZE"])
        for uid in batch:
            if uid in sizes:  # else expunged by another client since the search
                _fetch_one(client, mailbox, folder, state, uid, int(sizes[uid][b"RFC822.SIZE"]))
                result.fetched += 1
                _renew(mailbox.pk)
            if time.monotonic() > deadline and uid != uids[-1]:
                result.more = True
                return


def _fetch_one(
    client: IMAPClient, mailbox: Mailbox, folder: str, state: ImapFolderState, uid: int, size: int
) -> None:
    limit = parse.MAX_BYTES
    oversize = size > limit
    item, key = (f"BODY.PEEK[]<0.{limit + 1}>", b"BODY[]<0>") if oversize else ("BODY.PEEK[]", b"BODY[]")
    data = client.fetch([uid], [item]).get(uid)
    if data is None or key not in data:  # expunged in the meantime
        return
    raw = bytes(data[key])
    source = f"imap:{mailbox.pk}/{folder}/{state.uidvalidity}/{uid}"
    if oversize:
        source += f" (first {len(raw)} of {size} bytes; the whole message stays on the server)"
    received = ingest.receive(raw, source=source, mailbox=mailbox)
    ingest.process(received.inbound.pk)
    # Committed: only now may the server learn that we have it.
    if not oversize:
        _mark(client, mailbox, uid)
    _advance(state, uid)


def _mark(client: IMAPClient, mailbox: Mailbox, uid: int) -> None:
    archive = mailbox.imap_archive_folder
    if not archive or archive == (mailbox.imap_folder or "INBOX"):
        client.add_flags([uid], [SEEN])
        return
    if client.has_capability("MOVE"):
        client.move([uid], archive)
        return
    client.copy([uid], archive)
    client.add_flags([uid], [SEEN, DELETED])
    if client.has_capability("UIDPLUS"):
        client.uid_expunge([uid])
