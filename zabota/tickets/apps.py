from django.apps import AppConfig


class TicketsConfig(AppConfig):
    name = "zabota.tickets"
    label = "tickets"
    verbose_name = "Tickets"

    def ready(self) -> None:
        import zabota.tickets.listeners  # noqa: F401  (registers event listeners)
