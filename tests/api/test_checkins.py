"""Check-ins move a key result: current value, progress, history, corrections, stale and stuck."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from tests.conftest import Api


def kr(api: Api, key: str) -> dict[str, Any]:
    response = api.get(f"/key-results/{key}")
    assert response.status_code == 200
    return response.json()


def tree_kr(api: Api, key: str) -> dict[str, Any]:
    tree = api.get("/cycles/2027-Q1/tree").json()
    return next(k for o in tree["objectives"] for k in o["key_results"] if k["key"] == key)


def test_it_moves_the_key_result_with_a_check_in(okrs: Any, bob_api: Api) -> None:
    response = bob_api.post(
        "/key-results/churn/checkins",
        {"value": 2.25, "confidence": "at_risk", "moved": "Onboarding emails shipped",
         "blocked": "Waiting on billing"},
    )  # fmt: skip
    assert response.status_code == 201
    checkin = response.json()
    assert checkin | {"id": 0, "created_at": None} == {
        "id": 0, "key_result": "churn", "at": "2027-02-15", "by": "bob@acme.test",
        "value": 2.25, "confidence": "at_risk", "moved": "Onboarding emails shipped",
        "blocked": "Waiting on billing", "created_at": None, "corrected_at": None,
        "corrected_by": None,
    }  # fmt: skip
    for view in (kr(bob_api, "churn"), tree_kr(bob_api, "churn")):
        assert view["current"] == 2.25
        assert view["progress"] == 0.5  # a decreasing metric: 3 → 1.5, halfway at 2.25
        assert view["progress_raw"] == 0.5
        assert view["confidence"] == "at_risk"
        assert view["last_checkin_at"] == "2027-02-15"
        assert view["checkins"] == 1
        assert view["band"] == "yellow"


@pytest.mark.parametrize(
    ("value", "progress", "raw"),
    [
        (3, 0.0, 0.0),
        (2.25, 0.5, 0.5),
        (1.5, 1.0, 1.0),
        (0.5, 1.0, 1.6667),  # beyond the target: clipped, the raw value shows by how much
        (4, 0.0, -0.6667),  # worse than the baseline
    ],
)
def test_it_computes_progress_for_a_decreasing_metric(
    okrs: Any, bob_api: Api, value: float, progress: float, raw: float
) -> None:
    bob_api.post("/key-results/churn/checkins", {"value": value})
    view = kr(bob_api, "churn")
    assert view["progress"] == progress
    assert view["progress_raw"] == pytest.approx(raw)


def test_it_computes_progress_for_an_increasing_metric(okrs: Any, alice_api: Api) -> None:
    alice_api.post("/key-results/arr/checkins", {"value": 1_250_000})
    assert kr(alice_api, "arr")["progress"] == 0.25
    alice_api.post("/key-results/arr/checkins", {"value": 2_500_000})
    view = kr(alice_api, "arr")
    assert view["progress"] == 1.0
    assert view["progress_raw"] == 1.5


def test_it_marks_a_milestone_done(okrs: Any, bob_api: Api) -> None:
    assert kr(bob_api, "nps-page")["progress"] == 0.0
    bob_api.post("/key-results/nps-page/checkins", {"value": 1})
    assert kr(bob_api, "nps-page")["progress"] == 1.0
    assert tree_kr(bob_api, "nps-page")["progress"] == 1.0
    bob_api.post("/key-results/nps-page/checkins", {"value": 0, "confidence": "off_track"})
    assert kr(bob_api, "nps-page")["progress"] == 0.0


def test_it_lists_the_history_oldest_first(okrs: Any, bob_api: Api) -> None:
    for at, value in [("2027-02-01", 2.8), ("2027-01-15", 2.9), ("2027-02-10", 2.6)]:
        assert bob_api.post("/key-results/churn/checkins",
                            {"value": value, "at": at}).status_code == 201  # fmt: skip
    body = bob_api.get("/key-results/churn/checkins").json()
    assert body["count"] == 3
    assert [(c["at"], c["value"]) for c in body["items"]] == [
        ("2027-01-15", 2.9), ("2027-02-01", 2.8), ("2027-02-10", 2.6),
    ]  # fmt: skip
    # The current value is the latest by date, not the latest written.
    assert kr(bob_api, "churn")["current"] == 2.6
    assert kr(bob_api, "churn")["last_checkin_at"] == "2027-02-10"


def test_it_keeps_the_current_value_when_an_older_check_in_arrives_late(
    okrs: Any, bob_api: Api
) -> None:
    bob_api.post("/key-results/churn/checkins", {"value": 2.0, "at": "2027-02-15"})
    bob_api.post("/key-results/churn/checkins", {"value": 2.9, "at": "2027-01-10"})
    assert kr(bob_api, "churn")["current"] == 2.0


def test_it_dates_a_check_in_in_the_workspace_s_time_zone(okrs: Any, bob_api: Api) -> None:
    from okapi.workspaces.access import system_actor
    from okapi.workspaces.services import workspace_update

    # 12:00 UTC on 15 February is already 01:00 on 16 February in Auckland.
    workspace_update(actor=system_actor(okrs.workspace), timezone="Pacific/Auckland")
    response = bob_api.post("/key-results/churn/checkins", {"value": 2.5})
    assert response.json()["at"] == "2027-02-16"
    response = bob_api.post("/key-results/churn/checkins", {"value": 2.4, "at": "2027-02-16"})
    assert response.status_code == 201


def test_it_lets_the_author_correct_a_check_in_and_audits_it(
    okrs: Any, alice_api: Api, bob_api: Api, frozen: Any
) -> None:
    checkin = bob_api.post("/key-results/churn/checkins", {"value": 2.5, "moved": "emails"}).json()
    frozen.move_to(dt.datetime(2027, 2, 16, 9, 0, tzinfo=dt.UTC))
    response = bob_api.patch(f"/checkins/{checkin['id']}",
                             {"value": 2.4, "blocked": "billing"})  # fmt: skip
    assert response.status_code == 200
    corrected = response.json()
    assert corrected["value"] == 2.4
    assert corrected["blocked"] == "billing"
    assert corrected["moved"] == "emails"
    assert corrected["corrected_by"] == "bob@acme.test"
    assert corrected["corrected_at"].startswith("2027-02-16T09:00:00")
    assert corrected["created_at"] == checkin["created_at"]
    assert kr(bob_api, "churn")["current"] == 2.4
    assert bob_api.get("/key-results/churn/checkins").json()["items"] == [corrected]

    audit = alice_api.get("/audit", entity_type="checkin").json()
    assert [e["action"] for e in audit["items"]] == ["corrected", "created"]
    event = audit["items"][0]
    assert event["actor"] == "bob@acme.test"
    assert event["entity_key"] == f"churn#{checkin['id']}"
    assert event["before"] == {"value": "2.5", "blocked": ""}
    assert event["after"] == {"value": "2.4", "blocked": "billing"}
    assert event["at"].startswith("2027-02-16T09:00:00")


def test_it_recomputes_the_key_result_when_a_check_in_is_redated(okrs: Any, bob_api: Api) -> None:
    first = bob_api.post("/key-results/churn/checkins", {"value": 2.8, "at": "2027-02-01"}).json()
    bob_api.post("/key-results/churn/checkins", {"value": 2.5, "at": "2027-02-08"})
    assert kr(bob_api, "churn")["current"] == 2.5
    assert bob_api.patch(f"/checkins/{first['id']}", {"at": "2027-02-12"}).status_code == 200
    view = kr(bob_api, "churn")
    assert view["current"] == 2.8
    assert view["last_checkin_at"] == "2027-02-12"


def test_it_refuses_a_correction_into_the_future(okrs: Any, bob_api: Api) -> None:
    checkin = bob_api.post("/key-results/churn/checkins", {"value": 2.5}).json()
    response = bob_api.patch(f"/checkins/{checkin['id']}", {"at": "2027-03-01"})
    assert response.status_code == 422
    assert bob_api.get("/key-results/churn/checkins").json()["items"][0]["at"] == "2027-02-15"


def test_it_refuses_to_correct_a_metric_check_in_to_no_value(okrs: Any, bob_api: Api) -> None:
    checkin = bob_api.post("/key-results/churn/checkins", {"value": 2.5}).json()
    assert bob_api.patch(f"/checkins/{checkin['id']}", {"value": None}).status_code == 422
    assert kr(bob_api, "churn")["current"] == 2.5


@pytest.fixture
def nrr_kr(okrs: Any, alice_api: Api) -> Any:
    body = {"objective": "retain", "key": "nrr-kr", "title": "Grow NRR from 105% to 120%",
            "owner": "bob@acme.test", "baseline": 105, "target": 120, "unit": "%",
            "kpi": "nrr"}  # fmt: skip
    assert alice_api.post("/key-results", body).status_code == 201
    return okrs


def test_it_takes_a_kpi_linked_key_result_s_value_from_the_kpi(
    nrr_kr: Any, alice_api: Api, bob_api: Api
) -> None:
    assert kr(bob_api, "nrr-kr")["current"] is None
    assert kr(bob_api, "nrr-kr")["pace"] == "no_data"
    alice_api.post("/kpis/nrr/measurements", {"at": "2027-01-31", "value": 108})
    view = kr(bob_api, "nrr-kr")
    assert view["current"] == 108
    assert view["progress"] == 0.2
    assert view["pace"] != "no_data"
    alice_api.post("/kpis/nrr/measurements", {"at": "2027-02-14", "value": 114})
    assert kr(bob_api, "nrr-kr")["current"] == 114
    assert tree_kr(bob_api, "nrr-kr")["progress"] == 0.6
    # An older measurement arriving late does not move it back.
    alice_api.post("/kpis/nrr/measurements", {"at": "2027-01-01", "value": 100})
    assert kr(bob_api, "nrr-kr")["current"] == 114


def test_it_accepts_a_confidence_only_check_in_on_a_kpi_linked_key_result(
    nrr_kr: Any, alice_api: Api, bob_api: Api
) -> None:
    alice_api.post("/kpis/nrr/measurements", {"at": "2027-02-14", "value": 111})
    response = bob_api.post("/key-results/nrr-kr/checkins", {"confidence": "at_risk"})
    assert response.status_code == 201
    view = kr(bob_api, "nrr-kr")
    assert view["current"] == 111
    assert view["confidence"] == "at_risk"
    assert view["checkins"] == 1


# --------------------------------------------------------------------------- stale and stuck


def test_it_flags_a_key_result_without_a_check_in_for_two_weeks(
    okrs: Any, bob_api: Api, frozen: Any
) -> None:
    bob_api.post("/key-results/churn/checkins", {"value": 2.5})  # 2027-02-15
    assert tree_kr(bob_api, "churn")["stale"] is False
    frozen.move_to(dt.datetime(2027, 2, 28, 12, tzinfo=dt.UTC))  # 13 days later
    assert tree_kr(bob_api, "churn")["stale"] is False
    frozen.move_to(dt.datetime(2027, 3, 1, 12, tzinfo=dt.UTC))  # 14 days later
    assert tree_kr(bob_api, "churn")["stale"] is True
    assert kr(bob_api, "churn")["stale"] is True
    bob_api.post("/key-results/churn/checkins", {"value": 2.4})
    assert tree_kr(bob_api, "churn")["stale"] is False


def test_it_flags_a_key_result_never_checked_in_two_weeks_into_the_cycle(
    okrs: Any, alice_api: Api, frozen: Any
) -> None:
    from okapi.goals.models import KeyResult

    # Planned in December, before the cycle began.
    KeyResult.objects.update(created_at=dt.datetime(2026, 12, 15, 12, tzinfo=dt.UTC))
    frozen.move_to(dt.datetime(2027, 1, 14, 12, tzinfo=dt.UTC))
    assert tree_kr(alice_api, "arr")["stale"] is False
    frozen.move_to(dt.datetime(2027, 1, 15, 12, tzinfo=dt.UTC))
    assert tree_kr(alice_api, "arr")["stale"] is True


def test_a_key_result_added_mid_cycle_is_not_stale_on_its_first_day(
    okrs: Any, alice_api: Api, frozen: Any
) -> None:
    # The cycle began on 2027-01-01; arr is added on 2027-02-15, six weeks in.
    assert tree_kr(alice_api, "arr")["stale"] is False
    assert kr(alice_api, "arr")["stale"] is False
    frozen.move_to(dt.datetime(2027, 2, 28, 12, tzinfo=dt.UTC))  # 13 days after it was added
    assert tree_kr(alice_api, "arr")["stale"] is False
    frozen.move_to(dt.datetime(2027, 3, 1, 12, tzinfo=dt.UTC))  # 14 days: now it needs one
    assert tree_kr(alice_api, "arr")["stale"] is True


def test_a_key_result_added_after_local_midnight_counts_from_its_local_day(
    okrs: Any, alice_api: Api, frozen: Any
) -> None:
    from okapi.goals.models import KeyResult
    from okapi.workspaces.models import Workspace

    Workspace.objects.filter(key="acme").update(timezone="Pacific/Auckland")
    # 00:30 on 2 February in Auckland is still 1 February in UTC.
    added = dt.datetime(2027, 2, 1, 11, 30, tzinfo=dt.UTC)
    KeyResult.objects.filter(key="arr").update(created_at=added)
    frozen.move_to(dt.datetime(2027, 2, 15, 9, tzinfo=dt.UTC))  # 22:00 on 15 Feb there: 13 days
    assert tree_kr(alice_api, "arr")["stale"] is False
    frozen.move_to(dt.datetime(2027, 2, 15, 12, tzinfo=dt.UTC))  # 01:00 on 16 Feb: 14 days
    assert tree_kr(alice_api, "arr")["stale"] is True


def test_it_does_not_flag_stale_once_the_cycle_is_over(
    okrs: Any, alice_api: Api, frozen: Any
) -> None:
    frozen.move_to(dt.datetime(2027, 4, 20, 12, tzinfo=dt.UTC))
    view = tree_kr(alice_api, "arr")
    assert view["stale"] is False
    assert view["stuck"] is False


def test_it_does_not_flag_a_closed_cycle(okrs: Any, alice_api: Api) -> None:
    alice_api.post("/cycles/2027-Q1/close", {})
    assert tree_kr(alice_api, "arr")["stale"] is False


def test_it_flags_a_key_result_that_has_not_moved_for_four_weeks(
    okrs: Any, bob_api: Api, frozen: Any
) -> None:
    bob_api.post("/key-results/churn/checkins", {"value": 2.5, "at": "2027-01-18"})
    bob_api.post("/key-results/churn/checkins", {"value": 2.5, "at": "2027-02-01"})
    frozen.move_to(dt.datetime(2027, 2, 14, 12, tzinfo=dt.UTC))  # 27 days unchanged
    bob_api.post("/key-results/churn/checkins", {"value": 2.5})
    assert tree_kr(bob_api, "churn")["stuck"] is False
    frozen.move_to(dt.datetime(2027, 2, 15, 12, tzinfo=dt.UTC))  # 28 days unchanged
    view = tree_kr(bob_api, "churn")
    assert view["stuck"] is True
    assert view["stale"] is False  # checked in yesterday: not stale, but stuck
    bob_api.post("/key-results/churn/checkins", {"value": 2.4})
    assert tree_kr(bob_api, "churn")["stuck"] is False


def test_it_does_not_flag_a_single_old_check_in_as_stuck(
    okrs: Any, bob_api: Api, frozen: Any
) -> None:
    bob_api.post("/key-results/churn/checkins", {"value": 2.5, "at": "2027-01-04"})
    view = tree_kr(bob_api, "churn")
    assert view["stuck"] is False
    assert view["stale"] is True
