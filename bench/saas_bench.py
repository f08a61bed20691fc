"""Benchmark of the SaaS metrics engine (okapi/core/saas.py) against a plain DuckDB baseline.

    .venv/bin/python bench/saas_bench.py               # 1,000,000 subscriptions
    .venv/bin/python bench/saas_bench.py --rows 20000  # a quick run

It writes a seeded, deterministic subscriptions export into bench/out/ (once per size and seed),
then runs each contender in its own child process, which reports its wall time and its peak
resident memory (ru_maxrss of that process: DuckDB allocates outside Python, so tracemalloc
would not see it). Both must give the same MRR, customers, movements and 12-month retention for
every month; then it prints rows, seconds, peak MB and the speed-up.

The baseline is the straightforward reading of FORMATS §6 in SQL: join each subscription to the
month ends it covers, sum per customer and month, compare each customer-month with the month
before (a full outer join) and with twelve months before, and aggregate per month.
"""

from __future__ import annotations

import argparse
import csv
import json
import random
import resource
import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = Path(__file__).resolve().parent / "out"
HORIZON_START = date(2021, 1, 1)
HORIZON_DAYS = 4 * 365 + 1  # 2021-01-01 .. 2024-12-31
PRICES = (9, 19, 29, 49, 99, 199, 499, 999)
INTERVALS = (
    ("month", 1, Decimal(1)),
    ("quarter", 3, Decimal("0.95")),
    ("year", 12, Decimal("0.85")),
)
COMPARED = (
    "mrr",
    "customers",
    "new_mrr",
    "expansion_mrr",
    "contraction_mrr",
    "churned_mrr",
    "reactivation_mrr",
    "new_customers",
    "churned_customers",
    "reactivated_customers",
    "nrr_12m",
    "grr_12m",
)


# --------------------------------------------------------------------------------------------
# The data


def generate(path: Path, rows: int, seed: int) -> None:
    """About rows subscriptions for about 0.7 × rows customers over four years.

    Each customer starts on a random day with a random plan; a subscription then ends (or runs
    on past the horizon), and the customer may change plan the same day (more or fewer seats, a
    different price or interval: expansion and contraction without churn), come back after a
    gap (reactivation) or leave. Some customers hold a second, concurrent subscription.
    """
    rng = random.Random(seed)
    tmp = path.with_suffix(".partial")
    written = 0
    customer = 0
    with tmp.open("w", newline="", encoding="utf-8") as handle:
        out = csv.writer(handle, lineterminator="\n")
        out.writerow(
            [
                "subscription_id",
                "customer_id",
                "start_date",
                "end_date",
                "interval",
                "amount",
                "quantity",
                "currency",
            ]
        )

        def plan() -> tuple[str, str, str]:
            interval, months, discount = rng.choices(INTERVALS, weights=(70, 10, 20))[0]
            amount = (Decimal(rng.choice(PRICES)) * months * discount).quantize(Decimal("0.01"))
            quantity = "" if rng.random() < 0.6 else str(rng.randint(1, 50))
            return interval, str(amount), quantity

        while written < rows:
            customer += 1
            cid = f"c{customer:07d}"
            day = rng.randrange(HORIZON_DAYS)
            interval, amount, quantity = plan()
            while written < rows and day < HORIZON_DAYS:
                length = int(rng.expovariate(1 / 420)) + 1
                end = day + length
                start_text = (HORIZON_START + timedelta(days=day)).isoformat()
                end_text = (
                    "" if end >= HORIZON_DAYS else (HORIZON_START + timedelta(days=end)).isoformat()
                )
                written += 1
                out.writerow(
                    [
                        f"s{written:08d}",
                        cid,
                        start_text,
                        end_text,
                        interval,
                        amount,
                        quantity,
                        "USD",
                    ]
                )
                if written < rows and rng.random() < 0.06:  # a concurrent add-on
                    written += 1
                    addon_end = min(end, day + int(rng.expovariate(1 / 200)) + 1)
                    out.writerow(
                        [
                            f"s{written:08d}",
                            cid,
                            start_text,
                            ""
                            if addon_end >= HORIZON_DAYS
                            else (HORIZON_START + timedelta(days=addon_end)).isoformat(),
                            "month",
                            str(rng.choice(PRICES)),
                            "",
                            "USD",
                        ]
                    )
                if end >= HORIZON_DAYS:
                    break
                fate = rng.random()
                if fate < 0.25:  # plan change on the same day
                    day = end
                    if rng.random() < 0.5:
                        quantity = str(max(1, int(quantity or 1) + rng.choice((-3, -1, 1, 2, 5))))
                    else:
                        interval, amount, quantity = plan()
                elif fate < 0.37:  # comes back later
                    day = end + rng.randint(20, 500)
                    interval, amount, quantity = plan()
                else:
                    break
    tmp.replace(path)


