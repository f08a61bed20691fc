"""The KPI dashboard and the KPI page read in as many SQL queries with 15 KPIs and 200
measurements each as with 3 KPIs and 50: measured at two sizes, so an N+1 cannot creep in."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from okapi.goals.models import KeyResult
from okapi.kpis.models import Kpi

SIZES = ({"kpis": 3, "measurements": 50}, {"kpis": 15, "measurements": 200})


def populate(acme: Any, *, kpis: int, measurements: int) -> None:
    """`kpis` KPIs (cadences and directions mixed) with `measurements` daily points each, and a
    key result targeting `kpi-0` per KPI."""
    from okapi.goals import services as goals
    from okapi.goals.models import Objective
    from okapi.kpis import services
    from okapi.workspaces.access import system_actor

    system = system_actor(acme.workspace)
    objective = Objective.objects.get(workspace=acme.workspace, key="retain")
    cadences = ["daily", "weekly", "monthly", "quarterly"]
    for n in range(kpis):
        direction = ["up", "down", "range"][n % 3]
        thresholds = (
            {"target_low": 40, "target_high": 60, "warning_low": 30, "warning_high": 70}
            if direction == "range"
            else {"target": 50, "warning": 40 if direction == "up" else 60}
        )
        services.kpi_create(actor=system, key=f"kpi-{n}", name=f"KPI {n}", unit="%",
                            direction=direction, cadence=cadences[n % 4], owner="growth",
                            **thresholds)  # fmt: skip
        start = dt.date(2027, 2, 14) - dt.timedelta(days=measurements - 1)
        services.kpi_measure_bulk(actor=system, audit=False, points=[
            services.Point(f"kpi-{n}", start + dt.timedelta(days=d), 30 + (d * 7 + n) % 40)
            for d in range(measurements)
        ])  # fmt: skip
        goals.key_result_create(actor=system, objective=objective, key=f"kr-{n}",
                                owner="bob@acme.test", title=f"Move KPI 0 from 50 to {60 + n}",
                                baseline=50, target=60 + n, kpi="kpi-0")  # fmt: skip


def reset() -> None:
    KeyResult.objects.filter(key__startswith="kr-").delete()
    Kpi.objects.filter(key__startswith="kpi-").delete()


def count_queries(client: Any, path: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(path)
    assert response.status_code == 200
    return len(queries)


PAGES = ["/w/acme/kpis/", "/w/acme/kpis/kpi-0/", "/w/acme/kpis/kpi-0/?period=all&page=2"]


@pytest.mark.parametrize("path", PAGES)
def test_it_reads_a_kpi_page_in_as_many_queries_at_both_sizes(client, okrs, path):
    counts = []
    for size in SIZES:
        reset()
        populate(okrs, **size)
        client.force_login(okrs.bob)
        counts.append(count_queries(client, path))
    assert counts[0] == counts[1], counts
    assert counts[0] <= 12, counts
    print(path, counts)


def test_adding_a_measurement_with_htmx_reads_as_many_queries_at_both_sizes(client, okrs):
    counts = []
    for size in SIZES:
        reset()
        populate(okrs, **size)
        client.force_login(okrs.bob)
        with CaptureQueriesContext(connection) as queries:
            response = client.post("/w/acme/kpis/kpi-0/measurements/",
                                   {"value": "55", "at": "2027-02-15T09:00"},
                                   HTTP_HX_REQUEST="true")  # fmt: skip
        assert response.status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1], counts
