"""Settings → Notifications and Settings → Webhooks: the schedule, the chat channels of the
workspace and its teams, outgoing webhooks with their delivery log.

alice owns Acme, bob is a member, vera a viewer; charlie belongs to Globex only. The chat
channel and the webhooks are a real HTTP server on loopback (`receiver`).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import html
import json
import re
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from okapi import secrets
from okapi.errors import Forbidden, Invalid
from okapi.rhythm import delivery, services
from okapi.rhythm.models import (
    DeliveryStatus,
    Notification,
    RhythmSettings,
    TeamChannel,
    WebhookDelivery,
    WebhookEndpoint,
)
from okapi.workspaces.access import actor_for
from okapi.workspaces.models import AuditEvent, Team
from tests.conftest import signed_in

pytestmark = pytest.mark.django_db

SLACK = "https://hooks.slack.com/services/T0001/B0002/sEcReTsEcReTsEcReT1234"
ADMIN_PAGES = ["settings/", "settings/webhooks/"]


def text(response: Any) -> str:
    return html.unescape(response.content.decode())


def words(response: Any) -> str:
    """The page's text without its tags."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", text(response)))


def audit_text(acme: Any) -> str:
    rows = AuditEvent.objects.filter(workspace=acme.workspace).values("before", "after")
    return json.dumps(list(rows))


def alice(acme: Any) -> Any:
    return actor_for(acme.alice, "acme")


def make_webhook(acme: Any, url: str, events: list[str] | None = None) -> tuple[Any, str]:
    return services.webhook_create(actor=alice(acme), url=url, events=events)


# --------------------------------------------------------------------------- who may see what


@pytest.mark.parametrize("page", ADMIN_PAGES)
@pytest.mark.parametrize("person", ["bob", "vera"])
def test_it_refuses_the_admin_pages_to_members_and_viewers(
    acme: Any, page: str, person: str
) -> None:
    client = signed_in(getattr(acme, person))
    assert client.get(f"/w/acme/rhythm/{page}").status_code == 403
    assert client.post(f"/w/acme/rhythm/{page}", {}).status_code == 403


@pytest.mark.parametrize("person", ["bob", "vera"])
def test_it_refuses_chat_and_webhook_actions_to_members_and_viewers(
    acme: Any, person: str, receiver: Any
) -> None:
    endpoint, _ = make_webhook(acme, f"{receiver.url}/hook")
    client = signed_in(getattr(acme, person))
    base = f"/w/acme/rhythm/settings/webhooks/{endpoint.pk}"
    for path in ["/", "/test/", "/delete/", "/active/"]:
        assert client.post(f"{base}{path}", {"active": "0"}).status_code == 403, path
    assert client.post("/w/acme/rhythm/settings/chat/", {"chat_webhook": SLACK}).status_code == 403
    assert RhythmSettings.objects.count() == 0 and WebhookEndpoint.objects.get().active
    assert receiver.requests == []


def test_it_does_not_show_acme_to_charlie(acme: Any, receiver: Any) -> None:
    endpoint, _ = make_webhook(acme, f"{receiver.url}/hook")
    client = signed_in(acme.charlie)
    for page in [*ADMIN_PAGES, "preferences/", f"settings/webhooks/{endpoint.pk}/"]:
        assert client.get(f"/w/acme/rhythm/{page}").status_code == 404, page
    huge = "/w/acme/rhythm/settings/webhooks/99999999999999999999"
    assert signed_in(acme.alice).get(f"{huge}/").status_code == 404
    assert (
        signed_in(acme.alice)
        .get(f"/w/acme/rhythm/settings/webhooks/{endpoint.pk}/deliveries/99999999999999999999/")
        .status_code
        == 404
    )
    # Nor Acme's webhook from his own workspace.
    assert client.get(f"/w/globex/rhythm/settings/webhooks/{endpoint.pk}/").status_code == 404


