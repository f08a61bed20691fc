"""Benchmark the platform at scale, on SQLite and PostgreSQL (issue 2, §10).

Generates a large organisation — 2,000 people, 300 teams, 1,500 objectives, 6,000 KRs,
60,000 check-ins, 300 KPIs with 500 measurements each — then measures, in one run:

- the cycle-tree call (GET /api/cycles/KEY/tree, in process through the whole Django stack)
  against reading the same rows with raw SQL and serialising them to JSON;
- the KPI dashboard call (GET /api/dashboard/kpis);
- bulk measurement ingest (POST /api/measurements with 10,000 points) against a raw
  `executemany` of the same rows;
- the SQL query count of each call;
- filling every open-cycle KR's forecast from its check-ins (the worker's periodic scan does
  this; the tree then carries a forecast per metric KR).

Usage:
    python bench/platform_bench.py [--scale 1.0] [--postgres URL] [--sqlite-only]

Prints a table per database. Timings are the best of several runs (the machines are shared);
no thresholds here.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def best_time(fn: Any, runs: int) -> float:
    """The fastest of several runs: on a shared machine, the run least disturbed by others."""
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def count_queries(connection: Any, fn: Any) -> int:
    """SQL statements run by fn (an execute wrapper survives the per-request reconnects)."""
    count = 0

    def counter(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        nonlocal count
        count += 1
        return execute(sql, params, many, context)

    from django.db import connections

    connections["default"].execute_wrappers.append(counter)
    try:
        fn()
    finally:
        connections["default"].execute_wrappers.remove(counter)
    return count


def generate(scale: float) -> dict[str, Any]:
    """Fill the database quickly with bulk inserts (generation is not what is measured)."""
    from django.db import transaction

    from okapi.accounts.models import User
    from okapi.goals.models import CheckIn, Cycle, Initiative, KeyResult, Objective
    from okapi.kpis.models import Kpi, Measurement
    from okapi.workspaces.models import Membership, Team, Workspace

    rng = random.Random(42)
    n_people = int(2000 * scale)
    n_teams = int(300 * scale)
    n_objectives = int(1500 * scale)
    n_krs = int(6000 * scale)
    n_checkins = int(60000 * scale)
    n_kpis = int(300 * scale)
    n_measurements = 500
    tz = dt.UTC
    with transaction.atomic():
        ws = Workspace.objects.create(key="big", name="Big Co")
        users = User.objects.bulk_create(
            [User(email=f"person{i}@big.test", name=f"Person {i}") for i in range(n_people)],
            batch_size=1000,
        )
        users = list(User.objects.filter(email__endswith="@big.test").order_by("id"))
        Membership.objects.bulk_create(
            [
                Membership(workspace=ws, user=u, role="owner" if i == 0 else "member")
                for i, u in enumerate(users)
            ],  # fmt: skip
            batch_size=1000,
        )
        Team.objects.bulk_create(
            [
                Team(workspace=ws, key=f"team-{i}", name=f"Team {i}", lead=users[i % n_people])
                for i in range(n_teams)
            ],  # fmt: skip
            batch_size=1000,
        )
        teams = list(Team.objects.filter(workspace=ws).order_by("id"))
        cycle = Cycle.objects.create(
            workspace=ws, key="2027-Q1", name="Q1 2027", start=dt.date(2027, 1, 1),
            end=dt.date(2027, 3, 31),
        )  # fmt: skip
        objectives = []
        for i in range(n_objectives):
            company = i < 5
            objectives.append(Objective(
                workspace=ws, cycle=cycle, key=f"o-{i}", title=f"Objective {i}",
                level="company" if company else "team", owner_team=teams[i % n_teams],
                position=i,
            ))  # fmt: skip
        Objective.objects.bulk_create(objectives, batch_size=1000)
        objectives = list(Objective.objects.filter(workspace=ws).order_by("id"))
        for o in objectives[5:]:
            o.parent = objectives[rng.randrange(5)]
        Objective.objects.bulk_update(objectives[5:], ["parent"], batch_size=1000)
        Kpi.objects.bulk_create(
            [
                Kpi(
                    workspace=ws,
                    key=f"kpi-{i}",
                    name=f"KPI {i}",
                    unit="%",
                    direction="up",
                    target=Decimal(100),
                    warning=Decimal(90),
                    cadence="daily",
                    owner_team=teams[i % n_teams],
                )
                for i in range(n_kpis)
            ],  # fmt: skip
            batch_size=1000,
        )
        kpis = list(Kpi.objects.filter(workspace=ws).order_by("id"))
        Initiative.objects.bulk_create(
            [
                Initiative(
                    workspace=ws,
                    key=f"i-{i}",
                    title=f"Initiative {i}",
                    owner_team=teams[i % n_teams],
                )
                for i in range(n_krs // 4)
            ],  # fmt: skip
            batch_size=1000,
        )
        initiatives = list(Initiative.objects.filter(workspace=ws).order_by("id"))
        krs = [
            KeyResult(
                workspace=ws, objective=objectives[i % n_objectives], key=f"kr-{i}",
                title=f"Grow metric {i} from 10 to 20", owner=users[i % n_people],
                baseline=Decimal(10), target=Decimal(20), unit="units", position=i,
                kpi=kpis[i % n_kpis] if i % 10 == 0 else None,
                current_value=Decimal(10 + rng.random() * 10),
                last_checkin_at=dt.date(2027, 2, 10), last_moved_at=dt.date(2027, 2, 3),
                last_confidence="on_track", checkin_count=n_checkins // n_krs,
            )
            for i in range(n_krs)
        ]  # fmt: skip
        KeyResult.objects.bulk_create(krs, batch_size=1000)
        krs = list(KeyResult.objects.filter(workspace=ws).order_by("id"))
        through = KeyResult.initiatives.through
        through.objects.bulk_create(
            [
                through(keyresult_id=kr.pk, initiative_id=initiatives[i // 4].pk)
                for i, kr in enumerate(krs)
            ],  # fmt: skip
            batch_size=2000,
        )
        CheckIn.objects.bulk_create(
            [
                CheckIn(
                    workspace=ws,
                    key_result=krs[i % n_krs],
                    author=krs[i % n_krs].owner,
                    at=dt.date(2027, 1, 1) + dt.timedelta(days=(i // n_krs) * 7),
                    value=Decimal(i % 20),
                    confidence="on_track",
                    moved="progress",
                )
                for i in range(n_checkins)
            ],  # fmt: skip
            batch_size=2000,
        )
        start = dt.datetime(2025, 9, 1, tzinfo=tz)
        for k in kpis:
            Measurement.objects.bulk_create(
                [
                    Measurement(
                        kpi=k,
                        at=start + dt.timedelta(days=d),
                        value=Decimal(80 + rng.random() * 30),
                    )
                    for d in range(n_measurements)
                ],  # fmt: skip
                batch_size=2000,
            )
        from okapi.kpis.services import refresh_latest

        refresh_latest([k.pk for k in kpis])
    owner = users[0]
    return {"workspace": ws, "owner": owner, "kpis": kpis, "counts": {
        "people": n_people, "teams": n_teams, "objectives": n_objectives, "krs": n_krs,
        "checkins": n_checkins, "kpis": n_kpis, "measurements": n_kpis * n_measurements}}  # fmt: skip


RAW_TREE_SQL = """
SELECT o.id, o.key, o.title, o.level, o.type, o.position, p.key, t.key, u.email,
       kr.id, kr.key, kr.title, ku.email, kr.kind, kr.baseline, kr.target, kr.unit, kr.weight,
       kr.current_value, kr.last_checkin_at, kr.last_confidence, kr.checkin_count, k.key,
       k.latest_value, kr.forecast_value, kr.forecast_low, kr.forecast_high
