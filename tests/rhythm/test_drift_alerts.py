"""Drift alerts: a metric KR whose forecast falls below 0.4 is announced to its owner once (a
real SMTP server), posted to the team's chat channel and sent as a signed kr.drifting event (a
real HTTP server); a recovery clears it quietly so a later drift alerts again."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from okapi import secrets
from okapi.goals import services as goals
from okapi.goals.models import KeyResult, Objective
from okapi.rhythm import alerts, delivery
from okapi.rhythm.models import KrAlertState, Notification, Preference, TeamChannel, WebhookEndpoint
from okapi.rhythm.tasks import enqueue_due
from okapi.workspaces.access import system_actor
from okapi.workspaces.models import Team

pytestmark = pytest.mark.django_db

UTC = dt.UTC
START = dt.datetime(2027, 2, 15, 12, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def run_tasks_where_queued(settings: Any) -> None:
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}


def drift_mails(mailbox: Any, address: str) -> list[Any]:
    return [m for m in mailbox.to(address) if "drifting" in str(m["Subject"])]


def set_forecast(key: str, value: float, low: float, high: float) -> None:
    KeyResult.objects.filter(key=key).update(
        forecast_value=value, forecast_low=low, forecast_high=high
    )


def scan(acme: Any, frozen: Any, at: dt.datetime) -> int:
    frozen.move_to(at)
    found = alerts.scan_drift(acme.workspace, at=at)
    delivery.deliver_due(at)
    return found


def test_a_drifting_kr_alerts_its_owner_once_with_a_signed_event(
    okrs: Any, frozen: Any, smtp_server: Any, receiver: Any
) -> None:
    secret = delivery.new_signing_secret()
    WebhookEndpoint.objects.create(
        workspace=okrs.workspace, url=f"{receiver.url}/hooks", events=["kr.drifting"],
        secret=secrets.encrypt(secret), prefix=secret[:10],
    )  # fmt: skip
    growth = Team.objects.get(workspace=okrs.workspace, key="growth")
    TeamChannel.objects.create(
        workspace=okrs.workspace,
        team=growth,
        chat_webhook=secrets.encrypt(f"{receiver.url}/growth"),
    )
    system = system_actor(okrs.workspace)
    churn = KeyResult.objects.get(key="churn")
    # Churn should fall from 3% to 1.5% by 31 March; it barely moves.
    for day, value in [(10, 3.0), (25, 2.97), (40, 2.95), (45, 2.94)]:
        at = dt.date(2027, 1, 1) + dt.timedelta(days=day)
        goals.checkin_create(actor=system, kr=churn, value=value, at=at, author=okrs.bob)
    enqueue_due()  # the worker's tick: forecasts refreshed, then the scan
    [mail] = drift_mails(smtp_server, "bob@acme.test")
    assert mail["Subject"] == "Reduce logo churn from 3% to 1.5% is drifting"
    text = smtp_server.text(mail)
    assert "Reduce logo churn from 3% to 1.5% is drifting: at this pace it ends near" in text
    assert "against a target of 1.5%" in text and "chance of reaching 0.7" in text
    assert delivery.absolute_url("/w/acme/objectives/retain/#kr-churn-h") in text
    html = smtp_server.html(mail)
    assert html.count("Reduce logo churn from 3% to 1.5%") == 1  # said once, then the link
    assert f'href="{delivery.absolute_url("/w/acme/objectives/retain/#kr-churn-h")}"' in html
    hooks = [r for r in receiver.requests if r.path == "/hooks"]
    [hook] = hooks
    timestamp = int(hook.headers["X-Okapi-Timestamp"])
    assert hook.headers["X-Okapi-Signature"] == delivery.sign(secret, timestamp, hook.body)
    event = hook.json()
    assert event["type"] == "kr.drifting"
    data = event["data"]
    assert (data["key_result"], data["objective"], data["owner"]) == (
        "churn", "retain", "bob@acme.test",
    )  # fmt: skip
    assert data["forecast"]["score"] < 0.4 and data["forecast"]["drifting"] is True
    assert data["chance"] == data["forecast"]["chance"] and 0 <= data["chance"] < 0.5
    posts = [r.json()["text"] for r in receiver.requests if r.path == "/growth"]
    [chat] = [text for text in posts if "drifting" in text]  # beside the check-in reminder
    assert "*Key result alert*" in chat and "Reduce logo churn" in chat
    assert KrAlertState.objects.get(key_result=churn).drifting is True
    frozen.move_to(START + dt.timedelta(minutes=11))
    enqueue_due()
    frozen.move_to(START + dt.timedelta(days=1))
    enqueue_due()
    assert len(drift_mails(smtp_server, "bob@acme.test")) == 1
    assert len([r for r in receiver.requests if r.path == "/hooks"]) == 1


def test_a_recovery_clears_quietly_and_a_later_drift_alerts_again(
    okrs: Any, frozen: Any, smtp_server: Any
) -> None:
    set_forecast("arr", 1_100_000, 1_000_000, 1_200_000)  # score 0.1
    assert scan(okrs, frozen, START) == 1
    set_forecast("arr", 1_900_000, 1_700_000, 2_100_000)  # score 0.9
    assert scan(okrs, frozen, START + dt.timedelta(minutes=10)) == 0
    assert KrAlertState.objects.get(key_result__key="arr").drifting is False
    assert len(smtp_server.messages) == 1  # the recovery sends nothing
    set_forecast("arr", 1_300_000, 1_200_000, 1_400_000)  # score 0.3
    assert scan(okrs, frozen, START + dt.timedelta(minutes=20)) == 1
    assert len(drift_mails(smtp_server, "alice@acme.test")) == 2
    set_forecast("arr", 1_390_000, 1_200_000, 1_500_000)  # 0.39: still drifting, no news
    assert scan(okrs, frozen, START + dt.timedelta(minutes=30)) == 0
    KeyResult.objects.filter(key="arr").update(forecast_value=None)  # e.g. its KPI was deleted
    assert scan(okrs, frozen, START + dt.timedelta(minutes=40)) == 0
    assert KrAlertState.objects.get(key_result__key="arr").drifting is False
    set_forecast("arr", 1_300_000, 1_200_000, 1_400_000)  # drifting again, after a gap: news
    assert scan(okrs, frozen, START + dt.timedelta(minutes=50)) == 1


def test_one_email_per_owner_for_several_drifting_krs(
    okrs: Any, frozen: Any, smtp_server: Any
) -> None:
    retain = Objective.objects.get(key="retain")
    goals.key_result_create(actor=system_actor(okrs.workspace), objective=retain, key="nrr-kr",
                            owner="bob@acme.test", title="Lift NRR from 100% to 120%",
                            baseline=100, target=120, unit="%")  # fmt: skip
    set_forecast("churn", 2.9, 2.7, 3.1)
    set_forecast("nrr-kr", 102, 100, 104)
    assert scan(okrs, frozen, START) == 2
    [mail] = smtp_server.to("bob@acme.test")
    assert mail["Subject"] == "2 key result alerts in Acme Inc."
    text = smtp_server.text(mail)
    assert "Reduce logo churn" in text and "Lift NRR" in text
    assert "2 key results you own in Acme Inc. are drifting" in text


def test_muted_owners_closed_cycles_and_healthy_forecasts_get_nothing(
    okrs: Any, frozen: Any, smtp_server: Any
) -> None:
    Preference.objects.create(workspace=okrs.workspace, user=okrs.bob, mute_alerts=True)
    set_forecast("churn", 2.9, 2.7, 3.1)  # bob's, drifting, muted
    set_forecast("arr", 1_800_000, 1_600_000, 2_000_000)  # alice's, fine
    assert scan(okrs, frozen, START) == 1
    assert smtp_server.messages == []
    assert KrAlertState.objects.get(key_result__key="churn").drifting is True
    assert not Notification.objects.exists()
    # A closed cycle is not scanned.
    KrAlertState.objects.all().delete()
    okrs.workspace.cycles.update(closed_at=START)
    assert scan(okrs, frozen, START + dt.timedelta(minutes=10)) == 0


def test_a_forecast_hovering_around_04_alerts_once(
    okrs: Any, frozen: Any, smtp_server: Any
) -> None:
    state = KrAlertState.objects.filter(key_result__key="arr")
    set_forecast("arr", 1_390_000, 1_200_000, 1_500_000)  # score 0.39
    assert scan(okrs, frozen, START) == 1
    set_forecast("arr", 1_410_000, 1_220_000, 1_520_000)  # 0.41: above 0.4, not clear of it
    assert scan(okrs, frozen, START + dt.timedelta(minutes=10)) == 0
    assert state.get().drifting is True
    set_forecast("arr", 1_390_000, 1_200_000, 1_500_000)  # 0.39 again: the same drift
    assert scan(okrs, frozen, START + dt.timedelta(minutes=20)) == 0
    set_forecast("arr", 1_440_000, 1_250_000, 1_550_000)  # 0.44
    assert scan(okrs, frozen, START + dt.timedelta(minutes=30)) == 0
    assert state.get().drifting is True
    set_forecast("arr", 1_460_000, 1_270_000, 1_570_000)  # 0.46: recovered, quietly
    assert alerts.DRIFT_CLEARS_AT <= 0.46
    assert scan(okrs, frozen, START + dt.timedelta(minutes=40)) == 0
    assert state.get().drifting is False
    assert len(drift_mails(smtp_server, "alice@acme.test")) == 1
    set_forecast("arr", 1_390_000, 1_200_000, 1_500_000)  # a new drift: news
    assert scan(okrs, frozen, START + dt.timedelta(minutes=50)) == 1
    assert len(drift_mails(smtp_server, "alice@acme.test")) == 2


def test_a_collapsed_range_gives_no_chance_in_the_alert(
    okrs: Any, frozen: Any, smtp_server: Any
) -> None:
    set_forecast("arr", 1_300_000, 1_300_000, 1_300_000)  # the check-ins lie on a line
    assert scan(okrs, frozen, START) == 1
    [mail] = drift_mails(smtp_server, "alice@acme.test")
    text = smtp_server.text(mail)
    assert (
        "Grow ARR from $1M to $2M is drifting: at this pace it ends near $1,300,000 against a "
        "target of $2,000,000, a projected score of 0.30; not enough spread in the check-ins to "
        "estimate a range or a chance."
    ) in " ".join(text.split())
    assert "% chance" not in text and "likely" not in text
    assert "% chance" not in smtp_server.html(mail)


def test_a_deactivated_owner_gets_no_drift_email(okrs: Any, frozen: Any, smtp_server: Any) -> None:
    okrs.bob.is_active = False
    okrs.bob.save(update_fields=["is_active"])
    set_forecast("churn", 2.9, 2.7, 3.1)  # bob's
    set_forecast("arr", 1_300_000, 1_200_000, 1_400_000)  # alice's
    assert scan(okrs, frozen, START) == 2
    assert smtp_server.to("bob@acme.test") == []
    assert len(drift_mails(smtp_server, "alice@acme.test")) == 1
