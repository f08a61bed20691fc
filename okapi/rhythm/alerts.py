"""The worker's periodic scan: KPI alerts (health changes, outliers, stale data) and KRs whose
forecast drifts below 0.4, each announced once per change, never in a storm.

KPI alerts: the health is `okapi.kpis.queries.kpi_health_of` (the dashboard's), the outlier band
`okapi.core.alerts.outlier_band` over the trailing measurements, computed only for the KPIs whose
latest measurement changed since the last scan, and `okapi.core.alerts.kpi_alerts` decides what
to announce against the stored `KpiAlertState`; fresh data after a stale spell is announced
here too (stale → its colour). They go to the KPI's owner: its owner_user, or for a team's KPI
the team's lead (unless they muted alerts or were deactivated), to the team's chat channel (or
the workspace's), and a health change is also a `kpi.health_changed` webhook event.

Drift: a metric KR of a running, open cycle whose stored forecast scores below 0.4
(`okapi.core.forecast.is_drifting`) is announced to its owner once (`KrAlertState.drifting`), with
a `kr.drifting` event; the flag clears silently once the score is back at DRIFT_CLEARS_AT (a
forecast hovering around 0.4 alerts once), so a later drift alerts again.

Each scan reads in a constant number of queries, writes its states and queues its messages in one
transaction, and sends at most one e-mail per person and one chat post per channel: a bulk import
that turns 50 KPIs red is one e-mail listing them. Scans of one workspace are serialised
(`_lock_scans`), and a change's dedupe key names the change (the KPI or KR, what it changed from
and to, the measurement, the state it changed from), never the scan's time: two overlapping or
repeated scans announce it once.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import F, Q, Window
from django.db.models.functions import RowNumber
from django.template.loader import render_to_string
from django.urls import reverse

from okapi.core import alerts as core_alerts
from okapi.core.kpi import Health
from okapi.goals.models import KeyResult
from okapi.goals.queries import KR_COLUMNS, forecast_dict
from okapi.kpis.models import Kpi, Measurement
from okapi.kpis.queries import kpi_health_of
from okapi.rhythm import delivery
from okapi.rhythm.models import (
    Channel,
    Event,
    Kind,
    KpiAlertState,
    KrAlertState,
    RhythmSettings,
    TeamChannel,
)
from okapi.rhythm.reminders import preferences_url
from okapi.workspaces.models import Membership, Team, Workspace

log = logging.getLogger(__name__)

CHAT_ITEMS = 10  # alerts listed in one chat post before "and N more"
# A drifting KR's flag clears only when its projected score is back at this (it is raised below
# forecast.DRIFT_BELOW, 0.4): a forecast hovering around 0.4 (0.39, 0.41, 0.39) alerts once.
DRIFT_CLEARS_AT = 0.45


@dataclass
class Alert:
    """One announcement about one KPI or KR, before it is grouped into messages."""

    key: str  # the change's dedupe key, e.g. "kpi:12:outlier:2027-02-15T09:00:00+00:00"
    title: str  # the KPI's or KR's name
    message: str
    url: str
    recipient_id: int | None
    team_id: int | None  # whose chat channel hears it (None: the workspace's)


def _stamp(at: dt.datetime | None) -> str:
    """A compact UTC time for dedupe keys; "new" for a state never stored."""
    return at.astimezone(dt.UTC).strftime("%Y%m%dT%H%M%SZ") if at is not None else "new"


def _lock_scans(workspace: Workspace) -> RhythmSettings:
    """Hold the workspace's scan lock until the transaction ends: its RhythmSettings row, FOR
    UPDATE (created if missing). A second, overlapping scan waits here, then reads the alert
    states the first one wrote, so it cannot announce the same change again. (SQLite
    transactions start IMMEDIATE: writers are serialised already.)"""
    rows = RhythmSettings.objects.select_for_update().filter(workspace=workspace)
    settings = rows.first()
    if settings is None:
        try:
            with transaction.atomic():
                RhythmSettings.objects.create(workspace=workspace)
        except IntegrityError:
            pass  # a concurrent scan created it; the lock below waits for that scan
        settings = rows.get()
    return settings


def _iso(at: dt.datetime | None) -> str | None:
    return at.astimezone(dt.UTC).isoformat() if at is not None else None


def _target_text(kpi: Kpi) -> str:
    """The target as a founder reads it, as the alert's numbers: "110%", "40–60%"."""
    fmt = core_alerts.format_value
    if kpi.direction == "range":
        low, high = kpi.target_low, kpi.target_high
        if low is not None and high is not None:
            first = fmt(low, kpi.unit) if kpi.unit in ("$", "€", "£") else fmt(low, "")
            return f"{first}–{fmt(high, kpi.unit)}"
        bound = low if low is not None else high
        return fmt(bound, kpi.unit) if bound is not None else ""
    return fmt(kpi.target, kpi.unit) if kpi.target is not None else ""


