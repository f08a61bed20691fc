"""KPI measurements: one at a time, many at once (all or nothing), and reading them back."""

from __future__ import annotations

from typing import Any

import pytest

from tests.api.conftest import bad_fields, row_counts
from tests.conftest import Api


def measurements(api: Api, key: str = "nrr", **params: str) -> list[tuple[str, float]]:
    body = api.get(f"/kpis/{key}/measurements", **params).json()
    return [(m["at"], m["value"]) for m in body["items"]]


@pytest.mark.parametrize(
    ("at", "stored"),
    [
        ("2027-02-01", "2027-02-01T00:00:00Z"),
        ("2027-02-01T10:30:00Z", "2027-02-01T10:30:00Z"),
        ("2027-02-01T10:30:00+02:00", "2027-02-01T08:30:00Z"),
        ("2027-02-01T10:30:00", "2027-02-01T10:30:00Z"),  # naive: the workspace's time zone
        ("2027-02-01 10:30", "2027-02-01T10:30:00Z"),
    ],
)
def test_it_adds_a_measurement_at_a_date_or_a_date_time(
    okrs: Any, alice_api: Api, at: str, stored: str
) -> None:
    response = alice_api.post("/kpis/nrr/measurements", {"at": at, "value": 108.5})
    assert response.status_code == 201
    assert response.json() == {"at": stored, "value": 108.5}
    assert measurements(alice_api) == [(stored, 108.5)]
    kpi = alice_api.get("/kpis/nrr").json()
    assert (kpi["latest_at"], kpi["latest_value"]) == (stored, 108.5)


def test_it_measures_now_by_default(okrs: Any, bob_api: Api) -> None:
    response = bob_api.post("/kpis/nrr/measurements", {"value": 111})
    assert response.status_code == 201
    assert response.json() == {"at": "2027-02-15T12:00:00Z", "value": 111}
    assert bob_api.get("/kpis/nrr").json()["health"] == "green"


def test_it_reads_a_date_in_the_workspace_s_time_zone(okrs: Any, alice_api: Api) -> None:
    from okapi.workspaces.access import system_actor
    from okapi.workspaces.services import workspace_update

    workspace_update(actor=system_actor(okrs.workspace), timezone="Europe/Berlin")
    response = alice_api.post("/kpis/nrr/measurements", {"at": "2027-02-01", "value": 1})
    assert response.json()["at"] == "2027-01-31T23:00:00Z"


def test_it_replaces_the_value_of_a_repeated_instant(okrs: Any, alice_api: Api) -> None:
    alice_api.post("/kpis/nrr/measurements", {"at": "2027-02-01", "value": 107})
    response = alice_api.post("/kpis/nrr/measurements", {"at": "2027-02-01T00:00:00Z",
                                                         "value": 109})  # fmt: skip
    assert response.status_code == 201
    assert measurements(alice_api) == [("2027-02-01T00:00:00Z", 109)]
    assert alice_api.get("/kpis/nrr").json()["latest_value"] == 109


def test_it_keeps_the_latest_measurement_when_an_older_one_arrives(
    okrs: Any, alice_api: Api
) -> None:
    alice_api.post("/kpis/nrr/measurements", {"at": "2027-02-01", "value": 108})
    alice_api.post("/kpis/nrr/measurements", {"at": "2027-01-01", "value": 100})
    kpi = alice_api.get("/kpis/nrr").json()
    assert (kpi["latest_at"], kpi["latest_value"]) == ("2027-02-01T00:00:00Z", 108)
    assert measurements(alice_api) == [("2027-01-01T00:00:00Z", 100),
                                       ("2027-02-01T00:00:00Z", 108)]  # fmt: skip


def test_it_audits_measurements(okrs: Any, alice_api: Api, bob_api: Api) -> None:
    bob_api.post("/kpis/nrr/measurements", {"at": "2027-02-01", "value": 108})
    event = alice_api.get("/audit", entity_type="kpi", entity_key="nrr").json()["items"][0]
    assert (event["action"], event["actor"]) == ("measured", "bob@acme.test")
    assert event["after"] == {"count": 1, "from": "2027-02-01T00:00:00+00:00",
                              "to": "2027-02-01T00:00:00+00:00"}  # fmt: skip


# --------------------------------------------------------------------------- bulk


@pytest.fixture
def mrr(okrs: Any, alice_api: Api) -> Any:
    body = {"key": "mrr", "name": "MRR", "unit": "$", "target": 100_000, "owner": "growth"}
    assert alice_api.post("/kpis", body).status_code == 201
    return okrs


def test_it_stores_many_measurements_of_many_kpis(mrr: Any, bob_api: Api) -> None:
    response = bob_api.post("/measurements", {"measurements": [
        {"kpi": "nrr", "at": "2027-01-01", "value": 100},
        {"kpi": "mrr", "at": "2027-01-01", "value": 80_000},
        {"kpi": "nrr", "at": "2027-02-01T00:00:00Z", "value": 108},
        {"kpi": "mrr", "at": "2027-02-01", "value": 85_000},
    ]})  # fmt: skip
    assert response.status_code == 201
    assert response.json() == {"stored": 4}
    assert measurements(bob_api, "nrr") == [("2027-01-01T00:00:00Z", 100),
                                            ("2027-02-01T00:00:00Z", 108)]  # fmt: skip
    assert bob_api.get("/kpis/mrr").json()["latest_value"] == 85_000
    assert bob_api.get("/kpis/nrr").json()["latest_value"] == 108


