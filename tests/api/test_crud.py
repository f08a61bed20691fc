"""Create, read, update and delete every entity through the API; lists, pages and filters."""

from __future__ import annotations

from typing import Any

import pytest

from tests.api.conftest import bad_fields, row_counts
from tests.conftest import Api

# --------------------------------------------------------------------------- teams


def test_it_creates_reads_updates_and_deletes_a_team(acme: Any, alice_api: Api) -> None:
    body = {"key": "sales", "name": "Sales", "parent": "growth", "lead": "bob@acme.test",
            "members": ["vera@acme.test", "bob@acme.test"]}  # fmt: skip
    response = alice_api.post("/teams", body)
    assert response.status_code == 201
    team = {"key": "sales", "name": "Sales", "parent": "growth", "lead": "bob@acme.test",
            "members": ["bob@acme.test", "vera@acme.test"]}  # fmt: skip
    assert response.json() == team
    assert alice_api.get("/teams/sales").json() == team

    response = alice_api.patch("/teams/sales", {"name": "Sales EMEA", "parent": None,
                                                "members": ["vera@acme.test"]})  # fmt: skip
    assert response.status_code == 200
    team.update(name="Sales EMEA", parent=None, members=["vera@acme.test"])
    assert response.json() == team
    assert alice_api.get("/teams/sales").json() == team

    response = alice_api.delete("/teams/sales")
    assert response.status_code == 204
    assert response.content == b""
    assert alice_api.get("/teams/sales").status_code == 404


def test_it_lists_teams_by_key(acme: Any, alice_api: Api) -> None:
    body = alice_api.get("/teams").json()
    assert body["count"] == 2
    assert [t["key"] for t in body["items"]] == ["growth", "product"]
    assert body["items"][0] == {"key": "growth", "name": "Growth", "parent": None,
                                "lead": "alice@acme.test", "members": ["bob@acme.test"]}  # fmt: skip


def test_it_refuses_to_delete_a_team_that_owns_objectives(okrs: Any, alice_api: Api) -> None:
    before = row_counts()
    response = alice_api.delete("/teams/growth")
    assert bad_fields(response) == {"key"}
    assert "still owns" in response.json()["detail"][0]["msg"]
    assert row_counts() == before
    assert alice_api.get("/teams/growth").status_code == 200


def test_it_refuses_to_delete_a_team_with_sub_teams(acme: Any, alice_api: Api) -> None:
    alice_api.post("/teams", {"key": "seo", "name": "SEO", "parent": "product"})
    assert bad_fields(alice_api.delete("/teams/product")) == {"key"}


def test_it_refuses_a_team_that_would_be_its_own_ancestor(acme: Any, alice_api: Api) -> None:
    alice_api.post("/teams", {"key": "seo", "name": "SEO", "parent": "product"})
    assert bad_fields(alice_api.patch("/teams/product", {"parent": "seo"})) == {"parent"}
    assert bad_fields(alice_api.patch("/teams/product", {"parent": "product"})) == {"parent"}


def test_it_lists_the_members(acme: Any, alice_api: Api) -> None:
    body = alice_api.get("/members").json()
    assert body["count"] == 3
    assert body["items"] == [
        {"email": "alice@acme.test", "name": "Alice", "role": "owner"},
        {"email": "bob@acme.test", "name": "Bob", "role": "member"},
        {"email": "vera@acme.test", "name": "Vera", "role": "viewer"},
    ]


# --------------------------------------------------------------------------- cycles


def test_it_creates_reads_updates_and_deletes_a_cycle(okrs: Any, alice_api: Api) -> None:
    response = alice_api.post("/cycles", {"key": "2027-Q2", "start": "2027-04-01",
                                          "end": "2027-06-30"})  # fmt: skip
    assert response.status_code == 201
    cycle = {"key": "2027-Q2", "name": "2027-Q2", "start": "2027-04-01", "end": "2027-06-30",
             "closed": False, "closed_at": None, "review_note": "", "today": "2027-02-15",
             "expected_progress": 0.0}  # fmt: skip
    assert response.json() == cycle
    assert alice_api.get("/cycles/2027-Q2").json() == cycle

    response = alice_api.patch("/cycles/2027-Q2", {"name": "Spring", "end": "2027-07-15"})
    assert response.status_code == 200
    cycle.update(name="Spring", end="2027-07-15")
    assert response.json() == cycle

    assert alice_api.delete("/cycles/2027-Q2").status_code == 204
    assert alice_api.get("/cycles/2027-Q2").status_code == 404


