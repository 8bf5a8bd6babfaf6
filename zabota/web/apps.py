from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "zabota.web"
    label = "web"
    verbose_name = "Agent workspace"

    def ready(self) -> None:
        import zabota.web.listeners  # noqa: F401  (registers the live-push listeners)
