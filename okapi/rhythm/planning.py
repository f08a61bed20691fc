"""What the rhythm's worker has to do now: the reminders and the digest at their weekly
occurrence in each workspace's time zone, and the periodic scan for KPI alerts and drifting KRs.

Every tick (`okapi.rhythm.tasks.enqueue_due`) calls `plan_due`, which reads every workspace with
its settings (one query) and returns the jobs due; each is queued as its own task, so one
workspace's failure never stops another's. A job is handled once:

- an occurrence is due when it is the latest one, it is later than the one last handled, it
  happened at most GRACE ago (a worker down for a week does not send last Monday's reminders on
  Sunday) and not before the workspace existed (a new workspace does not get last Monday's);
- the planner leases the job (`*_queued_at`, a conditional UPDATE) so a job waiting in the queue
  is not queued again every tick; a lease that expires (the task died) is taken again;
- the task claims the occurrence (`claim`, a conditional UPDATE of `*_done_for`) in the same
  transaction as the messages it queues: two workers never send twice, and a failed job leaves
  the occurrence unhandled for the next try.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils.timezone import now

from okapi.core.schedule import Weekly, latest_occurrence
from okapi.rhythm.models import RhythmSettings
from okapi.workspaces.models import Team, Workspace

log = logging.getLogger(__name__)

REMINDERS = "reminders"
DIGEST = "digest"
SCAN = "scan"
JOBS = (REMINDERS, DIGEST, SCAN)

GRACE = dt.timedelta(hours=24)  # an occurrence missed by more than this is skipped
SCAN_EVERY = dt.timedelta(minutes=10)  # KPI alerts and drifting KRs
LEASE = dt.timedelta(minutes=10)  # a queued job is queued again after this (the task died)


@dataclass(frozen=True)
class Due:
    workspace_id: int
    job: str
    occurrence: dt.datetime  # the schedule's occurrence; for a scan, the time of the scan


def _settings_of(workspace: Workspace) -> RhythmSettings:
    try:
        return workspace.rhythm
    except RhythmSettings.DoesNotExist:
        return RhythmSettings(workspace=workspace)


def reminder_schedule(workspace: Workspace, settings: RhythmSettings) -> Weekly:
    return Weekly(settings.reminder_weekday, settings.reminder_time, workspace.timezone)


def digest_schedule(workspace: Workspace, settings: RhythmSettings) -> Weekly:
    return Weekly(settings.digest_weekday, settings.digest_time, workspace.timezone)


def due_occurrence(
    schedule: Weekly, *, done_for: dt.datetime | None, since: dt.datetime, at: dt.datetime
) -> dt.datetime | None:
    """The occurrence to handle now, or None (see the module docstring)."""
    occurrence = latest_occurrence(schedule, at)
    if at - occurrence > GRACE or occurrence < since:
        return None
    if done_for is not None and occurrence <= done_for:
        return None
    return occurrence


def jobs_due(workspace: Workspace, settings: RhythmSettings, at: dt.datetime) -> list[Due]:
    """The jobs due in one workspace (pure: nothing is claimed)."""
    due = []
    if settings.reminders_enabled:
        occurrence = due_occurrence(
            reminder_schedule(workspace, settings),
            done_for=settings.reminders_done_for,
            since=workspace.created_at,
            at=at,
        )
        if occurrence is not None:
            due.append(Due(workspace.pk, REMINDERS, occurrence))
    if settings.digest_enabled:
        occurrence = due_occurrence(
            digest_schedule(workspace, settings),
            done_for=settings.digest_done_for,
            since=workspace.created_at,
            at=at,
        )
        if occurrence is not None:
            due.append(Due(workspace.pk, DIGEST, occurrence))
    if settings.scanned_at is None or at - settings.scanned_at >= SCAN_EVERY:
        due.append(Due(workspace.pk, SCAN, at))
    return due


def _ensure_settings(workspace: Workspace) -> None:
    """The bookkeeping needs a row to UPDATE: create the default one (a concurrent planner may
    create it first)."""
    if RhythmSettings.objects.filter(workspace=workspace).exists():
        return
    try:
        with transaction.atomic():
            RhythmSettings.objects.create(workspace=workspace)
    except IntegrityError:
        pass


def lease(due: Due, at: dt.datetime) -> bool:
    """Take the job for queueing (a conditional UPDATE); False when another planner has it,
    it is queued already (and its lease has not expired), or it was handled meanwhile."""
    rows = RhythmSettings.objects.filter(workspace_id=due.workspace_id)
    if due.job == SCAN:
        return bool(
            rows.filter(Q(scanned_at__isnull=True) | Q(scanned_at__lte=at - SCAN_EVERY)).update(
                scanned_at=at
            )
        )
    done, queued = f"{due.job}_done_for", f"{due.job}_queued_at"
    return bool(
        rows.filter(Q(**{f"{done}__isnull": True}) | Q(**{f"{done}__lt": due.occurrence}))
        .filter(Q(**{f"{queued}__isnull": True}) | Q(**{f"{queued}__lte": at - LEASE}))
        .update(**{queued: at})
    )


def release(due: Due) -> None:
    """The queue refused the job: let the next tick queue it again."""
    if due.job != SCAN:
        RhythmSettings.objects.filter(workspace_id=due.workspace_id).update(
            **{f"{due.job}_queued_at": None}
        )


def claim(workspace_id: int, job: str, occurrence: dt.datetime) -> bool:
    """Mark the occurrence handled (a conditional UPDATE); False when it was handled already.

    Call it inside the transaction that queues the occurrence's messages: on PostgreSQL a second
    worker's UPDATE waits for the first transaction and then finds nothing left to claim."""
    if job not in (REMINDERS, DIGEST):
        raise ValueError(f"no occurrence to claim for {job!r}")
    done = f"{job}_done_for"
    return bool(
        RhythmSettings.objects.filter(workspace_id=workspace_id)
        .filter(Q(**{f"{done}__isnull": True}) | Q(**{f"{done}__lt": occurrence}))
        .update(**{done: occurrence})
    )