def test_it_links_the_new_pages_from_the_settings_navigation(acme: Any) -> None:
    page = text(signed_in(acme.alice).get("/w/acme/settings/"))
    assert "/w/acme/rhythm/settings/" in page and "/w/acme/rhythm/settings/webhooks/" in page
    assert "/w/acme/rhythm/preferences/" in page
    page = text(signed_in(acme.vera).get("/w/acme/settings/"))
    assert "/w/acme/rhythm/settings/" not in page and "/w/acme/rhythm/preferences/" in page


# --------------------------------------------------------------------------- the schedule


def test_it_shows_the_schedule_in_the_workspace_time_zone_with_the_next_reminder(
    acme: Any, frozen: Any
) -> None:
    acme.workspace.timezone = "Europe/Berlin"
    acme.workspace.save()
    page = words(signed_in(acme.alice).get("/w/acme/rhythm/settings/"))
    assert "Monday 09:00 Europe/Berlin" in page
    # Frozen at Monday 2027-02-15 12:00 UTC: this week's 09:00 has passed.
    assert "next reminder: Mon 22 Feb 2027, 09:00" in page
    assert "Friday 16:00 Europe/Berlin" in page and "next digest: Fri 19 Feb 2027, 16:00" in page


def test_it_saves_the_schedule_and_audits_it(acme: Any) -> None:
    client = signed_in(acme.alice)
    response = client.post("/w/acme/rhythm/settings/", {
        "reminders_enabled": "on", "reminder_weekday": "2", "reminder_time": "08:30",
        "digest_weekday": "4", "digest_time": "17:00",
    })  # fmt: skip
    assert response.status_code == 302
    found = RhythmSettings.objects.get(workspace=acme.workspace)
    assert (found.reminder_weekday, found.reminder_time) == (2, dt.time(8, 30))
    assert found.reminders_enabled and not found.digest_enabled
    assert found.digest_time == dt.time(17, 0)
    event = AuditEvent.objects.get(entity_type="rhythm_settings")
    assert event.actor == acme.alice and event.after["reminder_time"] == "08:30"
    assert "Wednesday 08:30 UTC" in text(client.get("/w/acme/rhythm/settings/"))


@pytest.mark.parametrize(
    ("field", "value"),
    [("reminder_weekday", "7"), ("reminder_time", "25:00"), ("digest_time", "noon")],
)
def test_it_answers_422_beside_a_bad_schedule_field_and_changes_nothing(
    acme: Any, field: str, value: str
) -> None:
    data = {"reminder_weekday": "0", "reminder_time": "09:00", "digest_weekday": "4",
            "digest_time": "16:00", field: value}  # fmt: skip
    response = signed_in(acme.alice).post("/w/acme/rhythm/settings/", data)
    assert response.status_code == 422
    assert f'id="id_{field}_error"' in response.content.decode()
    assert RhythmSettings.objects.count() == 0


def test_it_refuses_bad_schedule_values_in_the_service(acme: Any) -> None:
    with pytest.raises(Invalid) as error:
        services.rhythm_settings_update(actor=alice(acme), reminder_weekday=9)
    assert error.value.errors.keys() == {"reminder_weekday"}
    with pytest.raises(Forbidden):
        services.rhythm_settings_update(actor=actor_for(acme.bob, "acme"), digest_enabled=False)


# --------------------------------------------------------------------------- chat channels


def test_it_stores_the_chat_url_encrypted_and_never_shows_or_logs_it(acme: Any) -> None:
    client = signed_in(acme.alice)
    response = client.post("/w/acme/rhythm/settings/chat/", {"action": "save",
                                                               "chat_webhook": SLACK})  # fmt: skip
    assert response.status_code == 302
    stored = RhythmSettings.objects.get().chat_webhook
    assert SLACK not in stored and secrets.decrypt(stored) == SLACK
    page = text(client.get("/w/acme/rhythm/settings/"))
    assert "https://hooks.slack.com/…1234" in page
    assert "sEcReT" not in page and "T0001" not in page
    assert "sEcReT" not in audit_text(acme)
    assert AuditEvent.objects.get(entity_type="rhythm_settings").after["chat_webhook"] == "set"
    # Replacing and removing are audited as such, still without the URL.
    client.post("/w/acme/rhythm/settings/chat/", {"action": "save", "chat_webhook": SLACK + "9"})
    client.post("/w/acme/rhythm/settings/chat/", {"action": "remove"})
    afters = [e.after.get("chat_webhook") for e in AuditEvent.objects.filter(
        entity_type="rhythm_settings").order_by("id")]  # fmt: skip
    assert afters == ["set", "replaced", "removed"]
    assert RhythmSettings.objects.get().chat_webhook == ""
    assert "sEcReT" not in audit_text(acme)


