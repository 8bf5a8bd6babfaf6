from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "zabota.notifications"
    label = "notifications"
    verbose_name = "Notifications"

    def ready(self) -> None:
        import zabota.config.tasks  # noqa: F401  (registers the periodic schedules, the digest's too)
        import zabota.notifications.listeners  # noqa: F401  (registers event listeners)
        import zabota.notifications.tasks  # noqa: F401  (registers the digest task)
