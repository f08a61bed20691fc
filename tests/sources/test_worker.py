"""The worker: due sources are queued (once) through django-tasks' database backend and run by
its worker; a failing source backs off 1, 5, 25 minutes and never blocks another; formulas
follow their inputs; `okapi worker --once`; the worker threads `okapi demo` starts."""

from __future__ import annotations

import datetime as dt
import time
from decimal import Decimal
from typing import Any

import pytest
import time_machine
from django_tasks_db.models import DBTaskResult

from okapi.cli import main
from okapi.kpis import sources
from okapi.kpis.models import Kpi, KpiSource, Measurement
from okapi.kpis.services import kpi_create
from okapi.kpis.tasks import enqueue_due_sources
from okapi.workspaces.access import system_actor

START = dt.datetime(2027, 2, 15, 12, 0, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def keep_the_test_transaction(monkeypatch: Any) -> None:
    """The database worker closes stale connections between tasks; inside a test's transaction
    that would end the transaction, so it is a no-op here (the thread test commits for real)."""
    monkeypatch.setattr(
        "django_tasks_db.management.commands.db_worker.close_old_connections", lambda: None
    )


def sql_kpi(acme: Any, key: str, url: str, query: str, **extra: Any) -> KpiSource:
    system = system_actor(acme.workspace)
    kpi = kpi_create(actor=system, key=key, name=key, target=1)
    return sources.source_set(actor=system, kpi=kpi, kind="sql", url=url, query=query, **extra)


def run_worker() -> None:
    """The task library's own database worker, until the queue is empty."""
    from okapi.commands.worker import _db_worker

    _db_worker(batch=True, interval=0).run()


def state(source: KpiSource) -> tuple[str, int, dt.datetime | None]:
    source.refresh_from_db()
    return source.status, source.failures, source.next_run_at


def test_due_sources_are_queued_once_and_run_by_the_database_worker(
    acme: Any, sqlite_source: Any
) -> None:
    with time_machine.travel(START, tick=False):
        good = sql_kpi(acme, "good", sqlite_source.url, "SELECT at, value FROM revenue")
        bad = sql_kpi(acme, "bad", sqlite_source.url, "SELECT at, value FROM missing")
        assert sorted(enqueue_due_sources()) == sorted([good.pk, bad.pk])
        assert enqueue_due_sources() == []  # queued already: not twice
        assert DBTaskResult.objects.filter(status="READY").count() == 2
        run_worker()
    assert DBTaskResult.objects.filter(status="SUCCESSFUL").count() == 2
    # The failing source did not keep the other from running.
    assert state(good) == ("ok", 0, START + dt.timedelta(minutes=60))
    assert Measurement.objects.filter(kpi__key="good").count() == 3
    assert state(bad) == ("error", 1, START + dt.timedelta(minutes=1))
    assert bad.last_error == "SQLite: no such table: missing"
    assert bad.queued_at is None


def test_a_failing_source_backs_off_1_5_25_minutes_then_recovers(
    acme: Any, sqlite_source: Any
) -> None:
    with time_machine.travel(START, tick=False) as clock:
        bad = sql_kpi(acme, "bad", sqlite_source.url, "SELECT at, value FROM missing")
        waits = []
        for _ in range(4):
            assert enqueue_due_sources() == [bad.pk]
            run_worker()
            _, failures, next_run = state(bad)
            waits.append((failures, (next_run - bad.last_run_at) / dt.timedelta(minutes=1)))
            clock.move_to(next_run - dt.timedelta(seconds=1))
            assert enqueue_due_sources() == []  # not due before its time
            clock.move_to(next_run)
        assert waits == [(1, 1), (2, 5), (3, 25), (4, 25)]
        sources.source_set(actor=system_actor(acme.workspace), kpi=bad.kpi, kind="sql",
                           query="SELECT at, value FROM revenue")  # fmt: skip
        assert enqueue_due_sources() == [bad.pk]
        run_worker()
        assert state(bad)[:2] == ("ok", 0)


def test_the_back_off_never_waits_longer_than_the_schedule(acme: Any, sqlite_source: Any) -> None:
    with time_machine.travel(START, tick=False):
        bad = sql_kpi(acme, "bad", sqlite_source.url, "SELECT 1 FROM missing", schedule_minutes=3)
        for _ in range(3):
            sources.source_run(source=bad)
        assert bad.next_run_at - bad.last_run_at == dt.timedelta(minutes=3)


def test_a_source_queued_by_a_dead_worker_is_queued_again_after_an_hour(
    acme: Any, sqlite_source: Any
) -> None:
    with time_machine.travel(START, tick=False) as clock:
        source = sql_kpi(acme, "good", sqlite_source.url, "SELECT 1")
        assert enqueue_due_sources() == [source.pk]
        DBTaskResult.objects.all().delete()  # the task was lost
        clock.shift(dt.timedelta(minutes=59))
        assert enqueue_due_sources() == []
        clock.shift(dt.timedelta(minutes=2))
        assert enqueue_due_sources() == [source.pk]


def test_a_formula_is_recomputed_by_the_worker_when_an_input_changes(
    bob_api: Any, acme: Any
) -> None:
    system = system_actor(acme.workspace)
    for key in ("ltv", "cac", "ratio"):
        kpi_create(actor=system, key=key, name=key, target=1, owner="growth")
    with time_machine.travel(START, tick=False) as clock:
        bob_api.post("/kpis/ltv/measurements", {"at": "2027-01-31", "value": 900})
        bob_api.post("/kpis/cac/measurements", {"at": "2027-01-31", "value": 300})
        source = sources.source_set(actor=system, kpi=Kpi.objects.get(key="ratio"),
                                    kind="formula", expression="ltv / cac")  # fmt: skip
        assert Kpi.objects.get(key="ratio").latest_value == Decimal(3)
        clock.shift(dt.timedelta(minutes=1))
        assert enqueue_due_sources() == []  # nothing changed, next run in an hour
        # A measurement pushed through the API (not by a source) changes an input.
        clock.shift(dt.timedelta(minutes=1))
        bob_api.post("/kpis/cac/measurements", {"at": "2027-01-31", "value": 450})
        clock.shift(dt.timedelta(seconds=1))
        assert enqueue_due_sources() == [source.pk]
        run_worker()
    assert Kpi.objects.get(key="ratio").latest_value == Decimal(2)


def test_one_task_per_source_so_a_slow_one_does_not_hold_the_queue(
    acme: Any, sqlite_source: Any
) -> None:
    slow = "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT max(x) FROM c"
    a = sql_kpi(acme, "slow", sqlite_source.url, slow, timeout_seconds=1)
    b = sql_kpi(acme, "fast", sqlite_source.url, "SELECT at, value FROM revenue")
    enqueue_due_sources()
    started = time.monotonic()
    run_worker()
    assert time.monotonic() - started < 5
    assert state(a)[0] == "error" and "timeout" in a.last_error
    assert state(b)[0] == "ok"


def test_okapi_worker_once_runs_the_due_sources_and_exits(
    acme: Any, sqlite_source: Any, capsys: Any
) -> None:
    source = sql_kpi(acme, "good", sqlite_source.url, "SELECT at, value FROM revenue")
    assert main(["worker", "--once"]) == 0
    out, err = capsys.readouterr()
    assert out == ""
    assert err.startswith("Queued 1 due source(s) and ") and err.endswith("the queue is empty.\n")
    assert state(source)[0] == "ok"


def test_the_immediate_backend_runs_a_source_as_it_is_queued(
    acme: Any, sqlite_source: Any, settings: Any
) -> None:
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    source = sql_kpi(acme, "good", sqlite_source.url, "SELECT at, value FROM revenue")
    assert enqueue_due_sources() == [source.pk]
    assert state(source)[0] == "ok"
    assert not DBTaskResult.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_the_worker_threads_run_due_sources_beside_a_server(sqlite_source: Any) -> None:
    from okapi.commands.worker import start_worker_thread
    from okapi.workspaces.services import user_create, workspace_create

    owner = user_create(email="owner@demo.test", name="Owner")
    workspace = workspace_create(key="demo", name="Demo", owner=owner)
    system = system_actor(workspace)
    kpi = kpi_create(actor=system, key="revenue", name="Revenue", target=1)
    source = sources.source_set(actor=system, kpi=kpi, kind="sql", url=sqlite_source.url,
                                query="SELECT at, value FROM revenue")  # fmt: skip
    threads = start_worker_thread(tick=0.2, interval=0.1)
    try:
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline and state(source)[0] == "never":
            time.sleep(0.1)
    finally:
        threads.stop()
    assert state(source)[0] == "ok"
    assert Measurement.objects.filter(kpi=kpi).count() == 3
    assert not any(t.is_alive() for t in threads.threads)