def _kpi_url(workspace: Workspace, kpi: Kpi) -> str:
    return delivery.absolute_url(reverse("kpis:kpi", args=[workspace.key, kpi.key]))


def _trailing_values(kpi_ids: list[int]) -> dict[int, list[Decimal]]:
    """The latest OUTLIER_WINDOW + 1 measurements of each KPI, oldest first: one query (a
    window function numbers each KPI's measurements from the newest)."""
    if not kpi_ids:
        return {}
    newest_first = (
        Measurement.objects.filter(kpi_id__in=kpi_ids)
        .annotate(rank=Window(RowNumber(), partition_by=[F("kpi_id")], order_by=[F("at").desc()]))
        .filter(rank__lte=core_alerts.OUTLIER_WINDOW + 1)
        .order_by("kpi_id", "-at")
        .values_list("kpi_id", "value")
    )
    history: dict[int, list[Decimal]] = {pk: [] for pk in kpi_ids}
    for kpi_id, value in newest_first:
        history[kpi_id].append(value)
    return {pk: values[::-1] for pk, values in history.items()}


def _kpi_recipient(kpi: Kpi, members: set[int]) -> int | None:
    """The KPI's owner_user, else the owning team's lead; only someone still in the workspace."""
    if kpi.owner_user_id is not None:
        return kpi.owner_user_id if kpi.owner_user_id in members else None
    if kpi.owner_team is not None and kpi.owner_team.lead_id in members:
        return kpi.owner_team.lead_id
    return None


CHANGES_OF_HEALTH = (core_alerts.AlertKind.HEALTH_CHANGED, core_alerts.AlertKind.STALE)


def scan_kpis(workspace: Workspace, *, at: dt.datetime) -> int:
    """Look at every KPI once; queue what changed. How many alerts (before grouping)."""
    with transaction.atomic():
        settings = _lock_scans(workspace)
        kpis = list(
            Kpi.objects.filter(workspace=workspace)
            .select_related("owner_team", "alert_state")
            .order_by("key")
        )
        # A KPI never scanned has no state (the related-object error is an AttributeError).
        states = {k.pk: getattr(k, "alert_state", None) for k in kpis}
        changed = [
            k.pk
            for k in kpis
            if k.latest_at is not None
            and states[k.pk] is not None
            and states[k.pk].seen_at != k.latest_at
        ]
        histories = _trailing_values(changed)
        members = _member_ids(workspace)
        found: list[Alert] = []
        creates, updates = [], []
        for kpi in kpis:
            stored = states[kpi.pk]
            previous = core_alerts.UNSEEN
            if stored is not None and stored.health:
                previous = core_alerts.KpiAlertState(
                    health=stored.health, stale=stored.stale, outlier_at=stored.outlier_at or None
                )
            health = kpi_health_of(kpi, at)
            history = histories.get(kpi.pk)
            band = core_alerts.outlier_band(history) if history else None
            latest_iso = _iso(kpi.latest_at)
            raised, state = core_alerts.kpi_alerts(
                name=kpi.name,
                unit=kpi.unit,
                previous=previous,
                health=health.value,
                stale=health == Health.STALE,
                latest_value=kpi.latest_value,
                latest_at_iso=latest_iso,
                band=band,
                target_text=_target_text(kpi),
            )
            recipient = _kpi_recipient(kpi, members)
            # The change, not the scan: the stored state it changed from (its time), then what
            # changed. A twin scan computes the same key; a later change has another state.
            since = _stamp(stored.updated_at if stored is not None else None)
            for alert in raised:
                # Going stale, and back, is a change of health too (PRODUCT §2): the same event.
                if alert.kind in CHANGES_OF_HEALTH:
                    key = (
                        f"kpi:{kpi.pk}:{alert.kind}:{alert.previous}>{alert.current}:"
                        f"{latest_iso}:{since}"
                    )
                    delivery.emit(
                        workspace=workspace,
                        event=Event.KPI_HEALTH_CHANGED,
                        data={
                            "kpi": kpi.key,
                            "name": kpi.name,
                            "previous": alert.previous,
                            "current": alert.current,
                            "value": float(kpi.latest_value)
                            if kpi.latest_value is not None
                            else None,
                            "at": latest_iso,
                            "message": alert.message,
                        },
                    )
                else:
                    key = f"kpi:{kpi.pk}:{alert.kind}:{latest_iso}"
                found.append(
                    Alert(
                        key=key,
                        title=kpi.name,
                        message=alert.message,
                        url=_kpi_url(workspace, kpi),
                        recipient_id=recipient,
                        team_id=kpi.owner_team_id,
                    )
                )
            values = {
                "health": state.health or "",
                "stale": state.stale,
                "outlier_at": state.outlier_at or "",
                "seen_at": kpi.latest_at,
            }
            if stored is None:
                creates.append(KpiAlertState(kpi=kpi, updated_at=at, **values))
            elif any(getattr(stored, name) != value for name, value in values.items()):
                for name, value in values.items():
                    setattr(stored, name, value)
                stored.updated_at = at
                updates.append(stored)
        KpiAlertState.objects.bulk_create(creates)
        KpiAlertState.objects.bulk_update(
            updates, ["health", "stale", "outlier_at", "seen_at", "updated_at"], batch_size=500
        )
        _announce(workspace, found, kind=Kind.KPI_ALERT, what="KPI", settings=settings)
    return len(found)


