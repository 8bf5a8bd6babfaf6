from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "zabota.notifications"
    label = "notifications"
    verbose_name = "Notifications"

    def ready(self) -> None:
        import zabota.notifications.listeners  # noqa: F401  (registers event listeners)
