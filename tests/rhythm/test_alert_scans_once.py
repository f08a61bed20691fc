"""Each change is announced once however the scans run: two overlapping scans of a workspace
(a late one and the next) are serialised, a scan that saw the same change queues the same
dedupe key, and a later real change is still news."""

from __future__ import annotations

import datetime as dt
import threading
import time
from typing import Any

import pytest
from django.db import connection

from okapi import secrets
from okapi.goals.models import KeyResult
from okapi.kpis import services as kpis
from okapi.kpis.models import Kpi
from okapi.rhythm import alerts, delivery
from okapi.rhythm.models import (
    KpiAlertState,
    KrAlertState,
    Notification,
    RhythmSettings,
    WebhookDelivery,
    WebhookEndpoint,
)
from okapi.workspaces.access import system_actor

UTC = dt.UTC
START = dt.datetime(2027, 2, 15, 12, 0, tzinfo=UTC)


def measure(acme: Any, value: float, at: dt.datetime) -> None:
    kpi = Kpi.objects.get(workspace=acme.workspace, key="nrr")
    kpis.kpi_measure(actor=system_actor(acme.workspace), kpi=kpi, value=value, at=at)


def listen(acme: Any) -> None:
    secret = delivery.new_signing_secret()
    WebhookEndpoint.objects.create(
        workspace=acme.workspace, url="http://127.0.0.1:9/hooks",
        secret=secrets.encrypt(secret), prefix=secret[:10],
    )  # fmt: skip


def emails(kind: str) -> int:
    return Notification.objects.filter(kind=kind, channel="email").count()


def overlapping(monkeypatch: Any, scan: Any, workspace: Any) -> None:
    """Two scans at once: the one planned at 12:10 ran late, the one planned at 12:20 starts
    while it is still announcing."""
    if connection.vendor == "sqlite":
        # The in-memory test database (shared cache) refuses a second writer outright; SQLite
        # transactions start IMMEDIATE, so scans are serialised there anyway.
        pytest.skip("two writers at once need PostgreSQL")
    real = alerts._announce

    def slow_announce(*args: Any, **kwargs: Any) -> None:
        time.sleep(0.5)  # unserialised, both scans would have read the states by now
        real(*args, **kwargs)

    monkeypatch.setattr(alerts, "_announce", slow_announce)
    errors: list[BaseException] = []

    def run(at: dt.datetime) -> None:
        try:
            scan(workspace, at=at)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [
        threading.Thread(target=run, args=(START + dt.timedelta(minutes=m),)) for m in (10, 20)
    ]
    for thread in threads:
        thread.start()
        time.sleep(0.1)
    for thread in threads:
        thread.join()
    assert errors == []


@pytest.mark.django_db(transaction=True)
def test_two_overlapping_kpi_scans_announce_a_change_once(okrs: Any, monkeypatch: Any) -> None:
    listen(okrs)
    measure(okrs, 112, dt.datetime(2027, 2, 1, tzinfo=UTC))
    alerts.scan_kpis(okrs.workspace, at=START)  # the first look records green
    measure(okrs, 101, dt.datetime(2027, 2, 15, tzinfo=UTC))  # red
    overlapping(monkeypatch, alerts.scan_kpis, okrs.workspace)
    assert emails("kpi_alert") == 1
    assert WebhookDelivery.objects.filter(event="kpi.health_changed").count() == 1


@pytest.mark.django_db(transaction=True)
def test_two_overlapping_drift_scans_announce_a_drift_once(okrs: Any, monkeypatch: Any) -> None:
    listen(okrs)
    KeyResult.objects.filter(key="arr").update(
        forecast_value=1_100_000, forecast_low=1_000_000, forecast_high=1_200_000
    )  # score 0.1
    arr = KeyResult.objects.get(key="arr")
    KrAlertState.objects.create(key_result=arr, drifting=False, updated_at=START)  # cleared
    RhythmSettings.objects.create(workspace=okrs.workspace)  # as the planner makes it
    overlapping(monkeypatch, alerts.scan_drift, okrs.workspace)
    assert emails("drift_alert") == 1
    assert WebhookDelivery.objects.filter(event="kr.drifting").count() == 1


@pytest.mark.django_db
def test_a_scan_that_saw_the_same_health_change_queues_nothing_new(okrs: Any) -> None:
    measure(okrs, 112, dt.datetime(2027, 2, 1, tzinfo=UTC))
    alerts.scan_kpis(okrs.workspace, at=START)
    measure(okrs, 101, dt.datetime(2027, 2, 15, tzinfo=UTC))
    before = {f: getattr(KpiAlertState.objects.get(), f) for f in ("health", "updated_at")}
    assert alerts.scan_kpis(okrs.workspace, at=START + dt.timedelta(minutes=10)) == 1
    # A twin scan, later by the clock, that read the state from before the change:
    KpiAlertState.objects.update(**before)
    assert alerts.scan_kpis(okrs.workspace, at=START + dt.timedelta(minutes=20)) == 1
    assert emails("kpi_alert") == 1


@pytest.mark.django_db
def test_a_scan_that_saw_the_same_drift_queues_nothing_new(okrs: Any) -> None:
    KeyResult.objects.filter(key="arr").update(
        forecast_value=1_100_000, forecast_low=1_000_000, forecast_high=1_200_000
    )
    assert alerts.scan_drift(okrs.workspace, at=START) == 1
    KrAlertState.objects.all().delete()  # as a twin scan, later by the clock, saw it
    assert alerts.scan_drift(okrs.workspace, at=START + dt.timedelta(minutes=10)) == 1
    assert emails("drift_alert") == 1


@pytest.mark.django_db
def test_a_health_going_back_and_forth_without_new_data_is_news_each_time(okrs: Any) -> None:
    """The target moves, the measurement stays: red, green, red again are three changes."""
    system = system_actor(okrs.workspace)
    measure(okrs, 108, dt.datetime(2027, 2, 1, tzinfo=UTC))  # amber against 110 (warning 105)
    alerts.scan_kpis(okrs.workspace, at=START)
    nrr = Kpi.objects.get(key="nrr")
    for minutes, (target, warning, health) in enumerate(
        [(120, 115, "red"), (100, 95, "green"), (120, 115, "red")], start=1
    ):
        kpis.kpi_update(actor=system, kpi=nrr, target=target, warning=warning)
        assert alerts.scan_kpis(okrs.workspace, at=START + dt.timedelta(minutes=10 * minutes)) == 1
        assert KpiAlertState.objects.get().health == health
    assert emails("kpi_alert") == 3
