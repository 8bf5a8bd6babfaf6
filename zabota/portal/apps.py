from django.apps import AppConfig


class PortalConfig(AppConfig):
    name = "zabota.portal"
    label = "portal"
    verbose_name = "Customer portal"

    def ready(self) -> None:
        import zabota.portal.tasks  # noqa: F401  (registers its tasks: `zabota run`'s embedded worker does not autodiscover)
