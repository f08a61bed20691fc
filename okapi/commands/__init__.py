"""Sub-commands of the `okapi` CLI, one module per family, each with `register(subparsers)`."""

from __future__ import annotations

import json
import sys
from typing import Any


class UsageError(Exception):
    """Bad input from the user: exit code 2."""


class CommandError(Exception):
    """Anything else that stops a command: exit code 1."""


def print_json(data: Any) -> None:
    json.dump(data, sys.stdout, indent=2, ensure_ascii=False, default=str)
    sys.stdout.write("\n")


def setup_django() -> None:
    """Configure Django for commands that need the database (coach and saas do not)."""
    import os

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "okapi.settings")
    import django

    django.setup()


def setup_database() -> None:
    """Configure Django and apply pending migrations: every command that reads or writes data
    works on a fresh machine with an empty (or missing) database."""
    setup_django()
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=0)
