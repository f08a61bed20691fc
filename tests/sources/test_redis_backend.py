"""OKAPI_TASKS_BACKEND=redis: the same sources, queued in Redis and run by RQ's worker, through
the command line in a process of its own (settings are read at start-up). Needs the `redis`
extra (`pip install "okapi[redis]"`) and a Redis server (OKAPI_TEST_REDIS_URL, default
redis://127.0.0.1:6379/15, which the test empties); skipped with a notice otherwise."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

REDIS_URL = os.environ.get("OKAPI_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
ROOT = Path(__file__).resolve().parents[2]

SETUP = """
import django
django.setup()
from okapi.kpis.services import kpi_create
from okapi.kpis.sources import source_set
from okapi.workspaces.access import system_actor
from okapi.workspaces.models import Workspace
system = system_actor(Workspace.objects.get(key="acme"))
kpi = kpi_create(actor=system, key="revenue", name="Revenue", target=1)
source_set(actor=system, kpi=kpi, kind="sql", url="sqlite:///{warehouse}",
           query="SELECT at, value FROM revenue")
"""
CHECK = """
import django
django.setup()
from okapi.kpis.models import KpiSource, Measurement
source = KpiSource.objects.get()
print(source.status, Measurement.objects.count())
"""


def test_sources_run_through_redis_and_rq(tmp_path: Path) -> None:
    pytest.importorskip("django_tasks_rq", reason="NOTICE: the redis extra is not installed")
    import redis

    try:
        client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2)
        client.flushdb()
    except redis.RedisError:
        pytest.skip(f"NOTICE: Redis is not reachable at {REDIS_URL}: test skipped")
    warehouse = tmp_path / "warehouse.db"
    with sqlite3.connect(warehouse) as con:
        con.execute("CREATE TABLE revenue (at TEXT, value REAL)")
        con.execute("INSERT INTO revenue VALUES ('2027-01-31', 5), ('2027-02-28', 6)")
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("OKAPI_")},
        "OKAPI_DATABASE_URL": f"sqlite:///{tmp_path / 'okapi.db'}",
        "OKAPI_TASKS_BACKEND": "redis",
        "OKAPI_REDIS_URL": REDIS_URL,
        "DJANGO_SETTINGS_MODULE": "okapi.settings",
    }

    def okapi(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "okapi.cli", *args],
            cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120, check=True,
        )  # fmt: skip

    def python(code: str) -> str:
        return subprocess.run(
            [sys.executable, "-c", code],
            cwd=tmp_path, env={**env, "PYTHONPATH": str(ROOT)}, capture_output=True, text=True,
            timeout=120, check=True,
        ).stdout  # fmt: skip

    okapi("user", "add", "alice@acme.test")
    okapi("workspace", "add", "acme", "--name", "Acme", "--owner", "alice@acme.test")
    python(SETUP.format(warehouse=warehouse))
    done = okapi("worker", "--once")
    assert "Queued 1 due source(s)" in done.stderr
    assert python(CHECK).split() == ["ok", "2"]
    client.flushdb()
