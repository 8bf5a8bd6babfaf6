from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "zabota.accounts"
    label = "accounts"
    verbose_name = "Agents and teams"