def test_it_lists_cycles_by_start(okrs: Any, alice_api: Api) -> None:
    alice_api.post("/cycles", {"key": "FY2027", "start": "2027-01-01", "end": "2027-12-31"})
    alice_api.post("/cycles", {"key": "2026-Q4", "start": "2026-10-01", "end": "2026-12-31"})
    body = alice_api.get("/cycles").json()
    assert body["count"] == 3
    assert [c["key"] for c in body["items"]][0] == "2026-Q4"
    q1 = next(c for c in body["items"] if c["key"] == "2027-Q1")
    assert q1["expected_progress"] == pytest.approx(46 / 90, abs=1e-4)


def test_it_refuses_to_delete_a_cycle_with_objectives(okrs: Any, alice_api: Api) -> None:
    before = row_counts()
    response = alice_api.delete("/cycles/2027-Q1")
    assert bad_fields(response) == {"key"}
    assert "still has objectives" in response.json()["detail"][0]["msg"]
    assert row_counts() == before


def test_it_closes_a_cycle_with_final_scores(okrs: Any, alice_api: Api) -> None:
    alice_api.post("/key-results/churn/checkins", {"value": 2.25})
    response = alice_api.post("/cycles/2027-Q1/close",
                              {"note": "Good quarter", "final_scores": {"arr": 0.3}})  # fmt: skip
    assert response.status_code == 200
    assert response.json()["closed"] is True
    assert response.json()["review_note"] == "Good quarter"
    krs = {kr["key"]: kr for kr in alice_api.get("/key-results").json()["items"]}
    assert krs["arr"]["final_score"] == 0.3
    assert krs["churn"]["final_score"] == 0.5
    assert krs["nps-page"]["final_score"] == 0.0
    assert bad_fields(alice_api.post("/cycles/2027-Q1/close", {})) == {"key"}


# --------------------------------------------------------------------------- objectives


def test_it_creates_reads_updates_and_deletes_an_objective(okrs: Any, alice_api: Api) -> None:
    body = {"key": "expand", "title": "Expand into Europe", "cycle": "2027-Q1",
            "owner": "growth", "level": "team", "type": "committed", "parent": "grow",
            "description": "Germany first"}  # fmt: skip
    response = alice_api.post("/objectives", body)
    assert response.status_code == 201
    created = response.json()
    assert created == {
        "key": "expand", "title": "Expand into Europe", "description": "Germany first",
        "level": "team", "type": "committed", "cycle": "2027-Q1", "owner": "growth",
        "parent": "grow", "children": [], "score": None, "band": None, "success": False,
        "expected_progress": pytest.approx(46 / 90, abs=1e-4), "key_results": [],
    }  # fmt: skip
    assert alice_api.get("/objectives/expand").json() == created
    assert "expand" in alice_api.get("/objectives/grow").json()["children"]

    response = alice_api.patch("/objectives/expand", {"title": "Expand into the EU",
                                                      "owner": "bob@acme.test", "parent": None,
                                                      "level": "individual"})  # fmt: skip
    assert response.status_code == 200
    assert response.json() | {"expected_progress": 0} == created | {
        "title": "Expand into the EU", "owner": "bob@acme.test", "parent": None,
        "level": "individual", "expected_progress": 0,
    }  # fmt: skip

    response = alice_api.delete("/objectives/expand")
    assert response.status_code == 204
    assert alice_api.get("/objectives/expand").status_code == 404
    assert "expand" not in alice_api.get("/objectives/grow").json()["children"]


def test_it_deletes_an_objective_with_its_key_results_and_check_ins(
    okrs: Any, alice_api: Api, bob_api: Api
) -> None:
    bob_api.post("/key-results/churn/checkins", {"value": 2.5})
    before = row_counts()
    assert bob_api.delete("/objectives/retain").status_code == 204
    after = row_counts()
    assert after["Objective"] == before["Objective"] - 1
    assert after["KeyResult"] == before["KeyResult"] - 2
    assert after["CheckIn"] == before["CheckIn"] - 1
    assert alice_api.get("/key-results/churn").status_code == 404


