"""The cycle tree (scores, bands, pace, success, alignment) and the KPI dashboard (health, change)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from tests.conftest import Api

EXPECTED = 46 / 90  # 15 February is day 46 of the 90 days of 2027-Q1


def tree(api: Api) -> dict[str, Any]:
    response = api.get("/cycles/2027-Q1/tree")
    assert response.status_code == 200
    return response.json()


def objective(api: Api, key: str) -> dict[str, Any]:
    return next(o for o in tree(api)["objectives"] if o["key"] == key)


def test_it_returns_the_cycle_with_its_objectives_and_key_results(
    okrs: Any, alice_api: Api
) -> None:
    body = tree(alice_api)
    assert body["cycle"] == {
        "key": "2027-Q1", "name": "2027-Q1", "start": "2027-01-01", "end": "2027-03-31",
        "closed": False, "closed_at": None, "review_note": "", "today": "2027-02-15",
        "expected_progress": pytest.approx(EXPECTED, abs=1e-4),
    }  # fmt: skip
    assert [o["key"] for o in body["objectives"]] == ["grow", "retain"]
    grow, retain = body["objectives"]
    assert [kr["key"] for kr in grow["key_results"]] == ["arr"]
    assert [kr["key"] for kr in retain["key_results"]] == ["churn", "nps-page"]
    assert retain["key_results"][0]["initiatives"] == ["onboarding"]
    assert grow["owner"] == "alice@acme.test"
    assert retain["owner"] == "growth"
    assert grow["level"] == "company"


def test_it_shows_the_alignment(okrs: Any, alice_api: Api) -> None:
    alice_api.post("/objectives", {"key": "activate", "title": "Activate new users faster",
                                   "cycle": "2027-Q1", "owner": "growth",
                                   "parent": "retain"})  # fmt: skip
    body = tree(alice_api)
    by_key = {o["key"]: o for o in body["objectives"]}
    assert body["roots"] == ["grow"]
    assert (by_key["grow"]["parent"], by_key["grow"]["children"]) == (None, ["retain"])
    assert (by_key["retain"]["parent"], by_key["retain"]["children"]) == ("grow", ["activate"])
    assert (by_key["activate"]["parent"], by_key["activate"]["children"]) == ("retain", [])


def test_it_counts_an_objective_aligned_to_another_cycle_as_a_root(
    okrs: Any, alice_api: Api
) -> None:
    alice_api.post("/cycles", {"key": "FY2027", "start": "2027-01-01", "end": "2027-12-31"})
    alice_api.post("/objectives", {"key": "north", "title": "Become the default OKR tool",
                                   "cycle": "FY2027", "owner": "alice@acme.test",
                                   "level": "company"})  # fmt: skip
    alice_api.patch("/objectives/grow", {"parent": "north"})
    body = tree(alice_api)
    assert body["roots"] == ["grow"]
    assert body["objectives"][0]["parent"] == "north"
    assert alice_api.get("/objectives/north").json()["children"] == ["grow"]


def test_it_scores_an_objective_as_the_weighted_mean_of_its_key_results(
    okrs: Any, bob_api: Api
) -> None:
    bob_api.post("/key-results/churn/checkins", {"value": 2.25})  # 0.5
    bob_api.post("/key-results/nps-page/checkins", {"value": 1})  # 1.0
    retain = objective(bob_api, "retain")
    assert retain["score"] == 0.75
    assert retain["band"] == "green"
    assert retain["success"] is True  # aspirational: 0.7 is success

    bob_api.patch("/key-results/churn", {"weight": 3})
    retain = objective(bob_api, "retain")
    assert retain["score"] == 0.625  # (0.5 × 3 + 1.0 × 1) / 4
    assert retain["band"] == "yellow"
    assert retain["success"] is False
    assert retain["key_results"][0]["weight"] == 3.0


def test_it_averages_the_objectives_into_the_cycle_score(
    okrs: Any, alice_api: Api, bob_api: Api
) -> None:
    alice_api.post("/key-results/arr/checkins", {"value": 1_200_000})  # grow: 0.2
    bob_api.post("/key-results/churn/checkins", {"value": 2.25})  # retain: (0.5 + 0) / 2
    body = tree(alice_api)
    assert [o["score"] for o in body["objectives"]] == [0.2, 0.25]
    assert body["score"] == 0.225
    assert body["band"] == "red"


def test_it_gives_an_objective_without_key_results_no_score(okrs: Any, alice_api: Api) -> None:
    alice_api.post("/objectives", {"key": "empty", "title": "Improve hiring",
                                   "cycle": "2027-Q1", "owner": "product"})  # fmt: skip
    empty = objective(alice_api, "empty")
    assert (empty["score"], empty["band"], empty["success"]) == (None, None, False)
    assert tree(alice_api)["score"] == 0.0  # the mean of the two scored objectives


@pytest.mark.parametrize(
    ("arr", "score", "band"),
    [
        (1_000_000, 0.0, "red"),
        (1_300_000, 0.3, "red"),
        (1_350_000, 0.35, "red"),  # between the bands: the lower one
        (1_400_000, 0.4, "yellow"),
        (1_600_000, 0.6, "yellow"),
        (1_690_000, 0.69, "yellow"),
        (1_700_000, 0.7, "green"),
        (2_000_000, 1.0, "green"),
        (3_000_000, 1.0, "green"),
    ],
)
def test_it_colours_scores_in_bands(
    okrs: Any, alice_api: Api, arr: int, score: float, band: str
) -> None:
    alice_api.post("/key-results/arr/checkins", {"value": arr})
    grow = objective(alice_api, "grow")
    assert (grow["score"], grow["band"]) == (score, band)
    assert (grow["key_results"][0]["progress"], grow["key_results"][0]["band"]) == (score, band)


@pytest.mark.parametrize(
    ("objective_type", "churn", "nps_done", "success"),
    [
        ("aspirational", 2.25, 1, True),  # 0.75
        ("aspirational", 2.4, 1, True),  # 0.7
        ("aspirational", 2.7, 1, False),  # 0.6
        ("committed", 2.25, 1, False),  # 0.75 is a miss when 1.0 was promised
        ("committed", 1.5, 1, True),  # 1.0
        ("committed", 1.0, 1, True),  # over the target, clipped to 1.0
    ],
)
def test_it_judges_success_by_the_objective_type(
    okrs: Any, bob_api: Api, objective_type: str, churn: float, nps_done: int, success: bool
) -> None:
    bob_api.patch("/objectives/retain", {"type": objective_type})
    bob_api.post("/key-results/churn/checkins", {"value": churn})
    bob_api.post("/key-results/nps-page/checkins", {"value": nps_done})
    retain = objective(bob_api, "retain")
    assert retain["type"] == objective_type
    assert retain["success"] is success


@pytest.mark.parametrize(
    ("arr", "pace"),
    [
        (None, "no_data"),
        (1_000_000, "behind"),
        (1_400_000, "behind"),  # 0.40 < 0.511 − 0.1
        (1_420_000, "on_pace"),
        (1_511_111, "on_pace"),
        (1_610_000, "on_pace"),
        (1_620_000, "ahead"),  # 0.62 > 0.511 + 0.1
        (2_000_000, "ahead"),
    ],
)
def test_it_compares_progress_with_the_expected_pace(
    okrs: Any, alice_api: Api, arr: int | None, pace: str
) -> None:
    if arr is not None:
        alice_api.post("/key-results/arr/checkins", {"value": arr})
    grow = objective(alice_api, "grow")
    assert grow["expected_progress"] == pytest.approx(EXPECTED, abs=1e-4)
    assert grow["key_results"][0]["pace"] == pace


def test_it_measures_pace_against_the_whole_cycle_once_it_is_over(
    okrs: Any, alice_api: Api, frozen: Any
) -> None:
    alice_api.post("/key-results/arr/checkins", {"value": 1_950_000})
    frozen.move_to(dt.datetime(2027, 5, 1, 12, tzinfo=dt.UTC))
    grow = objective(alice_api, "grow")
    assert grow["expected_progress"] == 1.0
    assert grow["key_results"][0]["pace"] == "on_pace"


def test_it_scores_a_closed_cycle_with_the_final_scores(
    okrs: Any, alice_api: Api, bob_api: Api
) -> None:
    bob_api.post("/key-results/churn/checkins", {"value": 2.25})
    alice_api.post("/cycles/2027-Q1/close", {"final_scores": {"nps-page": 0.5}})
    bob_api.post("/key-results/churn/checkins", {"value": 1.5})  # after closing
    retain = objective(alice_api, "retain")
    assert [kr["final_score"] for kr in retain["key_results"]] == [0.5, 0.5]
    assert retain["score"] == 0.5
    assert tree(alice_api)["cycle"]["closed"] is True


# --------------------------------------------------------------------------- the KPI dashboard


def make_kpi(api: Api, key: str, **fields: Any) -> None:
    response = api.post("/kpis", {"key": key, "name": key.upper(), "owner": "growth", **fields})
    assert response.status_code == 201, response.content


def measure(api: Api, key: str, *points: tuple[str, float]) -> None:
    for at, value in points:
        assert api.post(f"/kpis/{key}/measurements", {"at": at, "value": value}).status_code == 201


UP = {"direction": "up", "target": 110, "warning": 105, "cadence": "monthly"}
DOWN = {"direction": "down", "target": 300, "warning": 400, "cadence": "daily"}
RANGE = {"direction": "range", "target_low": 30, "target_high": 50, "warning_low": 25,
         "warning_high": 55, "cadence": "weekly"}  # fmt: skip
RANGE_NO_WARNING = {"direction": "range", "target_low": 30, "target_high": 50}
UP_NO_WARNING = {"direction": "up", "target": 110}


@pytest.mark.parametrize(
    ("fields", "value", "health"),
    [
        (UP, 110, "green"),
        (UP, 125, "green"),
        (UP, 107, "amber"),
        (UP, 105, "amber"),
        (UP, 104.9, "red"),
        (UP_NO_WARNING, 109, "red"),
        (DOWN, 250, "green"),
        (DOWN, 300, "green"),
        (DOWN, 350, "amber"),
        (DOWN, 400, "amber"),
        (DOWN, 450, "red"),
        (RANGE, 30, "green"),
        (RANGE, 50, "green"),
        (RANGE, 27, "amber"),
        (RANGE, 54, "amber"),
        (RANGE, 24, "red"),
        (RANGE, 60, "red"),
        (RANGE_NO_WARNING, 29, "red"),
    ],
)
def test_it_shows_each_kpi_s_health(
    okrs: Any, alice_api: Api, fields: dict[str, Any], value: float, health: str
) -> None:
    make_kpi(alice_api, "metric", **fields)
    measure(alice_api, "metric", ("2027-02-15", value))
    kpi = next(k for k in alice_api.get("/dashboard/kpis").json()["kpis"] if k["key"] == "metric")
    assert kpi["latest_value"] == value
    assert kpi["health"] == health
    assert alice_api.get("/kpis/metric").json()["health"] == health


@pytest.mark.parametrize(
    ("cadence", "days_old", "health"),
    [
        ("daily", 2, "green"),
        ("daily", 3, "stale"),
        ("weekly", 14, "green"),
        ("weekly", 15, "stale"),
        ("monthly", 62, "green"),
        ("monthly", 63, "stale"),
        ("quarterly", 184, "green"),
        ("quarterly", 185, "stale"),
    ],
)
def test_it_calls_a_kpi_stale_after_two_cadence_periods(
    okrs: Any, alice_api: Api, cadence: str, days_old: int, health: str
) -> None:
    make_kpi(alice_api, "metric", **UP_NO_WARNING, cadence=cadence)
    at = dt.datetime(2027, 2, 15, 12, tzinfo=dt.UTC) - dt.timedelta(days=days_old)
    measure(alice_api, "metric", (at.isoformat(), 200))
    assert alice_api.get("/kpis/metric").json()["health"] == health


def test_it_shows_the_change_against_one_cadence_period_earlier(okrs: Any, alice_api: Api) -> None:
    measure(alice_api, "nrr", ("2026-12-01", 90), ("2027-01-01", 100), ("2027-01-20", 104),
            ("2027-02-01", 108))  # fmt: skip
    kpi = alice_api.get("/kpis/nrr").json()
    assert kpi["latest_value"] == 108
    assert kpi["latest_at"] == "2027-02-01T00:00:00Z"
    assert kpi["previous_value"] == 100  # 31 days before the latest, not the one just before
    assert kpi["previous_at"] == "2027-01-01T00:00:00Z"
    assert kpi["change"] == 8
    assert kpi["change_relative"] == 0.08
    assert kpi["health"] == "amber"


def test_it_shows_no_change_without_a_measurement_a_period_earlier(
    okrs: Any, alice_api: Api
) -> None:
    measure(alice_api, "nrr", ("2027-01-20", 104), ("2027-02-01", 108))
    kpi = alice_api.get("/kpis/nrr").json()
    assert (kpi["previous_value"], kpi["change"], kpi["change_relative"]) == (None, None, None)


def test_it_lists_every_kpi_breaches_first_with_counts(okrs: Any, alice_api: Api) -> None:
    make_kpi(alice_api, "latency", **DOWN)
    make_kpi(alice_api, "nps", **RANGE)
    make_kpi(alice_api, "signups", **UP_NO_WARNING, cadence="weekly")
    make_kpi(alice_api, "uptime", **UP_NO_WARNING, cadence="daily")
    make_kpi(alice_api, "empty", **UP)
    measure(alice_api, "nrr", ("2027-02-01", 107))  # amber
    measure(alice_api, "latency", ("2027-02-15", 450))  # red
    measure(alice_api, "nps", ("2027-02-14", 60))  # red
    measure(alice_api, "signups", ("2027-01-01", 500))  # stale
    measure(alice_api, "uptime", ("2027-02-15", 120))  # green
    body = alice_api.get("/dashboard/kpis").json()
    assert [(k["key"], k["health"]) for k in body["kpis"]] == [
        ("latency", "red"), ("nps", "red"), ("nrr", "amber"), ("signups", "stale"),
        ("empty", "no_data"), ("uptime", "green"),
    ]  # fmt: skip
    assert body["counts"] == {"red": 2, "amber": 1, "stale": 1, "no_data": 1, "green": 1}
    assert body["generated_at"].startswith("2027-02-15T12:00:00")


def test_it_lists_the_key_results_that_target_a_kpi(okrs: Any, alice_api: Api) -> None:
    alice_api.patch("/key-results/churn", {"kpi": "nrr"})
    kpi = alice_api.get("/dashboard/kpis").json()["kpis"][0]
    assert kpi["key_results"] == ["churn"]


def test_the_tree_writes_date_times_as_every_other_answer_does(okrs: Any, alice_api: Any) -> None:
    # The tree is encoded by orjson (speed); its date-times still go through Django's encoder.
    alice_api.post("/cycles/2027-Q1/close", {})
    tree = alice_api.get("/cycles/2027-Q1/tree")
    assert tree["Content-Type"] == "application/json"
    closed_at = tree.json()["cycle"]["closed_at"]
    assert closed_at == alice_api.get("/cycles/2027-Q1").json()["closed_at"]
    assert closed_at.endswith("Z") or closed_at.endswith("+00:00")
