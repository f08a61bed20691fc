from django.apps import AppConfig


class KpisConfig(AppConfig):
    name = "okapi.kpis"
    label = "kpis"
