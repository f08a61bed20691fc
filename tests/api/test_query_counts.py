"""Every list endpoint, the tree and the dashboard read in as many queries at 12 rows as at 2.

Measured, not pinned to a magic number: the same request is counted at two data sizes, so an
N+1 query cannot creep in unnoticed.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.conftest import Api


def populate(acme: Any, numbers: Iterable[int]) -> None:
    """Per number: a person, a team, a cycle, an initiative, a KPI with measurements, and an
    objective aligned to `grow` with three key results and three check-ins each."""
    from okapi.goals import services as goals
    from okapi.kpis import services as kpis
    from okapi.workspaces.access import actor_for, system_actor
    from okapi.workspaces.services import membership_set, team_create, user_create

    system = system_actor(acme.workspace)
    churn = goals.KeyResult.objects.get(workspace=acme.workspace, key="churn")
    for n in numbers:
        person = user_create(email=f"p{n}@acme.test", name=f"Person {n}")
        membership_set(actor=None, workspace=acme.workspace, user=person, role="member")
        team_create(actor=system, key=f"team-{n}", name=f"Team {n}", parent="growth",
                    lead=person.email, members=["bob@acme.test", person.email])  # fmt: skip
        start = dt.date(2028, 1, 1) + dt.timedelta(days=7 * n)
        goals.cycle_create(actor=system, key=f"sprint-{n}", start=start,
                           end=start + dt.timedelta(days=6))  # fmt: skip
        goals.initiative_create(actor=system, key=f"project-{n}", title=f"Project {n}",
                                owner=f"team-{n}")  # fmt: skip
        kpis.kpi_create(actor=system, key=f"kpi-{n}", name=f"KPI {n}", direction="up",
                        target=100, warning=90, cadence="weekly", owner=f"team-{n}")  # fmt: skip
        kpis.kpi_measure_bulk(actor=system, points=[
            kpis.Point(f"kpi-{n}", dt.date(2027, 2, day), 80 + day) for day in (1, 8, 15)
        ])  # fmt: skip
        objective = goals.objective_create(
            actor=system, key=f"objective-{n}", title=f"Improve area {n}", cycle="2027-Q1",
            owner=f"team-{n}", parent="grow",
        )  # fmt: skip
        for k in range(3):
            kr = goals.key_result_create(
                actor=system, objective=objective, key=f"kr-{n}-{k}", owner=person.email,
                title=f"Grow metric {n}.{k} from 0 to 10", baseline=0, target=10,
                initiatives=[f"project-{n}", "onboarding"], kpi=f"kpi-{n}" if k == 2 else None,
            )  # fmt: skip
            for day in (1, 8, 15):
                goals.checkin_create(actor=system, kr=kr, value=day % 10, author=person,
                                     at=dt.date(2027, 2, day))  # fmt: skip
        checkin = goals.checkin_create(actor=system, kr=churn, value=3 - n / 10, author=acme.bob,
                                       at=dt.date(2027, 1, 1) + dt.timedelta(days=n))  # fmt: skip
        goals.checkin_correct(actor=actor_for(acme.alice, "acme"), checkin=checkin,
                              moved=f"corrected {n}")  # fmt: skip


def rows(path: str, body: dict[str, Any]) -> int:
    if path.endswith("/tree"):
        return sum(1 + len(o["key_results"]) for o in body["objectives"])
    if path == "/dashboard/kpis":
        return len(body["kpis"])
    if path == "/objectives/grow":
        return len(body["children"])
    if path == "/initiatives/onboarding":
        return len(body["key_results"])
    return len(body["items"])


PATHS = [
    "/cycles/2027-Q1/tree",
    "/dashboard/kpis",
    "/objectives",
    "/key-results",
    "/kpis",
    "/teams",
    "/initiatives",
    "/audit",
    "/key-results/churn/checkins",
    "/cycles",
    "/members",
    "/objectives/grow",
    "/initiatives/onboarding",
]


def queries(api: Api, path: str) -> tuple[int, int]:
    """(SQL queries, rows returned) for one GET."""
    with CaptureQueriesContext(connection) as context:
        response = api.get(path, limit=1000)
    assert response.status_code == 200, response.content
    return len(context.captured_queries), rows(path, response.json())


@pytest.mark.parametrize("path", PATHS)
def test_it_reads_in_the_same_number_of_queries_at_any_size(
    okrs: Any, alice_api: Api, path: str
) -> None:
    populate(okrs, range(2))
    alice_api.get("/me")  # the token's first use is recorded once; keep it out of the count
    small, small_rows = queries(alice_api, path)
    populate(okrs, range(2, 12))
    large, large_rows = queries(alice_api, path)
    assert large_rows > small_rows
    assert large == small, f"{path}: {small} queries at {small_rows} rows, {large} at {large_rows}"


def test_it_reads_a_kpi_s_measurements_in_the_same_number_of_queries(
    okrs: Any, alice_api: Api
) -> None:
    from okapi.kpis.services import Point, kpi_measure_bulk
    from okapi.workspaces.access import system_actor

    def measure(days: range) -> None:
        points = [Point("nrr", dt.date(2027, 1, 1) + dt.timedelta(days=d), 100 + d) for d in days]
        kpi_measure_bulk(actor=system_actor(okrs.workspace), points=points)

    measure(range(2))
    alice_api.get("/me")
    small, small_rows = queries(alice_api, "/kpis/nrr/measurements")
    measure(range(2, 40))
    large, large_rows = queries(alice_api, "/kpis/nrr/measurements")
    assert (small_rows, large_rows) == (2, 40)
    assert large == small
