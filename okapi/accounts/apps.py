from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "okapi.accounts"
    label = "accounts"