@pytest.fixture
def many(okrs: Any, alice_api: Api) -> Any:
    """More objectives: by cycle, team, owner and level."""
    alice_api.post("/cycles", {"key": "2027-Q2", "start": "2027-04-01", "end": "2027-06-30"})
    for key, cycle, owner, level in [
        ("q2-grow", "2027-Q2", "growth", "team"),
        ("q2-ship", "2027-Q2", "product", "team"),
        ("q1-ship", "2027-Q1", "product", "team"),
        ("bob-learn", "2027-Q1", "bob@acme.test", "individual"),
    ]:
        body = {"key": key, "title": f"Improve {key}", "cycle": cycle, "owner": owner,
                "level": level}  # fmt: skip
        assert alice_api.post("/objectives", body).status_code == 201
    for key, objective, owner in [("q2-kr", "q2-grow", "bob@acme.test"),
                                  ("ship-kr", "q1-ship", "alice@acme.test")]:  # fmt: skip
        body = {"objective": objective, "key": key, "title": "Grow X from 1 to 2",
                "owner": owner, "baseline": 1, "target": 2}  # fmt: skip
        assert alice_api.post("/key-results", body).status_code == 201
    return okrs


@pytest.mark.parametrize(
    ("params", "keys"),
    [
        ({}, ["grow", "retain", "q1-ship", "bob-learn", "q2-grow", "q2-ship"]),
        ({"cycle": "2027-Q2"}, ["q2-grow", "q2-ship"]),
        ({"team": "product"}, ["q1-ship", "q2-ship"]),
        ({"owner": "growth"}, ["retain", "q2-grow"]),
        ({"owner": "bob@acme.test"}, ["bob-learn"]),
        ({"owner": "ALICE@acme.test"}, ["grow"]),
        ({"level": "company"}, ["grow"]),
        ({"level": "individual"}, ["bob-learn"]),
        ({"cycle": "2027-Q1", "team": "product"}, ["q1-ship"]),
        ({"cycle": "2099-Q1"}, []),
    ],
)
def test_it_filters_objectives(
    many: Any, alice_api: Api, params: dict[str, str], keys: list[str]
) -> None:
    body = alice_api.get("/objectives", **params).json()
    assert [o["key"] for o in body["items"]] == keys
    assert body["count"] == len(keys)


@pytest.mark.parametrize(
    ("params", "keys"),
    [
        ({}, ["arr", "churn", "nps-page", "ship-kr", "q2-kr"]),
        ({"cycle": "2027-Q2"}, ["q2-kr"]),
        ({"objective": "retain"}, ["churn", "nps-page"]),
        ({"team": "growth"}, ["churn", "nps-page", "q2-kr"]),
        ({"owner": "bob@acme.test"}, ["churn", "nps-page", "q2-kr"]),
        ({"owner": "alice@acme.test", "cycle": "2027-Q1"}, ["arr", "ship-kr"]),
    ],
)
def test_it_filters_key_results(
    many: Any, alice_api: Api, params: dict[str, str], keys: list[str]
) -> None:
    body = alice_api.get("/key-results", **params).json()
    assert sorted(kr["key"] for kr in body["items"]) == sorted(keys)
    assert body["count"] == len(keys)


def test_it_pages_through_objectives(many: Any, alice_api: Api) -> None:
    everything = [o["key"] for o in alice_api.get("/objectives").json()["items"]]
    pages = []
    for offset in (0, 2, 4, 6):
        body = alice_api.get("/objectives", limit=2, offset=offset).json()
        assert body["count"] == 6
        pages.append([o["key"] for o in body["items"]])
    assert pages == [everything[0:2], everything[2:4], everything[4:6], []]


@pytest.mark.parametrize("path", ["/objectives", "/key-results", "/kpis", "/teams", "/cycles",
                                  "/initiatives", "/members", "/audit",
                                  "/key-results/churn/checkins", "/kpis/nrr/measurements"])  # fmt: skip
