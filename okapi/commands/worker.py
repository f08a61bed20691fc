"""`okapi worker` (the background worker) and `okapi billing import` (a billing export into
the billing KPIs). See docs/kpi-sources.md.

The worker is the task library's own worker (django-tasks-db's, or RQ's with
OKAPI_TASKS_BACKEND=redis) plus a scheduler thread that, every `--tick` seconds, queues one task
per due source. `start_worker_thread()` runs both inside another process (`okapi demo`).
"""

from __future__ import annotations

import argparse
import logging
import sys
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from okapi.commands import UsageError, print_json, setup_database

log = logging.getLogger("okapi.worker")

DEFAULT_TICK = 30.0


def register(subparsers: argparse._SubParsersAction) -> None:
    worker = subparsers.add_parser(
        "worker",
        help="run the background worker (scheduled KPI sources)",
        description="Run the background worker: every --tick seconds it queues the KPI sources "
        "that are due (SQL queries on their schedule, formulas whose inputs changed, sources "
        "retrying after a failure), and the task library's worker runs the queued tasks. "
        "OKAPI_TASKS_BACKEND chooses the queue: database (default, no extra server) or redis. "
        "Stop it with Ctrl+C (SIGINT) or SIGTERM; a running task finishes first.",
    )
    worker.add_argument(
        "--once",
        action="store_true",
        help="queue the due sources, run every queued task, then exit (for cron)",
    )
    worker.add_argument(
        "--tick",
        type=_positive,
        default=DEFAULT_TICK,
        metavar="SECONDS",
        help=f"how often to look for due sources ({DEFAULT_TICK:g})",
    )
    worker.add_argument(
        "--interval",
        type=_positive,
        default=1.0,
        metavar="SECONDS",
        help="how long the worker waits when the queue is empty (1)",
    )
    worker.set_defaults(func=run_worker)

    billing = subparsers.add_parser("billing", help="billing exports").add_subparsers(
        dest="action", metavar="ACTION", required=True
    )
    imp = billing.add_parser(
        "import",
        help="keep the billing KPIs (MRR, ARR, NRR, churn, …) up to date from a billing export",
        description="Run the SaaS metrics engine (FORMATS §6) on a subscriptions CSV (and a "
        "spend CSV) and create or update the workspace's billing KPIs (mrr, arr, mrr-growth, "
        "nrr-12m, grr-12m, logo-churn, arpa, quick-ratio, and with --spend cac-payback and "
        "ltv-cac) with one measurement per month, at its last day, all or nothing. New KPIs "
        "get the benchmark targets for the workspace's stage and --segment. An error names "
        "the file and line; nothing is changed then.",
    )
    imp.add_argument("--workspace", required=True, metavar="KEY")
    imp.add_argument("--subscriptions", required=True, metavar="FILE.csv")
    imp.add_argument("--spend", metavar="FILE.csv")
    imp.add_argument(
        "--segment",
        default="smb",
        choices=["smb", "mid-market", "enterprise"],
        help="the customers' segment, for the churn and CAC payback benchmarks (smb)",
    )
    imp.add_argument("--json", action="store_true", help="print a summary as JSON")
    imp.set_defaults(func=run_billing_import)


