"""URLs of rotas in the workspace (included at the site root by ``zabota.config.urls``)."""

from zabota.rotas.views import urlpatterns

__all__ = ["urlpatterns"]
