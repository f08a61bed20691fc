"""Forecasts in the API: stored with the roll-up, recomputed when their inputs change, read from
the three stored numbers in the cycle tree (constant queries), null where they mean nothing."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.conftest import Api

SHAPE = {"value", "low", "high", "score", "score_low", "score_high", "chance", "chance_of",
         "drifting"}  # fmt: skip


def tree_kr(api: Api, key: str, cycle: str = "2027-Q1") -> dict[str, Any]:
    tree = api.get(f"/cycles/{cycle}/tree").json()
    return next(k for o in tree["objectives"] for k in o["key_results"] if k["key"] == key)


def check_in(api: Api, key: str, history: list[tuple[str, float]]) -> None:
    for at, value in history:
        response = api.post(f"/key-results/{key}/checkins", {"value": value, "at": at})
        assert response.status_code == 201, response.content


def stored(key: str) -> tuple[float | None, float | None, float | None]:
    from okapi.goals.models import KeyResult

    return KeyResult.objects.values_list("forecast_value", "forecast_low", "forecast_high").get(
        key=key
    )


# arr: $1M → $2M over 2027-01-01 … 2027-03-31 (89 days), $10k a day: lands on $1.89M.
LINEAR = [("2027-01-11", 1_100_000), ("2027-01-21", 1_200_000), ("2027-01-31", 1_300_000)]


def test_it_forecasts_a_linear_history_exactly(okrs: Any, alice_api: Api) -> None:
    assert tree_kr(alice_api, "arr")["forecast"] is None
    check_in(alice_api, "arr", LINEAR[:1])
    assert tree_kr(alice_api, "arr")["forecast"] is None  # one check-in: no trend yet
    check_in(alice_api, "arr", LINEAR[1:])
    forecast = tree_kr(alice_api, "arr")["forecast"]
    assert forecast == {
        "value": 1_890_000.0, "low": 1_890_000.0, "high": 1_890_000.0,  # no spread on a line
        "score": 0.89, "score_low": 0.89, "score_high": 0.89,
        "chance": 1.0, "chance_of": 0.7, "drifting": False,
    }  # fmt: skip
    assert stored("arr") == (1_890_000.0,) * 3
    # The same dict on every read of the KR.
    assert alice_api.get("/key-results/arr").json()["forecast"] == forecast
    listed = alice_api.get("/key-results").json()["items"]
    assert next(k for k in listed if k["key"] == "arr")["forecast"] == forecast


def test_it_forecasts_a_decreasing_key_result_and_flags_drift(okrs: Any, bob_api: Api) -> None:
    # churn: 3% → 1.5%, barely moving: the trend lands far from the target.
    check_in(bob_api, "churn", [("2027-01-15", 3.0), ("2027-02-01", 2.9), ("2027-02-10", 2.95)])
    forecast = tree_kr(bob_api, "churn")["forecast"]
    assert set(forecast) == SHAPE
    assert forecast["value"] > 2.5
    assert forecast["low"] <= forecast["value"] <= forecast["high"]
    assert forecast["score"] < 0.4
    assert forecast["drifting"] is True
    assert forecast["score_low"] <= forecast["score"] <= forecast["score_high"]
    assert forecast["chance"] < 0.2

    # A good quarter for churn: falling fast, ahead of the line to 1.5% (lower is better).
    check_in(bob_api, "churn", [("2027-02-12", 2.0), ("2027-02-15", 1.8)])
    better = tree_kr(bob_api, "churn")["forecast"]
    assert better["value"] < forecast["value"]
    assert better["score"] > forecast["score"]


def test_it_rounds_the_chance_to_two_decimals(okrs: Any, bob_api: Api) -> None:
    check_in(bob_api, "churn", [("2027-01-10", 2.8), ("2027-01-20", 2.7), ("2027-02-01", 2.2),
                                ("2027-02-08", 2.4), ("2027-02-14", 2.0)])  # fmt: skip
    forecast = tree_kr(bob_api, "churn")["forecast"]
    assert forecast["low"] < forecast["high"]
    assert forecast["chance"] == round(forecast["chance"], 2)
    assert 0 < forecast["chance"] < 1


def test_it_asks_a_committed_objective_for_a_full_score(okrs: Any, alice_api: Api) -> None:
    check_in(alice_api, "arr", LINEAR)
    assert alice_api.patch("/objectives/grow", {"type": "committed"}).status_code == 200
    forecast = tree_kr(alice_api, "arr")["forecast"]
    assert forecast["chance_of"] == 1.0
    assert forecast["chance"] == 0.0  # the line lands at $1.89M, short of $2M, with no spread
    assert forecast["drifting"] is False


def test_it_gives_no_forecast_in_a_closed_cycle(okrs: Any, alice_api: Api) -> None:
    check_in(alice_api, "arr", LINEAR)
    assert tree_kr(alice_api, "arr")["forecast"] is not None
    assert alice_api.post("/cycles/2027-Q1/close", {"note": "done"}).status_code == 200
    assert tree_kr(alice_api, "arr")["forecast"] is None  # the final score is what counts


def test_it_gives_milestones_no_forecast(okrs: Any, bob_api: Api) -> None:
    check_in(bob_api, "nps-page", [("2027-01-10", 0), ("2027-02-10", 1)])
    assert tree_kr(bob_api, "nps-page")["forecast"] is None
    assert stored("nps-page") == (None, None, None)


def test_it_recomputes_when_the_cycle_end_moves(okrs: Any, alice_api: Api) -> None:
    check_in(alice_api, "arr", LINEAR)
    response = alice_api.patch("/cycles/2027-Q1", {"end": "2027-06-29"})  # day 179
    assert response.status_code == 200
    assert tree_kr(alice_api, "arr")["forecast"]["value"] == 2_790_000.0
    assert tree_kr(alice_api, "arr")["forecast"]["score"] == 1.0
    # The start moves too: the baseline anchors the line at the new start.
    alice_api.patch("/cycles/2027-Q1", {"start": "2027-01-11", "end": "2027-03-31"})
    assert stored("arr")[0] == 1_890_000.0  # still the same line through the check-ins


def test_it_recomputes_when_the_baseline_changes(okrs: Any, alice_api: Api) -> None:
    check_in(alice_api, "arr", LINEAR[1:])  # two check-ins, anchored by the baseline at the start
    before = stored("arr")
    response = alice_api.patch("/key-results/arr", {"baseline": 500_000})
    assert response.status_code == 200
    assert stored("arr") != before
    assert response.json()["forecast"] == tree_kr(alice_api, "arr")["forecast"]


def test_it_recomputes_when_an_objective_moves_to_another_cycle(okrs: Any, alice_api: Api) -> None:
    check_in(alice_api, "arr", LINEAR)
    body = {"key": "2027-H1", "start": "2027-01-01", "end": "2027-06-29"}
    assert alice_api.post("/cycles", body).status_code == 201
    assert alice_api.post("/objectives/grow/move", {"cycle": "2027-H1"}).status_code == 200
    assert tree_kr(alice_api, "arr", "2027-H1")["forecast"]["value"] == 2_790_000.0


def test_it_forecasts_a_kpi_linked_key_result_from_the_kpi_s_measurements(
    okrs: Any, alice_api: Api
) -> None:
    from okapi.workspaces.models import Workspace

    Workspace.objects.filter(key="acme").update(timezone="America/New_York")
    body = {"objective": "retain", "key": "nrr-kr", "title": "Grow NRR from 100% to 120%",
            "owner": "bob@acme.test", "baseline": 100, "target": 120, "unit": "%", "kpi": "nrr"}  # fmt: skip
    assert alice_api.post("/key-results", body).status_code == 201
    assert tree_kr(alice_api, "nrr-kr")["forecast"] is None
    # 0.1 a day from 100% on Jan 1 (local dates); the one from 2026 is outside the cycle, and
    # 02:00 UTC on Jan 11 is still Jan 10 in New York: it counts for that day.
    points = [
        {"kpi": "nrr", "at": "2026-12-20", "value": 50},
        {"kpi": "nrr", "at": "2027-01-11T02:00:00Z", "value": 100.9},
        {"kpi": "nrr", "at": "2027-01-31", "value": 103},
    ]
    response = alice_api.post("/measurements", {"measurements": points})
    assert response.status_code == 201
    forecast = tree_kr(alice_api, "nrr-kr")["forecast"]
    assert forecast["value"] == pytest.approx(108.9)
    assert forecast["low"] == forecast["high"] == forecast["value"]
    # One more measurement through the single-measurement endpoint moves it.
    response = alice_api.post("/kpis/nrr/measurements", {"at": "2027-02-10", "value": 110})
    assert response.status_code == 201
    assert tree_kr(alice_api, "nrr-kr")["forecast"]["value"] > 108.9
    # A KR linked to the KPI later takes the measurements at once; unlinking drops them.
    body = {"objective": "grow", "key": "nrr-2", "title": "NRR to 120%", "owner": "alice@acme.test",
            "baseline": 100, "target": 120, "kpi": "nrr"}  # fmt: skip
    assert alice_api.post("/key-results", body).status_code == 201
    assert tree_kr(alice_api, "nrr-2")["forecast"] is not None
    assert alice_api.patch("/key-results/nrr-2", {"kpi": None}).status_code == 200
    assert tree_kr(alice_api, "nrr-2")["forecast"] is None  # and no check-ins of its own


def test_it_stores_no_forecast_when_the_trend_runs_off_the_scale(okrs: Any, alice_api: Api) -> None:
    check_in(alice_api, "arr", [("2027-01-02", 0), ("2027-01-03", 9e16)])
    assert stored("arr") == (None, None, None)
    assert tree_kr(alice_api, "arr")["forecast"] is None


def test_it_fills_the_forecasts_of_open_cycles(okrs: Any, alice_api: Api) -> None:
    from okapi.goals.models import KeyResult
    from okapi.goals.services import refresh_open_cycle_forecasts

    check_in(alice_api, "arr", LINEAR)
    KeyResult.objects.update(forecast_value=None, forecast_low=None, forecast_high=None)
    assert refresh_open_cycle_forecasts(okrs.globex) == 0
    assert stored("arr") == (None, None, None)
    assert refresh_open_cycle_forecasts(okrs.workspace) == 1
    assert stored("arr") == (1_890_000.0,) * 3
    assert refresh_open_cycle_forecasts() == 0  # nothing changed: nothing written


def test_the_periodic_fill_reads_only_krs_missing_a_forecast(okrs: Any, alice_api: Api) -> None:
    from okapi.goals.models import KeyResult
    from okapi.goals.services import refresh_open_cycle_forecasts

    check_in(alice_api, "arr", LINEAR)
    KeyResult.objects.filter(key="arr").update(forecast_value=1, forecast_low=1, forecast_high=1)
    assert refresh_open_cycle_forecasts(okrs.workspace) == 0  # stored ones are kept current
    assert stored("arr") == (1.0,) * 3
    assert refresh_open_cycle_forecasts(okrs.workspace, recompute=True) == 1
    assert stored("arr") == (1_890_000.0,) * 3


def test_it_refreshes_forecasts_in_a_constant_number_of_queries(okrs: Any) -> None:
    from okapi.goals import services as goals
    from okapi.goals.models import KeyResult
    from okapi.kpis.services import Point, kpi_measure_bulk
    from okapi.workspaces.access import system_actor

    system = system_actor(okrs.workspace)
    objective = goals.Objective.objects.get(key="retain")

    def grow(numbers: range) -> int:
        for n in numbers:
            kr = goals.key_result_create(actor=system, objective=objective, key=f"m-{n}",
                                         owner="bob@acme.test", title=f"Metric {n}",
                                         baseline=0, target=10, kpi="nrr" if n % 2 else None)  # fmt: skip
            for day in (5, 12, 19):
                goals.checkin_create(actor=system, kr=kr, value=day + n, author=okrs.bob,
                                     at=dt.date(2027, 1, day))  # fmt: skip
        KeyResult.objects.update(forecast_value=None, forecast_low=None, forecast_high=None)
        with CaptureQueriesContext(connection) as context:
            goals.refresh_open_cycle_forecasts()
        return len(context.captured_queries)

    assert grow(range(2)) == grow(range(2, 12))

    def measure(days: range, slope: int) -> int:
        points = [
            Point("nrr", dt.date(2027, 1, 1) + dt.timedelta(days=d), 100 + slope * d) for d in days
        ]
        with CaptureQueriesContext(connection) as context:
            kpi_measure_bulk(actor=system, points=points)
        return len(context.captured_queries)

    # Each import changes the forecasts (another slope): both write them, a bulk import no slower.
    assert measure(range(3), slope=1) == measure(range(80), slope=2)
    assert KeyResult.objects.filter(kpi__key="nrr", forecast_value__isnull=True).count() == 0


def _core(history: list[tuple[dt.date, float]], baseline: float) -> tuple[float, ...] | None:
    from okapi.core.forecast import forecast_kr

    result = forecast_kr(checkins=history, start=dt.date(2027, 1, 1), end=dt.date(2027, 3, 31),
                         baseline=baseline)  # fmt: skip
    if result is None:
        return None
    return tuple(round(x, 6) for x in (result.value, result.low, result.high))


HISTORIES = [
    [(1, 1.0)],
    [(5, 1.0), (5, 2.0)],  # one day only: the last of the day counts, no trend
    [(3, 2.0), (40, 2.5)],
    [(3, 2.0), (10, 2.8), (17, 2.6), (24, 2.1), (31, 1.9), (38, 1.7), (45, 1.8)],
    [(1, 3.0), (8, 3.0), (15, 3.0), (22, 3.0)],
    [(2, 1.0), (9, 7.5), (16, 2.25), (23, 9.125), (30, 0.5), (37, 4.0), (44, 45.0)],
]


@pytest.mark.parametrize("history", HISTORIES)
def test_it_stores_what_the_core_forecasts_for_the_history(
    okrs: Any, bob_api: Api, history: list[tuple[int, float]]
) -> None:
    dated = [(dt.date(2027, 1, 1) + dt.timedelta(days=d - 1), v) for d, v in history]
    check_in(bob_api, "churn", [(at.isoformat(), v) for at, v in dated])
    expected = _core(dated, baseline=3.0)
    assert stored("churn") == (expected if expected is not None else (None, None, None))
    forecast = tree_kr(bob_api, "churn")["forecast"]
    if expected is None:
        assert forecast is None
    else:
        assert (forecast["value"], forecast["low"], forecast["high"]) == expected


def test_it_documents_the_forecast_in_the_openapi_schema(client: Any) -> None:
    schema = client.get("/api/openapi.json").json()["components"]["schemas"]
    assert set(schema["KeyResultForecastOut"]["properties"]) == SHAPE
    ref = {"$ref": "#/components/schemas/KeyResultForecastOut"}
    # The KR schema of the tree (found by its fields: another module may reuse the class name).
    krs = [s for s in schema.values() if {"progress_raw", "stuck"} <= set(s.get("properties", {}))]
    assert krs
    assert all(ref in kr["properties"]["forecast"]["anyOf"] for kr in krs)


def test_deleting_the_kpi_a_kr_followed_drops_the_forecast_it_gave(okrs: Any) -> None:
    from okapi.goals import services as goals
    from okapi.goals.models import KeyResult
    from okapi.kpis.models import Kpi
    from okapi.kpis.services import Point, kpi_delete, kpi_measure_bulk
    from okapi.workspaces.access import system_actor

    system = system_actor(okrs.workspace)
    goals.key_result_update(actor=system, kr=KeyResult.objects.get(key="arr"), kpi="nrr")
    for day, value in [(10, 100), (25, 103), (41, 106)]:
        at = dt.date(2027, 1, 1) + dt.timedelta(days=day)
        kpi_measure_bulk(actor=system, points=[Point("nrr", at, value)])
    assert stored("arr")[0] is not None  # projected from NRR's measurements
    kpi_delete(actor=system, kpi=Kpi.objects.get(workspace=okrs.workspace, key="nrr"))
    assert stored("arr") == (None, None, None)  # no check-ins of its own: no forecast


def test_it_gives_two_noisy_late_check_ins_a_range_not_a_certainty(
    okrs: Any, alice_api: Api
) -> None:
    # A month in at +2%, a week later at +30%: far from a line, so no "100% chance".
    check_in(alice_api, "arr", [("2027-02-01", 1_020_000), ("2027-02-08", 1_300_000)])
    forecast = tree_kr(alice_api, "arr")["forecast"]
    assert forecast["low"] < forecast["value"] < forecast["high"]
    assert forecast["high"] - forecast["low"] > 2_000_000
    assert 0 < forecast["chance"] < 1
    assert forecast["score_low"] < forecast["score_high"]


def test_moving_an_objective_to_a_later_cycle_keeps_its_trend(okrs: Any, alice_api: Api) -> None:
    """The check-ins now all precede the start: they keep their trend; the baseline ($1M at the
    old start) pinned at the new start would read as a fall to it, and a drift."""
    from okapi.rhythm import alerts

    check_in(alice_api, "arr", [("2027-01-10", 1_100_000), ("2027-01-24", 1_250_000),
                                ("2027-02-07", 1_400_000)])  # fmt: skip
    body = {"key": "2027-T1", "start": "2027-02-10", "end": "2027-05-31"}
    assert alice_api.post("/cycles", body).status_code == 201
    assert alice_api.post("/objectives/grow/move", {"cycle": "2027-T1"}).status_code == 200
    forecast = tree_kr(alice_api, "arr", "2027-T1")["forecast"]
    # $150k a fortnight from $1.4M on Feb 7, 113 days to May 31.
    assert forecast["value"] == pytest.approx(1_400_000 + 150_000 / 14 * 113, abs=1e-5)
    assert forecast["low"] == forecast["value"] == forecast["high"]  # on a line
    assert forecast["score"] == 1.0
    assert forecast["drifting"] is False
    assert alerts.scan_drift(okrs.workspace, at=dt.datetime(2027, 2, 15, 12, tzinfo=dt.UTC)) == 0


def test_moving_the_cycle_start_later_keeps_the_line_through_the_check_ins(
    okrs: Any, alice_api: Api
) -> None:
    # Jan 11 now precedes the start: it stands for the start in place of the baseline ($1M).
    check_in(alice_api, "arr", LINEAR)
    assert alice_api.patch("/cycles/2027-Q1", {"start": "2027-01-15"}).status_code == 200
    assert stored("arr") == (1_890_000.0,) * 3
