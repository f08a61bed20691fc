"""The settings pages read in as many SQL queries with many rows as with few.

Measured at two data sizes, not pinned to a number, so that an N+1 query cannot creep in.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from okapi.goals import services as goals
from okapi.workspaces import services
from okapi.workspaces.access import actor_for, system_actor

PAGES = ["members/", "tokens/", "audit/", "teams/", "cycles/", "share/", ""]


def populate(acme: Any, numbers: Iterable[int]) -> None:
    """Per number: a member in a new team, their token, an invitation, a cycle, a share link,
    and the audit events all of that makes."""
    alice = actor_for(acme.alice, "acme")
    system = system_actor(acme.workspace)
    for n in numbers:
        person = services.user_create(email=f"p{n}@acme.test", name=f"Person {n}")
        services.membership_set(actor=alice, workspace=acme.workspace, user=person, role="member")
        services.team_create(actor=system, key=f"team-{n}", name=f"Team {n}", parent="growth",
                             lead=person.email, members=[person.email, "bob@acme.test"])  # fmt: skip
        services.token_create(workspace=acme.workspace, user=person, name=f"script {n}")
        services.token_create(workspace=acme.workspace, user=acme.alice, name=f"alice {n}")
        services.invitation_create(actor=alice, email=f"new{n}@acme.test", role="viewer")
        start = dt.date(2028, 1, 1) + dt.timedelta(days=7 * n)
        cycle = goals.cycle_create(actor=alice, key=f"sprint-{n}", start=start,
                                   end=start + dt.timedelta(days=6))  # fmt: skip
        services.share_link_create(actor=alice, kind="okrs", cycle=cycle, label=f"Screen {n}")


def count_queries(client: Client, path: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(path)
    assert response.status_code == 200, path
    return len(queries)


@pytest.mark.parametrize("page", PAGES)
def test_it_reads_a_settings_page_in_constant_queries(acme: Any, page: str) -> None:
    alice = Client()
    alice.force_login(acme.alice)
    path = f"/w/acme/settings/{page}"
    populate(acme, range(2))
    small = count_queries(alice, path)
    populate(acme, range(2, 14))
    large = count_queries(alice, path)
    assert small == large, f"{path}: {small} queries with 2 rows, {large} with 14"


def test_a_member_s_token_page_reads_in_constant_queries(acme: Any) -> None:
    bob = Client()
    bob.force_login(acme.bob)
    for n in range(2):
        services.token_create(workspace=acme.workspace, user=acme.bob, name=f"t{n}")
    small = count_queries(bob, "/w/acme/settings/tokens/")
    for n in range(2, 14):
        services.token_create(workspace=acme.workspace, user=acme.bob, name=f"t{n}")
    assert count_queries(bob, "/w/acme/settings/tokens/") == small


def test_a_filtered_audit_page_reads_in_constant_queries(acme: Any) -> None:
    alice = Client()
    alice.force_login(acme.alice)
    path = "/w/acme/settings/audit/?entity_type=team&actor=system&date_from=2020-01-01&page=1"
    populate(acme, range(2))
    small = count_queries(alice, path)
    populate(acme, range(2, 30))
    assert count_queries(alice, path) == small