def _positive(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a number of seconds") from None
    if not 0 < value <= 86400:
        raise argparse.ArgumentTypeError("must be more than 0 and at most 86400 seconds")
    return value


# --------------------------------------------------------------------------- the worker


class Scheduler(threading.Thread):
    """Queues the due sources every `tick` seconds until stopped. It only enqueues: the task
    library's worker runs the tasks."""

    def __init__(self, tick: float) -> None:
        super().__init__(name="okapi-scheduler", daemon=True)
        self.tick = tick
        self.stopped = threading.Event()

    def run(self) -> None:
        from django.db import close_old_connections, connection

        try:
            while not self.stopped.is_set():
                close_old_connections()
                tick_once()
                self.stopped.wait(self.tick)
        finally:
            connection.close()

    def stop(self) -> None:
        self.stopped.set()


def tick_once() -> list[int]:
    """Queue the due sources once; an error is logged, never raised (the next tick retries)."""
    from okapi.kpis.tasks import enqueue_due_sources

    try:
        return enqueue_due_sources()
    except Exception:
        log.exception("could not queue the due KPI sources")
        return []


def _backend() -> str:
    from django.conf import settings

    return str(settings.TASKS_BACKEND)


def _db_worker(*, batch: bool, interval: float) -> Any:
    from django.utils.crypto import get_random_string
    from django_tasks_db.management.commands.db_worker import Worker

    return Worker(
        queue_names=["default"],
        interval=interval,
        batch=batch,
        backend_name="default",
        startup_delay=not batch,
        max_tasks=None,
        worker_id=f"okapi-{get_random_string(20)}",
        excluded_queue_names=[],
    )


def _rq_worker(*, burst: bool) -> None:
    from django.core.management import call_command

    call_command(
        "rqworker", "default", job_class="django_tasks_rq.Job", burst=burst, with_scheduler=True
    )


def run_worker(args: argparse.Namespace) -> int:
    setup_database()
    backend = _backend()
    if args.once:
        queued = tick_once()
        if backend == "database":
            _db_worker(batch=True, interval=0).run()
        elif backend == "redis":
            _rq_worker(burst=True)
        print(f"Queued {len(queued)} due source(s); the queue is empty.", file=sys.stderr)
        return 0
    print(
        f"Okapi worker ({backend} queue): looking for due sources every {args.tick:g} s "
        "(Ctrl+C to stop)",
        file=sys.stderr,
    )
    scheduler = Scheduler(args.tick)
    scheduler.start()
    try:
        if backend == "database":
            worker = _db_worker(batch=False, interval=args.interval)
            worker.configure_signals()
            worker.run()
        elif backend == "redis":
            _rq_worker(burst=False)
        else:  # immediate: tasks run as they are queued, in the scheduler thread
            scheduler.join()
    finally:
        scheduler.stop()
    return 0


@dataclass
class WorkerThreads:
    """The scheduler and (with the database queue) the task worker, running in threads."""

    scheduler: Scheduler
    worker: Any = None
    threads: list[threading.Thread] = field(default_factory=list)

    def stop(self, timeout: float = 5.0) -> None:
        self.scheduler.stop()
        if self.worker is not None:
            self.worker.running = False
        for thread in self.threads:
            thread.join(timeout)


def start_worker_thread(*, tick: float = DEFAULT_TICK, interval: float = 2.0) -> WorkerThreads:
    """Run the worker beside a web server in this process (`okapi demo`): daemon threads that
    end with the process. With OKAPI_TASKS_BACKEND=redis only the scheduler runs here; run
    `okapi worker` for RQ's worker."""
    scheduler = Scheduler(tick)
    handle = WorkerThreads(scheduler=scheduler, threads=[scheduler])
    if _backend() == "database":
        handle.worker = _db_worker(batch=False, interval=interval)
        thread = threading.Thread(target=_run_db_worker, args=(handle.worker,), daemon=True)
        thread.name = "okapi-worker"
        handle.threads.append(thread)
        thread.start()
    scheduler.start()
    return handle


def _run_db_worker(worker: Any) -> None:
    from django.db import connection

    try:
        worker.run()
    except Exception:
        log.exception("the background worker stopped")
    finally:
        connection.close()


# --------------------------------------------------------------------------- billing import


def run_billing_import(args: argparse.Namespace) -> int:
    files = {"subscriptions": args.subscriptions, "spend": args.spend}
    data: dict[str, bytes | None] = {}
    for name, path in files.items():
        if path is None:
            data[name] = None
            continue
        try:
            data[name] = Path(path).read_bytes()
        except FileNotFoundError:
            raise UsageError(f"{path}: no such file") from None
        except OSError as exc:
            raise UsageError(f"{path}: {exc.strerror}") from None
    setup_database()
    from okapi.errors import Invalid
    from okapi.kpis.sources import billing_import
    from okapi.workspaces.access import system_actor
    from okapi.workspaces.models import Workspace

    workspace = Workspace.objects.filter(key=args.workspace).first()
    if workspace is None:
        raise UsageError(f"no workspace '{args.workspace}'")
    subscriptions = data["subscriptions"]
    assert subscriptions is not None
    try:
        result = billing_import(
            actor=system_actor(workspace),
            subscriptions=subscriptions,
            spend=data["spend"],
            segment=args.segment,
        )
    except Invalid as exc:
        detail = "\n".join(
            f"{files.get(where) or where}: {message}" for where, message in exc.errors.items()
        )
        raise UsageError(f"not imported, nothing changed:\n{detail}") from None
    summary = {
        "workspace": workspace.key,
        "currency": result.currency,
        "months": result.months,
        "from": result.first_month,
        "to": result.last_month,
        "stored": result.stored,
        "kpis": [k.key for k in result.kpis],
    }
    if args.json:
        print_json(summary)
    else:
        span = f" ({result.first_month} to {result.last_month})" if result.months else ""
        print(
            f"Imported {result.months} months{span} into {len(result.kpis)} KPIs of "
            f"'{workspace.key}': {', '.join(summary['kpis'])}."
        )
    return 0
