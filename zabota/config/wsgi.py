"""WSGI entry point (for tools and servers that speak WSGI; `zabota run` serves ASGI)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "zabota.config.settings")
application = get_wsgi_application()
