"""The outbox: messages to people and chat channels, and signed webhook events.

`notify` and `emit` only write rows, inside the caller's transaction; `deliver_due` (run by the
worker's scheduler through tasks, or directly by `okapi worker --once` and the tests) sends what
is due, records each attempt and retries failures with back-off (docs/rhythm.md).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import http.client
import json
import logging
import secrets as random_secrets
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.core.serializers.json import DjangoJSONEncoder
from django.db import IntegrityError, transaction
from django.utils.timezone import now

from okapi import secrets
from okapi.accounts.models import User
from okapi.rhythm.models import (
    Channel,
    DeliveryStatus,
    Event,
    Notification,
    Preference,
    RhythmSettings,
    Status,
    TeamChannel,
    WebhookDelivery,
    WebhookEndpoint,
)
from okapi.workspaces.models import Team, Workspace

log = logging.getLogger(__name__)

# Minutes to wait after the 1st, 2nd, … failed attempt; after the last, the row is given up.
BACKOFF_MINUTES = (1, 5, 25, 125, 625)
MAX_ATTEMPTS = len(BACKOFF_MINUTES) + 1
# A claimed row is not picked up again for this long (the task is queued or running).
LEASE = dt.timedelta(minutes=10)
HTTP_TIMEOUT = 10.0
MAX_ERROR_LENGTH = 500
USER_AGENT = "Okapi-Webhooks/1"
SIGNATURE_HEADER = "X-Okapi-Signature"


def absolute_url(path: str) -> str:
    """A link for a message: OKAPI_BASE_URL + the path."""
    return f"{settings.BASE_URL}{path}"


# --------------------------------------------------------------------------- who hears what


def rhythm_settings(workspace: Workspace) -> RhythmSettings:
    found = RhythmSettings.objects.filter(workspace=workspace).first()
    return found if found is not None else RhythmSettings(workspace=workspace)


def preference(workspace: Workspace, user: User) -> Preference:
    found = Preference.objects.filter(workspace=workspace, user=user).first()
    return found if found is not None else Preference(workspace=workspace, user=user)


def muted_user_ids(workspace: Workspace, what: str) -> set[int]:
    """The people who muted `what` ("reminders", "digest" or "alerts") in the workspace."""
    field = f"mute_{what}"
    return set(
        Preference.objects.filter(workspace=workspace, **{field: True}).values_list(
            "user_id", flat=True
        )
    )


def chat_webhook_for(workspace: Workspace, team: Team | None = None) -> str | None:
    """The chat webhook URL (clear text) for a team (its own, else the workspace's)."""
    stored = ""
    if team is not None:
        channel = TeamChannel.objects.filter(team=team).first()
        stored = channel.chat_webhook if channel else ""
    if not stored:
        stored = rhythm_settings(workspace).chat_webhook
    if not stored:
        return None
    try:
        return secrets.decrypt(stored)
    except ValueError:
        log.warning("the chat webhook of workspace %s cannot be decrypted", workspace.key)
        return None


def chat_escape(text: str) -> str:
    """Plain text made safe for Slack's mrkdwn, which reads &, < and > as markup: a name such as
    "<!channel>" must not ping a whole channel."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def chat_message(text: str, *, title: str | None = None, url: str | None = None) -> dict[str, Any]:
    """A Slack-compatible message: `text` (mrkdwn, its plain parts already escaped by the caller)
    for every client (Mattermost, Rocket.Chat, Teams connectors read it) and Block Kit sections
    for Slack. `title` is plain text and escaped here."""
    header = f"*{chat_escape(title)}*\n" if title else ""
    link = f"\n<{url}|Open in Okapi>" if url else ""
    body = f"{header}{text}{link}"
    return {
        "text": body,
        "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": body[:2900]}}],
    }


# --------------------------------------------------------------------------- writing the outbox


def notify(
    *,
    workspace: Workspace,
    kind: str,
    dedupe_key: str,
    subject: str,
    text: str,
    html: str = "",
    recipient: User | None = None,
    team: Team | None = None,
    channel: str = Channel.EMAIL,
    chat: dict[str, Any] | None = None,
) -> Notification | None:
    """Queue one message; None when one with the same key was queued before (once per change).

    An e-mail goes to `recipient`; a chat message to the team's channel (or the workspace's)."""
    if channel == Channel.EMAIL and (recipient is None or not recipient.email):
        raise ValueError("an e-mail needs a recipient with an address")
    # Titles and names may hold line breaks; an e-mail header may not.
    subject = " ".join(subject.split())
    if Notification.objects.filter(
        workspace=workspace, channel=channel, dedupe_key=dedupe_key
    ).exists():
        return None
    try:
        with transaction.atomic():
            return Notification.objects.create(
                workspace=workspace,
                kind=kind,
                channel=channel,
                recipient=recipient,
                team=team,
                dedupe_key=dedupe_key[:200],
                subject=subject[:300],
                text=text,
                html=html,
                chat=chat if chat is not None else chat_message(chat_escape(text), title=subject),
            )
    except IntegrityError:  # a concurrent twin won the race: it is announced once
        return None


_quiet: ContextVar[bool] = ContextVar("okapi_events_quiet", default=False)


@contextmanager
def quiet() -> Iterator[None]:
    """Send no webhook events for what is written inside: an import writes history (a year of
    check-ins, cycles closed long ago), not news, and must not flood the receivers."""
    token = _quiet.set(True)
    try:
        yield
    finally:
        _quiet.reset(token)


def emit(*, workspace: Workspace, event: str, data: dict[str, Any]) -> str | None:
    """Queue an event for every active endpoint that listens to it; the event id (None inside
    `quiet()`).

    The payload is `{"id", "type", "created_at", "workspace", "data"}` (docs/rhythm.md)."""
    Event(event)  # an unknown event is a programming error
    if _quiet.get():
        return None
    event_id = f"evt_{uuid.uuid4().hex}"
    payload = json.loads(
        json.dumps(
            {
                "id": event_id,
                "type": event,
                "created_at": now(),
                "workspace": workspace.key,
                "data": data,
            },
            cls=DjangoJSONEncoder,
        )
    )
    endpoints = [
        e
        for e in WebhookEndpoint.objects.filter(workspace=workspace, active=True)
        if not e.events or event in e.events
    ]
    WebhookDelivery.objects.bulk_create(
        WebhookDelivery(endpoint=e, event_id=event_id, event=event, payload=payload)
        for e in endpoints
    )
    return event_id


def new_signing_secret() -> str:
    return f"whsec_{random_secrets.token_urlsafe(32)}"


def sign(secret: str, timestamp: int, body: bytes) -> str:
    """`sha256=<hex>` of HMAC-SHA256(secret, "<timestamp>.<body>") (docs/rhythm.md)."""
    message = str(timestamp).encode() + b"." + body
    return "sha256=" + hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


# --------------------------------------------------------------------------- sending


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None  # a redirect is answered as the HTTP error it is, never followed


_opener = urllib.request.build_opener(_NoRedirect)


def http_post(url: str, body: bytes, headers: dict[str, str]) -> int:
    """POST and return the status; raises OSError (with a readable message) on no answer."""
    request = urllib.request.Request(url, data=body, method="POST", headers=headers)
    try:
        with _opener.open(request, timeout=HTTP_TIMEOUT) as response:
            return int(response.status)
    except urllib.error.HTTPError as exc:
        return int(exc.code)
    except urllib.error.URLError as exc:
        raise OSError(f"no answer: {exc.reason}") from None
    except (TimeoutError, ValueError) as exc:
        raise OSError(f"no answer: {exc or type(exc).__name__}") from None
    except http.client.HTTPException as exc:  # a malformed answer (BadStatusLine, …)
        raise OSError(f"not an HTTP answer: {type(exc).__name__}") from None


def _retry_at(attempts: int, at: dt.datetime) -> dt.datetime | None:
    if attempts >= MAX_ATTEMPTS:
        return None
    return at + dt.timedelta(minutes=BACKOFF_MINUTES[attempts - 1])


def _short(message: str, *hidden: str) -> str:
    for secret in hidden:
        if secret:
            message = message.replace(secret, "***")
    return message[:MAX_ERROR_LENGTH]


def send_notification(notification: Notification) -> None:
    """One attempt at sending; the outcome (and the next retry) is recorded on the row."""
    url = ""
    try:
        if notification.channel == Channel.EMAIL:
            message = EmailMultiAlternatives(
                subject=notification.subject,
                body=notification.text,
                to=[notification.recipient.email] if notification.recipient else [],
            )
            if notification.html:
                message.attach_alternative(notification.html, "text/html")
            message.send()
        else:
            url = chat_webhook_for(notification.workspace, notification.team) or ""
            if not url:
                raise OSError("no chat webhook is set for this workspace or team")
            chat = notification.chat or chat_message(chat_escape(notification.text))
            body = json.dumps(chat).encode()
            status = http_post(
                url, body, {"Content-Type": "application/json", "User-Agent": USER_AGENT}
            )
            if not 200 <= status < 300:
                raise OSError(f"the chat webhook answered HTTP {status}")
    except Exception as exc:  # any failure is recorded and retried, never raised
        at = now()
        notification.attempts += 1
        notification.last_error = _short(str(exc) or type(exc).__name__, url)
        retry = _retry_at(notification.attempts, at)
        notification.status = Status.PENDING if retry else Status.FAILED
        notification.next_attempt_at = retry or at
    else:
        notification.attempts += 1
        notification.status = Status.SENT
        notification.sent_at = now()
        notification.last_error = ""
    notification.save(
        update_fields=["attempts", "status", "next_attempt_at", "last_error", "sent_at"]
    )


def send_webhook(delivery: WebhookDelivery) -> None:
    """One attempt at delivering an event; the outcome is kept in the delivery log."""
    endpoint = delivery.endpoint
    body = json.dumps(delivery.payload, separators=(",", ":")).encode()
    timestamp = int(time.time())
    started = time.monotonic()
    delivery.attempts += 1
    delivery.response_status = None
    try:
        secret = secrets.decrypt(endpoint.secret)
    except ValueError as exc:
        status, error = None, f"the signing secret {exc}: create a new endpoint"
    else:
        headers = {
            "Content-Type": "application/json",
            "User-Agent": USER_AGENT,
            "X-Okapi-Event": delivery.event,
            "X-Okapi-Delivery": delivery.event_id,
            "X-Okapi-Timestamp": str(timestamp),
            SIGNATURE_HEADER: sign(secret, timestamp, body),
        }
        try:
            status = http_post(endpoint.url, body, headers)
            error = "" if 200 <= status < 300 else f"HTTP {status}"
        except OSError as exc:
            status, error = None, str(exc)
        except Exception as exc:  # whatever else goes wrong is recorded and retried, never raised
            log.exception("webhook delivery %s failed", delivery.pk)
            status, error = None, f"could not send: {type(exc).__name__}"
    at = now()
    delivery.duration_ms = int((time.monotonic() - started) * 1000)
    delivery.response_status = status
    if not error:
        delivery.status = DeliveryStatus.DELIVERED
        delivery.delivered_at = at
        delivery.last_error = ""
    else:
        retry = _retry_at(delivery.attempts, at)
        delivery.status = DeliveryStatus.PENDING if retry else DeliveryStatus.FAILED
        delivery.next_attempt_at = retry or at
        delivery.last_error = error[:MAX_ERROR_LENGTH]
    delivery.save(
        update_fields=[
            "attempts",
            "status",
            "next_attempt_at",
            "response_status",
            "last_error",
            "duration_ms",
            "delivered_at",
        ]
    )


# --------------------------------------------------------------------------- what is due


def _claim(model: type[Notification] | type[WebhookDelivery], at: dt.datetime) -> list[int]:
    """Ids of due rows, each claimed by moving its next attempt past the lease, so a second
    scheduler (or a slow task) never sends one twice."""
    claimed = []
    due = model.objects.filter(status="pending", next_attempt_at__lte=at).order_by(
        "next_attempt_at", "id"
    )
    for pk, next_at in due.values_list("id", "next_attempt_at")[:500]:
        if model.objects.filter(pk=pk, next_attempt_at=next_at, status="pending").update(
            next_attempt_at=at + LEASE
        ):
            claimed.append(pk)
    return claimed


def claim_due_notifications(at: dt.datetime | None = None) -> list[int]:
    return _claim(Notification, at or now())


def claim_due_deliveries(at: dt.datetime | None = None) -> list[int]:
    return _claim(WebhookDelivery, at or now())


def send_notification_by_id(pk: int) -> str:
    notification = (
        Notification.objects.select_related("workspace", "recipient", "team").filter(pk=pk).first()
    )
    if notification is None or notification.status != Status.PENDING:
        return "gone"
    send_notification(notification)
    return notification.status


def send_webhook_by_id(pk: int) -> str:
    delivery = WebhookDelivery.objects.select_related("endpoint").filter(pk=pk).first()
    if delivery is None or delivery.status != DeliveryStatus.PENDING:
        return "gone"
    if not delivery.endpoint.active:
        delivery.status = DeliveryStatus.FAILED
        delivery.last_error = "the endpoint was disabled"
        delivery.save(update_fields=["status", "last_error"])
        return delivery.status
    send_webhook(delivery)
    return delivery.status


def deliver_due(at: dt.datetime | None = None) -> int:
    """Send every due message and webhook now, in this process; how many were attempted."""
    at = at or now()
    count = 0
    for send, pks in (
        (send_notification_by_id, claim_due_notifications(at)),
        (send_webhook_by_id, claim_due_deliveries(at)),
    ):
        for pk in pks:
            try:
                send(pk)
            except Exception:  # one row's trouble never holds up the others; its lease expires
                log.exception("could not send %s %s", send.__name__, pk)
            count += 1
    return count


def redeliver(delivery: WebhookDelivery) -> WebhookDelivery:
    """Queue a delivery again (a person asked, from the delivery log)."""
    return WebhookDelivery.objects.create(
        endpoint=delivery.endpoint,
        event_id=delivery.event_id,
        event=delivery.event,
        payload=delivery.payload,
    )
