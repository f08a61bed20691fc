"""GET/PUT /api/kpis/KEY/source and POST …/source/run: who may do what, what is refused, and
that no answer, audit event or log line ever holds an SQL source's secret."""

from __future__ import annotations

import json
import logging
from typing import Any

import pytest

from okapi.kpis.models import KpiSource
from okapi.workspaces.models import AuditEvent
from tests.sources.conftest import with_password

PASSWORD = "Tr0ub4dor-and-3"


def bad_fields(response: Any) -> set[str]:
    """The body fields a 422 names (tests.api's helper reads a field `query` as a location)."""
    assert response.status_code == 422, (response.status_code, response.content)
    names = set()
    for error in response.json()["detail"]:
        loc = list(error["loc"])
        while loc and loc[0] == "body":
            loc.pop(0)
        names.add(".".join(str(part) for part in loc))
    return names


def put(api: Any, key: str, body: dict[str, Any]) -> Any:
    return api.client.put(
        f"/api/kpis/{key}/source",
        data=json.dumps(body),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {api.token}",
    )


def test_a_kpi_without_a_source_reads_as_its_kind_never_run(vera_api: Any, revenue: Any) -> None:
    response = vera_api.get("/kpis/revenue/source")
    assert response.status_code == 200
    assert response.json() == {
        "kpi": "revenue", "kind": "manual", "schedule_minutes": None, "url": None,
        "query": None, "timeout_seconds": None, "expression": None, "inputs": [],
        "metric": None, "segment": None, "benchmark": "", "status": "never",
        "last_run_at": None, "last_success_at": None, "last_error": None, "failures": 0,
        "next_run_at": None,
    }  # fmt: skip


def test_another_workspace_s_kpi_is_not_found(charlie_api: Any, revenue: Any) -> None:
    assert charlie_api.get("/kpis/revenue/source").status_code == 404
    assert put(charlie_api, "revenue", {"kind": "push"}).status_code == 404
    assert charlie_api.post("/kpis/revenue/source/run").status_code == 404


@pytest.mark.parametrize(
    ("who", "kind", "status"),
    [
        ("alice_api", "sql", 200),  # the owner
        ("adam_api", "sql", 200),  # an admin
        ("bob_api", "sql", 403),  # a member, even of the owning team
        ("vera_api", "sql", 403),
        ("bob_api", "push", 200),  # his team owns the KPI
        ("bob_api", "csv", 200),
        ("vera_api", "push", 403),
    ],
)
def test_sql_sources_are_for_admins(
    request: Any, revenue: Any, sqlite_source: Any, who: str, kind: str, status: int
) -> None:
    api = request.getfixturevalue(who)
    body = (
        {"kind": kind, "url": sqlite_source.url, "query": "SELECT 1"}
        if kind == "sql"
        else {"kind": kind}
    )
    assert put(api, "revenue", body).status_code == status


def test_a_member_cannot_change_or_run_an_admin_s_sql_source(
    alice_api: Any, bob_api: Any, revenue: Any, sqlite_source: Any
) -> None:
    put(alice_api, "revenue", {"kind": "sql", "url": sqlite_source.url, "query": "SELECT 1"})
    assert put(bob_api, "revenue", {"kind": "manual"}).status_code == 403
    assert bob_api.post("/kpis/revenue/source/run").status_code == 403
    assert KpiSource.objects.get(kpi=revenue).kind == "sql"


