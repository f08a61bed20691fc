"""Helpers for the API tests: an admin (adam), tokens for any role, bad fields, row counts."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import Api


@pytest.fixture
def adam(acme: Any) -> Any:
    """adam is an admin of Acme (not the owner)."""
    from okapi.workspaces.services import membership_set, user_create

    adam = user_create(email="adam@acme.test", name="Adam", password="adam-pw")
    membership_set(actor=None, workspace=acme.workspace, user=adam, role="admin")
    return adam


@pytest.fixture
def adam_api(client: Any, acme: Any, adam: Any) -> Api:
    return api_as(client, acme.workspace, adam)


def api_as(client: Any, workspace: Any, user: Any, role: str | None = None) -> Api:
    from okapi.workspaces.services import token_create

    return Api(client, token_create(workspace=workspace, user=user, role=role)[1])


def bad_fields(response: Any) -> set[str]:
    """The fields a 422 names, as dotted paths: `title`, `measurements[1].value`."""
    assert response.status_code == 422, (response.status_code, response.content)
    fields = set()
    for error in response.json()["detail"]:
        parts = [p for p in error["loc"] if p not in ("body", "query", "path")]
        path = ""
        for part in parts:
            if isinstance(part, int):
                path += f"[{part}]"
            else:
                path += f".{part}" if path else str(part)
        fields.add(path)
    return fields


def row_counts() -> dict[str, int]:
    """How many rows each table of workspace data holds."""
    from okapi.accounts.models import User
    from okapi.goals.models import CheckIn, Cycle, Initiative, KeyResult, Objective
    from okapi.kpis.models import Kpi, Measurement
    from okapi.workspaces.models import ApiToken, AuditEvent, Membership, Team, Workspace

    models = [User, Workspace, Membership, Team, ApiToken, AuditEvent, Cycle, Objective,
              KeyResult, Initiative, CheckIn, Kpi, Measurement]  # fmt: skip
    counts = {m.__name__: m.objects.count() for m in models}
    counts["team_members"] = Team.members.through.objects.count()
    counts["kr_initiatives"] = KeyResult.initiatives.through.objects.count()
    return counts
