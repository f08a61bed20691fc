from django.apps import AppConfig


class WorkspacesConfig(AppConfig):
    name = "okapi.workspaces"
    label = "workspaces"
