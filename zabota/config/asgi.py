"""ASGI entry point: HTTP through Django's WSGI handler on a pool of threads; WebSockets
through Channels (routes come with the live agent workspace).

Why not Django's ASGI handler for HTTP: it runs every request's sync code (all our views, the
ORM) in a fresh thread, so database connections are opened and closed on every request and each
middleware hop crosses threads — about 3-7 ms per request before any work. Here each request is
one hop to a long-lived pool thread that keeps its database connection (``CONN_MAX_AGE``).
``ZABOTA_HTTP_THREADS`` sets the pool size per process (default 8).
"""

from __future__ import annotations

import functools
import os
from concurrent.futures import ThreadPoolExecutor
from typing import Any

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "zabota.config.settings")

import django  # noqa: E402

django.setup()

from asgiref.sync import sync_to_async  # noqa: E402
from asgiref.wsgi import WsgiToAsgi, WsgiToAsgiInstance  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from django.conf import settings  # noqa: E402
from django.core.handlers.wsgi import WSGIHandler  # noqa: E402

_run_wsgi_app = WsgiToAsgiInstance.__dict__["run_wsgi_app"].func  # the undecorated function


class _PooledInstance(WsgiToAsgiInstance):
    def __init__(self, app: Any, duplicate_header_limit: int, executor: ThreadPoolExecutor):
        super().__init__(app, duplicate_header_limit)
        self.executor = executor

    async def run_wsgi_app(self, body: Any) -> None:  # type: ignore[override]
        call = functools.partial(_run_wsgi_app, self)
        await sync_to_async(call, thread_sensitive=False, executor=self.executor)(body)


class PooledWsgiToAsgi(WsgiToAsgi):
    """asgiref's WSGI adapter, running requests on a fixed pool of threads."""

    def __init__(self, app: Any, threads: int):
        super().__init__(app)
        self.executor = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="zabota-http")

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        await _PooledInstance(self.wsgi_application, self.duplicate_header_limit, self.executor)(
            scope, receive, send
        )


def closing(app: Any) -> Any:
    """Wrap a WSGI app so the response's ``close()`` is called once it has been sent.

    The WSGI spec requires it and asgiref's adapter doesn't: Django fires ``request_finished``
    there (closing expired database connections) and file responses close their files."""

    def wrapped(environ: Any, start_response: Any) -> Any:
        response = app(environ, start_response)
        try:
            yield from response
        finally:
            close = getattr(response, "close", None)
            if close is not None:
                close()

    return wrapped


http_application = PooledWsgiToAsgi(closing(WSGIHandler()), threads=settings.HTTP_THREADS)

from channels.auth import AuthMiddlewareStack  # noqa: E402
from channels.security.websocket import AllowedHostsOriginValidator  # noqa: E402

from zabota.web.routing import websocket_urlpatterns  # noqa: E402

application = ProtocolTypeRouter(
    {
        "http": http_application,
        # Session-authenticated sockets from our own origin only (no cross-site WebSocket hijack).
        "websocket": AllowedHostsOriginValidator(AuthMiddlewareStack(URLRouter(websocket_urlpatterns))),
    }
)
