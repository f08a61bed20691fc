from django.apps import AppConfig


class GoalsConfig(AppConfig):
    name = "okapi.goals"
    label = "goals"
