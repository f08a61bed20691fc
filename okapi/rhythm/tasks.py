"""Background tasks for the rhythm, through the `django-tasks` API (docs/rhythm.md).

The worker's scheduler calls `enqueue_due` every tick. First the scheduled work
(okapi/rhythm/planning.py): each workspace's due reminders, digest and alert scan is leased and
queued as its own task, so one workspace's failure never stops another's. Then each due message
or webhook delivery is claimed with a fresh token and queued as its own task, which sends it only
if that claim still holds (so no two tasks send it, even when the queue fell behind by more than
the lease and a later tick claimed it again), and a slow chat server or webhook endpoint never
holds up the others. Failures are recorded on the
row and retried with back-off by a later tick; the task itself succeeds.
"""

from __future__ import annotations

import datetime as dt
import logging

from django_tasks import task

from okapi.rhythm import delivery, planning

log = logging.getLogger(__name__)


@task()
def send_notification(pk: int, claim: str = "") -> str:
    """Send a message if `claim` (the token of the tick that queued this task) still holds it:
    a task that waited in the queue past its lease, and whose row a later tick claimed again for
    another task, sends nothing. (A task queued without a claim, before claims had tokens, sends
    nothing either: a later tick claims its row anew.)"""
    return delivery.send_notification_by_id(pk, claim)


@task()
def send_webhook(pk: int, claim: str = "") -> str:
    """Deliver a webhook event if `claim` still holds it (as `send_notification`)."""
    return delivery.send_webhook_by_id(pk, claim)


@task()
def run_rhythm_job(workspace_id: int, job: str, occurrence: str) -> str:
    """One workspace's reminders, digest or alert scan (planning.run_job); an error is logged
    and fails this task only (a reminder or digest stays unhandled and is queued again when its
    lease expires; a scan runs again at the next one)."""
    try:
        return planning.run_job(workspace_id, job, dt.datetime.fromisoformat(occurrence))
    except Exception:
        log.exception("the rhythm's %s job of workspace %s failed", job, workspace_id)
        raise


def enqueue_jobs() -> int:
    """Queue one task per due scheduled job (reminders, digest, scan) and workspace; how many."""
    queued = 0
    for due in planning.plan_due():
        try:
            run_rhythm_job.enqueue(due.workspace_id, due.job, due.occurrence.isoformat())
            queued += 1
        except Exception:  # the queue refused: the next tick queues it again
            log.exception("could not queue the %s job of workspace %s", due.job, due.workspace_id)
            planning.release(due)
    return queued


def enqueue_messages() -> int:
    """Queue one task per due message and webhook delivery; how many were queued."""
    queued = 0
    for pk, claim in delivery.claim_due_notifications():
        try:
            send_notification.enqueue(pk, claim)
            queued += 1
        except Exception:  # the queue refused: the lease expires and a later tick retries
            log.exception("could not queue notification %s", pk)
    for pk, claim in delivery.claim_due_deliveries():
        try:
            send_webhook.enqueue(pk, claim)
            queued += 1
        except Exception:
            log.exception("could not queue webhook delivery %s", pk)
    return queued


def enqueue_due() -> int:
    """The scheduler's tick: queue the due scheduled jobs, then the due messages and webhook
    deliveries; how many tasks were queued. An error in one part is logged and does not stop the
    other."""
    queued = 0
    try:
        queued += enqueue_jobs()
    except Exception:
        log.exception("could not plan the rhythm's scheduled jobs")
    try:
        queued += enqueue_messages()
    except Exception:
        log.exception("could not queue the rhythm's due messages")
    return queued
