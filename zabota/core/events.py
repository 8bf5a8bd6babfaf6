"""Domain events: explicit, published inside an action's transaction, delivered after commit.

An action calls ``publish(SomethingHappened(...))``. Nothing runs until the transaction commits;
then every listener registered for that event type runs, in registration order. A listener that
raises is logged and does not stop the others (the domain change is already committed). Slow or
external work in a listener must be enqueued as a Huey task, not done inline.

Listeners are registered in one place per context (``<context>/listeners.py``) with
``@subscribe(EventType)``, imported by that context's ``AppConfig.ready``. ``registered()`` lists
them all, for debugging and tests.

A listener registered with ``@subscribe(EventType, batch=True)`` takes a list of events of that
type. Work that commits many changes at once (a mail import: fifty tickets in a transaction)
runs inside ``batched()``: every listener then runs when the block ends, the batch listeners
once each with all their events, so they can do in a few queries what would otherwise cost a
few queries per event. Outside ``batched()`` a batch listener gets a list of one.

Order at the end of a batch: the batch listeners, by their event type's ``batch_rank`` (a
ticket's opening, rank 0, before the rest, rank 1: the new tickets are routed before anyone is
told about a message on them) and then in the order they first got an event; then the
per-event listeners, event by event in delivery order (they see the batch's tickets routed and
their clocks started, as they would one message at a time).
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any, ClassVar, TypeVar

from django.db import transaction

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Event:
    """Base class. Events carry ids and small values, never model instances."""

    batch_rank: ClassVar[int] = 1  # see "Order at the end of a batch" above


E = TypeVar("E", bound=Event)
Listener = Callable[[Any], None]


class BatchListener:
    """A listener of lists of events (``subscribe(..., batch=True)``)."""

    def __init__(self, fn: Callable[[list[Any]], None]) -> None:
        self.fn = fn
        self.__qualname__ = getattr(fn, "__qualname__", repr(fn))

    def __call__(self, events: list[Any]) -> None:
        self.fn(events)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, BatchListener) and other.fn is self.fn

    def __hash__(self) -> int:
        return hash(self.fn)


_listeners: dict[type[Event], list[Listener]] = defaultdict(list)
# Inside ``batched()``: (listener, event) pairs waiting for the block's end.
_pending: ContextVar[list[tuple[Listener, Event]] | None] = ContextVar("zabota_events_pending", default=None)


def subscribe(event_type: type[E], *, batch: bool = False) -> Callable[[Any], Any]:
    def decorator(fn: Any) -> Any:
        listener = BatchListener(fn) if batch else fn
        if listener not in _listeners[event_type]:
            _listeners[event_type].append(listener)
        return fn

    return decorator


def registered() -> dict[type[Event], list[Listener]]:
    return {k: list(v) for k, v in _listeners.items()}


def _run(listener: Any, argument: Any) -> None:
    try:
        listener(argument)
    except Exception:
        logger.exception("listener %s failed for %r", getattr(listener, "__qualname__", listener), argument)


def dispatch(event: Event) -> None:
    pending = _pending.get()
    for listener in list(_listeners.get(type(event), ())):
        if pending is not None:
            pending.append((listener, event))
        elif isinstance(listener, BatchListener):
            _run(listener, [event])
        else:
            _run(listener, event)


@contextmanager
def batched() -> Iterator[None]:
    """Hold the events delivered in the block until it ends, then run the listeners (see
    "Order at the end of a batch"). Wrap the transaction, not the other way round: events are
    delivered at commit, so a block inside a transaction collects nothing."""
    if _pending.get() is not None:  # already batching: the outer block delivers
        yield
        return
    token = _pending.set([])
    try:
        yield
    finally:
        pending = _pending.get() or []
        _pending.reset(token)
        groups: dict[BatchListener, list[Event]] = {}
        singles: list[tuple[Listener, Event]] = []
        for each, event in pending:
            if isinstance(each, BatchListener):
                groups.setdefault(each, []).append(event)
            else:
                singles.append((each, event))
        for batch_listener, events in sorted(groups.items(), key=lambda group: type(group[1][0]).batch_rank):
            _run(batch_listener, events)
        for single, event in singles:
            _run(single, event)


def publish(event: Event) -> None:
    """Deliver ``event`` to its listeners once the current transaction commits."""
    transaction.on_commit(lambda: dispatch(event), robust=False)
