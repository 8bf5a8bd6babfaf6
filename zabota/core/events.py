"""Domain events: explicit, published inside an action's transaction, delivered after commit.

An action calls ``publish(SomethingHappened(...))``. Nothing runs until the transaction commits;
then every listener registered for that event type runs, in registration order. A listener that
raises is logged and does not stop the others (the domain change is already committed). Slow or
external work in a listener must be enqueued as a Huey task, not done inline.

Listeners are registered in one place per context (``<context>/listeners.py``) with
``@subscribe(EventType)``, imported by that context's ``AppConfig.ready``. ``registered()`` lists
them all, for debugging and tests.

A listener registered with ``@subscribe(EventType, batch=True)`` takes a list of events of that
type. Work that commits many changes one after another (a mail import: a ticket per message, a
savepoint each) runs inside ``batched()``: its batch listeners then run once, when the block
ends, with every event delivered in it, so they can do in a few queries what would otherwise
cost a few queries per event. Outside ``batched()`` a batch listener gets a list of one.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any, TypeVar

from django.db import transaction

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Event:
    """Base class. Events carry ids and small values, never model instances."""


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
# Inside ``batched()``: (batch listener, event) pairs waiting for the block's end.
_pending: ContextVar[list[tuple[BatchListener, Event]] | None] = ContextVar(
    "zabota_events_pending", default=None
)


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
        if isinstance(listener, BatchListener):
            if pending is not None:
                pending.append((listener, event))
            else:
                _run(listener, [event])
        else:
            _run(listener, event)


@contextmanager
def batched() -> Iterator[None]:
    """Hold batch listeners' events until the block ends, then deliver each its list (in the
    order the events were delivered). Wrap the transaction, not the other way round: events
    are delivered at commit, so a block inside a transaction collects nothing."""
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
        for listener, event in pending:
            groups.setdefault(listener, []).append(event)
        for listener, events in groups.items():
            _run(listener, events)


def publish(event: Event) -> None:
    """Deliver ``event`` to its listeners once the current transaction commits."""
    transaction.on_commit(lambda: dispatch(event), robust=False)
