from django.apps import AppConfig


class TriageConfig(AppConfig):
    name = "zabota.triage"
    label = "triage"
    verbose_name = "Priority rules and incidents"

    def ready(self) -> None:
        import zabota.triage.listeners  # noqa: F401  (registers event listeners)
        import zabota.triage.tasks  # noqa: F401  (registers its tasks: `zabota run`'s embedded worker does not autodiscover)