def test_a_member_sees_an_sql_source_without_its_url_or_query(
    alice_api: Any, bob_api: Any, revenue: Any, sqlite_source: Any
) -> None:
    put(alice_api, "revenue", {"kind": "sql", "url": sqlite_source.url, "query": "SELECT 1"})
    body = bob_api.get("/kpis/revenue/source").json()
    assert (body["kind"], body["url"], body["query"]) == ("sql", None, None)
    assert alice_api.get("/kpis/revenue/source").json()["query"] == "SELECT 1"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"kind": "teleport"}, "kind"),
        ({"kind": "billing"}, "kind"),
        ({"kind": "sql", "query": "SELECT 1"}, "url"),
        ({"kind": "sql", "url": "sqlite:///x.db"}, "query"),
        ({"kind": "sql", "url": "sqlite:///x.db", "query": "  "}, "query"),
        ({"kind": "sql", "url": "oracle://db/x", "query": "SELECT 1"}, "url"),
        ({"kind": "sql", "url": "postgresql:///nohost", "query": "SELECT 1"}, "url"),
        ({"kind": "sql", "url": "mysql://root@db", "query": "SELECT 1"}, "url"),
        ({"kind": "sql", "url": "postgresql://db:99999/x", "query": "SELECT 1"}, "url"),
        (
            {"kind": "sql", "url": "sqlite:///x.db", "query": "SELECT 1", "timeout_seconds": 0},
            "timeout_seconds",
        ),
        (
            {"kind": "sql", "url": "sqlite:///x.db", "query": "SELECT 1", "timeout_seconds": 301},
            "timeout_seconds",
        ),
        (
            {"kind": "sql", "url": "sqlite:///x.db", "query": "SELECT 1", "schedule_minutes": 0},
            "schedule_minutes",
        ),
        ({"kind": "formula"}, "expression"),
        ({"kind": "formula", "expression": "nrr +"}, "expression"),
    ],
)
def test_it_names_the_bad_field(
    alice_api: Any, revenue: Any, body: dict[str, Any], field: str
) -> None:
    before = AuditEvent.objects.count()
    assert bad_fields(put(alice_api, "revenue", body)) == {field}
    assert AuditEvent.objects.count() == before
    assert not KpiSource.objects.exists()


def test_only_sql_and_formula_sources_run(alice_api: Any, revenue: Any) -> None:
    assert bad_fields(alice_api.post("/kpis/revenue/source/run")) == {"kind"}
    put(alice_api, "revenue", {"kind": "push"})
    assert bad_fields(alice_api.post("/kpis/revenue/source/run")) == {"kind"}


def test_switching_away_from_sql_forgets_the_secret(
    alice_api: Any, revenue: Any, sqlite_source: Any
) -> None:
    put(alice_api, "revenue", {"kind": "sql", "url": sqlite_source.url, "query": "SELECT 1"})
    assert KpiSource.objects.get(kpi=revenue).secret
    body = put(alice_api, "revenue", {"kind": "manual"}).json()
    assert (body["kind"], body["url"], body["schedule_minutes"]) == ("manual", None, None)
    source = KpiSource.objects.get(kpi=revenue)
    assert (source.secret, source.config) == ("", {})
    revenue.refresh_from_db()
    assert revenue.source == "manual"


def test_setting_the_same_source_again_keeps_its_last_run(
    alice_api: Any, revenue: Any, sqlite_source: Any
) -> None:
    body = {"kind": "sql", "url": sqlite_source.url, "query": "SELECT 1"}
    put(alice_api, "revenue", body)
    alice_api.post("/kpis/revenue/source/run")
    del body["url"]
    assert put(alice_api, "revenue", body).json()["status"] == "ok"
    body["query"] = "SELECT 2"
    assert put(alice_api, "revenue", body).json()["status"] == "never"


def test_the_stored_url_is_kept_when_only_the_query_changes(
    alice_api: Any, revenue: Any, sqlite_source: Any
) -> None:
    put(alice_api, "revenue", {"kind": "sql", "url": sqlite_source.url, "query": "SELECT 1"})
    body = put(alice_api, "revenue", {"kind": "sql", "query": "SELECT 2"}).json()
    assert (body["url"], body["query"]) == (sqlite_source.url, "SELECT 2")
    assert alice_api.post("/kpis/revenue/source/run").json()["status"] == "ok"


# --------------------------------------------------------------------------- secrets


def test_the_password_never_shows(
    alice_api: Any, revenue: Any, pg_source: Any, caplog: Any
) -> None:
    caplog.set_level(logging.DEBUG)
    url = with_password(pg_source.url, PASSWORD)
    query = f"SELECT at, value FROM {pg_source.table}"
    answers = [put(alice_api, "revenue", {"kind": "sql", "url": url, "query": query})]
    answers.append(alice_api.post("/kpis/revenue/source/run"))
    # A failing run: the error names the host, never the password.
    answers.append(
        put(alice_api, "revenue", {"kind": "sql", "url": url.replace("5432", "1"), "query": query})
    )
    answers.append(alice_api.post("/kpis/revenue/source/run"))
    answers.append(alice_api.get("/kpis/revenue/source"))
    answers.append(alice_api.get("/openapi.json"))
    for answer in answers:
        assert answer.status_code == 200, answer.content
        assert PASSWORD not in answer.content.decode()
    body = answers[-2].json()
    assert body["url"] == with_password(pg_source.url, "***").replace("5432", "1")
    assert body["status"] == "error" and "connection" in body["last_error"]
    assert answers[1].json()["status"] == "ok"

    source = KpiSource.objects.get(kpi=revenue)
    assert PASSWORD not in json.dumps(source.config)
    assert PASSWORD not in source.secret  # encrypted
    assert PASSWORD not in source.last_error
    events = AuditEvent.objects.filter(entity_key="revenue")
    assert events.filter(action="source_set").count() == 2
    for event in events:
        assert PASSWORD not in json.dumps([event.before, event.after])
    assert PASSWORD not in caplog.text
    assert "connection" in caplog.text  # the failure was logged, without the secret


