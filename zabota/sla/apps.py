from django.apps import AppConfig


class SlaConfig(AppConfig):
    name = "zabota.sla"
    label = "sla"
    verbose_name = "SLA"

    def ready(self) -> None:
        import zabota.sla.listeners  # noqa: F401  (registers event listeners)
        import zabota.sla.tasks  # noqa: F401  (registers its tasks: `zabota run`'s embedded worker does not autodiscover)
