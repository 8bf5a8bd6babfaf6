"""URLs of routing in the workspace (included at the site root by ``zabota.config.urls``)."""

from zabota.routing.views import urlpatterns

__all__ = ["urlpatterns"]
