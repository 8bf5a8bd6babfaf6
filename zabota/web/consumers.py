"""The workspace WebSocket: live pushes and presence (collision detection) for agents.

One socket per page at ``/ws/workspace/``, session-authenticated agents only. The client says
what the page shows; the server only forwards what that agent may see:

- ``{"type": "watch-ticket", "ticket": <id>}``: checked with ``access_ticket``; joins group
  ``ticket.<id>`` (pushes ``{"type": "ticket", "ticket", "number", "what"}`` and presence);
  the agent's notifications about that ticket are then marked read (they have it open);
  ``{"type": "unwatch-ticket", "ticket": <id>}`` leaves it.
- ``{"type": "typing", "ticket": <id>, "on": true|false}``: the agent is (no longer) writing.
- ``{"type": "watch-inbox"}``: answered ``{"type": "watching", "inbox": true}``; joins group
  ``inbox``, shared by every agent's socket; each
  change ``{"type": "inbox", "ticket"}`` is forwarded only if this agent may see that ticket
  (``filter_visible``), so a restricted team's tickets never reach others, not even as ids. A
  push for a batch (``"tickets": [ids]``) is forwarded as one ``{"type": "inbox", "ticket",
  "tickets"}`` with only the visible ids, or not at all.
- every socket is in ``agent.<id>`` for ``{"type": "notification", "unread"}``.

Presence keeps no server state beyond each socket's own view of its peers, so it works the
same on one process (in-memory layer) and across many (Redis): on watch a socket broadcasts
``presence.hello``; the others answer it directly with ``presence.here``; every socket repeats
``presence.here`` every ``HEARTBEAT`` seconds (with its typing state) and says
``presence.bye`` when it goes; a peer silent for ``PRESENCE_TTL`` seconds is dropped. The client
gets ``{"type": "presence", "ticket", "agents": [{"id", "name", "typing"}]}`` whenever the list
of *other* agents changes (an agent's other tabs are not shown to them).

Every ``AGENT_REFRESH`` seconds the socket reloads its agent and session: a deactivated agent,
a logged-out or expired session, or sessions ended everywhere (``session_version``) close it.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from dataclasses import dataclass, field
from typing import Any

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.contrib.auth import HASH_SESSION_KEY, SESSION_KEY
from django.utils.crypto import constant_time_compare

from zabota.accounts.models import Agent
from zabota.core.errors import NotFound
from zabota.notifications.actions import mark_ticket_read
from zabota.tickets.queries import access_ticket, filter_visible
from zabota.web import live

logger = logging.getLogger(__name__)

CLOSE_UNAUTHORISED = 4401
MAX_FRAME = 4096  # bytes; client messages are tiny


@dataclass
class Peer:
    agent_id: int
    name: str
    typing: bool
    seen: float
    typing_until: float = 0.0


@dataclass
class Watch:
    """This socket's view of one ticket: its peers and its own typing state."""

    peers: dict[str, Peer] = field(default_factory=dict)  # by the peer socket's channel name
    typing_until: float = 0.0  # while in the future this socket is typing
    typing_sent: float = 0.0  # when a typing-on was last broadcast (throttle)
    last_sent: list[dict[str, Any]] | None = None  # the presence list the client last got


def _as_id(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, str) and value.isdigit():
        value = int(value)
    if isinstance(value, int) and 0 < value < 2**62:
        return value
    return None


def _agent_of(scope: dict[str, Any]) -> Agent | None:
    user = scope.get("user")
    user = getattr(user, "_wrapped", user)
    if isinstance(user, Agent) and user.is_authenticated and user.is_active:
        return user
    return None