@pytest.mark.parametrize(
    ("params", "field"),
    [({"limit": 0}, "limit"), ({"limit": 1001}, "limit"), ({"offset": -1}, "offset"),
     ({"limit": "ten"}, "limit")],
)  # fmt: skip
def test_it_refuses_bad_pages(
    okrs: Any, alice_api: Api, path: str, params: dict[str, Any], field: str
) -> None:
    assert bad_fields(alice_api.get(path, **params)) == {field}


def test_it_pages_key_results_and_kpis(many: Any, alice_api: Api) -> None:
    body = alice_api.get("/key-results", limit=3, offset=3).json()
    assert body["count"] == 5
    assert len(body["items"]) == 2
    alice_api.post("/kpis", {"key": "mrr", "name": "MRR", "target": 100, "owner": "product"})
    body = alice_api.get("/kpis", limit=1, offset=1).json()
    assert body["count"] == 2
    assert [k["key"] for k in body["items"]] == ["nrr"]


# --------------------------------------------------------------------------- key results


def test_it_creates_reads_updates_and_deletes_a_key_result(okrs: Any, alice_api: Api) -> None:
    body = {"objective": "retain", "key": "nrr-kr", "title": "Grow NRR from 105% to 120%",
            "owner": "bob@acme.test", "baseline": 105, "target": 120, "unit": "%",
            "weight": 2, "kpi": "nrr", "initiatives": ["onboarding"]}  # fmt: skip
    response = alice_api.post("/key-results", body)
    assert response.status_code == 201
    created = response.json()
    assert created == {
        "key": "nrr-kr", "objective": "retain", "title": "Grow NRR from 105% to 120%",
        "owner": "bob@acme.test", "kind": "metric", "baseline": 105.0, "target": 120.0,
        "unit": "%", "weight": 2.0, "kpi": "nrr", "initiatives": ["onboarding"],
        "current": None, "progress": 0.0, "progress_raw": None, "final_score": None,
        "band": "red", "pace": "no_data", "confidence": None, "last_checkin_at": None,
        "checkins": 0, "stale": False, "stuck": False, "forecast": None,  # new: not stale
    }  # fmt: skip
    assert alice_api.get("/key-results/nrr-kr").json() == created
    assert "nrr-kr" in alice_api.get("/kpis/nrr").json()["key_results"]
    assert "nrr-kr" in alice_api.get("/initiatives/onboarding").json()["key_results"]

    response = alice_api.patch("/key-results/nrr-kr", {"target": 125, "kpi": None,
                                                       "initiatives": [], "objective": "grow"})  # fmt: skip
    assert response.status_code == 200
    assert response.json() == created | {"target": 125.0, "kpi": None, "initiatives": [],
                                         "objective": "grow"}  # fmt: skip

    assert alice_api.delete("/key-results/nrr-kr").status_code == 204
    assert alice_api.get("/key-results/nrr-kr").status_code == 404
    assert alice_api.get("/initiatives/onboarding").json()["key_results"] == ["churn"]


# --------------------------------------------------------------------------- initiatives


def test_it_creates_reads_updates_and_deletes_an_initiative(okrs: Any, alice_api: Api) -> None:
    body = {"key": "pricing", "title": "New pricing page", "owner": "product",
            "url": "https://tracker.example/PRJ-1"}  # fmt: skip
    response = alice_api.post("/initiatives", body)
    assert response.status_code == 201
    created = {"key": "pricing", "title": "New pricing page", "owner": "product",
               "url": "https://tracker.example/PRJ-1", "key_results": []}  # fmt: skip
    assert response.json() == created
    assert alice_api.get("/initiatives/pricing").json() == created

    response = alice_api.patch("/initiatives/pricing", {"owner": "bob@acme.test", "url": None})
    assert response.status_code == 200
    assert response.json() == created | {"owner": "bob@acme.test", "url": None}

    assert alice_api.delete("/initiatives/pricing").status_code == 204
    assert alice_api.get("/initiatives/pricing").status_code == 404


def test_it_lists_initiatives_with_their_key_results(okrs: Any, alice_api: Api) -> None:
    body = alice_api.get("/initiatives").json()
    assert body == {"count": 1, "items": [{"key": "onboarding", "title": "Rebuild onboarding",
                                           "owner": "growth", "url": None,
                                           "key_results": ["churn"]}]}  # fmt: skip


