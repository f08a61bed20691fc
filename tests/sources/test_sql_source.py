"""SQL sources end to end through the API, against the real PostgreSQL on this machine, an
SQLite file and MariaDB/MySQL when reachable: rows stored, writes refused with nothing changed,
timeouts cancelled with a clear error."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest

from okapi.kpis.models import KpiSource, Measurement

ENGINES = ["pg_source", "sqlite_source", "mysql_source"]


@pytest.fixture(params=ENGINES)
def source_db(request: Any) -> Any:
    return request.getfixturevalue(request.param)


def set_sql(api: Any, key: str, url: str, query: str, **extra: Any) -> Any:
    return api.client.put(
        f"/api/kpis/{key}/source",
        data={"kind": "sql", "url": url, "query": query, **extra},
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {api.token}",
    )


def run(api: Any, key: str) -> dict[str, Any]:
    response = api.post(f"/kpis/{key}/source/run")
    assert response.status_code == 200, response.content
    return response.json()


def values(key: str = "revenue") -> list[tuple[dt.date, Decimal]]:
    return [(m.at.date(), m.value) for m in Measurement.objects.filter(kpi__key=key).order_by("at")]


def test_it_stores_the_rows_of_a_query(alice_api: Any, revenue: Any, source_db: Any) -> None:
    query = f"SELECT at, value FROM {source_db.table} ORDER BY at"
    response = set_sql(alice_api, "revenue", source_db.url, query, schedule_minutes=15)
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["kind"], body["status"], body["schedule_minutes"]) == ("sql", "never", 15)
    assert body["timeout_seconds"] == 30
    out = run(alice_api, "revenue")
    assert (out["status"], out["last_error"], out["failures"]) == ("ok", None, 0)
    assert out["last_run_at"] == out["last_success_at"]
    assert values() == [
        (dt.date(2027, 1, 31), Decimal("10.5")),
        (dt.date(2027, 2, 28), Decimal("11.25")),
        (dt.date(2027, 3, 31), Decimal("12")),
    ]
    revenue.refresh_from_db()
    assert (revenue.source, revenue.latest_value) == ("sql", Decimal("12"))


def test_it_stores_a_single_value_at_the_run_time(
    alice_api: Any, revenue: Any, source_db: Any
) -> None:
    set_sql(alice_api, "revenue", source_db.url, f"SELECT sum(value) FROM {source_db.table}")
    before = dt.datetime.now(dt.UTC).replace(second=0, microsecond=0)
    assert run(alice_api, "revenue")["status"] == "ok"
    [m] = Measurement.objects.filter(kpi=revenue)
    assert m.value == Decimal("33.75")
    assert before <= m.at <= dt.datetime.now(dt.UTC)


@pytest.mark.parametrize(
    "write",
    [
        "DELETE FROM {table}",
        "INSERT INTO {table} VALUES ('2027-04-30', 13)",
        "UPDATE {table} SET value = 0",
        "DROP TABLE {table}",
        "CREATE TABLE {table}_copy (a int)",
        "SELECT 1; DELETE FROM {table}",
        "SELECT 1; COMMIT; DELETE FROM {table}",
    ],
)
def test_it_refuses_to_write_and_changes_nothing(
    alice_api: Any, revenue: Any, source_db: Any, write: str
) -> None:
    set_sql(alice_api, "revenue", source_db.url, write.format(table=source_db.table))
    out = run(alice_api, "revenue")
    assert out["status"] == "error"
    assert (
        "read-only" in out["last_error"]
        or "one statement" in out["last_error"]
        or "syntax" in out["last_error"]  # MySQL refuses two statements as a syntax error
    ), out["last_error"]
    assert (source_db.count(), source_db.tables()) == (3, 1)
    assert values() == []


def test_it_cancels_a_query_past_its_timeout(
    alice_api: Any, revenue: Any, source_db: Any, request: Any
) -> None:
    slow = {
        "pg_source": "SELECT pg_sleep(5)",
        "mysql_source": "SELECT SLEEP(5) FROM revenue",
        "sqlite_source": "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) "
        "SELECT max(x) FROM c",
    }[request.node.callspec.params["source_db"]]
    set_sql(alice_api, "revenue", source_db.url, slow, timeout_seconds=1)
    started = dt.datetime.now()
    out = run(alice_api, "revenue")
    assert (dt.datetime.now() - started).total_seconds() < 4.5
    assert out["status"] == "error"
    assert out["last_error"] == "the query ran longer than its 1-second timeout and was cancelled"
    assert out["failures"] == 1


@pytest.mark.parametrize(
    ("query", "error"),
    [
        (
            "SELECT 1 AS a, 2 AS b, 3 AS c",
            "the query must return (at, value) rows or a single value; it returned 3 columns (a, b, c)",
        ),
        ("SELECT '2027-01-31', 'abc'", "row 1: value: 'abc' is not a number"),
        ("SELECT 'soon', 1", "row 1: at: 'soon' is not an ISO 8601 date or date-time"),
        (
            "SELECT 42 UNION ALL SELECT 43",
            "a one-column result is a single value and must have one row; it has 2",
        ),
        ("SELECT nonsense FROM nowhere", "SQLite: no such table: nowhere"),
    ],
)
def test_it_explains_results_it_cannot_store(
    alice_api: Any, revenue: Any, sqlite_source: Any, query: str, error: str
) -> None:
    set_sql(alice_api, "revenue", sqlite_source.url, query)
    out = run(alice_api, "revenue")
    assert (out["status"], out["last_error"]) == ("error", error)
    assert values() == []


def test_it_skips_rows_without_a_value(alice_api: Any, revenue: Any, sqlite_source: Any) -> None:
    query = "SELECT '2027-01-31', NULL UNION ALL SELECT '2027-02-28', 4"
    set_sql(alice_api, "revenue", sqlite_source.url, query)
    assert run(alice_api, "revenue")["status"] == "ok"
    assert values() == [(dt.date(2027, 2, 28), Decimal(4))]


def test_it_explains_an_unreachable_database(alice_api: Any, revenue: Any, tmp_path: Any) -> None:
    set_sql(alice_api, "revenue", f"sqlite:///{tmp_path}/missing.db", "SELECT 1")
    assert run(alice_api, "revenue")["last_error"] == "SQLite: the database file does not exist"
    set_sql(alice_api, "revenue", "postgresql://okapi:pw@127.0.0.1:1/x", "SELECT 1")
    error = run(alice_api, "revenue")["last_error"]
    assert error.startswith("PostgreSQL: connection failed"), error


def test_it_refuses_okapi_s_own_database(monkeypatch: Any, tmp_path: Any) -> None:
    from okapi.errors import Invalid
    from okapi.kpis import sources

    own = tmp_path / "okapi.db"
    own.touch()
    pg = {"host": "db.internal", "port": 5432, "name": "okapi"}
    monkeypatch.setattr(
        sources, "_okapi_database", lambda engine: str(own) if engine == "sqlite" else pg
    )
    for url in (f"sqlite:///{own}", f"sqlite:///{tmp_path}/../{tmp_path.name}/okapi.db",
                "postgresql://reader:pw@db.internal/okapi"):  # fmt: skip
        with pytest.raises(Invalid, match="Okapi's own database"):
            sources.parse_connection(url)
    sources.parse_connection("postgresql://reader:pw@db.internal/warehouse")


def test_the_scheduled_run_uses_the_stored_query(
    alice_api: Any, revenue: Any, sqlite_source: Any
) -> None:
    from okapi.kpis.sources import source_run_scheduled

    set_sql(alice_api, "revenue", sqlite_source.url, f"SELECT at, value FROM {sqlite_source.table}")
    source = KpiSource.objects.get(kpi=revenue)
    assert source_run_scheduled(source.pk) == "ok"
    assert len(values()) == 3
