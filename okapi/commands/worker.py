"""`okapi worker` (the background worker) and `okapi billing import` (a billing export into
the billing KPIs). See docs/kpi-sources.md and docs/rhythm.md.

The worker is the task library's own worker (django-tasks-db's, or RQ's with
OKAPI_TASKS_BACKEND=redis) plus a scheduler thread that, every `--tick` seconds, queues one task
per due source, one per workspace's due reminders, digest or alert scan, and one per due message
and webhook delivery. `start_worker_thread()` runs both inside another process (`okapi demo`).
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
        help="run the background worker (KPI sources, reminders, digests, alerts, webhooks)",
        description="Run the background worker: every --tick seconds it queues the work that "
        "is due: KPI sources (SQL queries on their schedule, formulas whose inputs changed, "
        "sources retrying after a failure), each workspace's check-in reminders and weekly "
        "digest at their scheduled time (in the workspace's time zone; an occurrence missed by "
        "more than 24 hours is skipped), a scan for KPI alerts and drifting forecasts every 10 "
        "minutes, and the e-mails, chat messages and webhook events waiting to be sent or "
        "retried. The task library's worker runs the queued tasks. "
        "OKAPI_TASKS_BACKEND chooses the queue: database (default, no extra server) or redis. "
        "Stop it with Ctrl+C (SIGINT) or SIGTERM; a running task finishes first.",
    )
    worker.add_argument(
        "--once",
        action="store_true",
        help="queue what is due (sources, reminders, digests, alerts), run every queued task, "
        "send the messages and webhook events they queued, then exit (for cron)",
    )
    worker.add_argument(
        "--tick",
        type=_positive,
        default=DEFAULT_TICK,
        metavar="SECONDS",
        help=f"how often to look for due work ({DEFAULT_TICK:g})",
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
    """Queues the due work every `tick` seconds until stopped. It only enqueues: the task
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


@dataclass
class Tick:
    sources: list[int]  # the ids of the sources queued
    rhythm: int  # reminder, digest and scan jobs, messages and webhook deliveries queued


def tick() -> Tick:
    """Queue the due sources, then the rhythm's due work (reminders, digests, alert scans,
    messages and webhook deliveries); an error is logged, never raised (the next tick
    retries)."""
    from okapi.kpis.tasks import enqueue_due_sources
    from okapi.rhythm.tasks import enqueue_due

    try:
        queued = enqueue_due_sources()
    except Exception:
        log.exception("could not queue the due KPI sources")
        queued = []
    try:
        rhythm = enqueue_due()
    except Exception:
        log.exception("could not queue the rhythm's due work")
        rhythm = 0
    return Tick(queued, rhythm)


def tick_once() -> list[int]:
    """One tick (see `tick`); the ids of the sources queued."""
    return tick().sources


def _queue_messages() -> int:
    """Queue the messages and webhook events due now (those the tick's jobs just wrote)."""
    from okapi.rhythm.tasks import enqueue_messages

    try:
        return enqueue_messages()
    except Exception:
        log.exception("could not queue the rhythm's due messages")
        return 0


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
        done = tick()
        _run_queue(backend)
        # The jobs just run (reminders, digests, alerts) wrote messages and webhook events:
        # queue and send them now rather than at the next run.
        more = _queue_messages()
        if more:
            _run_queue(backend)
        print(
            f"Queued {len(done.sources)} due source(s) and {done.rhythm + more} rhythm task(s) "
            "(reminders, digests, alerts, messages, webhooks); the queue is empty.",
            file=sys.stderr,
        )
        return 0
    print(
        f"Okapi worker ({backend} queue): looking for due sources, reminders, digests and "
        f"alerts every {args.tick:g} s (Ctrl+C to stop)",
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


def _run_queue(backend: str) -> None:
    """Run every queued task, then return (the immediate backend ran them as they were queued)."""
    if backend == "database":
        _db_worker(batch=True, interval=0).run()
    elif backend == "redis":
        _rq_worker(burst=True)


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