@pytest.mark.parametrize(
    "url", ["ftp://hooks.example.com/x", "javascript:alert(1)", "hooks.slack.com/x", "",
            "https://" + "a" * 500 + ".com", "https://hooks.example.com:99999/x",
            "https://bot:pw@hooks.example.com/x"],
)  # fmt: skip
def test_it_refuses_a_chat_url_it_cannot_post_to(acme: Any, url: str) -> None:
    response = signed_in(acme.alice).post("/w/acme/rhythm/settings/chat/",
                                          {"action": "save", "chat_webhook": url})  # fmt: skip
    assert response.status_code == 422
    assert 'id="id_chat_webhook_error"' in response.content.decode()
    assert RhythmSettings.objects.count() == 0


def test_it_sends_a_test_message_that_reaches_the_chat_channel(acme: Any, receiver: Any) -> None:
    client = signed_in(acme.alice)
    client.post("/w/acme/rhythm/settings/chat/",
                {"action": "save", "chat_webhook": f"{receiver.url}/chat"})  # fmt: skip
    response = client.post("/w/acme/rhythm/settings/chat/", {"action": "test"}, follow=True)
    assert "Test message sent to Acme Inc.'s chat channel." in text(response)
    [received] = receiver.requests
    assert received.path == "/chat"
    assert "Alice sent this test message" in received.json()["text"]
    assert Notification.objects.get().status == "sent"


def test_it_reports_a_failed_test_message_and_does_not_retry_it(acme: Any, receiver: Any) -> None:
    receiver.statuses = [500]
    client = signed_in(acme.alice)
    client.post("/w/acme/rhythm/settings/chat/",
                {"action": "save", "chat_webhook": f"{receiver.url}/chat"})  # fmt: skip
    response = client.post("/w/acme/rhythm/settings/chat/", {"action": "test"}, follow=True)
    assert "The test message to Acme Inc. failed: the chat webhook answered HTTP 500" in text(
        response
    )
    assert Notification.objects.get().status == "failed"
    assert delivery.deliver_due() == 0 and len(receiver.requests) == 1


def test_it_refuses_a_test_message_without_a_channel(acme: Any, receiver: Any) -> None:
    response = signed_in(acme.alice).post("/w/acme/rhythm/settings/chat/", {"action": "test"})
    assert response.status_code == 422
    assert "no chat webhook is set for Acme Inc." in text(response)
    assert Notification.objects.count() == 0


def test_it_gives_a_team_its_own_channel_and_tests_it(acme: Any, receiver: Any) -> None:
    growth = Team.objects.get(workspace=acme.workspace, key="growth")
    client = signed_in(acme.alice)
    response = client.post("/w/acme/rhythm/settings/chat/", {
        "action": "save", "team": "growth", f"t{growth.pk}-chat_webhook": f"{receiver.url}/growth-channel",
    })  # fmt: skip
    assert response.status_code == 302
    assert secrets.decrypt(TeamChannel.objects.get(team=growth).chat_webhook).endswith(
        "/growth-channel"
    )
    page = text(client.get("/w/acme/rhythm/settings/"))
    assert f"{receiver.url}/…nnel" in page and f"{receiver.url}/growth-channel" not in page
    response = client.post("/w/acme/rhythm/settings/chat/", {"action": "test", "team": "growth"},
                           follow=True)  # fmt: skip
    assert "Test message sent to the Growth team's chat channel." in text(response)
    assert [r.path for r in receiver.requests] == ["/growth-channel"]
    client.post("/w/acme/rhythm/settings/chat/", {"action": "remove", "team": "growth"})
    assert not TeamChannel.objects.exists()
    events = AuditEvent.objects.filter(entity_type="team_channel").order_by("id")
    assert [e.after["chat_webhook"] for e in events] == ["set", "removed"]
    assert receiver.url not in audit_text(acme)