# --------------------------------------------------------------------------------------------
# The contenders (each runs in a child process)


def run_ours(path: Path, threads: int) -> list[dict[str, object]]:
    from okapi.core.saas import compute_saas_metrics

    return compute_saas_metrics(path, threads=threads).to_json()["months"]


BASELINE_SQL = """
CREATE TEMP TABLE s AS
SELECT customer_id, start_date, end_date,
    CAST(amount AS DECIMAL(38,6)) * coalesce(quantity, 1)
        * CASE interval WHEN 'month' THEN 12 WHEN 'quarter' THEN 4 WHEN 'year' THEN 1 END AS v
FROM read_csv($path, header = true, auto_detect = false, columns = {
    'subscription_id': 'VARCHAR', 'customer_id': 'VARCHAR', 'start_date': 'DATE',
    'end_date': 'DATE', 'interval': 'VARCHAR', 'amount': 'DECIMAL(18,6)',
    'quantity': 'DECIMAL(18,6)', 'currency': 'VARCHAR'});

CREATE TEMP TABLE months AS
SELECT m, last_day(make_date(CAST(m // 12 AS INTEGER), CAST(m % 12 + 1 AS INTEGER), 1)) AS month_end
FROM range(
    (SELECT min(year(start_date) * 12 + month(start_date) - 1) FROM s),
    (SELECT greatest(max(year(start_date) * 12 + month(start_date) - 1),
                     max(year(end_date) * 12 + month(end_date) - 1)) FROM s) + 1
) AS r(m);

-- MRR (× 12) of each customer at each month end where it is > 0
CREATE TEMP TABLE cm AS
SELECT s.customer_id AS c, months.m, sum(s.v) AS v
FROM s JOIN months
    ON s.start_date <= months.month_end
    AND (s.end_date IS NULL OR months.month_end < s.end_date)
GROUP BY ALL
HAVING sum(s.v) > 0;
"""

BASELINE_MONTHLY_SQL = """
WITH firsts AS (SELECT c, min(m) AS first_m FROM cm GROUP BY c),
pairs AS (
    SELECT coalesce(cur.c, prev.c) AS c, coalesce(cur.m, prev.m + 1) AS m,
        coalesce(prev.v, 0) AS before, coalesce(cur.v, 0) AS after
    FROM cm AS cur FULL OUTER JOIN cm AS prev ON cur.c = prev.c AND cur.m = prev.m + 1
),
movements AS (
    SELECT pairs.m,
        sum(after) AS mrr,
        count(*) FILTER (WHERE after > 0) AS customers,
        coalesce(sum(after) FILTER (WHERE before = 0 AND pairs.m = first_m), 0) AS new_v,
        count(*) FILTER (WHERE before = 0 AND pairs.m = first_m) AS new_n,
        coalesce(sum(after) FILTER (WHERE before = 0 AND after > 0 AND pairs.m > first_m), 0)
            AS reactivation_v,
        count(*) FILTER (WHERE before = 0 AND after > 0 AND pairs.m > first_m) AS reactivation_n,
        coalesce(sum(after - before) FILTER (WHERE before > 0 AND after > before), 0)
            AS expansion_v,
        coalesce(sum(before - after) FILTER (WHERE after > 0 AND after < before), 0)
            AS contraction_v,
        coalesce(sum(before) FILTER (WHERE after = 0), 0) AS churned_v,
        count(*) FILTER (WHERE after = 0) AS churned_n
    FROM pairs JOIN firsts USING (c)
    GROUP BY pairs.m
),
cohorts AS (
    SELECT old.m + 12 AS m, sum(old.v) AS cohort_then, sum(coalesce(cur.v, 0)) AS cohort_now,
        sum(least(old.v, coalesce(cur.v, 0))) AS cohort_kept
    FROM cm AS old LEFT JOIN cm AS cur ON cur.c = old.c AND cur.m = old.m + 12
    GROUP BY old.m
)
SELECT months.m, coalesce(mrr, 0), coalesce(customers, 0), new_v, new_n, reactivation_v,
    reactivation_n, expansion_v, contraction_v, churned_v, churned_n,
    cohort_then, cohort_now, cohort_kept
FROM months LEFT JOIN movements USING (m) LEFT JOIN cohorts USING (m)
ORDER BY months.m
"""


