"""Pushing small facts to browser sockets from sync code in any thread.

``push(group, payload)`` sends ``payload`` (ids and small facts only, never message bodies) to
every socket of a channel-layer group: ``ticket.<id>``, ``inbox``, ``agent.<id>``. Consumers
receive it as a ``live.push`` message and decide, per socket, whether to forward it (the inbox
group is shared by all agents, so the consumer checks visibility first).

Why not just ``async_to_sync(layer.group_send)``: with the in-memory channel layer (one
``zabota run`` process: uvicorn's event loop, the WSGI pool threads, the Huey worker threads)
the layer's asyncio queues belong to the server's event loop; waking a consumer from another
loop in another thread is not safe and may never wake it. So the send is scheduled on that loop
with ``asyncio.run_coroutine_threadsafe``; the loop is remembered when a consumer connects
(``remember_loop``). With Redis the same path is used when this process serves sockets (the
loop's connection pool is reused), and ``async_to_sync`` otherwise (a separate worker process).
"""

from __future__ import annotations

import asyncio
import logging
import threading
from concurrent.futures import TimeoutError as FutureTimeout
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import InMemoryChannelLayer, get_channel_layer

logger = logging.getLogger(__name__)

PUSH = "live.push"  # the consumer's handler: ``live_push``
SEND_TIMEOUT = 2.0  # seconds a pushing thread waits for the server loop (keeps pushes in order)

_loop: asyncio.AbstractEventLoop | None = None
_lock = threading.Lock()
_pending: set[asyncio.Task[Any]] = set()  # strong references to sends scheduled on the loop


def remember_loop(loop: asyncio.AbstractEventLoop) -> None:
    """Called by a consumer on connect: the event loop that owns this process's sockets."""
    global _loop
    with _lock:
        _loop = loop


def server_loop() -> asyncio.AbstractEventLoop | None:
    loop = _loop
    if loop is None or loop.is_closed() or not loop.is_running():
        return None
    return loop


def message(payload: dict[str, Any]) -> dict[str, Any]:
    return {"type": PUSH, "payload": payload}


def push(group: str, payload: dict[str, Any]) -> None:
    """Send ``payload`` to ``group``. Never raises: a failed push only means a page refreshes
    on its next action instead of now; the domain change is already committed."""
    push_many([(group, payload)])


def push_many(pushes: list[tuple[str, dict[str, Any]]]) -> None:
    """``push`` for several (group, payload) pairs, sent in order in one go (a batch of
    imported mail: one trip to the channel layer's loop, not one per ticket)."""
    if not pushes:
        return
    layer = get_channel_layer()
    if layer is None:
        return
    try:
        _send(layer, [(group, message(payload)) for group, payload in pushes])
    except Exception:
        logger.exception("live push to %s failed", ", ".join(sorted({g for g, _ in pushes})))


async def _send_all(layer: Any, msgs: list[tuple[str, dict[str, Any]]]) -> None:
    for group, msg in msgs:
        await layer.group_send(group, msg)


def _send(layer: Any, msgs: list[tuple[str, dict[str, Any]]]) -> None:
    try:
        running = asyncio.get_running_loop()
    except RuntimeError:
        running = None
    if running is not None:
        # Called from async code (on a loop's own thread): don't block the loop; schedule.
        task = running.create_task(_send_all(layer, msgs))
        _pending.add(task)
        task.add_done_callback(_pending.discard)
        return
    loop = server_loop()
    if loop is not None:
        future = asyncio.run_coroutine_threadsafe(_send_all(layer, msgs), loop)
        try:
            future.result(SEND_TIMEOUT)
        except FutureTimeout:
            future.cancel()
            logger.warning("live push to %s timed out", msgs[0][0])
        return
    # No socket served by this process (a separate worker, a management command): with Redis
    # this reaches the web processes; with the in-memory layer there is nobody to reach, so
    # nothing is sent (an import of thousands of emails would otherwise spin up an event loop
    # per push for no one).
    if isinstance(layer, InMemoryChannelLayer):
        return
    async_to_sync(_send_all)(layer, msgs)


def ticket_group(ticket_id: int) -> str:
    return f"ticket.{ticket_id}"


def agent_group(agent_id: int) -> str:
    return f"agent.{agent_id}"


INBOX_GROUP = "inbox"
