"""Fixtures of the triage stories: listeners run after commit, as in production."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from zabota.customers.actions import create_tier
from zabota.customers.models import Tier


@pytest.fixture
def committed(django_capture_on_commit_callbacks: Any) -> Callable[..., Any]:
    """``committed(fn, *args, **kw)``: call ``fn`` and run its after-commit listeners, repeatedly
    (a listener's own commits run too)."""

    def run(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        with django_capture_on_commit_callbacks(execute=True):
            return fn(*args, **kwargs)

    return run


@pytest.fixture
def platinum(db: None) -> Iterator[Tier]:
    yield create_tier(actor=None, name="Platinum", rank=1, color="#e5e4e2")