class WorkspaceConsumer(AsyncJsonWebsocketConsumer):
    HEARTBEAT = 20.0  # seconds between presence.here broadcasts
    PRESENCE_TTL = 45.0  # a peer silent this long has gone
    TYPING_TTL = 8.0  # a typing-on not refreshed this long has stopped
    TYPING_THROTTLE = 1.0  # at most one typing-on broadcast per second per ticket
    TICK = 5.0  # housekeeping period
    AGENT_REFRESH = 60.0
    GROUP_REFRESH = 3600.0
    MAX_TICKETS = 10

    agent: Agent
    tickets: dict[int, Watch]
    inbox: bool
    ticker: asyncio.Task[None] | None = None

    # --- Connection --------------------------------------------------------------------------

    async def connect(self) -> None:
        agent = _agent_of(self.scope)
        if agent is None:
            await self.close(code=CLOSE_UNAUTHORISED)
            return
        self.agent = agent
        self.tickets = {}
        self.inbox = False
        self.agent_loaded = time.monotonic()
        self.heartbeat_at = time.monotonic()
        self.groups_at = time.monotonic()
        live.remember_loop(asyncio.get_running_loop())
        await self.channel_layer.group_add(live.agent_group(agent.pk), self.channel_name)
        await self.accept()
        self.ticker = asyncio.ensure_future(self._tick())

    async def disconnect(self, code: int) -> None:
        if self.ticker is not None:
            self.ticker.cancel()
        if not hasattr(self, "agent"):
            return
        for ticket_id in list(self.tickets):
            await self._unwatch(ticket_id)
        if self.inbox:
            await self.channel_layer.group_discard(live.INBOX_GROUP, self.channel_name)
        await self.channel_layer.group_discard(live.agent_group(self.agent.pk), self.channel_name)

    @classmethod
    async def decode_json(cls, text_data: str) -> Any:
        if len(text_data) > MAX_FRAME:
            return {}
        try:
            return json.loads(text_data)
        except ValueError:
            return {}

    async def receive(
        self, text_data: str | None = None, bytes_data: bytes | None = None, **kwargs: Any
    ) -> None:
        if text_data is None:  # binary frames mean nothing here
            return
        await super().receive(text_data=text_data, bytes_data=bytes_data, **kwargs)

    async def receive_json(self, content: Any, **kwargs: Any) -> None:
        if not isinstance(content, dict):
            return
        kind = content.get("type")
        if kind == "watch-inbox":
            if not self.inbox:
                self.inbox = True
                await self.channel_layer.group_add(live.INBOX_GROUP, self.channel_name)
            await self.send_json({"type": "watching", "inbox": True})
            return
        ticket_id = _as_id(content.get("ticket"))
        if ticket_id is None:
            return
        if kind == "watch-ticket":
            await self._watch(ticket_id)
        elif kind == "unwatch-ticket":
            if ticket_id in self.tickets:
                await self._unwatch(ticket_id)
        elif kind == "typing":
            await self._typing(ticket_id, content.get("on") is True)

    # --- Watching tickets --------------------------------------------------------------------

    async def _watch(self, ticket_id: int) -> None:
        if ticket_id in self.tickets:
            await self._send_presence(ticket_id, force=True)
            return
        if len(self.tickets) >= self.MAX_TICKETS:
            await self._unwatch(next(iter(self.tickets)))
        if not await self._may_open(ticket_id):
            # The same answer for a missing and an invisible ticket.
            await self.send_json({"type": "error", "error": "not-found", "ticket": ticket_id})
            return
        self.tickets[ticket_id] = Watch()
        await self.channel_layer.group_add(live.ticket_group(ticket_id), self.channel_name)
        await self._broadcast(ticket_id, "presence.hello")
        await self._send_presence(ticket_id, force=True)
        # The agent has the ticket open: its notifications are read (the bell updates).
        await database_sync_to_async(mark_ticket_read)(agent=self.agent, ticket_id=ticket_id)

    async def _unwatch(self, ticket_id: int) -> None:
        self.tickets.pop(ticket_id, None)
        await self.channel_layer.group_discard(live.ticket_group(ticket_id), self.channel_name)
        await self.channel_layer.group_send(
            live.ticket_group(ticket_id),
            {"type": "presence.bye", "ticket": ticket_id, "sender": self.channel_name},
        )

    async def _typing(self, ticket_id: int, on: bool) -> None:
        watch = self.tickets.get(ticket_id)
        if watch is None:
            return
        now = time.monotonic()
        was_typing = watch.typing_until > now
        if on:
            watch.typing_until = now + self.TYPING_TTL
            if was_typing and now - watch.typing_sent < self.TYPING_THROTTLE:
                return
            watch.typing_sent = now
        else:
            watch.typing_until = 0.0
            if not was_typing:
                return
        await self._broadcast(ticket_id, "presence.here")

    # Read-only checks run on the loop's thread pool (thread_sensitive=False), not on the one
    # shared thread-sensitive thread: one change fans out to every agent's inbox socket.
    async def _may_open(self, ticket_id: int) -> bool:
        return await database_sync_to_async(self._check_access, thread_sensitive=False)(ticket_id)

    async def _visible(self, ticket_id: int) -> bool:
        return await database_sync_to_async(self._check_visible, thread_sensitive=False)(ticket_id)

    def _check_access(self, ticket_id: int) -> bool:
        try:
            access_ticket(self.agent, ticket_id)
        except NotFound:
            return False
        return True

    def _check_visible(self, ticket_id: int) -> bool:
        return bool(filter_visible(self.agent, [ticket_id]))

    async def _visible_ids(self, ticket_ids: list[int]) -> list[int]:
        return await database_sync_to_async(filter_visible, thread_sensitive=False)(self.agent, ticket_ids)

    # --- Pushes from listeners (zabota.web.listeners via zabota.web.live.push) ----------------

    async def live_push(self, event: dict[str, Any]) -> None:
        payload = event.get("payload") or {}
        kind = payload.get("type")
        if kind == "notification":
            await self.send_json(payload)
            return
        ticket_id = _as_id(payload.get("ticket"))
        if ticket_id is None:
            return
        if kind == "ticket":
            if ticket_id not in self.tickets:
                return
            if not await self._visible(ticket_id):
                # No longer visible (moved to a restricted team...): stop watching, say nothing.
                await self._unwatch(ticket_id)
                return
            await self.send_json(payload)
        elif kind == "inbox":
            if not self.inbox:
                return
            # One push may carry a batch (imported mail): forward the ids this agent may see.
            ids = [i for i in (_as_id(x) for x in payload.get("tickets") or [ticket_id]) if i is not None]
            visible = await self._visible_ids(ids[:500])
            if visible:
                forward: dict[str, Any] = {"type": "inbox", "ticket": visible[0]}
                if "tickets" in payload:
                    forward["tickets"] = visible
                await self.send_json(forward)

    # --- Presence between sockets ------------------------------------------------------------

    async def _broadcast(self, ticket_id: int, kind: str) -> None:
        await self.channel_layer.group_send(
            live.ticket_group(ticket_id), self._presence_message(ticket_id, kind)
        )

    def _presence_message(self, ticket_id: int, kind: str) -> dict[str, Any]:
        watch = self.tickets.get(ticket_id)
        return {
            "type": kind,
            "ticket": ticket_id,
            "sender": self.channel_name,
            "agent": self.agent.pk,
            "name": str(self.agent),
            "typing": bool(watch and watch.typing_until > time.monotonic()),
        }

    def _record(self, event: dict[str, Any]) -> int | None:
        """Note a peer's state; the ticket id when it concerns a ticket this socket watches."""
        ticket_id = _as_id(event.get("ticket"))
        sender = event.get("sender")
        if ticket_id is None or ticket_id not in self.tickets or sender == self.channel_name:
            return None
        now = time.monotonic()
        typing = bool(event.get("typing"))
        self.tickets[ticket_id].peers[str(sender)] = Peer(
            agent_id=int(event.get("agent") or 0),
            name=str(event.get("name") or ""),
            typing=typing,
            seen=now,
            typing_until=now + self.TYPING_TTL if typing else 0.0,
        )
        return ticket_id

    async def presence_hello(self, event: dict[str, Any]) -> None:
        ticket_id = self._record(event)
        if ticket_id is None:
            return
        await self.channel_layer.send(
            str(event["sender"]), self._presence_message(ticket_id, "presence.here")
        )
        await self._send_presence(ticket_id)

    async def presence_here(self, event: dict[str, Any]) -> None:
        ticket_id = self._record(event)
        if ticket_id is not None:
            await self._send_presence(ticket_id)

    async def presence_bye(self, event: dict[str, Any]) -> None:
        ticket_id = _as_id(event.get("ticket"))
        watch = self.tickets.get(ticket_id) if ticket_id is not None else None
        if watch is not None and watch.peers.pop(str(event.get("sender")), None) is not None:
            await self._send_presence(ticket_id)  # type: ignore[arg-type]

    async def _send_presence(self, ticket_id: int, *, force: bool = False) -> None:
        watch = self.tickets.get(ticket_id)
        if watch is None:
            return
        agents: dict[int, dict[str, Any]] = {}
        for peer in watch.peers.values():
            if peer.agent_id == self.agent.pk:
                continue  # the agent's own other tabs
            entry = agents.setdefault(
                peer.agent_id, {"id": peer.agent_id, "name": peer.name, "typing": False}
            )
            entry["typing"] = entry["typing"] or peer.typing
        listed = sorted(agents.values(), key=lambda a: (a["name"].casefold(), a["id"]))
        if not force and listed == watch.last_sent:
            return
        watch.last_sent = listed
        await self.send_json({"type": "presence", "ticket": ticket_id, "agents": listed})

    # --- Housekeeping ------------------------------------------------------------------------

    async def _tick(self) -> None:
        try:
            while True:
                await asyncio.sleep(self.TICK)
                try:
                    await self.housekeeping()
                except Exception:  # a layer hiccup must not end presence for this socket
                    logger.exception("live socket housekeeping failed")
        except asyncio.CancelledError:
            pass

    async def housekeeping(self, now: float | None = None) -> None:
        """Expire silent peers and stale typing, send heartbeats, recheck the agent."""
        now = time.monotonic() if now is None else now
        for ticket_id, watch in list(self.tickets.items()):
            for sender, peer in list(watch.peers.items()):
                if now - peer.seen > self.PRESENCE_TTL:
                    del watch.peers[sender]
                elif peer.typing and now > peer.typing_until:
                    peer.typing = False
            await self._send_presence(ticket_id)
        if now - self.heartbeat_at >= self.HEARTBEAT:
            self.heartbeat_at = now
            for ticket_id in list(self.tickets):
                await self._broadcast(ticket_id, "presence.here")
        if now - self.groups_at >= self.GROUP_REFRESH:
            self.groups_at = now
            await self._refresh_groups()
        if now - self.agent_loaded >= self.AGENT_REFRESH:
            self.agent_loaded = now
            if not await self._reload_agent():
                await self.close(code=CLOSE_UNAUTHORISED)

    @database_sync_to_async
    def _reload_agent(self) -> bool:
        """A fresh agent (drops cached team ids); False when the socket must close: the agent
        was deactivated, or its session is gone (logged out, expired, or every session ended
        with ``session_version``)."""
        agent = Agent.objects.filter(pk=self.agent.pk, is_active=True).first()
        if agent is None:
            return False
        session = self.scope.get("session")
        key = getattr(session, "session_key", None) if session is not None else None
        if key:
            stored = session.__class__(key).load()  # type: ignore[union-attr]  # fresh from the store
            if str(stored.get(SESSION_KEY)) != str(agent.pk) or not constant_time_compare(
                stored.get(HASH_SESSION_KEY, ""), agent.get_session_auth_hash()
            ):
                return False
        self.agent = agent
        return True

    async def _refresh_groups(self) -> None:
        """Channel layers forget group members after a day (``group_expiry``); a tab left open
        longer must keep getting its pushes."""
        await self.channel_layer.group_add(live.agent_group(self.agent.pk), self.channel_name)
        if self.inbox:
            await self.channel_layer.group_add(live.INBOX_GROUP, self.channel_name)
        for ticket_id in self.tickets:
            await self.channel_layer.group_add(live.ticket_group(ticket_id), self.channel_name)