@pytest.mark.parametrize(
    ("url", "message"),
    [("gopher://x", "must be an http:// or https:// URL"),
     ("https://hooks.example.com:65536/x", "has a port out of range: it must be from 1 to 65535"),
     ("https://bot:pw@hooks.example.com/x", "must not contain a user name or password")],
)  # fmt: skip
def test_it_puts_a_bad_team_url_beside_that_team(acme: Any, url: str, message: str) -> None:
    growth = Team.objects.get(workspace=acme.workspace, key="growth")
    response = signed_in(acme.alice).post("/w/acme/rhythm/settings/chat/", {
        "action": "save", "team": "growth", f"t{growth.pk}-chat_webhook": url,
    })  # fmt: skip
    assert response.status_code == 422
    assert f'id="id_t{growth.pk}-chat_webhook_error"' in response.content.decode()
    assert message in text(response)
    assert not TeamChannel.objects.exists()
    assert not AuditEvent.objects.filter(entity_type="team_channel").exists()


# --------------------------------------------------------------------------- webhooks (pages)


def test_it_shows_the_signing_secret_once_on_creation(acme: Any, receiver: Any) -> None:
    client = signed_in(acme.alice)
    response = client.post("/w/acme/rhythm/settings/webhooks/", {
        "url": f"{receiver.url}/hook", "description": "CRM sync",
        "events": ["checkin.created", "cycle.closed"],
    })  # fmt: skip
    assert response.status_code == 201 and response.headers["Cache-Control"] == "no-store"
    endpoint = WebhookEndpoint.objects.get()
    secret = secrets.decrypt(endpoint.secret)
    assert secret.startswith("whsec_") and secret in text(response)
    assert "it is shown only this once" in text(response)
    assert "X-Okapi-Signature" in text(response)
    assert (
        endpoint.events == ["checkin.created", "cycle.closed"] and endpoint.created_by == acme.alice
    )
    for page in ["settings/webhooks/", f"settings/webhooks/{endpoint.pk}/"]:
        shown = text(client.get(f"/w/acme/rhythm/{page}"))
        assert secret not in shown and f"{endpoint.prefix}…" in shown
    assert secret not in audit_text(acme)
    assert AuditEvent.objects.get(entity_type="webhook").action == "created"


@pytest.mark.parametrize(
    ("data", "field"),
    [({"url": "ftp://example.com/x"}, "url"), ({"url": ""}, "url"),
     ({"url": "https://example.com/x", "events": ["nope"]}, "events"),
     ({"url": "https://example.com/" + "x" * 500}, "url"),
     ({"url": "https://example.com:99999/x"}, "url"), ({"url": "https://u:p@example.com/"}, "url")],
)  # fmt: skip
def test_it_answers_422_beside_a_bad_webhook_field(acme: Any, data: Any, field: str) -> None:
    response = signed_in(acme.alice).post("/w/acme/rhythm/settings/webhooks/", data)
    assert response.status_code == 422
    assert f'id="id_{field}_error"' in response.content.decode()
    assert not WebhookEndpoint.objects.exists()


def test_a_test_event_arrives_signed_and_shows_in_the_log(acme: Any, receiver: Any) -> None:
    endpoint, secret = make_webhook(acme, f"{receiver.url}/hook")
    client = signed_in(acme.alice)
    response = client.post(f"/w/acme/rhythm/settings/webhooks/{endpoint.pk}/test/", follow=True)
    assert "Test event delivered (HTTP 200)." in text(response)
    [received] = receiver.requests
    headers = received.headers
    expected = hmac.new(secret.encode(), headers["X-Okapi-Timestamp"].encode() + b"." +
                        received.body, hashlib.sha256).hexdigest()  # fmt: skip
    assert headers["X-Okapi-Signature"] == f"sha256={expected}"
    assert headers["X-Okapi-Event"] == "ping" and received.json()["type"] == "ping"
    assert headers["X-Okapi-Delivery"] == received.json()["id"]
    row = WebhookDelivery.objects.get()
    assert (row.status, row.attempts, row.response_status) == ("delivered", 1, 200)
    assert row.event_id in text(response) and "ping" in text(response)


