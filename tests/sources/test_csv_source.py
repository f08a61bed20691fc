"""POST /api/kpis/KEY/measurements/csv: a text/csv body or a multipart file, all or nothing,
errors naming the line, the outcome recorded on the KPI's source."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest

from okapi.kpis.models import KpiSource, Measurement
from tests.sources.conftest import put_csv

GOOD = "kpi,at,value\nrevenue,2027-01-31,10\nrevenue,2027-02-28,12.5\n"


@pytest.mark.parametrize("multipart", [False, True])
def test_it_stores_an_upload(bob_api: Any, revenue: Any, multipart: bool) -> None:
    response = put_csv(bob_api.client, bob_api.token, "revenue", GOOD, multipart=multipart)
    assert response.status_code == 201, response.content
    assert response.json() == {"stored": 2}
    assert [(m.at.date(), m.value) for m in Measurement.objects.order_by("at")] == [
        (dt.date(2027, 1, 31), Decimal(10)),
        (dt.date(2027, 2, 28), Decimal("12.5")),
    ]
    source = bob_api.get("/kpis/revenue/source").json()
    assert (source["kind"], source["status"], source["last_error"]) == ("manual", "ok", None)
    assert source["last_run_at"] is not None


@pytest.mark.parametrize(
    ("text", "where", "message"),
    [
        (
            "kpi,at,value\nrevenue,2027-01-31,10\nrevenue,2027-02-28,abc\n",
            "line 3",
            "value: 'abc' is not a number",
        ),
        (
            "kpi,at,value\nrevenue,2027-01-31,10\nrevenue,someday,1\n",
            "line 3",
            "at: 'someday' is not an ISO 8601 date or date-time",
        ),
        (
            "kpi,at,value\nrevenue,2027-01-31,10\nnrr,2027-01-31,1\n",
            "line 3",
            "kpi 'nrr' is not 'revenue' (one KPI a file)",
        ),
        (
            "kpi,when,value\nrevenue,2027-01-31,10\n",
            "line 1",
            "missing column at (header: kpi,at,value)",
        ),
    ],
)
def test_it_refuses_a_bad_file_naming_the_line_and_stores_nothing(
    bob_api: Any, revenue: Any, text: str, where: str, message: str
) -> None:
    response = put_csv(bob_api.client, bob_api.token, "revenue", text)
    assert response.status_code == 422
    [error] = response.json()["detail"]
    assert (error["loc"], error["msg"]) == (["body", where], message)
    assert not Measurement.objects.exists()
    source = KpiSource.objects.get(kpi=revenue)
    assert (source.status, source.last_error) == ("error", f"{where}: {message}")


def test_an_empty_file_is_refused(bob_api: Any, revenue: Any) -> None:
    response = put_csv(bob_api.client, bob_api.token, "revenue", "", multipart=True)
    assert response.status_code == 422
    assert response.json()["detail"][0] == {
        "loc": ["body", "file"],
        "msg": "is empty: expected the header kpi,at,value",
        "type": "value_error",
    }


def test_a_file_that_is_not_utf8_is_refused(bob_api: Any, revenue: Any) -> None:
    response = bob_api.client.post(
        "/api/kpis/revenue/measurements/csv",
        data=b"kpi,at,value\nrevenue,2027-01-31,\xff\n",
        content_type="text/csv",
        HTTP_AUTHORIZATION=f"Bearer {bob_api.token}",
    )
    assert response.status_code == 422
    assert response.json()["detail"][0]["msg"].startswith("is not UTF-8")


def test_it_needs_a_file(bob_api: Any, revenue: Any) -> None:
    response = bob_api.post("/kpis/revenue/measurements/csv", {"value": 1})
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "file"]


@pytest.mark.parametrize(("who", "status"), [("vera_api", 403), ("charlie_api", 404)])
def test_viewers_and_outsiders_cannot_upload(
    request: Any, revenue: Any, who: str, status: int
) -> None:
    api = request.getfixturevalue(who)
    assert put_csv(api.client, api.token, "revenue", GOOD).status_code == status
    assert not Measurement.objects.exists()


def test_a_member_cannot_upload_to_a_kpi_he_does_not_own(bob_api: Any, acme: Any) -> None:
    from okapi.kpis.services import kpi_create
    from okapi.workspaces.access import system_actor

    kpi_create(
        actor=system_actor(acme.workspace), key="nps", name="NPS", target=40, owner="product"
    )
    response = put_csv(bob_api.client, bob_api.token, "nps", "kpi,at,value\nnps,2027-01-31,40\n")
    assert response.status_code == 403


def test_a_kpi_fed_by_another_source_refuses_uploads(
    alice_api: Any, revenue: Any, sqlite_source: Any
) -> None:
    alice_api.client.put(
        "/api/kpis/revenue/source",
        data={"kind": "sql", "url": sqlite_source.url, "query": "SELECT 1"},
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {alice_api.token}",
    )
    response = put_csv(alice_api.client, alice_api.token, "revenue", GOOD)
    assert response.status_code == 422
    assert "fed by its sql source" in response.json()["detail"][0]["msg"]