def test_the_password_is_scrubbed_from_a_driver_error_that_echoes_it(
    alice_api: Any, revenue: Any, monkeypatch: Any, caplog: Any
) -> None:
    from okapi.kpis import sources

    def leaky(connection: Any, query: str, timeout: float) -> Any:
        raise sources.SourceError(f"could not connect with {connection.url} ({PASSWORD})")

    monkeypatch.setattr(sources, "_run_postgresql", leaky)
    url = f"postgresql://okapi:{PASSWORD}@warehouse.internal:5432/sales"
    put(alice_api, "revenue", {"kind": "sql", "url": url, "query": "SELECT 1"})
    body = alice_api.post("/kpis/revenue/source/run").json()
    assert body["last_error"] == "could not connect with *** (***)"
    assert PASSWORD not in caplog.text


def test_an_unexpected_error_is_recorded_and_logged_without_the_secret(
    alice_api: Any, revenue: Any, monkeypatch: Any, caplog: Any
) -> None:
    from okapi.kpis import sources

    def broken(connection: Any, query: str, timeout: float) -> Any:
        raise RuntimeError(f"boom {connection.url}")

    monkeypatch.setattr(sources, "_run_postgresql", broken)
    url = f"postgresql://okapi:{PASSWORD}@warehouse.internal:5432/sales"
    put(alice_api, "revenue", {"kind": "sql", "url": url, "query": "SELECT 1"})
    body = alice_api.post("/kpis/revenue/source/run").json()
    assert body["last_error"] == "unexpected error (RuntimeError); see the server log"
    assert "RuntimeError: boom ***" in caplog.text
    assert PASSWORD not in caplog.text


@pytest.mark.parametrize(
    ("url", "masked"),
    [
        ("postgresql://u:p%40ss@db:5432/x", "postgresql://u:***@db:5432/x"),
        (
            "postgresql://u@db/x?password=s3cret&sslmode=require",
            "postgresql://u@db/x?password=***&sslmode=require",
        ),
        ("mysql://root@db:3306/x", "mysql://root@db:3306/x"),
        ("sqlite:////var/data/x.db", "sqlite:////var/data/x.db"),
    ],
)
def test_it_masks_passwords(url: str, masked: str) -> None:
    from okapi.kpis.sources import mask_url

    assert mask_url(url) == masked


def test_secrets_are_encrypted_with_a_key_from_the_secret_key(settings: Any) -> None:
    from okapi.kpis.sources import SourceError, decrypt_secret, encrypt_secret

    url = "postgresql://u:Tr0ub4dor-and-3@db/x"  # long enough never to appear by chance
    token = encrypt_secret(url)
    assert "Tr0ub4dor-and-3" not in token and decrypt_secret(token) == url
    settings.SECRET_KEY = "another key entirely, long enough to be a real one"
    with pytest.raises(SourceError, match="cannot be decrypted"):
        decrypt_secret(token)


def test_the_readme_s_push_example_works(bob_api: Any, acme: Any) -> None:
    """The `curl` in README.md and docs/kpi-sources.md, sent as written."""
    import re
    from pathlib import Path

    from okapi.kpis.services import kpi_create
    from okapi.workspaces.access import system_actor

    kpi_create(
        actor=system_actor(acme.workspace), key="nrr", name="NRR", target=110, owner="growth"
    )
    root = Path(__file__).resolve().parents[2]
    for doc in ("README.md", "docs/kpi-sources.md"):
        text = (root / doc).read_text()
        match = re.search(
            r"curl -X POST .*?-d '(\{.*?\})' http://localhost:8000(/api/\S+)", text, re.S
        )
        assert match, doc
        body, path = json.loads(match[1]), match[2]
        response = bob_api.client.post(
            path, data=json.dumps(body), content_type="application/json",
            HTTP_AUTHORIZATION=f"Bearer {bob_api.token}",
        )  # fmt: skip
        assert response.status_code == 201, (doc, response.content)
        assert response.json()["value"] == body["value"]
