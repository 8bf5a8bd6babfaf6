from django.apps import AppConfig


class RoutingConfig(AppConfig):
    name = "zabota.routing"
    label = "routing"
    verbose_name = "Routing"

    def ready(self) -> None:
        import zabota.routing.listeners  # noqa: F401  (registers event listeners)
        import zabota.routing.tasks  # noqa: F401  (registers its tasks: `zabota run`'s embedded worker does not autodiscover)