def _member_ids(workspace: Workspace) -> set[int]:
    return set(Membership.objects.filter(workspace=workspace).values_list("user_id", flat=True))


def _objective_url(workspace: Workspace, objective_key: str, kr_key: str) -> str:
    path = reverse("goals:objective", args=[workspace.key, objective_key])
    return delivery.absolute_url(f"{path}#kr-{kr_key}-h")


def scan_drift(workspace: Workspace, *, at: dt.datetime) -> int:
    """Announce the metric KRs whose forecast newly drifts below 0.4; clear the ones back at
    DRIFT_CLEARS_AT. How many drift alerts."""
    from okapi.goals.services import workspace_today

    today = workspace_today(workspace)
    with transaction.atomic():
        settings = _lock_scans(workspace)
        rows = list(
            KeyResult.objects.filter(
                Q(forecast_value__isnull=False) | Q(alert_state__drifting=True),
                workspace=workspace,
                kind="metric",
                objective__cycle__closed_at__isnull=True,
                objective__cycle__start__lte=today,
                objective__cycle__end__gte=today,
            )
            .order_by("objective__cycle__start", "objective__position", "position", "id")
            .values(
                *KR_COLUMNS,
                "objective__title",
                "objective__owner_team_id",
                "owner_id",
                "owner__name",
                "alert_state__id",
                "alert_state__drifting",
                "alert_state__updated_at",
            )
        )
        members = _member_ids(workspace)
        found: list[Alert] = []
        creates, drifted, recovered = [], [], []
        for row in rows:
            forecast = forecast_dict(row)
            was = bool(row["alert_state__drifting"])
            if forecast is None:
                if was:  # no forecast any more: a later drift is news again
                    recovered.append(row["alert_state__id"])
                continue
            if forecast["drifting"] and not was:
                if row["alert_state__id"] is None:
                    creates.append(
                        KrAlertState(key_result_id=row["id"], drifting=True, updated_at=at)
                    )
                else:
                    drifted.append(row["alert_state__id"])
                found.append(_drift_alert(workspace, row, forecast, members))
            elif was and forecast["score"] >= DRIFT_CLEARS_AT:
                recovered.append(row["alert_state__id"])
        KrAlertState.objects.bulk_create(creates)
        KrAlertState.objects.filter(pk__in=drifted).update(drifting=True, updated_at=at)
        KrAlertState.objects.filter(pk__in=recovered).update(drifting=False, updated_at=at)
        _announce(workspace, found, kind=Kind.DRIFT_ALERT, what="key result", settings=settings)
    return len(found)


def _drift_alert(
    workspace: Workspace,
    row: dict[str, Any],
    forecast: dict[str, Any],
    members: set[int],
) -> Alert:
    unit = row["unit"] or ""
    chance = forecast["chance"]
    fmt = core_alerts.format_value
    if forecast["low"] != forecast["high"]:
        likely = f" (likely {fmt(forecast['low'], unit)} to {fmt(forecast['high'], unit)})"
        odds = f"{round(chance * 100)}% chance of reaching {forecast['chance_of']:.1f}"
    else:  # the check-ins lie on a line: a collapsed range says nothing about the odds
        likely, odds = "", "not enough spread in the check-ins to estimate a range or a chance"
    message = (
        f"{row['title']} is drifting: at this pace it ends near {fmt(forecast['value'], unit)}"
        f"{likely} against a target of {fmt(row['target'], unit)}, a projected score of "
        f"{forecast['score']:.2f}; {odds}."
    )
    delivery.emit(
        workspace=workspace,
        event=Event.KR_DRIFTING,
        data={
            "key_result": row["key"],
            "objective": row["objective__key"],
            "owner": row["owner__email"],
            "forecast": forecast,
            "chance": chance,
        },
    )
    return Alert(
        # This drift, not this scan: the flag's state it was raised from (never stored, or
        # cleared at that time).
        key=f"drift:{row['id']}:{_stamp(row['alert_state__updated_at'])}",
        title=row["title"],
        message=message,
        url=_objective_url(workspace, row["objective__key"], row["key"]),
        recipient_id=row["owner_id"] if row["owner_id"] in members else None,
        team_id=row["objective__owner_team_id"],
    )


