"""Moving an objective to another cycle, and copying it to carry unfinished work forward."""

from __future__ import annotations

from typing import Any

import pytest

from tests.api.conftest import bad_fields, row_counts
from tests.conftest import Api


@pytest.fixture
def q2(okrs: Any, alice_api: Api, bob_api: Api) -> Any:
    """A second cycle, and some check-ins on churn and the NPS page."""
    body = {"key": "2027-Q2", "start": "2027-04-01", "end": "2027-06-30"}
    assert alice_api.post("/cycles", body).status_code == 201
    bob_api.post("/key-results/churn/checkins", {"value": 2.7, "at": "2027-01-20"})
    bob_api.post("/key-results/churn/checkins", {"value": 2.25, "at": "2027-02-10"})
    bob_api.post("/key-results/nps-page/checkins", {"value": 1})
    return okrs


def tree_keys(api: Api, cycle: str) -> dict[str, list[str]]:
    tree = api.get(f"/cycles/{cycle}/tree").json()
    return {o["key"]: [kr["key"] for kr in o["key_results"]] for o in tree["objectives"]}


def test_it_moves_an_objective_with_its_key_results_and_check_ins(q2: Any, bob_api: Api) -> None:
    history = bob_api.get("/key-results/churn/checkins").json()
    response = bob_api.post("/objectives/retain/move", {"cycle": "2027-Q2"})
    assert response.status_code == 200
    moved = response.json()
    assert moved["cycle"] == "2027-Q2"
    assert moved["parent"] == "grow"
    assert [kr["key"] for kr in moved["key_results"]] == ["churn", "nps-page"]
    assert moved["score"] == 0.75
    assert tree_keys(bob_api, "2027-Q1") == {"grow": ["arr"]}
    assert tree_keys(bob_api, "2027-Q2") == {"retain": ["churn", "nps-page"]}
    assert bob_api.get("/key-results/churn/checkins").json() == history
    churn = bob_api.get("/key-results/churn").json()
    assert (churn["current"], churn["checkins"]) == (2.25, 2)
    assert bob_api.get("/objectives/grow").json()["children"] == ["retain"]


def test_it_audits_a_move(q2: Any, alice_api: Api, bob_api: Api) -> None:
    bob_api.post("/objectives/retain/move", {"cycle": "2027-Q2"})
    event = alice_api.get("/audit", entity_type="objective", entity_key="retain").json()["items"][0]
    assert event["actor"] == "bob@acme.test"
    assert event["before"] == {"cycle": "2027-Q1"}
    assert event["after"] == {"cycle": "2027-Q2"}


def test_it_does_not_let_bob_move_alice_s_objective(q2: Any, bob_api: Api) -> None:
    assert bob_api.post("/objectives/grow/move", {"cycle": "2027-Q2"}).status_code == 403
    assert bob_api.get("/objectives/grow").json()["cycle"] == "2027-Q1"


def test_it_refuses_a_move_to_an_unknown_cycle(q2: Any, bob_api: Api) -> None:
    before = row_counts()
    assert bad_fields(bob_api.post("/objectives/retain/move", {"cycle": "2099-Q1"})) == {"cycle"}
    assert row_counts() == before


def test_it_copies_an_objective_starting_from_where_it_stands(q2: Any, bob_api: Api) -> None:
    response = bob_api.post("/objectives/retain/copy", {"cycle": "2027-Q2"})
    assert response.status_code == 201
    copy = response.json()
    assert copy["key"] == "retain-2027-Q2"
    assert (copy["cycle"], copy["title"], copy["owner"], copy["parent"], copy["type"]) == (
        "2027-Q2", "Make customers stay", "growth", "grow", "aspirational",
    )  # fmt: skip
    churn, nps = copy["key_results"]
    assert churn["key"] == "churn-2027-Q2"
    assert (churn["baseline"], churn["target"], churn["unit"]) == (2.25, 1.5, "%")
    assert (churn["owner"], churn["initiatives"]) == ("bob@acme.test", ["onboarding"])
    assert (churn["current"], churn["progress"], churn["checkins"]) == (None, 0.0, 0)
    assert nps["key"] == "nps-page-2027-Q2"
    assert (nps["kind"], nps["baseline"], nps["progress"]) == ("milestone", None, 0.0)
    assert copy["score"] == 0.0

    original = bob_api.get("/objectives/retain").json()
    assert original["cycle"] == "2027-Q1"
    assert original["score"] == 0.75
    assert sorted(bob_api.get("/objectives/grow").json()["children"]) == [
        "retain", "retain-2027-Q2",
    ]  # fmt: skip
    assert tree_keys(bob_api, "2027-Q2") == {"retain-2027-Q2": ["churn-2027-Q2",
                                                                "nps-page-2027-Q2"]}  # fmt: skip


