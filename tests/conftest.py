"""Shared fixtures: the Acme workspace and its people, as healthchecks' BaseTestCase has them.

- alice: owner of Acme
- bob: member of Acme, in the growth team
- vera: viewer in Acme
- charlie: owner of another workspace, Globex (an outsider to Acme)
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from typing import Any

import pytest
import time_machine

# Frozen "today" for tests that need one: mid-quarter, a Monday.
TODAY = dt.datetime(2027, 2, 15, 12, 0, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def fast_password_hashing(settings: Any) -> None:
    """Passwords are not under test; hashing them slowly (as production does) only costs time."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def signed_in(user: Any) -> Any:
    """A test client signed in as `user` (no password round trip)."""
    from django.test import Client

    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def frozen() -> Iterator[time_machine.Coordinates]:
    with time_machine.travel(TODAY, tick=False) as traveller:
        yield traveller


class Api:
    """A tiny JSON client for the API acting with one bearer token."""

    def __init__(self, client: Any, token: str | None):
        self.client = client
        self.token = token

    def _headers(self) -> dict[str, str]:
        return {"HTTP_AUTHORIZATION": f"Bearer {self.token}"} if self.token else {}

    def get(self, path: str, **params: Any) -> Any:
        return self.client.get(f"/api{path}", params, **self._headers())

    def _send(self, method: str, path: str, body: Any) -> Any:
        return getattr(self.client, method)(
            f"/api{path}",
            data=json.dumps(body, default=str),
            content_type="application/json",
            **self._headers(),
        )

    def post(self, path: str, body: Any = None) -> Any:
        return self._send("post", path, body if body is not None else {})

    def patch(self, path: str, body: Any) -> Any:
        return self._send("patch", path, body)

    def delete(self, path: str) -> Any:
        return self.client.delete(f"/api{path}", **self._headers())


@pytest.fixture
def acme(db: Any) -> Any:
    """Acme with alice (owner), bob (member, growth team), vera (viewer); Globex with charlie."""
    from okapi.workspaces.access import system_actor
    from okapi.workspaces.services import (
        membership_set,
        team_create,
        user_create,
        workspace_create,
    )

    alice = user_create(email="alice@acme.test", name="Alice", password="alice-pw")
    bob = user_create(email="bob@acme.test", name="Bob", password="bob-pw")
    vera = user_create(email="vera@acme.test", name="Vera", password="vera-pw")
    charlie = user_create(email="charlie@globex.test", name="Charlie", password="charlie-pw")
    workspace = workspace_create(key="acme", name="Acme Inc.", owner=alice)
    membership_set(actor=None, workspace=workspace, user=bob, role="member")
    membership_set(actor=None, workspace=workspace, user=vera, role="viewer")
    globex = workspace_create(key="globex", name="Globex", owner=charlie)
    system = system_actor(workspace)
    team_create(actor=system, key="growth", name="Growth", lead="alice@acme.test",
                members=["bob@acme.test"])  # fmt: skip
    team_create(actor=system, key="product", name="Product")

    class Acme:
        pass

    acme = Acme()
    acme.workspace, acme.globex = workspace, globex
    acme.alice, acme.bob, acme.vera, acme.charlie = alice, bob, vera, charlie
    return acme


def _token(workspace: Any, user: Any, role: str | None = None) -> str:
    from okapi.workspaces.services import token_create

    return token_create(workspace=workspace, user=user, role=role)[1]


@pytest.fixture
def alice_api(client: Any, acme: Any) -> Api:
    return Api(client, _token(acme.workspace, acme.alice))


@pytest.fixture
def bob_api(client: Any, acme: Any) -> Api:
    return Api(client, _token(acme.workspace, acme.bob))


@pytest.fixture
def vera_api(client: Any, acme: Any) -> Api:
    return Api(client, _token(acme.workspace, acme.vera))


@pytest.fixture
def charlie_api(client: Any, acme: Any) -> Api:
    return Api(client, _token(acme.globex, acme.charlie))


@pytest.fixture
def okrs(acme: Any, frozen: Any) -> Any:
    """A cycle 2027-Q1 with a company objective, a growth objective aligned to it, KRs and a KPI."""
    from okapi.goals import services as goals
    from okapi.kpis import services as kpis
    from okapi.workspaces.access import system_actor

    system = system_actor(acme.workspace)
    goals.cycle_create(actor=system, key="2027-Q1", start=dt.date(2027, 1, 1),
                       end=dt.date(2027, 3, 31))  # fmt: skip
    kpis.kpi_create(actor=system, key="nrr", name="Net revenue retention", unit="%",
                    direction="up", target=110, warning=105, cadence="monthly",
                    owner="growth")  # fmt: skip
    company = goals.objective_create(actor=system, key="grow", title="Grow revenue efficiently",
                                     cycle="2027-Q1", owner="alice@acme.test", level="company")  # fmt: skip
    growth = goals.objective_create(actor=system, key="retain", title="Make customers stay",
                                    cycle="2027-Q1", owner="growth", parent="grow")  # fmt: skip
    goals.initiative_create(actor=system, key="onboarding", title="Rebuild onboarding",
                            owner="growth")  # fmt: skip
    goals.key_result_create(actor=system, objective=company, key="arr", owner="alice@acme.test",
                            title="Grow ARR from $1M to $2M", baseline=1_000_000,
                            target=2_000_000, unit="$")  # fmt: skip
    goals.key_result_create(actor=system, objective=growth, key="churn", owner="bob@acme.test",
                            title="Reduce logo churn from 3% to 1.5%", baseline=3, target=1.5,
                            unit="%", initiatives=["onboarding"])  # fmt: skip
    goals.key_result_create(actor=system, objective=growth, key="nps-page",
                            owner="bob@acme.test", title="Launch the NPS survey",
                            kind="milestone")  # fmt: skip
    return acme
