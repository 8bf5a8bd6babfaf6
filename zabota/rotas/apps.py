from django.apps import AppConfig


class RotasConfig(AppConfig):
    name = "zabota.rotas"
    label = "rotas"
    verbose_name = "Rotas and support duty"