def _group_key(keys: Iterable[str], suffix: str) -> str:
    """One dedupe key for a grouped message: its changes' keys, or their hash when too long."""
    joined = "+".join(sorted(keys))
    if len(joined) + len(suffix) + 1 <= 200:
        return f"{joined}:{suffix}"
    return f"batch:{hashlib.sha256(joined.encode()).hexdigest()[:32]}:{suffix}"


def _announce(
    workspace: Workspace,
    found: list[Alert],
    *,
    kind: str,
    what: str,
    settings: RhythmSettings,
) -> None:
    """One e-mail per recipient (minus those who muted alerts or were deactivated) and one chat
    post per channel."""
    if not found:
        return
    from okapi.accounts.models import User

    muted = delivery.muted_user_ids(workspace, "alerts")
    by_person: dict[int, list[Alert]] = {}
    for alert in found:
        if alert.recipient_id is not None and alert.recipient_id not in muted:
            by_person.setdefault(alert.recipient_id, []).append(alert)
    people = {u.pk: u for u in User.objects.filter(pk__in=list(by_person), is_active=True)}
    template = "rhythm/email/kpi_alert" if kind == Kind.KPI_ALERT else "rhythm/email/drift_alert"
    for person_id, mine in by_person.items():
        person = people.get(person_id)
        if person is None or not person.email:
            continue
        context = {
            "workspace": workspace,
            "person": person,
            "alerts": mine,
            "preferences_url": preferences_url(workspace),
        }
        delivery.notify(
            workspace=workspace,
            kind=kind,
            dedupe_key=_group_key((a.key for a in mine), f"to:{person_id}"),
            subject=_subject(mine, what, workspace),
            text=render_to_string(f"{template}.txt", context).strip() + "\n",
            html=render_to_string(f"{template}.html", context),
            recipient=person,
        )
    _chat(workspace, found, kind=kind, what=what, workspace_channel=bool(settings.chat_webhook))


def _subject(alerts: list[Alert], what: str, workspace: Workspace) -> str:
    if len(alerts) > 1:
        return f"{len(alerts)} {what} alerts in {workspace.name}"
    alert = alerts[0]
    if what == "KPI":
        return alert.message if len(alert.message) <= 150 else f"{alert.title}: KPI alert"
    return f"{alert.title} is drifting"


def _chat(
    workspace: Workspace, found: list[Alert], *, kind: str, what: str, workspace_channel: bool
) -> None:
    """A team with its own channel hears its alerts there; the rest go to the workspace's
    channel, if it has one."""
    with_channel = set(
        TeamChannel.objects.filter(workspace=workspace).values_list("team_id", flat=True)
    )
    by_channel: dict[int | None, list[Alert]] = {}
    for alert in found:
        target = alert.team_id if alert.team_id in with_channel else None
        if target is None and not workspace_channel:
            continue
        by_channel.setdefault(target, []).append(alert)
    teams = Team.objects.in_bulk([t for t in by_channel if t is not None])
    for team_id, alerts in by_channel.items():
        e = delivery.chat_escape
        lines = [f"• <{a.url}|{e(a.title)}>: {e(a.message)}" for a in alerts]
        if len(lines) > CHAT_ITEMS:
            lines = lines[:CHAT_ITEMS] + [f"…and {len(lines) - CHAT_ITEMS} more"]
        title = (
            _subject(alerts, what, workspace) if len(alerts) > 1 else f"{what.capitalize()} alert"
        )
        chat = delivery.chat_message("\n".join(lines), title=title)
        delivery.notify(
            workspace=workspace,
            kind=kind,
            channel=Channel.CHAT,
            team=teams.get(team_id) if team_id is not None else None,
            dedupe_key=_group_key((a.key for a in alerts), f"chat:{team_id or 'workspace'}"),
            subject=title,
            text=chat["text"],
            chat=chat,
        )
