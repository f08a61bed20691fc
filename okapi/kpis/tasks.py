"""Background tasks for KPI sources, through the `django-tasks` API (docs/kpi-sources.md).

The task library stores and runs the tasks (by default `django_tasks_db`'s DatabaseBackend,
run by `okapi worker`); this module only decides what is due. Each due source is one task, so a
failing or slow source never holds up another: its failure is recorded on the source with a
back-off (1, 5, 25 minutes) and the task itself succeeds.
"""

from __future__ import annotations

import logging

from django.utils.timezone import now
from django_tasks import task

from okapi.kpis import sources

log = logging.getLogger(__name__)


@task()
def run_source(source_id: int) -> str:
    """Run one SQL or formula source and record the outcome on it."""
    return sources.source_run_scheduled(source_id)


def enqueue_due_sources() -> list[int]:
    """Queue one task per due source (claimed first, so two schedulers never queue a source
    twice); the ids queued."""
    at = now()
    queued = []
    for source_id in sources.due_source_ids(at):
        if not sources.claim_source(source_id, at):
            continue
        try:
            run_source.enqueue(source_id)
        except Exception:
            # The queue refused (e.g. Redis is down): free the source for the next tick.
            log.exception("could not queue KPI source %s", source_id)
            sources.release_source(source_id)
            continue
        queued.append(source_id)
    return queued