def run_baseline(path: Path, threads: int) -> list[dict[str, object]]:
    import duckdb

    def money(units: Decimal | None) -> float:
        return float(((units or Decimal(0)) / 12).quantize(Decimal("0.01")))

    def rate(num: Decimal | None, den: Decimal | None) -> float | None:
        if not den:
            return None
        return float((num / den).quantize(Decimal("0.000001")))

    con = duckdb.connect(":memory:", config={"threads": threads})
    for statement in BASELINE_SQL.split(";"):
        if statement.strip():
            con.execute(statement, {"path": str(path)} if "$path" in statement else None)
    months = []
    for row in con.execute(BASELINE_MONTHLY_SQL).fetchall():
        (
            m,
            mrr,
            customers,
            new_v,
            new_n,
            react_v,
            react_n,
            exp_v,
            contr_v,
            churn_v,
            churn_n,
            then,
            now,
            kept,
        ) = row
        months.append(
            {
                "month": f"{m // 12:04d}-{m % 12 + 1:02d}",
                "mrr": money(mrr),
                "customers": customers,
                "new_mrr": money(new_v),
                "expansion_mrr": money(exp_v),
                "contraction_mrr": money(contr_v),
                "churned_mrr": money(churn_v),
                "reactivation_mrr": money(react_v),
                "new_customers": new_n or 0,
                "churned_customers": churn_n or 0,
                "reactivated_customers": react_n or 0,
                "nrr_12m": rate(now, then),
                "grr_12m": rate(kept, then),
            }
        )
    con.close()
    return months


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def child(contender: str, path: Path, threads: int, result: Path) -> None:
    started, cpu_started = time.perf_counter(), cpu_seconds()
    months = (run_ours if contender == "ours" else run_baseline)(path, threads)
    seconds, cpu = time.perf_counter() - started, cpu_seconds() - cpu_started
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux
    result.write_text(
        json.dumps({"seconds": seconds, "cpu_seconds": cpu, "peak_mb": peak_mb, "months": months})
    )


# --------------------------------------------------------------------------------------------
# The run


@dataclass
class Run:
    seconds: float
    cpu_seconds: float
    peak_mb: float
    months: list[dict[str, object]]


def measure(contender: str, path: Path, threads: int) -> Run:
    result = OUT / f"result-{contender}.json"
    command = [sys.executable, __file__, "--child", contender, "--threads", str(threads)]
    subprocess.run([*command, str(path), str(result)], check=True, cwd=ROOT)
    run = Run(**json.loads(result.read_text()))
    result.unlink()
    return run


def compare(ours: list[dict[str, object]], baseline: list[dict[str, object]]) -> list[str]:
    problems = []
    by_month = {m["month"]: m for m in baseline}
    if [m["month"] for m in ours] != list(by_month):
        problems.append("different months")
    for month in ours:
        other = by_month.get(month["month"], {})
        for key in COMPARED:
            if month[key] != other.get(key):
                problems.append(
                    f"{month['month']} {key}: ours {month[key]}, baseline {other.get(key)}"
                )
    return problems


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000, help="subscriptions (1,000,000)")
    parser.add_argument("--seed", type=int, default=20240601)
    parser.add_argument("--threads", type=int, default=2, help="DuckDB threads (default 2)")
    parser.add_argument("--repeat", type=int, default=1, help="runs per contender; best time kept")
    parser.add_argument("--child", choices=("ours", "baseline"), help=argparse.SUPPRESS)
    parser.add_argument("paths", nargs="*", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child, Path(args.paths[0]), args.threads, Path(args.paths[1]))
        return 0

    OUT.mkdir(exist_ok=True)
    path = OUT / f"subscriptions-{args.rows}-{args.seed}.csv"
    if not path.exists():
        started = time.perf_counter()
        generate(path, args.rows, args.seed)
        elapsed = time.perf_counter() - started
        print(f"generated {path.relative_to(ROOT)} in {elapsed:.1f} s", file=sys.stderr)
    with path.open(encoding="utf-8") as handle:
        next(handle)
        customers = {line.split(",", 2)[1] for line in handle}
    rows = args.rows

    results: dict[str, Run] = {}
    for contender in ("ours", "baseline"):
        runs = [measure(contender, path, args.threads) for _ in range(args.repeat)]
        best = min(runs, key=lambda run: run.seconds)
        best.peak_mb = max(run.peak_mb for run in runs)
        results[contender] = best

    ours, baseline = results["ours"], results["baseline"]
    print(
        f"{rows:,} subscriptions, {len(customers):,} customers, {len(ours.months)} months, "
        f"{args.threads} DuckDB threads, best of {args.repeat}"
    )
    print(f"{'contender':<10} {'seconds':>8} {'CPU s':>8} {'peak MB':>8} {'speed-up':>9}")
    for name, run in results.items():
        print(
            f"{name:<10} {run.seconds:>8.2f} {run.cpu_seconds:>8.2f} {run.peak_mb:>8.0f} "
            f"{baseline.seconds / run.seconds:>8.2f}x"
        )
    problems = compare(ours.months, baseline.months)
    if problems:
        print(f"MISMATCH in {len(problems)} figures, e.g.:", *problems[:10], sep="\n  ")
        return 1
    print(f"same MRR, customers, movements and 12-month retention in all {len(ours.months)} months")
    return 0


if __name__ == "__main__":
    sys.exit(main())
