"""Formula sources: computed at the times where every input has a value, a division by zero
skipped, unknown keys and cycles refused, recomputed when an input changes."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from typing import Any

import pytest

from okapi.kpis.models import Kpi, KpiSource, Measurement
from okapi.kpis.services import Point, kpi_create, kpi_measure_bulk
from okapi.workspaces.access import system_actor
from okapi.workspaces.models import AuditEvent
from tests.sources.conftest import put_csv


def put(api: Any, key: str, body: dict[str, Any]) -> Any:
    return api.client.put(
        f"/api/kpis/{key}/source",
        data=json.dumps(body),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {api.token}",
    )


def series(key: str) -> dict[dt.date, Decimal]:
    return {m.at.date(): m.value for m in Measurement.objects.filter(kpi__key=key)}


@pytest.fixture
def unit_economics(acme: Any) -> Any:
    """ltv and cac (owned by growth), and ltv-cac to hold the formula."""
    system = system_actor(acme.workspace)
    for key in ("ltv", "cac", "ltv-cac", "churned_mrr", "mrr"):
        kpi_create(actor=system, key=key, name=key, target=1, owner="growth")
    kpi_measure_bulk(actor=system, points=[
        Point("ltv", "2027-01-31", 9000), Point("ltv", "2027-02-28", 9600),
        Point("ltv", "2027-03-31", 9900), Point("ltv", "2027-04-30", 10000),
        Point("cac", "2027-01-31", 3000), Point("cac", "2027-02-28", 0),
        Point("cac", "2027-03-31", 3300),
    ])  # fmt: skip
    return acme


def test_it_computes_where_every_input_has_a_value(bob_api: Any, unit_economics: Any) -> None:
    response = put(bob_api, "ltv-cac", {"kind": "formula", "expression": "ltv/cac"})
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["kind"], body["expression"], body["inputs"]) == (
        "formula",
        "ltv / cac",
        ["cac", "ltv"],
    )
    assert (body["status"], body["schedule_minutes"]) == ("ok", 60)
    # February divides by zero (no value); April has no CAC.
    assert series("ltv-cac") == {dt.date(2027, 1, 31): Decimal(3), dt.date(2027, 3, 31): Decimal(3)}
    assert bob_api.get("/kpis/ltv-cac").json()["source"] == "formula"


@pytest.mark.parametrize(
    ("expression", "message"),
    [
        ("ltv / nope", "column 7: unknown KPI 'nope'"),
        ("ltv / lt", "column 7: unknown KPI 'lt'"),
        ("  ltv / [n.o-pe]", "column 9: unknown KPI 'n.o-pe'"),
        (
            "ltv / (cac",
            "column 11: expected ')' to close the '(' at column 7, found the end of the formula",
        ),
        ("ltv cac", "column 5: unexpected 'cac' (an operator is missing before it)"),
        (
            "2 * ltv-cac",
            "column 5: 'ltv-cac' reads as a subtraction; write [ltv-cac] for the KPI (or put spaces around '-')",
        ),
        ("[ltv-cac] * 2", "a dependency cycle: ltv-cac → ltv-cac"),
        ("42", "reads no KPI: a formula needs at least one input"),
    ],
)
def test_it_refuses_a_bad_formula(
    bob_api: Any, unit_economics: Any, expression: str, message: str
) -> None:
    response = put(bob_api, "ltv-cac", {"kind": "formula", "expression": expression})
    assert response.status_code == 422
    assert response.json()["detail"] == [
        {"loc": ["body", "expression"], "msg": message, "type": "value_error"}
    ]
    assert not KpiSource.objects.exists()


def test_it_refuses_a_cycle_through_other_formulas(bob_api: Any, unit_economics: Any) -> None:
    assert (
        put(bob_api, "ltv-cac", {"kind": "formula", "expression": "ltv / cac"}).status_code == 200
    )
    assert put(bob_api, "ltv", {"kind": "formula", "expression": "cac * 3"}).status_code == 200
    response = put(bob_api, "cac", {"kind": "formula", "expression": "[ltv-cac] + 1"})
    assert response.json()["detail"][0]["msg"] == "a dependency cycle: cac → ltv-cac → cac"


def test_it_recomputes_when_an_input_is_uploaded_and_so_on_down_the_chain(
    bob_api: Any, unit_economics: Any
) -> None:
    system = system_actor(unit_economics.workspace)
    kpi_create(actor=system, key="ltv-cac-pct", name="as %", target=1, owner="growth")
    put(bob_api, "ltv-cac", {"kind": "formula", "expression": "ltv / cac"})
    put(bob_api, "ltv-cac-pct", {"kind": "formula", "expression": "[ltv-cac] * 100"})
    assert series("ltv-cac-pct")[dt.date(2027, 1, 31)] == Decimal(300)
    # The February CAC is corrected and April's arrives: both formulas follow.
    csv = "kpi,at,value\ncac,2027-02-28,3200\ncac,2027-04-30,2500\n"
    assert put_csv(bob_api.client, bob_api.token, "cac", csv).status_code == 201
    assert series("ltv-cac") == {
        dt.date(2027, 1, 31): Decimal(3), dt.date(2027, 2, 28): Decimal(3),
        dt.date(2027, 3, 31): Decimal(3), dt.date(2027, 4, 30): Decimal(4),
    }  # fmt: skip
    assert series("ltv-cac-pct")[dt.date(2027, 4, 30)] == Decimal(400)


def test_a_value_that_no_longer_computes_is_removed(bob_api: Any, unit_economics: Any) -> None:
    put(bob_api, "ltv-cac", {"kind": "formula", "expression": "ltv / cac"})
    system = system_actor(unit_economics.workspace)
    kpi_measure_bulk(actor=system, points=[Point("cac", "2027-03-31", 0)])
    source = KpiSource.objects.get(kpi__key="ltv-cac")
    from okapi.kpis.sources import formula_recompute

    formula_recompute(actor=system, kpi=source.kpi)
    assert series("ltv-cac") == {dt.date(2027, 1, 31): Decimal(3)}
    source.kpi.refresh_from_db()
    assert source.kpi.latest_value == Decimal(3)
    event = AuditEvent.objects.filter(action="recomputed", entity_key="ltv-cac").first()
    assert event.after == {"written": 0, "removed": 1}


def test_a_recompute_that_changes_nothing_writes_nothing(bob_api: Any, unit_economics: Any) -> None:
    put(bob_api, "ltv-cac", {"kind": "formula", "expression": "ltv / cac"})
    events = AuditEvent.objects.count()
    response = bob_api.post("/kpis/ltv-cac/source/run")
    assert response.status_code == 403  # running now is for admins
    from okapi.kpis.sources import formula_recompute

    formula_recompute(actor=system_actor(unit_economics.workspace), kpi=KpiSource.objects.get().kpi)
    assert AuditEvent.objects.count() == events


def test_an_input_a_formula_reads_cannot_be_deleted(
    alice_api: Any, bob_api: Any, unit_economics: Any
) -> None:
    put(bob_api, "ltv-cac", {"kind": "formula", "expression": "ltv / cac"})
    answer = alice_api.delete("/kpis/cac")
    assert answer.status_code == 422
    assert "'cac' is read by the formula of ltv-cac: change or delete that first" in str(
        answer.json()
    )
    assert Kpi.objects.filter(key="cac").exists()


def test_an_input_gone_behind_okapis_back_is_reported_on_the_next_run(
    alice_api: Any, bob_api: Any, unit_economics: Any
) -> None:
    put(bob_api, "ltv-cac", {"kind": "formula", "expression": "ltv / cac"})
    Kpi.objects.filter(key="cac").delete()  # e.g. by hand in the database
    body = alice_api.post("/kpis/ltv-cac/source/run").json()
    assert (body["status"], body["last_error"]) == ("error", "expression: unknown KPI 'cac'")
    assert body["failures"] == 1
