"""Bad input answers 422 naming each bad field, and changes nothing."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest

from okapi.goals import services as goals
from okapi.workspaces import services as workspaces
from tests.api.conftest import bad_fields, row_counts
from tests.conftest import Api

NAN, INF = float("nan"), float("inf")
LONG = "x" * 301


def objective(**changes: Any) -> dict[str, Any]:
    return {"key": "new", "title": "Grow the community", "cycle": "2027-Q1", "owner": "growth",
            **changes}  # fmt: skip


def key_result(**changes: Any) -> dict[str, Any]:
    return {"objective": "retain", "key": "new-kr", "title": "Grow signups from 10 to 20",
            "owner": "bob@acme.test", "baseline": 10, "target": 20, **changes}  # fmt: skip


def kpi(**changes: Any) -> dict[str, Any]:
    return {"key": "signups", "name": "Signups", "direction": "up", "target": 100,
            "owner": "growth", **changes}  # fmt: skip


def without(body: dict[str, Any], field: str) -> dict[str, Any]:
    return {k: v for k, v in body.items() if k != field}


CASES = [
    # objectives
    ("post", "/objectives", without(objective(), "title"), {"title"}),
    ("post", "/objectives", objective(title=""), {"title"}),
    ("post", "/objectives", objective(title="   "), {"title"}),
    ("post", "/objectives", objective(title=LONG), {"title"}),
    ("post", "/objectives", objective(title="Grow\x00"), {"title"}),
    ("post", "/objectives", objective(description="x" * 10001), {"description"}),
    ("post", "/objectives", objective(key="has space"), {"key"}),
    ("post", "/objectives", objective(key="-dash-first"), {"key"}),
    ("post", "/objectives", objective(key="k" * 65), {"key"}),
    ("post", "/objectives", objective(key="grow"), {"key"}),  # taken
    ("post", "/objectives", objective(key="new\x00"), {"key"}),
    ("post", "/objectives", objective(owner="nobody@acme.test"), {"owner"}),
    ("post", "/objectives", objective(owner="charlie@globex.test"), {"owner"}),
    ("post", "/objectives", objective(owner="sales"), {"owner"}),
    ("post", "/objectives", objective(owner=""), {"owner"}),
    ("post", "/objectives", objective(parent="nope"), {"parent"}),
    ("post", "/objectives", objective(cycle="2099-Q1"), {"cycle"}),
    ("post", "/objectives", objective(level="galaxy"), {"level"}),
    ("post", "/objectives", objective(type="moonshot"), {"type"}),
    ("post", "/objectives", objective(title=None, level="galaxy", key="a b"),
     {"title", "level", "key"}),
    ("patch", "/objectives/grow", {"parent": "retain"}, {"parent"}),  # retain → grow → retain
    ("patch", "/objectives/grow", {"parent": "grow"}, {"parent"}),
    ("patch", "/objectives/grow", {"owner": "nobody@acme.test"}, {"owner"}),
    ("patch", "/objectives/grow", {"cycle": "2099-Q1"}, {"cycle"}),
    ("patch", "/objectives/grow", {"title": ""}, {"title"}),
    ("patch", "/objectives/grow", {"level": "cosmic"}, {"level"}),
    ("post", "/objectives/grow/move", {"cycle": "2099-Q1"}, {"cycle"}),
    ("post", "/objectives/grow/copy", {"cycle": "2099-Q1"}, {"cycle"}),
    ("post", "/objectives/grow/copy", {"cycle": "2027-Q1", "key": "retain"}, {"key"}),
    # cycles
    ("post", "/cycles", {"key": "2027-Q2", "start": "2027-06-30", "end": "2027-04-01"}, {"end"}),
    ("post", "/cycles", {"key": "2027-Q2", "start": "2027-04-01", "end": "2027-02-30"}, {"end"}),
    ("post", "/cycles", {"key": "2027-Q2", "start": "yesterday", "end": "2027-06-30"}, {"start"}),
    ("post", "/cycles", {"key": "2027-Q1", "start": "2027-04-01", "end": "2027-06-30"}, {"key"}),
    ("post", "/cycles", {"key": "2027 Q2", "start": "2027-04-01", "end": "2027-06-30"}, {"key"}),
    ("post", "/cycles", {"key": "2027-Q2", "start": "2027-04-01"}, {"end"}),
    ("patch", "/cycles/2027-Q1", {"end": "2026-12-01"}, {"end"}),
    ("patch", "/cycles/2027-Q1", {"name": "Q\x001"}, {"name"}),
    ("post", "/cycles/2027-Q1/close", {"final_scores": {"arr": 1.5}}, {"final_scores.arr"}),
    ("post", "/cycles/2027-Q1/close", {"final_scores": {"nope": 0.5}}, {"final_scores"}),
    ("post", "/cycles/2027-Q1/close", {"final_scores": {"arr": NAN}}, {"final_scores.arr"}),
    # teams
    ("post", "/teams", {"key": "sales"}, {"name"}),
    ("post", "/teams", {"key": "sales", "name": "x" * 201}, {"name"}),
    ("post", "/teams", {"key": "growth", "name": "Growth 2"}, {"key"}),
    ("post", "/teams", {"key": "sales", "name": "Sales", "parent": "nope"}, {"parent"}),
    ("post", "/teams", {"key": "sales", "name": "Sales", "lead": "nobody@acme.test"}, {"lead"}),
    ("post", "/teams", {"key": "sales", "name": "Sales", "members": ["nobody@acme.test"]},
     {"members"}),
    ("post", "/teams", {"key": "sales", "name": "Sales", "members": ["not-an-email"]},
     {"members[0]"}),
    ("patch", "/teams/growth", {"lead": "charlie@globex.test"}, {"lead"}),
    ("patch", "/teams/growth", {"members": ["bob@acme.test", "nobody@acme.test"]}, {"members"}),
    # key results
    ("post", "/key-results", without(key_result(), "owner"), {"owner"}),
    ("post", "/key-results", key_result(owner="nobody@acme.test"), {"owner"}),
    ("post", "/key-results", key_result(objective="nope"), {"objective"}),
    ("post", "/key-results", key_result(key="arr"), {"key"}),
    ("post", "/key-results", key_result(kind="binary"), {"kind"}),
    ("post", "/key-results", key_result(kpi="nope"), {"kpi"}),
    ("post", "/key-results", key_result(initiatives=["nope"]), {"initiatives"}),
    ("post", "/key-results", key_result(weight=0), {"weight"}),
    ("post", "/key-results", key_result(weight=-1), {"weight"}),
    ("post", "/key-results", key_result(weight=10000), {"weight"}),
    ("post", "/key-results", key_result(weight=0.0004), {"weight"}),  # would be stored as 0
    ("post", "/key-results", key_result(baseline=NAN), {"baseline"}),
    ("post", "/key-results", key_result(target=INF), {"target"}),
    ("post", "/key-results", key_result(target=-INF), {"target"}),
    ("post", "/key-results", key_result(target="Infinity"), {"target"}),
    ("post", "/key-results", key_result(target=1e300), {"target"}),
    ("post", "/key-results", key_result(target=10**17), {"target"}),
    ("post", "/key-results", key_result(target="1e400"), {"target"}),
    ("post", "/key-results", key_result(target=1e-9), {"target"}),
    ("post", "/key-results", key_result(target="twenty"), {"target"}),
    ("post", "/key-results", key_result(unit="x" * 33), {"unit"}),
    ("post", "/key-results", key_result(title="Grow\x00signups"), {"title"}),
    ("patch", "/key-results/churn", {"objective": "nope"}, {"objective"}),
    ("patch", "/key-results/churn", {"owner": "charlie@globex.test"}, {"owner"}),
    ("patch", "/key-results/churn", {"target": NAN}, {"target"}),
    ("patch", "/key-results/churn", {"initiatives": ["nope"]}, {"initiatives"}),
    ("patch", "/key-results/churn", {"weight": 0}, {"weight"}),
    ("patch", "/key-results/churn", {"weight": 0.0001}, {"weight"}),
    # check-ins
    ("post", "/key-results/nps-page/checkins", {"value": 0.5}, {"value"}),
    ("post", "/key-results/nps-page/checkins", {"value": 2}, {"value"}),
    ("post", "/key-results/nps-page/checkins", {}, {"value"}),
    ("post", "/key-results/churn/checkins", {}, {"value"}),
    ("post", "/key-results/churn/checkins", {"value": None}, {"value"}),
    ("post", "/key-results/churn/checkins", {"value": 2, "at": "2027-02-16"}, {"at"}),
    ("post", "/key-results/churn/checkins", {"value": 2, "at": "2027-02-30"}, {"at"}),
    ("post", "/key-results/churn/checkins", {"value": NAN}, {"value"}),
    ("post", "/key-results/churn/checkins", {"value": INF}, {"value"}),
    ("post", "/key-results/churn/checkins", {"value": 1e18}, {"value"}),
    ("post", "/key-results/churn/checkins", {"value": True}, {"value"}),
    ("post", "/key-results/churn/checkins", {"value": 2, "confidence": "great"}, {"confidence"}),
    ("post", "/key-results/churn/checkins", {"value": 2, "moved": "x" * 5001}, {"moved"}),
    ("post", "/key-results/churn/checkins", {"value": 2, "blocked": "a\x00b"}, {"blocked"}),
    ("post", "/key-results/churn/checkins", {"value": 2, "by": "nobody@acme.test"}, {"by"}),
    # initiatives
    ("post", "/initiatives", {"key": "x", "title": "X", "owner": "growth", "url": "javascript:1"},
     {"url"}),
    ("post", "/initiatives", {"key": "x", "title": "X", "owner": "growth", "url": "ftp://a.b/c"},
     {"url"}),
    ("post", "/initiatives", {"key": "x", "title": "X", "owner": "sales"}, {"owner"}),
    ("post", "/initiatives", {"key": "onboarding", "title": "X", "owner": "growth"}, {"key"}),
    ("post", "/initiatives", {"key": "x", "title": "", "owner": "growth"}, {"title"}),
    ("patch", "/initiatives/onboarding", {"url": "not a url"}, {"url"}),
    # KPIs
    ("post", "/kpis", kpi(direction="range", target=None, target_high=10), {"target_low"}),
    ("post", "/kpis", kpi(direction="range", target=None), {"target_low", "target_high"}),
    ("post", "/kpis", kpi(direction="range", target=None, target_low=10, target_high=5),
     {"target_high"}),
    ("post", "/kpis", kpi(direction="range", target=None, target_low=10, target_high=20,
                          warning_low=12), {"warning_low"}),
    ("post", "/kpis", kpi(warning=120), {"warning"}),  # above the target of an up KPI
    ("post", "/kpis", kpi(direction="down", warning=80), {"warning"}),
    ("post", "/kpis", kpi(target=None), {"target"}),
    ("post", "/kpis", kpi(direction="sideways"), {"direction"}),
    ("post", "/kpis", kpi(cadence="hourly"), {"cadence"}),
    ("post", "/kpis", kpi(owner="sales"), {"owner"}),
    ("post", "/kpis", kpi(key="nrr"), {"key"}),
    ("post", "/kpis", kpi(name=""), {"name"}),
    ("post", "/kpis", kpi(name="x" * 201), {"name"}),
    ("post", "/kpis", kpi(target=NAN), {"target"}),
    ("post", "/kpis", kpi(target=1e300), {"target"}),
    ("patch", "/kpis/nrr", {"warning": 120}, {"warning"}),
    ("patch", "/kpis/nrr", {"target": None}, {"target"}),
    ("patch", "/kpis/nrr", {"direction": "range"}, {"target_low", "target_high"}),
    ("patch", "/kpis/nrr", {"owner": "nobody@acme.test"}, {"owner"}),
    ("patch", "/kpis/nrr", {"description": "\x00"}, {"description"}),
    # measurements
    ("post", "/kpis/nrr/measurements", {}, {"value"}),
    ("post", "/kpis/nrr/measurements", {"value": NAN}, {"value"}),
    ("post", "/kpis/nrr/measurements", {"value": "Infinity"}, {"value"}),
    ("post", "/kpis/nrr/measurements", {"value": 1e20}, {"value"}),
    ("post", "/kpis/nrr/measurements", {"value": 1, "at": "someday"}, {"at"}),
    ("post", "/kpis/nrr/measurements", {"value": 1, "at": "2027-13-01"}, {"at"}),
    ("post", "/kpis/nrr/measurements", {"value": 1, "at": "0001-01-01T00:00:00+05:00"}, {"at"}),
    ("post", "/kpis/nrr/measurements", {"value": 1, "at": "9999-12-31T23:00:00-05:00"}, {"at"}),
    ("post", "/kpis/nrr/measurements", {"value": 1, "at": "0001-01-01"}, {"at"}),
    ("post", "/measurements", {"measurements": [{"kpi": "nrr", "at": "0001-01-01T00:00:00+05:00",
                                                 "value": 1}]}, {"measurements[0].at"}),
]  # fmt: skip


@pytest.mark.parametrize(
    ("method", "path", "body", "fields"),
    CASES,
    ids=[f"{m} {p} {sorted(f)}-{i}" for i, (m, p, _, f) in enumerate(CASES)],
)
def test_it_names_each_bad_field_and_changes_nothing(
    okrs: Any, alice_api: Api, method: str, path: str, body: Any, fields: set[str]
) -> None:
    before = row_counts()
    response = getattr(alice_api, method)(path, body)
    assert bad_fields(response) == fields
    for error in response.json()["detail"]:
        assert error["msg"]
    assert row_counts() == before


@pytest.mark.parametrize(
    ("path", "params", "fields"),
    [
        ("/objectives", {"level": "cosmic"}, {"level"}),
        ("/objectives", {"cycle": "a b"}, {"cycle"}),
        ("/objectives", {"owner": "\x00"}, {"owner"}),
        ("/key-results", {"owner": "not-an-email"}, {"owner"}),
        ("/kpis", {"team": "x" * 65}, {"team"}),
        ("/audit", {"entity_type": "\x00"}, {"entity_type"}),
        ("/kpis/nrr/measurements", {"from": "2027-02-30"}, {"from"}),
        ("/kpis/nrr/measurements", {"from": "0001-01-01"}, {"from"}),
        ("/kpis/nrr/measurements", {"to": "9999-12-31"}, {"to"}),
    ],
)
def test_it_names_bad_query_parameters(
    okrs: Any, alice_api: Api, path: str, params: dict[str, str], fields: set[str]
) -> None:
    assert bad_fields(alice_api.get(path, **params)) == fields


@pytest.mark.parametrize(
    "path", ["/objectives/a%20b", "/key-results/..", "/kpis/" + "k" * 65, "/teams/%00"]
)
def test_it_answers_4xx_for_keys_no_row_can_have(okrs: Any, alice_api: Api, path: str) -> None:
    assert alice_api.get(path).status_code in (404, 422)


@pytest.mark.parametrize("checkin_id", ["0", "-1", "99999999999999999999999", "abc"])
def test_it_answers_4xx_for_check_in_ids_no_row_can_have(
    okrs: Any, alice_api: Api, checkin_id: str
) -> None:
    assert alice_api.patch(f"/checkins/{checkin_id}", {"value": 1}).status_code in (404, 422)


@pytest.mark.parametrize(
    "raw",
    [b"{not json", b"[1, 2, 3]", b'"a string"', b"null", b"\xff\xfe", b'{"key": 1e999999}'],
)
def test_it_never_answers_5xx_to_a_malformed_body(okrs: Any, alice_api: Api, raw: bytes) -> None:
    before = row_counts()
    for path in ("/objectives", "/key-results/churn/checkins", "/measurements"):
        response = alice_api.client.post(
            f"/api{path}",
            data=raw,
            content_type="application/json",
            HTTP_AUTHORIZATION=f"Bearer {alice_api.token}",
        )
        assert 400 <= response.status_code < 500, (path, response.content)
    assert row_counts() == before


def test_it_answers_422_to_a_body_with_a_nul_inside_a_key_it_ignores(
    okrs: Any, alice_api: Api
) -> None:
    body = json.loads(json.dumps(objective()))
    body["unknown\x00"] = "\x00"
    response = alice_api.post("/objectives", body)
    assert response.status_code in (201, 422)
    if response.status_code == 201:
        assert "\x00" not in json.dumps(response.json())


@pytest.mark.parametrize(
    "write",
    [
        lambda a: goals.cycle_create(actor=a, key="q9", name="x" * 201, start=dt.date(2027, 4, 1),
                                     end=dt.date(2027, 6, 30)),
        lambda a: goals.cycle_update(actor=a, cycle=goals.Cycle.objects.get(key="2027-Q1"),
                                     name="x" * 201),
        lambda a: workspaces.team_create(actor=a, key="sales", name="x" * 201),
        lambda a: workspaces.team_update(actor=a, team=workspaces.Team.objects.get(key="growth"),
                                         name="x" * 201),
        lambda a: workspaces.workspace_update(actor=a, name="x" * 201),
    ],
    ids=["cycle create", "cycle update", "team create", "team update", "workspace update"],
)  # fmt: skip
def test_it_refuses_names_longer_than_their_column_in_the_services(okrs: Any, write: Any) -> None:
    """The importer and the CLI call the services without the API's schemas in front."""
    from okapi.errors import Invalid
    from okapi.workspaces.access import actor_for

    before = row_counts()
    with pytest.raises(Invalid) as caught:
        write(actor_for(okrs.alice, "acme"))
    assert caught.value.errors == {"name": "is longer than 200 characters"}
    assert row_counts() == before


def test_it_refuses_the_kpi_key_that_names_the_create_page(alice_api, okrs):
    r = alice_api.post(
        "/kpis", {"key": "new", "name": "Clashes with the page address", "target": 1}
    )
    assert r.status_code == 422
    assert "reserved" in r.json()["detail"][0]["msg"]