def test_it_copies_under_a_given_key(q2: Any, bob_api: Api) -> None:
    response = bob_api.post("/objectives/retain/copy", {"cycle": "2027-Q2", "key": "retain-next"})
    assert response.status_code == 201
    assert response.json()["key"] == "retain-next"
    assert bob_api.get("/objectives/retain-next").status_code == 200


def test_it_starts_a_copied_kpi_linked_key_result_from_the_kpi(
    q2: Any, alice_api: Api, bob_api: Api
) -> None:
    body = {"objective": "retain", "key": "nrr-kr", "title": "Grow NRR from 105% to 120%",
            "owner": "bob@acme.test", "baseline": 105, "target": 120, "kpi": "nrr"}  # fmt: skip
    alice_api.post("/key-results", body)
    alice_api.post("/kpis/nrr/measurements", {"at": "2027-02-01", "value": 111})
    copy = bob_api.post("/objectives/retain/copy", {"cycle": "2027-Q2"}).json()
    nrr = copy["key_results"][2]
    assert (nrr["key"], nrr["baseline"], nrr["kpi"]) == ("nrr-kr-2027-Q2", 111.0, "nrr")


def test_it_audits_a_copy(q2: Any, alice_api: Api, bob_api: Api) -> None:
    bob_api.post("/objectives/retain/copy", {"cycle": "2027-Q2"})
    events = alice_api.get("/audit", actor="bob@acme.test").json()["items"]
    copied = events[0]
    assert (copied["action"], copied["entity_type"], copied["entity_key"]) == (
        "copied", "objective", "retain",
    )  # fmt: skip
    assert copied["after"] == {"copy": "retain-2027-Q2", "cycle": "2027-Q2"}
    created = {(e["entity_type"], e["entity_key"]) for e in events if e["action"] == "created"}
    assert {("objective", "retain-2027-Q2"), ("key_result", "churn-2027-Q2"),
            ("key_result", "nps-page-2027-Q2")} <= created  # fmt: skip


def test_it_copies_nothing_when_a_key_is_taken(q2: Any, bob_api: Api) -> None:
    assert bob_api.post("/objectives/retain/copy", {"cycle": "2027-Q2"}).status_code == 201
    before = row_counts()
    # Another copy into Q2 under a fresh key: its key results' keys are taken.
    response = bob_api.post("/objectives/retain/copy", {"cycle": "2027-Q2", "key": "again"})
    assert bad_fields(response) == {"key"}
    assert row_counts() == before
    assert bob_api.get("/objectives/again").status_code == 404


def test_it_does_not_let_bob_copy_alice_s_objective_as_hers(q2: Any, bob_api: Api) -> None:
    before = row_counts()
    assert bob_api.post("/objectives/grow/copy", {"cycle": "2027-Q2"}).status_code == 403
    assert row_counts() == before


def test_it_lets_alice_copy_her_objective(q2: Any, alice_api: Api) -> None:
    alice_api.post("/key-results/arr/checkins", {"value": 1_400_000})
    copy = alice_api.post("/objectives/grow/copy", {"cycle": "2027-Q2"}).json()
    assert copy["key"] == "grow-2027-Q2"
    assert copy["key_results"][0]["baseline"] == 1_400_000
    assert copy["key_results"][0]["target"] == 2_000_000
