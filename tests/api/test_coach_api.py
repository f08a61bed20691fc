"""The coach through the API: the same classifier and rules as `okapi coach` (FORMATS §4)."""

import datetime as dt

import pytest


def test_it_classifies_statements_in_order(alice_api):
    r = alice_api.post("/coach/classify", {"statements": [
        "Maintain NRR above 110%", "Grow NRR from 110% to 125% by Q3 end",
        "Hold weekly marketing meetings", "Launch new website"]})  # fmt: skip
    assert r.status_code == 200
    assert [v["kind"] for v in r.json()] == ["kpi", "outcome", "task", "milestone"]
    assert set(r.json()[0]) == {"text", "kind", "reasons", "suggestion"}
    assert r.json()[0]["reasons"] and r.json()[0]["suggestion"]


@pytest.mark.parametrize(
    "body", [{}, {"statements": []}, {"statements": [""]}, {"statements": ["x" * 501]}]
)
def test_it_refuses_bad_input_with_422(alice_api, body):
    assert alice_api.post("/coach/classify", body).status_code == 422


def test_it_needs_a_token(client, acme):
    assert (
        client.post(
            "/api/coach/classify", {"statements": ["x"]}, content_type="application/json"
        ).status_code
        == 401
    )


def test_it_lists_findings_for_a_cycle(alice_api, okrs):
    from okapi.goals import services as goals
    from okapi.goals.models import Objective
    from okapi.workspaces.access import system_actor

    system = system_actor(okrs.workspace)
    retain = Objective.objects.get(key="retain")
    goals.key_result_create(actor=system, objective=retain, key="uptime", owner="bob@acme.test",
                            title="Maintain 99.9% uptime", baseline=99.9, target=99.9, unit="%")  # fmt: skip
    r = alice_api.get("/cycles/2027-Q1/coach")
    assert r.status_code == 200
    findings = r.json()
    assert {"rule", "severity", "where", "message", "suggestion"} == set(findings[0])
    rules_at = {(f["rule"], f["where"]) for f in findings}
    assert ("kpi-in-disguise", "uptime") in rules_at
    assert ("binary-kr", "nps-page") in rules_at
    assert ("kr-without-initiative", "arr") in rules_at


def test_it_keeps_other_cycles_findings_out(alice_api, okrs):
    import datetime as dt

    from okapi.goals import services as goals
    from okapi.workspaces.access import system_actor

    system = system_actor(okrs.workspace)
    goals.cycle_create(
        actor=system, key="2027-Q2", start=dt.date(2027, 4, 1), end=dt.date(2027, 6, 30)
    )
    other = goals.objective_create(actor=system, key="later", title="Hire faster", cycle="2027-Q2",
                                   owner="growth", parent="grow")  # fmt: skip
    goals.key_result_create(actor=system, objective=other, key="later-kr", owner="bob@acme.test",
                            title="Hold weekly hiring syncs")  # fmt: skip
    wheres = {f["where"] for f in alice_api.get("/cycles/2027-Q1/coach").json()}
    assert "later-kr" not in wheres and "later" not in wheres
    assert "later-kr" in {f["where"] for f in alice_api.get("/cycles/2027-Q2/coach").json()}


def test_an_outsider_cannot_read_a_cycles_findings(charlie_api, okrs):
    assert charlie_api.get("/cycles/2027-Q1/coach").status_code == 404


def _disguised_kpi(okrs):
    from okapi.goals import services as goals
    from okapi.goals.models import Objective
    from okapi.workspaces.access import system_actor

    system = system_actor(okrs.workspace)
    kr = goals.key_result_create(actor=system, objective=Objective.objects.get(key="retain"),
                                 key="keep-churn", owner="bob@acme.test", unit="%",
                                 title="Keep logo churn below 2%", baseline=2, target=2)  # fmt: skip
    for day, value in (("2027-02-05", "1.8"), ("2027-02-12", "2.1")):
        goals.checkin_create(actor=system, kr=kr, value=value, author=okrs.bob,
                             at=dt.date.fromisoformat(day))  # fmt: skip
    return kr


def test_bob_turns_his_kpi_in_disguise_into_a_kpi_with_its_history(bob_api, okrs):
    from okapi.goals.models import KeyResult
    from okapi.kpis.models import Measurement
    from okapi.workspaces.models import AuditEvent

    _disguised_kpi(okrs)
    r = bob_api.post("/key-results/keep-churn/to-kpi", {})
    assert r.status_code == 201, r.content
    kpi = r.json()
    assert (kpi["key"], kpi["direction"], kpi["target"], kpi["unit"], kpi["owner"]) == (
        "keep-churn", "down", 2.0, "%", "bob@acme.test")  # fmt: skip
    assert kpi["latest_value"] == 2.1 and kpi["health"] == "red"
    assert Measurement.objects.filter(kpi__key="keep-churn").count() == 2
    assert not KeyResult.objects.filter(key="keep-churn").exists()
    assert AuditEvent.objects.filter(action="converted", entity_key="keep-churn").exists()


def test_a_viewer_cannot_turn_a_kr_into_a_kpi(vera_api, okrs):
    from okapi.goals.models import KeyResult

    _disguised_kpi(okrs)
    assert vera_api.post("/key-results/keep-churn/to-kpi", {}).status_code == 403
    assert KeyResult.objects.filter(key="keep-churn").exists()


def test_a_taken_kpi_key_gets_a_suffix(alice_api, okrs):
    _disguised_kpi(okrs)
    alice_api.post("/kpis", {"key": "keep-churn", "name": "Something else", "target": 1})
    assert alice_api.post("/key-results/keep-churn/to-kpi", {}).json()["key"] == "keep-churn-kpi"
