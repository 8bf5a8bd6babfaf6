from django.apps import AppConfig


class EmailChannelConfig(AppConfig):
    name = "zabota.channels.email"
    label = "email_channel"
    verbose_name = "Email"

    def ready(self) -> None:
        import zabota.channels.email.listeners  # noqa: F401  (registers event listeners)
