from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "zabota.web"
    label = "web"
    verbose_name = "Agent workspace"