def test_the_log_shows_a_failure_its_retry_and_a_redelivery(acme: Any, receiver: Any) -> None:
    endpoint, _ = make_webhook(acme, f"{receiver.url}/hook")
    receiver.statuses = [500]
    delivery.emit(workspace=acme.workspace, event="checkin.created", data={"kr": "arr"})
    delivery.deliver_due()
    failed = WebhookDelivery.objects.get()
    assert (failed.status, failed.attempts, failed.response_status) == ("pending", 1, 500)
    client = signed_in(acme.alice)
    page = text(client.get(f"/w/acme/rhythm/settings/webhooks/{endpoint.pk}/"))
    assert "HTTP 500" in page and "retry" in page and failed.event_id in page
    detail = text(client.get(
        f"/w/acme/rhythm/settings/webhooks/{endpoint.pk}/deliveries/{failed.pk}/"))  # fmt: skip
    assert '"kr": "arr"' in detail and "HTTP 500" in detail
    response = client.post(
        f"/w/acme/rhythm/settings/webhooks/{endpoint.pk}/deliveries/{failed.pk}/redeliver/",
        follow=True,
    )
    assert "queued again" in text(response)
    again = WebhookDelivery.objects.exclude(pk=failed.pk).get()
    assert again.event_id == failed.event_id and again.status == "pending"
    delivery.deliver_due()
    again.refresh_from_db()
    assert again.status == DeliveryStatus.DELIVERED and len(receiver.requests) == 2
    assert receiver.requests[1].headers["X-Okapi-Delivery"] == failed.event_id


def test_it_disables_enables_edits_and_deletes_a_webhook(acme: Any, receiver: Any) -> None:
    endpoint, _ = make_webhook(acme, f"{receiver.url}/hook")
    client = signed_in(acme.alice)
    base = f"/w/acme/rhythm/settings/webhooks/{endpoint.pk}"
    client.post(f"{base}/active/", {"active": "0"})
    endpoint.refresh_from_db()
    assert not endpoint.active
    response = client.post(f"{base}/test/", follow=True)
    assert "the endpoint is disabled" in text(response) and receiver.requests == []
    client.post(f"{base}/active/", {"active": "1"})
    response = client.post(f"{base}/", {"url": f"{receiver.url}/v2", "description": "v2",
                                        "events": ["kr.drifting"]})  # fmt: skip
    assert response.status_code == 302
    endpoint.refresh_from_db()
    assert (endpoint.active, endpoint.url, endpoint.events) == (True, f"{receiver.url}/v2",
                                                                ["kr.drifting"])  # fmt: skip
    assert client.post(f"{base}/", {"url": "mailto:x@y.z"}).status_code == 422
    client.post(f"{base}/delete/")
    assert not WebhookEndpoint.objects.exists()
    actions = list(
        AuditEvent.objects.filter(entity_type="webhook")
        .order_by("id")
        .values_list("action", flat=True)
    )
    assert actions == ["created", "updated", "updated", "updated", "deleted"]


def test_it_reads_the_delivery_log_in_constant_queries(acme: Any, receiver: Any) -> None:
    endpoint, _ = make_webhook(acme, f"{receiver.url}/hook")
    other, _ = make_webhook(acme, f"{receiver.url}/other")
    client = signed_in(acme.alice)

    def count(path: str) -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(path).status_code == 200
        return len(queries)

    def add(n: int) -> None:
        for i in range(n):
            delivery.emit(workspace=acme.workspace, event="checkin.created", data={"i": i})

    pages = [
        f"/w/acme/rhythm/settings/webhooks/{endpoint.pk}/",
        "/w/acme/rhythm/settings/webhooks/",
    ]
    add(2)
    few = [count(p) for p in pages]
    add(40)
    delivery.deliver_due()
    many = [count(p) for p in pages]
    assert few == many
    assert WebhookDelivery.objects.filter(endpoint=other).count() == 42
