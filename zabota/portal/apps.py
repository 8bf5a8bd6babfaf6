from django.apps import AppConfig


class PortalConfig(AppConfig):
    name = "zabota.portal"
    label = "portal"
    verbose_name = "Customer portal"