def plan_due(at: dt.datetime | None = None) -> list[Due]:
    """Every job due now, each leased for queueing: one query for the workspaces and their
    settings, and a few writes per due job. A workspace whose settings cannot be read (e.g. an
    unknown time zone) is logged and skipped."""
    at = at or now()
    planned = []
    for workspace in Workspace.objects.select_related("rhythm").order_by("id"):
        try:
            due = jobs_due(workspace, _settings_of(workspace), at)
            if due:
                _ensure_settings(workspace)
            planned += [d for d in due if lease(d, at)]
        except Exception:
            log.exception("could not plan the rhythm of workspace %s", workspace.key)
    return planned


def digest_teams(workspace: Workspace) -> list[Team]:
    """The teams that get their own digest: those with a chat channel or a lead (one query)."""
    return list(
        Team.objects.filter(workspace=workspace)
        .filter(Q(channel__isnull=False) | Q(lead__isnull=False))
        .select_related("lead")
        .order_by("key")
    )


def send_digests(workspace: Workspace, occurrence: dt.datetime) -> int:
    """The digest of the workspace and of each team with a channel or a lead, for the week that
    ends at the occurrence (okapi/rhythm/digest.py); how many messages were queued."""
    from okapi.rhythm.digest import digest_send

    queued = digest_send(workspace=workspace, at=occurrence)
    for team in digest_teams(workspace):
        queued += digest_send(workspace=workspace, team=team, at=occurrence)
    return queued


def run_job(workspace_id: int, job: str, occurrence: dt.datetime) -> str:
    """Handle one planned job (the task's body); what happened, in a word or two."""
    from okapi.rhythm import alerts, reminders

    workspace = Workspace.objects.filter(pk=workspace_id).first()
    if workspace is None:
        return "gone"
    if job == SCAN:
        refresh_forecasts(workspace)
        kpi = alerts.scan_kpis(workspace, at=occurrence)
        drift = alerts.scan_drift(workspace, at=occurrence)
        return f"scanned: {kpi} KPI alert(s), {drift} drift alert(s)"
    with transaction.atomic():
        if not claim(workspace_id, job, occurrence):
            return "handled already"
        if job == REMINDERS:
            queued = reminders.send_reminders(workspace, at=occurrence)
        elif job == DIGEST:
            queued = send_digests(workspace, occurrence)
        else:
            raise ValueError(f"unknown job {job!r}")
    return f"{job}: {queued} message(s) queued"


def refresh_forecasts(workspace: Workspace) -> None:
    """Bring the stored forecasts of the open cycles up to date before the drift scan (fills
    KRs whose forecast was never computed, e.g. created before forecasts were stored)."""
    from okapi.goals.services import refresh_open_cycle_forecasts

    with transaction.atomic():
        refresh_open_cycle_forecasts(workspace)
