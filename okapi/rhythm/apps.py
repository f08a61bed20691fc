from django.apps import AppConfig


class RhythmConfig(AppConfig):
    name = "okapi.rhythm"
    label = "rhythm"
