"""The API of outgoing webhooks (admins) and of the notification settings.

alice owns Acme, bob is a member, vera a viewer; charlie belongs to Globex only.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from typing import Any

import pytest

from okapi import secrets
from okapi.rhythm import delivery
from okapi.rhythm.models import RhythmSettings, WebhookDelivery, WebhookEndpoint
from okapi.workspaces.models import AuditEvent
from tests.api.conftest import bad_fields

pytestmark = pytest.mark.django_db

SLACK = "https://hooks.slack.com/services/T0001/B0002/sEcReTsEcReTsEcReT1234"


def create(api: Any, url: str, **extra: Any) -> Any:
    return api.post("/webhooks", {"url": url, **extra})


# --------------------------------------------------------------------------- webhooks


def test_it_creates_a_webhook_and_returns_its_secret_only_then(
    alice_api: Any, acme: Any, receiver: Any
) -> None:
    response = create(alice_api, f"{receiver.url}/hook", description="CRM",
                      events=["kr.drifting", "checkin.created"])  # fmt: skip
    assert response.status_code == 201
    body = response.json()
    secret = body["secret"]
    assert secret.startswith("whsec_") and body["secret_prefix"] == secret[:12]
    assert body["events"] == ["checkin.created", "kr.drifting"]
    assert body["created_by"] == "alice@acme.test" and body["active"] is True
    endpoint = WebhookEndpoint.objects.get()
    assert secrets.decrypt(endpoint.secret) == secret and secret not in endpoint.secret
    for path in ["/webhooks", f"/webhooks/{endpoint.pk}", f"/webhooks/{endpoint.pk}/deliveries"]:
        answer = alice_api.get(path)
        assert answer.status_code == 200 and secret not in answer.content.decode(), path
    assert "secret" not in alice_api.get(f"/webhooks/{endpoint.pk}").json()
    audit = json.dumps(list(AuditEvent.objects.values("before", "after")))
    assert secret not in audit


def test_a_webhook_event_arrives_with_a_valid_signature(
    alice_api: Any, acme: Any, receiver: Any
) -> None:
    secret = create(alice_api, f"{receiver.url}/hook").json()["secret"]
    delivery.emit(workspace=acme.workspace, event="cycle.closed", data={"cycle": "2027-Q1"})
    assert delivery.deliver_due() == 1
    [received] = receiver.requests
    message = received.headers["X-Okapi-Timestamp"].encode() + b"." + received.body
    expected = "sha256=" + hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()
    assert hmac.compare_digest(received.headers["X-Okapi-Signature"], expected)
    assert received.headers["X-Okapi-Event"] == "cycle.closed"
    assert received.json()["data"] == {"cycle": "2027-Q1"}


def test_it_lists_deliveries_newest_first_and_redelivers_one(
    alice_api: Any, acme: Any, receiver: Any
) -> None:
    hook = create(alice_api, f"{receiver.url}/hook").json()["id"]
    receiver.statuses = [500]
    first = delivery.emit(workspace=acme.workspace, event="checkin.created", data={"n": 1})
    delivery.emit(workspace=acme.workspace, event="checkin.created", data={"n": 2})
    delivery.deliver_due()
    page = alice_api.get(f"/webhooks/{hook}/deliveries", limit=1).json()
    assert page["count"] == 2 and len(page["items"]) == 1
    rows = alice_api.get(f"/webhooks/{hook}/deliveries").json()["items"]
    failed = next(r for r in rows if r["event_id"] == first)
    assert failed["status"] == "pending" and failed["response_status"] == 500
    assert failed["attempts"] == 1 and failed["last_error"] == "HTTP 500"
    assert failed["next_attempt_at"] is not None and failed["payload"]["data"] == {"n": 1}
    response = alice_api.post(f"/webhooks/{hook}/deliveries/{failed['id']}/redeliver")
    assert response.status_code == 201
    again = response.json()
    assert again["event_id"] == first and again["attempts"] == 0 and again["id"] != failed["id"]
    delivery.deliver_due()
    assert WebhookDelivery.objects.get(pk=again["id"]).status == "delivered"
    assert alice_api.get(f"/webhooks/{hook}/deliveries").json()["items"][0]["id"] == again["id"]


def test_it_updates_disables_and_deletes_a_webhook(alice_api: Any, receiver: Any) -> None:
    hook = create(alice_api, f"{receiver.url}/hook").json()["id"]
    response = alice_api.patch(f"/webhooks/{hook}", {"active": False, "events": ["kr.drifting"],
                                                     "description": "later"})  # fmt: skip
    assert response.status_code == 200
    assert response.json()["active"] is False and response.json()["events"] == ["kr.drifting"]
    assert alice_api.patch(f"/webhooks/{hook}", {"events": []}).json()["events"] == []
    assert alice_api.delete(f"/webhooks/{hook}").status_code == 204
    assert alice_api.get(f"/webhooks/{hook}").status_code == 404


@pytest.mark.parametrize(
    ("body", "field"),
    [({"url": "ftp://example.com/x"}, "url"), ({"url": "javascript:alert(1)"}, "url"),
     ({"url": "https://example.com/" + "x" * 500}, "url"), ({"url": ""}, "url"),
     ({"url": "https://example.com/x", "events": ["ping"]}, "events"),
     ({"url": "https://example.com/x", "description": "x" * 201}, "description"), ({}, "url")],
)  # fmt: skip
def test_it_answers_422_naming_the_bad_field(alice_api: Any, body: Any, field: str) -> None:
    assert field in {f.split("[")[0] for f in bad_fields(alice_api.post("/webhooks", body))}
    assert not WebhookEndpoint.objects.exists()


def test_it_refuses_a_non_http_url_on_update(alice_api: Any, receiver: Any) -> None:
    hook = create(alice_api, f"{receiver.url}/hook").json()["id"]
    assert bad_fields(alice_api.patch(f"/webhooks/{hook}", {"url": "file:///etc/passwd"})) == {
        "url"
    }
    assert WebhookEndpoint.objects.get().url == f"{receiver.url}/hook"


UNSENDABLE = [
    ("https://example.com:99999/hook", "has a port out of range: it must be from 1 to 65535"),
    ("https://example.com:70000/", "has a port out of range: it must be from 1 to 65535"),
    ("http://example.com:0/hook", "has a port out of range: it must be from 1 to 65535"),
    ("https://bot:s3cr3tPW@hooks.example.com/x", "must not contain a user name or password"),
    ("https://bot@hooks.example.com/x", "must not contain a user name or password"),
]


def _message(response: Any, field: str) -> str:
    assert bad_fields(response) == {field}, response.json()
    return str(response.json()["detail"][0]["msg"])


@pytest.mark.parametrize(("url", "message"), UNSENDABLE)
def test_it_refuses_a_url_it_could_never_post_to(
    alice_api: Any, receiver: Any, url: str, message: str
) -> None:
    """A port over 65535 passed Django's URL check, then broke the audit log (a 500 after the
    endpoint was saved); a user name and password are never sent. Both are refused up front,
    on creation and on change, and nothing is saved or audited."""
    assert _message(create(alice_api, url), "url").startswith(message)
    assert not WebhookEndpoint.objects.exists()
    assert not AuditEvent.objects.filter(entity_type="webhook").exists()
    hook = create(alice_api, f"{receiver.url}/hook").json()["id"]
    assert _message(alice_api.patch(f"/webhooks/{hook}", {"url": url}), "url").startswith(message)
    assert WebhookEndpoint.objects.get().url == f"{receiver.url}/hook"
    assert AuditEvent.objects.filter(entity_type="webhook").count() == 1  # its creation


@pytest.mark.parametrize(("url", "message"), UNSENDABLE)
def test_it_refuses_a_chat_url_it_could_never_post_to(
    alice_api: Any, url: str, message: str
) -> None:
    response = alice_api.patch("/rhythm/settings", {"chat_webhook": url})
    assert _message(response, "chat_webhook").startswith(message)
    assert not RhythmSettings.objects.exists()
    assert alice_api.get("/rhythm/settings").status_code == 200


def test_a_failure_after_the_save_changes_nothing(alice_api: Any, monkeypatch: Any) -> None:
    """Creating or changing an endpoint is one transaction with its audit entry."""
    from django.test import Client

    from okapi.rhythm import services

    ok = create(alice_api, "https://example.com/hook").json()
    audited = AuditEvent.objects.count()

    def broken(**kwargs: Any) -> None:
        raise RuntimeError("the audit log is full")

    monkeypatch.setattr(services, "audit_record", broken)
    alice_api.client = Client(raise_request_exception=False)
    assert create(alice_api, "https://example.com/other").status_code == 500
    patched = alice_api.patch(f"/webhooks/{ok['id']}", {"url": "https://example.com/moved"})
    assert patched.status_code == 500
    assert list(WebhookEndpoint.objects.values_list("url", flat=True)) == [ok["url"]]
    assert AuditEvent.objects.count() == audited


def test_an_endpoint_saved_with_a_bad_port_before_is_shown_changed_and_not_sent(
    alice_api: Any, acme: Any
) -> None:
    endpoint = WebhookEndpoint.objects.create(
        workspace=acme.workspace, url="https://example.com:99999/hook",
        secret=secrets.encrypt(delivery.new_signing_secret()), prefix="whsec_x",
    )  # fmt: skip
    assert alice_api.get(f"/webhooks/{endpoint.pk}").status_code == 200
    response = alice_api.patch(f"/webhooks/{endpoint.pk}", {"description": "old"})
    assert response.status_code == 200
    assert AuditEvent.objects.get(entity_type="webhook").after == {"description": "old"}
    delivery.emit(workspace=acme.workspace, event="cycle.closed", data={})
    delivery.deliver_due()
    row = WebhookDelivery.objects.get()
    assert (row.status, row.attempts) == ("pending", 1)
    assert row.last_error == "cannot be sent: the URL's port is not from 1 to 65535"


@pytest.mark.parametrize("who", ["bob_api", "vera_api"])
def test_it_refuses_webhooks_to_members_and_viewers(
    request: Any, who: str, alice_api: Any, receiver: Any
) -> None:
    hook = create(alice_api, f"{receiver.url}/hook").json()["id"]
    delivery.emit(workspace=WebhookEndpoint.objects.get().workspace, event="ping", data={})
    row = WebhookDelivery.objects.get()
    api = request.getfixturevalue(who)
    assert api.get("/webhooks").status_code == 403
    assert create(api, f"{receiver.url}/x").status_code == 403
    assert api.get(f"/webhooks/{hook}").status_code == 403
    assert api.patch(f"/webhooks/{hook}", {"active": False}).status_code == 403
    assert api.delete(f"/webhooks/{hook}").status_code == 403
    assert api.get(f"/webhooks/{hook}/deliveries").status_code == 403
    assert api.post(f"/webhooks/{hook}/deliveries/{row.pk}/redeliver").status_code == 403
    assert WebhookEndpoint.objects.get().active and WebhookDelivery.objects.count() == 1


def test_it_does_not_find_acme_webhooks_from_globex(
    alice_api: Any, charlie_api: Any, receiver: Any
) -> None:
    hook = create(alice_api, f"{receiver.url}/hook").json()["id"]
    assert charlie_api.get("/webhooks").json()["count"] == 0
    for path in [f"/webhooks/{hook}", f"/webhooks/{hook}/deliveries"]:
        assert charlie_api.get(path).status_code == 404
    assert charlie_api.patch(f"/webhooks/{hook}", {"active": False}).status_code == 404
    assert charlie_api.delete(f"/webhooks/{hook}").status_code == 404
    assert charlie_api.post(f"/webhooks/{hook}/deliveries/1/redeliver").status_code == 404
    assert alice_api.get(f"/webhooks/{hook}/deliveries/999/redeliver").status_code == 405
    assert alice_api.post(f"/webhooks/{hook}/deliveries/999/redeliver").status_code == 404
    assert alice_api.get("/webhooks/99999999999").status_code == 422


# --------------------------------------------------------------------------- settings


def test_it_reads_and_changes_the_schedule(alice_api: Any, acme: Any, frozen: Any) -> None:
    acme.workspace.timezone = "Europe/Berlin"
    acme.workspace.save()
    body = alice_api.get("/rhythm/settings").json()
    assert body["reminder_weekday"] == 0 and body["reminder_time"] == "09:00"
    assert body["next_reminder_at"] == "2027-02-22T08:00:00Z"
    assert body["chat_webhook_set"] is False and body["chat_webhook_hint"] is None
    response = alice_api.patch("/rhythm/settings", {"reminder_weekday": 1, "reminder_time": "07:45",
                                                    "digest_enabled": False})  # fmt: skip
    assert response.status_code == 200
    body = response.json()
    assert body["reminder_weekday"] == 1 and body["reminder_time"] == "07:45"
    assert body["next_reminder_at"] == "2027-02-16T06:45:00Z"
    assert body["digest_enabled"] is False and body["next_digest_at"] is None


def test_it_takes_the_chat_url_write_only_and_never_returns_it(
    alice_api: Any, bob_api: Any, acme: Any
) -> None:
    body = alice_api.patch("/rhythm/settings", {"chat_webhook": SLACK}).json()
    assert body["chat_webhook_set"] is True
    assert body["chat_webhook_hint"] == "https://hooks.slack.com/…1234"
    assert "sEcReT" not in alice_api.get("/rhythm/settings").content.decode()
    member_view = bob_api.get("/rhythm/settings").json()
    assert member_view["chat_webhook_set"] is True and member_view["chat_webhook_hint"] is None
    assert secrets.decrypt(RhythmSettings.objects.get().chat_webhook) == SLACK
    assert "sEcReT" not in json.dumps(list(AuditEvent.objects.values("before", "after")))
    body = alice_api.patch("/rhythm/settings", {"chat_webhook": None}).json()
    assert body["chat_webhook_set"] is False


@pytest.mark.parametrize(
    ("body", "field"),
    [({"reminder_weekday": 7}, "reminder_weekday"), ({"reminder_time": "9am"}, "reminder_time"),
     ({"digest_time": "24:00"}, "digest_time"), ({"chat_webhook": "ftp://x.example"}, "chat_webhook"),
     ({"reminders_enabled": "perhaps"}, "reminders_enabled")],
)  # fmt: skip
def test_it_refuses_bad_settings_naming_the_field(alice_api: Any, body: Any, field: str) -> None:
    assert bad_fields(alice_api.patch("/rhythm/settings", body)) == {field}
    assert not RhythmSettings.objects.exists()


@pytest.mark.parametrize("who", ["bob_api", "vera_api"])
def test_members_and_viewers_read_the_settings_but_cannot_change_them(
    request: Any, who: str
) -> None:
    api = request.getfixturevalue(who)
    assert api.get("/rhythm/settings").status_code == 200
    assert api.patch("/rhythm/settings", {"reminders_enabled": False}).status_code == 403
    assert not RhythmSettings.objects.exists()