def test_it_keeps_the_last_of_two_values_for_one_instant_in_a_batch(
    mrr: Any, alice_api: Api
) -> None:
    response = alice_api.post("/measurements", {"measurements": [
        {"kpi": "nrr", "at": "2027-02-01", "value": 100},
        {"kpi": "nrr", "at": "2027-02-01T00:00:00+00:00", "value": 101},
    ]})  # fmt: skip
    assert response.json() == {"stored": 1}
    assert measurements(alice_api) == [("2027-02-01T00:00:00Z", 101)]


@pytest.mark.parametrize(
    ("bad", "field"),
    [
        ({"kpi": "nope", "at": "2027-02-01", "value": 1}, "measurements[1].kpi"),
        ({"kpi": "mrr", "at": "2027-02-01", "value": "abc"}, "measurements[1].value"),
        ({"kpi": "mrr", "at": "2027-02-01", "value": float("nan")}, "measurements[1].value"),
        ({"kpi": "mrr", "at": "2027-02-01", "value": 1e30}, "measurements[1].value"),
        ({"kpi": "mrr", "at": "2027-02-01", "value": None}, "measurements[1].value"),
        ({"kpi": "mrr", "at": "2027-02-01"}, "measurements[1].value"),
        ({"kpi": "mrr", "at": "the first", "value": 1}, "measurements[1].at"),
        ({"kpi": "mrr", "value": 1}, "measurements[1].at"),
        ({"kpi": "a b", "at": "2027-02-01", "value": 1}, "measurements[1].kpi"),
    ],
)
def test_it_stores_nothing_when_one_item_is_bad(
    mrr: Any, alice_api: Api, bad: dict[str, Any], field: str
) -> None:
    before = row_counts()
    response = alice_api.post("/measurements", {"measurements": [
        {"kpi": "nrr", "at": "2027-01-01", "value": 100},
        bad,
        {"kpi": "mrr", "at": "2027-01-01", "value": 80_000},
    ]})  # fmt: skip
    assert bad_fields(response) == {field}
    assert row_counts() == before
    assert alice_api.get("/kpis/nrr").json()["latest_value"] is None


def test_it_stores_nothing_when_bob_may_not_measure_one_kpi(okrs: Any, bob_api: Api) -> None:
    from okapi.kpis.services import kpi_create
    from okapi.workspaces.access import system_actor

    kpi_create(actor=system_actor(okrs.workspace), key="uptime", name="Uptime", target=99.9,
               owner="product")  # fmt: skip
    before = row_counts()
    response = bob_api.post("/measurements", {"measurements": [
        {"kpi": "nrr", "at": "2027-01-01", "value": 100},
        {"kpi": "uptime", "at": "2027-01-01", "value": 99.95},
    ]})  # fmt: skip
    assert response.status_code == 403
    assert row_counts() == before


def test_it_accepts_an_empty_batch(okrs: Any, alice_api: Api) -> None:
    response = alice_api.post("/measurements", {"measurements": []})
    assert response.status_code == 201
    assert response.json() == {"stored": 0}


# --------------------------------------------------------------------------- reading


def test_it_lists_measurements_oldest_first_within_from_and_to(okrs: Any, alice_api: Api) -> None:
    for at, value in [("2027-02-14", 110), ("2027-01-01", 100), ("2027-01-15", 102),
                      ("2027-02-01T23:30:00Z", 108), ("2027-02-02", 109)]:  # fmt: skip
        alice_api.post("/kpis/nrr/measurements", {"at": at, "value": value})
    assert [v for _, v in measurements(alice_api)] == [100, 102, 108, 109, 110]
    assert measurements(alice_api, **{"from": "2027-01-15", "to": "2027-02-01"}) == [
        ("2027-01-15T00:00:00Z", 102),
        ("2027-02-01T23:30:00Z", 108),  # `to` takes in the whole day
    ]
    assert [v for _, v in measurements(alice_api, **{"from": "2027-02-02"})] == [109, 110]
    assert [v for _, v in measurements(alice_api, to="2027-01-01")] == [100]
    assert measurements(alice_api, **{"from": "2027-03-01"}) == []
    body = alice_api.get("/kpis/nrr/measurements", limit=2, offset=1).json()
    assert body["count"] == 5
    assert [m["value"] for m in body["items"]] == [102, 108]


def test_it_reads_from_and_to_in_the_workspace_s_time_zone(okrs: Any, alice_api: Api) -> None:
    from okapi.workspaces.access import system_actor
    from okapi.workspaces.services import workspace_update

    workspace_update(actor=system_actor(okrs.workspace), timezone="America/New_York")
    # 03:00 UTC on 2 February is still 1 February in New York.
    alice_api.post("/kpis/nrr/measurements", {"at": "2027-02-02T03:00:00Z", "value": 1})
    assert len(measurements(alice_api, **{"from": "2027-02-01", "to": "2027-02-01"})) == 1
    assert measurements(alice_api, **{"from": "2027-02-02"}) == []
