"""KPI alerts from the worker's scan: a health change, an outlier and stale data are each
announced once, by e-mail (a real SMTP server) to the owner and, for a health change, as a
signed kpi.health_changed webhook (a real HTTP server); a bulk change is one e-mail per person."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from okapi import secrets
from okapi.kpis import services as kpis
from okapi.kpis.models import Kpi
from okapi.rhythm import alerts, delivery
from okapi.rhythm.models import (
    KpiAlertState,
    Notification,
    Preference,
    RhythmSettings,
    WebhookEndpoint,
)
from okapi.workspaces.access import system_actor

pytestmark = pytest.mark.django_db

UTC = dt.UTC
START = dt.datetime(2027, 2, 15, 12, 0, tzinfo=UTC)


def endpoint(acme: Any, url: str) -> str:
    secret = delivery.new_signing_secret()
    WebhookEndpoint.objects.create(
        workspace=acme.workspace, url=url, events=["kpi.health_changed"],
        secret=secrets.encrypt(secret), prefix=secret[:10],
    )  # fmt: skip
    return secret


def measure(acme: Any, key: str, value: float, at: dt.datetime) -> None:
    kpi = Kpi.objects.get(workspace=acme.workspace, key=key)
    kpis.kpi_measure(actor=system_actor(acme.workspace), kpi=kpi, value=value, at=at)


def scan(acme: Any, frozen: Any, at: dt.datetime) -> int:
    frozen.move_to(at)
    found = alerts.scan_kpis(acme.workspace, at=at)
    delivery.deliver_due(at)
    return found


def verified(received: Any, secret: str) -> dict[str, Any]:
    timestamp = int(received.headers["X-Okapi-Timestamp"])
    expected = delivery.sign(secret, timestamp, received.body)
    assert received.headers["X-Okapi-Signature"] == expected
    return received.json()


def test_green_red_green_is_two_alerts_and_two_signed_events(
    okrs: Any, frozen: Any, smtp_server: Any, receiver: Any
) -> None:
    secret = endpoint(okrs, f"{receiver.url}/hooks")
    measure(okrs, "nrr", 112, dt.datetime(2027, 2, 1, tzinfo=UTC))
    assert scan(okrs, frozen, START) == 0  # the first look only records: green
    assert scan(okrs, frozen, START + dt.timedelta(minutes=10)) == 0
    measure(okrs, "nrr", 101, dt.datetime(2027, 2, 15, tzinfo=UTC))  # below the 105 warning
    assert scan(okrs, frozen, START + dt.timedelta(minutes=20)) == 1
    assert scan(okrs, frozen, START + dt.timedelta(minutes=30)) == 0  # still red: no news
    measure(okrs, "nrr", 111, dt.datetime(2027, 2, 16, tzinfo=UTC))
    assert scan(okrs, frozen, START + dt.timedelta(days=1)) == 1
    # The KPI belongs to the growth team: its lead, alice, is told.
    mails = smtp_server.to("alice@acme.test")
    assert [m["Subject"] for m in mails] == [
        "Net revenue retention went from green to red (101% against a target of 110%).",
        "Net revenue retention recovered from red to green (111% against a target of 110%).",
    ]
    text = smtp_server.text(mails[0])
    assert delivery.absolute_url("/w/acme/kpis/nrr/") in text
    assert delivery.absolute_url("/w/acme/rhythm/preferences/") in text
    assert smtp_server.to("bob@acme.test") == []
    events = [verified(r, secret) for r in receiver.requests]
    assert [e["type"] for e in events] == ["kpi.health_changed", "kpi.health_changed"]
    first = events[0]["data"]
    assert first["kpi"] == "nrr" and first["name"] == "Net revenue retention"
    assert (first["previous"], first["current"], first["value"]) == ("green", "red", 101.0)
    assert first["at"].startswith("2027-02-15")
    assert first["message"].startswith("Net revenue retention went from green to red")
    assert (events[1]["data"]["previous"], events[1]["data"]["current"]) == ("red", "green")


def test_an_outlier_is_announced_once(okrs: Any, frozen: Any, smtp_server: Any) -> None:
    kpis.kpi_create(actor=system_actor(okrs.workspace), key="signups", name="Signups",
                    direction="up", target=50, cadence="weekly", owner="bob@acme.test")  # fmt: skip
    for week, value in enumerate([100, 102, 99, 101, 100, 103, 98, 100]):
        measure(
            okrs, "signups", value, dt.datetime(2026, 12, 21, tzinfo=UTC) + dt.timedelta(weeks=week)
        )
    scan(okrs, frozen, START)
    measure(okrs, "signups", 240, dt.datetime(2027, 2, 15, 6, 0, tzinfo=UTC))
    assert scan(okrs, frozen, START + dt.timedelta(minutes=10)) == 1
    assert scan(okrs, frozen, START + dt.timedelta(minutes=20)) == 0
    [mail] = smtp_server.to("bob@acme.test")
    assert "Signups came in at 240, far above its usual range" in mail["Subject"]
    assert "over the last 8 measurements" in smtp_server.text(mail)
    state = KpiAlertState.objects.get(kpi__key="signups")
    assert state.outlier_at.startswith("2027-02-15T06:00")


def test_stale_data_is_announced_once_and_so_is_fresh_data_after_it(
    okrs: Any, frozen: Any, smtp_server: Any, receiver: Any
) -> None:
    secret = endpoint(okrs, f"{receiver.url}/hook")
    measure(okrs, "nrr", 112, dt.datetime(2027, 2, 1, tzinfo=UTC))
    scan(okrs, frozen, START)
    # Monthly: stale after two cadence periods (62 days) without a measurement.
    assert scan(okrs, frozen, dt.datetime(2027, 4, 3, 12, 0, tzinfo=UTC)) == 0
    assert scan(okrs, frozen, dt.datetime(2027, 4, 4, 12, 0, tzinfo=UTC)) == 1
    assert scan(okrs, frozen, dt.datetime(2027, 4, 5, 12, 0, tzinfo=UTC)) == 0
    [mail] = smtp_server.to("alice@acme.test")
    assert mail["Subject"] == (
        "Net revenue retention is stale: no new measurement since 2027-02-01, more than two "
        "cadence periods."
    )
    # Going stale is a change of health: one signed kpi.health_changed event.
    [event] = [verified(r, secret) for r in receiver.requests]
    assert event["type"] == "kpi.health_changed"
    assert (event["data"]["previous"], event["data"]["current"]) == ("green", "stale")
    # Fresh data is news too: a receiver that saw "stale" last hears "stale" → "green".
    measure(okrs, "nrr", 113, dt.datetime(2027, 4, 5, tzinfo=UTC))
    assert scan(okrs, frozen, dt.datetime(2027, 4, 5, 13, 0, tzinfo=UTC)) == 1
    assert scan(okrs, frozen, dt.datetime(2027, 4, 5, 13, 10, tzinfo=UTC)) == 0
    assert smtp_server.to("alice@acme.test")[1]["Subject"] == (
        "Net revenue retention has fresh data again after being stale: 113% against a target "
        "of 110% (green)."
    )
    back = verified(receiver.requests[1], secret)
    assert back["type"] == "kpi.health_changed"
    assert (back["data"]["previous"], back["data"]["current"], back["data"]["value"]) == (
        "stale", "green", 113.0,
    )  # fmt: skip
    assert scan(okrs, frozen, dt.datetime(2027, 6, 7, 13, 0, tzinfo=UTC)) == 1  # stale again
    assert len(receiver.requests) == 3


def test_fresh_red_data_after_a_stale_green_is_one_change_from_stale(
    okrs: Any, frozen: Any, smtp_server: Any, receiver: Any
) -> None:
    secret = endpoint(okrs, f"{receiver.url}/hook")
    measure(okrs, "nrr", 112, dt.datetime(2027, 2, 1, tzinfo=UTC))
    scan(okrs, frozen, START)
    assert scan(okrs, frozen, dt.datetime(2027, 4, 4, 12, 0, tzinfo=UTC)) == 1  # stale
    measure(okrs, "nrr", 101, dt.datetime(2027, 4, 5, tzinfo=UTC))
    assert scan(okrs, frozen, dt.datetime(2027, 4, 5, 13, 0, tzinfo=UTC)) == 1
    assert smtp_server.to("alice@acme.test")[1]["Subject"] == (
        "Net revenue retention has fresh data again after being stale: 101% against a target "
        "of 110% (red)."
    )
    events = [verified(r, secret)["data"] for r in receiver.requests]
    assert [(e["previous"], e["current"]) for e in events] == [
        ("green", "stale"), ("stale", "red"),
    ]  # fmt: skip
    assert KpiAlertState.objects.get(kpi__key="nrr").health == "red"


def test_twenty_kpis_breaching_at_once_are_one_email_per_owner(
    okrs: Any, frozen: Any, smtp_server: Any, receiver: Any
) -> None:
    RhythmSettings.objects.create(
        workspace=okrs.workspace, chat_webhook=secrets.encrypt(f"{receiver.url}/chat")
    )
    system = system_actor(okrs.workspace)
    for n in range(20):
        owner = "bob@acme.test" if n % 2 else "alice@acme.test"
        kpis.kpi_create(actor=system, key=f"k{n}", name=f"KPI {n}", direction="up", target=10,
                        warning=5, cadence="weekly", owner=owner)  # fmt: skip
        measure(okrs, f"k{n}", 12, dt.datetime(2027, 2, 14, tzinfo=UTC))
    scan(okrs, frozen, START)
    assert smtp_server.messages == [] and receiver.requests == []
    points = [kpis.Point(f"k{n}", dt.datetime(2027, 2, 15, tzinfo=UTC), 1) for n in range(20)]
    kpis.kpi_measure_bulk(actor=system, points=points)  # a bulk import turns all 20 red
    assert scan(okrs, frozen, START + dt.timedelta(minutes=10)) == 20
    [bob] = smtp_server.to("bob@acme.test")
    [alice] = smtp_server.to("alice@acme.test")
    assert bob["Subject"] == "10 KPI alerts in Acme Inc."
    assert smtp_server.text(bob).count("went from green to red") == 10
    assert "KPI 1 went from green to red" in smtp_server.text(bob)
    assert "KPI 2 went" not in smtp_server.text(bob)  # alice's
    [chat] = receiver.requests  # one chat post, not twenty
    assert (
        "20 KPI alerts in Acme Inc." in chat.json()["text"]
        and "…and 10 more" in chat.json()["text"]
    )
    assert scan(okrs, frozen, START + dt.timedelta(minutes=20)) == 0
    assert len(smtp_server.messages) == 2


def test_muted_owners_get_no_email_but_the_channel_still_hears(
    okrs: Any, frozen: Any, smtp_server: Any, receiver: Any
) -> None:
    RhythmSettings.objects.create(
        workspace=okrs.workspace, chat_webhook=secrets.encrypt(f"{receiver.url}/chat")
    )
    Preference.objects.create(workspace=okrs.workspace, user=okrs.alice, mute_alerts=True)
    measure(okrs, "nrr", 112, dt.datetime(2027, 2, 1, tzinfo=UTC))
    scan(okrs, frozen, START)
    measure(okrs, "nrr", 90, dt.datetime(2027, 2, 15, tzinfo=UTC))
    assert scan(okrs, frozen, START + dt.timedelta(minutes=10)) == 1
    assert smtp_server.messages == []
    [chat] = receiver.requests
    assert "Net revenue retention went from green to red" in chat.json()["text"]
    assert Notification.objects.filter(kind="kpi_alert", channel="email").count() == 0


def test_deactivated_owners_get_no_email_but_the_channel_still_hears(
    okrs: Any, frozen: Any, smtp_server: Any, receiver: Any
) -> None:
    RhythmSettings.objects.create(
        workspace=okrs.workspace, chat_webhook=secrets.encrypt(f"{receiver.url}/chat")
    )
    okrs.alice.is_active = False  # still a member of Acme, and still the growth team's lead
    okrs.alice.save(update_fields=["is_active"])
    measure(okrs, "nrr", 112, dt.datetime(2027, 2, 1, tzinfo=UTC))
    scan(okrs, frozen, START)
    measure(okrs, "nrr", 90, dt.datetime(2027, 2, 15, tzinfo=UTC))
    assert scan(okrs, frozen, START + dt.timedelta(minutes=10)) == 1
    assert smtp_server.messages == []
    assert Notification.objects.filter(kind="kpi_alert", channel="email").count() == 0
    [chat] = receiver.requests
    assert "Net revenue retention went from green to red" in chat.json()["text"]


def test_the_scan_reads_a_constant_number_of_queries(
    okrs: Any, frozen: Any, django_assert_max_num_queries: Any
) -> None:
    system = system_actor(okrs.workspace)
    for n in range(12):
        kpis.kpi_create(actor=system, key=f"k{n}", name=f"KPI {n}", target=10, warning=5,
                        cadence="weekly", owner="bob@acme.test")  # fmt: skip
        for day in range(8):
            measure(okrs, f"k{n}", 12 + day % 2, dt.datetime(2027, 2, 1 + day, tzinfo=UTC))
    alerts.scan_kpis(okrs.workspace, at=START)
    for n in range(12):
        measure(okrs, f"k{n}", 13, dt.datetime(2027, 2, 15, tzinfo=UTC))
    with django_assert_max_num_queries(8) as captured:
        alerts.scan_kpis(okrs.workspace, at=START + dt.timedelta(minutes=10))
    windows = [q["sql"] for q in captured.captured_queries if "ROW_NUMBER" in q["sql"].upper()]
    assert len(windows) == 1
    healths = sorted(KpiAlertState.objects.values_list("kpi__key", "health"))
    assert healths == sorted([(f"k{n}", "green") for n in range(12)] + [("nrr", "no_data")])
