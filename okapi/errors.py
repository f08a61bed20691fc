"""The three ways a service refuses: the API maps them to 404, 403 and 422, the CLI to exit 2."""

from __future__ import annotations


class NotFound(Exception):
    """No such row in this workspace (another workspace's rows are "not found" too)."""


class Forbidden(Exception):
    """The actor's role does not allow this action."""


class Invalid(Exception):
    """Bad input: `errors` maps a field name (or path) to a message."""

    def __init__(self, errors: dict[str, str]):
        self.errors = errors
        super().__init__("; ".join(f"{field}: {message}" for field, message in errors.items()))