def test_it_unlinks_a_deleted_initiative_from_its_key_results(okrs: Any, alice_api: Api) -> None:
    assert alice_api.delete("/initiatives/onboarding").status_code == 204
    assert alice_api.get("/key-results/churn").json()["initiatives"] == []


# --------------------------------------------------------------------------- KPIs


def test_it_creates_reads_updates_and_deletes_a_kpi(okrs: Any, alice_api: Api) -> None:
    body = {"key": "latency", "name": "p95 latency", "description": "API, p95", "unit": "ms",
            "direction": "down", "target": 300, "warning": 400, "cadence": "daily",
            "owner": "product"}  # fmt: skip
    response = alice_api.post("/kpis", body)
    assert response.status_code == 201
    created = {
        "key": "latency", "name": "p95 latency", "description": "API, p95", "unit": "ms",
        "direction": "down", "target": 300.0, "warning": 400.0, "target_low": None,
        "target_high": None, "warning_low": None, "warning_high": None, "cadence": "daily",
        "owner": "product", "source": "manual", "latest_value": None, "latest_at": None,
        "health": "no_data", "previous_value": None, "previous_at": None, "change": None,
        "change_relative": None, "key_results": [], "benchmark": None,
    }  # fmt: skip
    assert response.json() == created
    assert alice_api.get("/kpis/latency").json() == created

    response = alice_api.patch("/kpis/latency", {"direction": "range", "target": None,
                                                 "warning": None, "target_low": 100,
                                                 "target_high": 300})  # fmt: skip
    assert response.status_code == 200
    assert response.json() == created | {"direction": "range", "target": None, "warning": None,
                                         "target_low": 100.0, "target_high": 300.0}  # fmt: skip

    assert alice_api.delete("/kpis/latency").status_code == 204
    assert alice_api.get("/kpis/latency").status_code == 404


def test_it_unlinks_a_deleted_kpi_from_its_key_results(okrs: Any, alice_api: Api) -> None:
    alice_api.patch("/key-results/churn", {"kpi": "nrr"})
    alice_api.post("/kpis/nrr/measurements", {"value": 108})
    assert alice_api.delete("/kpis/nrr").status_code == 204
    kr = alice_api.get("/key-results/churn").json()
    assert kr["kpi"] is None
    assert kr["current"] is None


@pytest.mark.parametrize(
    ("params", "keys"),
    [
        ({}, ["mrr", "nrr", "signups"]),
        ({"team": "growth"}, ["nrr"]),
        ({"team": "product"}, ["mrr"]),
        ({"owner": "growth"}, ["nrr"]),
        ({"owner": "bob@acme.test"}, ["signups"]),
        ({"owner": "Bob@Acme.test"}, ["signups"]),
    ],
)
def test_it_filters_kpis(
    okrs: Any, alice_api: Api, params: dict[str, str], keys: list[str]
) -> None:
    alice_api.post("/kpis", {"key": "mrr", "name": "MRR", "target": 100, "owner": "product"})
    alice_api.post("/kpis", {"key": "signups", "name": "Signups", "target": 100,
                             "owner": "bob@acme.test"})  # fmt: skip
    body = alice_api.get("/kpis", **params).json()
    assert [k["key"] for k in body["items"]] == keys
    assert body["count"] == len(keys)


@pytest.mark.parametrize(
    "path",
    ["/teams/nope", "/cycles/nope", "/cycles/nope/tree", "/objectives/nope", "/key-results/nope",
     "/key-results/nope/checkins", "/initiatives/nope", "/kpis/nope", "/kpis/nope/measurements"],
)  # fmt: skip
def test_it_answers_404_for_unknown_keys(okrs: Any, alice_api: Api, path: str) -> None:
    response = alice_api.get(path)
    assert response.status_code == 404
    assert "nope" in response.json()["detail"]


def test_it_answers_404_for_an_unknown_check_in(okrs: Any, alice_api: Api) -> None:
    assert alice_api.patch("/checkins/999999", {"value": 1}).status_code == 404