FROM goals_objective o
JOIN goals_cycle c ON c.id = o.cycle_id
LEFT JOIN goals_objective p ON p.id = o.parent_id
LEFT JOIN workspaces_team t ON t.id = o.owner_team_id
LEFT JOIN accounts_user u ON u.id = o.owner_user_id
LEFT JOIN goals_keyresult kr ON kr.objective_id = o.id
LEFT JOIN accounts_user ku ON ku.id = kr.owner_id
LEFT JOIN kpis_kpi k ON k.id = kr.kpi_id
WHERE c.workspace_id = %s AND c.key = %s
ORDER BY o.position, o.id, kr.position, kr.id
"""
RAW_INITIATIVES_SQL = """
SELECT ki.keyresult_id, i.key FROM goals_keyresult_initiatives ki
JOIN goals_initiative i ON i.id = ki.initiative_id
JOIN goals_keyresult kr ON kr.id = ki.keyresult_id
JOIN goals_objective o ON o.id = kr.objective_id
JOIN goals_cycle c ON c.id = o.cycle_id
WHERE c.workspace_id = %s AND c.key = %s
"""


def raw_tree(workspace_id: int) -> bytes:
    """The same rows as the tree, read with raw SQL and serialised, with no domain logic."""
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute(RAW_TREE_SQL, [workspace_id, "2027-Q1"])
        rows = cur.fetchall()
        cur.execute(RAW_INITIATIVES_SQL, [workspace_id, "2027-Q1"])
        links = cur.fetchall()
    initiatives: dict[int, list[str]] = {}
    for kr_id, key in links:
        initiatives.setdefault(kr_id, []).append(key)
    objectives: dict[int, dict[str, Any]] = {}
    for r in rows:
        o = objectives.get(r[0])
        if o is None:
            o = objectives[r[0]] = {"key": r[1], "title": r[2], "level": r[3], "type": r[4],
                                    "parent": r[6], "owner": r[7] or r[8], "key_results": []}  # fmt: skip
        if r[9] is not None:
            o["key_results"].append({
                "key": r[10], "title": r[11], "owner": r[12], "kind": r[13],
                "baseline": r[14], "target": r[15], "unit": r[16], "weight": r[17],
                "current": r[23] if r[22] else r[18], "last_checkin_at": r[19],
                "confidence": r[20], "checkins": r[21], "kpi": r[22],
                "initiatives": initiatives.get(r[9], []),
                "forecast": None if r[24] is None else
                {"value": r[24], "low": r[25], "high": r[26]},
            })  # fmt: skip
    return json.dumps({"objectives": list(objectives.values())}, default=str).encode()


def bench(label: str, database_url: str, scale: float, runs: int) -> dict[str, Any]:
    os.environ["OKAPI_DATABASE_URL"] = database_url
    os.environ["DJANGO_SETTINGS_MODULE"] = "okapi.settings"
    os.environ.setdefault("OKAPI_ALLOWED_HOSTS", "testserver,localhost")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client

    from okapi.workspaces.services import token_create

    call_command("migrate", verbosity=0)
    t0 = time.perf_counter()
    data = generate(scale)
    generate_s = time.perf_counter() - t0
    ws = data["workspace"]
    from okapi.goals.models import KeyResult
    from okapi.goals.services import refresh_open_cycle_forecasts

    t0 = time.perf_counter()
    refresh_open_cycle_forecasts(ws, recompute=True)
    forecast_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    refresh_open_cycle_forecasts(ws)  # the periodic scan once they are all filled
    forecast_scan_s = time.perf_counter() - t0
    forecasts = KeyResult.objects.filter(workspace=ws, forecast_value__isnull=False).count()
    _, token = token_create(workspace=ws, user=data["owner"])
    client = Client(HTTP_AUTHORIZATION=f"Bearer {token}")

    def tree() -> None:
        response = client.get("/api/cycles/2027-Q1/tree")
        assert response.status_code == 200, response.content[:500]

    def dashboard() -> None:
        response = client.get("/api/dashboard/kpis")
        assert response.status_code == 200, response.content[:500]

    q_tree, q_dash = count_queries(connection, tree), count_queries(connection, dashboard)
    tree_s = best_time(tree, runs)
    raw_s = best_time(lambda: raw_tree(ws.pk), runs)
    dash_s = best_time(dashboard, runs)

    # Ingest: 10,000 new points spread over 100 KPIs, through the API vs raw executemany.
    n_points = 10_000
    kpis = data["kpis"][:100]
    base = dt.datetime(2027, 6, 1, tzinfo=dt.UTC)
    batches = []
    for run in range(3):
        points = [
            {"kpi": kpis[i % len(kpis)].key,
             "at": (base + dt.timedelta(days=run * 1000 + i // len(kpis))).isoformat(),
             "value": 100 + (i % 7)}
            for i in range(n_points)
        ]  # fmt: skip
        batches.append(json.dumps({"measurements": points}))
    api_times = []
    for body in batches:
        start = time.perf_counter()
        response = client.post("/api/measurements", data=body, content_type="application/json")
        api_times.append(time.perf_counter() - start)
        assert response.status_code == 201, response.content[:500]
    raw_times = []
    for run in range(3):
        rows = [
            (kpis[i % len(kpis)].pk, base + dt.timedelta(days=5000 + run * 1000 + i // len(kpis)),
             Decimal(100 + (i % 7)), dt.datetime.now(dt.UTC))
            for i in range(n_points)
        ]  # fmt: skip
        start = time.perf_counter()
        with connection.cursor() as cur:
            cur.executemany(
                "INSERT INTO kpis_measurement (kpi_id, at, value, created_at) "
                "VALUES (%s, %s, %s, %s)",
                rows,
            )
        raw_times.append(time.perf_counter() - start)
    api_rate = n_points / min(api_times)
    raw_rate = n_points / min(raw_times)
    return {
        "database": label,
        "generate_s": generate_s,
        "forecast_s": forecast_s,
        "forecast_scan_s": forecast_scan_s,
        "forecasts": forecasts,
        "counts": data["counts"],
        "tree_s": tree_s,
        "tree_raw_s": raw_s,
        "tree_queries": q_tree,
        "tree_bytes": len(client.get("/api/cycles/2027-Q1/tree").content),
        "dashboard_s": dash_s,
        "dashboard_queries": q_dash,
        "ingest_rate": api_rate,
        "ingest_raw_rate": raw_rate,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", type=float, default=1.0, help="fraction of the full size")
    parser.add_argument("--runs", type=int, default=5, help="timed runs per measure (median)")
    parser.add_argument("--database", choices=["sqlite", "postgres"], help="one database only")
    parser.add_argument(
        "--postgres",
        default="postgresql://postgres@127.0.0.1:5432/okapi_bench",
        help="a PostgreSQL URL whose database may be dropped and recreated",
    )
    args = parser.parse_args()
    if args.database is None:
        # Each database in a fresh process: Django is configured once per process.
        import subprocess

        for name in ("sqlite", "postgres"):
            subprocess.run([sys.executable, __file__, "--database", name, "--scale",
                            str(args.scale), "--runs", str(args.runs), "--postgres",
                            args.postgres], check=True)  # fmt: skip
        return 0
    if args.database == "sqlite":
        url = f"sqlite:///{tempfile.mkdtemp(prefix='okapi-bench-')}/bench.db"
    else:
        import psycopg

        base, _, name = args.postgres.rpartition("/")
        with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
            conn.execute(f'CREATE DATABASE "{name}"')
        url = args.postgres
    r = bench(args.database, url, args.scale, args.runs)
    c = r["counts"]
    print(f"\n== {r['database']}: {c['people']} people, {c['teams']} teams, "
          f"{c['objectives']} objectives, {c['krs']} KRs, {c['checkins']} check-ins, "
          f"{c['kpis']} KPIs x 500 measurements (generated in {r['generate_s']:.1f} s)")  # fmt: skip
    print(f"cycle tree   {r['tree_s'] * 1000:8.1f} ms  {r['tree_queries']:3d} queries  "
          f"{r['tree_bytes'] / 1e6:.1f} MB   raw SQL + json {r['tree_raw_s'] * 1000:7.1f} ms  "
          f"ratio {r['tree_s'] / r['tree_raw_s']:.2f}x (goal <= 3x)")  # fmt: skip
    print(f"dashboard    {r['dashboard_s'] * 1000:8.1f} ms  {r['dashboard_queries']:3d} queries")
    print(f"forecasts    {r['forecast_s'] * 1000:8.1f} ms  to fill {r['forecasts']} KR forecasts "
          f"from {c['checkins']} check-ins; the worker's scan then "
          f"{r['forecast_scan_s'] * 1000:.1f} ms")  # fmt: skip
    print(f"ingest       {r['ingest_rate']:8.0f} rows/s via POST /api/measurements   raw "
          f"executemany {r['ingest_raw_rate']:8.0f} rows/s   "
          f"ratio {r['ingest_rate'] / r['ingest_raw_rate']:.2f} (goal >= 0.5)")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
