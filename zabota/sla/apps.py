from django.apps import AppConfig


class SlaConfig(AppConfig):
    name = "zabota.sla"
    label = "sla"
    verbose_name = "SLA"

    def ready(self) -> None:
        import zabota.sla.listeners  # noqa: F401  (registers event listeners)
