"""Domain events: explicit, published inside an action's transaction, delivered after commit.

An action calls ``publish(SomethingHappened(...))``. Nothing runs until the transaction commits;
then every listener registered for that event type runs, in registration order. A listener that
raises is logged and does not stop the others (the domain change is already committed). Slow or
external work in a listener must be enqueued as a Huey task, not done inline.

Listeners are registered in one place per context (``<context>/listeners.py``) with
``@subscribe(EventType)``, imported by that context's ``AppConfig.ready``. ``registered()`` lists
them all, for debugging and tests.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from django.db import transaction

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Event:
    """Base class. Events carry ids and small values, never model instances."""


E = TypeVar("E", bound=Event)
Listener = Callable[[Any], None]

_listeners: dict[type[Event], list[Listener]] = defaultdict(list)


def subscribe(event_type: type[E]) -> Callable[[Callable[[E], None]], Callable[[E], None]]:
    def decorator(fn: Callable[[E], None]) -> Callable[[E], None]:
        if fn not in _listeners[event_type]:
            _listeners[event_type].append(fn)
        return fn

    return decorator


def registered() -> dict[type[Event], list[Listener]]:
    return {k: list(v) for k, v in _listeners.items()}


def dispatch(event: Event) -> None:
    for listener in list(_listeners.get(type(event), ())):
        try:
            listener(event)
        except Exception:
            logger.exception("listener %s failed for %r", getattr(listener, "__qualname__", listener), event)


def publish(event: Event) -> None:
    """Deliver ``event`` to its listeners once the current transaction commits."""
    transaction.on_commit(lambda: dispatch(event), robust=False)
