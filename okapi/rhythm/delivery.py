"""The outbox: messages to people and chat channels, and signed webhook events.

`notify` and `emit` only write rows, inside the caller's transaction; `deliver_due` (run by the
worker's scheduler through tasks, or directly by `okapi worker --once` and the tests) sends what
is due, records each attempt and retries failures with back-off (docs/rhythm.md).
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import hmac
import http.client
import io
import json
import logging
import secrets as random_secrets
import socket
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any, NamedTuple
from urllib.parse import urlsplit

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.core.serializers.json import DjangoJSONEncoder
from django.db import IntegrityError, transaction
from django.db.models import Q
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
# A claimed row is not claimed again for this long (its task is queued), nor a row being sent
# (its task took it: far longer than an attempt may last). A task whose claim was overtaken by a
# newer one sends nothing (`send_notification_by_id`).
LEASE = dt.timedelta(minutes=10)
# Seconds for a whole HTTP attempt: connecting, TLS, sending, and reading the answer's status
# line and headers (docs/rhythm.md); the answer's body is never read.
HTTP_TIMEOUT = 10.0
MAX_ANSWER_HEAD = 64 * 1024  # bytes of status line and headers read at most
# Seconds an SMTP server may take to answer each command, when OKAPI's settings set none.
EMAIL_TIMEOUT = 30.0
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


class _Deadline:
    """The end of one HTTP attempt: every blocking step gets only the time that is left, so a
    receiver that trickles its answer a byte at a time cannot hold the worker longer."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.at = time.monotonic() + seconds

    def left(self) -> float:
        left = self.at - time.monotonic()
        if left <= 0:
            raise TimeoutError(f"no answer within {self.seconds:g} seconds")
        return left


class _AnswerTooLong(http.client.HTTPException):
    pass


class _DeadlineReader(io.RawIOBase):
    """Reads the answer from a socket, each read bounded by the deadline, at most `limit`
    bytes in all."""

    def __init__(self, sock: socket.socket, deadline: _Deadline, limit: int) -> None:
        super().__init__()
        self._sock, self._deadline, self._left = sock, deadline, limit

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        if self._left <= 0:
            raise _AnswerTooLong(f"its status line and headers are over {MAX_ANSWER_HEAD} bytes")
        self._sock.settimeout(self._deadline.left())
        count = self._sock.recv_into(buffer, min(len(buffer), self._left))
        self._left -= count
        return count


class _DeadlineSocket:
    """A connected socket (plain or TLS) seen by http.client through the deadline."""

    def __init__(self, sock: socket.socket, deadline: _Deadline) -> None:
        self._sock, self._deadline = sock, deadline

    def sendall(self, data: Any) -> None:
        view = memoryview(data).cast("B")
        for start in range(0, len(view), 16384):
            self._sock.settimeout(self._deadline.left())
            self._sock.sendall(view[start : start + 16384])

    def makefile(self, mode: str = "rb", *args: Any, **kwargs: Any) -> io.BufferedReader:
        return io.BufferedReader(_DeadlineReader(self._sock, self._deadline, MAX_ANSWER_HEAD))

    def close(self) -> None:
        self._sock.close()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._sock, name)


class _DeadlineConnection(http.client.HTTPConnection):
    def __init__(self, *args: Any, deadline: _Deadline, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.deadline = deadline

    def connect(self) -> None:
        self.timeout = self.deadline.left()  # connecting (and a TLS handshake) gets what is left
        super().connect()
        self.sock = _DeadlineSocket(self.sock, self.deadline)


class _DeadlineHTTPSConnection(_DeadlineConnection, http.client.HTTPSConnection):
    pass


class _HTTPHandler(urllib.request.HTTPHandler):
    def __init__(self, deadline: _Deadline) -> None:
        super().__init__()
        self.deadline = deadline

    def http_open(self, req: urllib.request.Request) -> http.client.HTTPResponse:
        connection = functools.partial(_DeadlineConnection, deadline=self.deadline)
        return self.do_open(connection, req)


class _HTTPSHandler(urllib.request.HTTPSHandler):
    def __init__(self, deadline: _Deadline) -> None:
        super().__init__()
        self.deadline = deadline

    def https_open(self, req: urllib.request.Request) -> http.client.HTTPResponse:
        connection = functools.partial(_DeadlineHTTPSConnection, deadline=self.deadline)
        return self.do_open(connection, req)


def unsendable_url(url: str) -> str | None:
    """Why a URL can never be POSTed to (None when it can): a port out of range, or a user
    name and password, which urllib does not send (services.validate_webhook_url refuses both;
    this catches rows saved before it did)."""
    parts = urlsplit(url)
    if "@" in parts.netloc:
        return "the URL holds a user name or password"
    try:
        port = parts.port
    except ValueError:
        port = 0
    if port == 0:
        return "the URL's port is not from 1 to 65535"
    return None


def http_post(url: str, body: bytes, headers: dict[str, str]) -> int:
    """POST and return the status; raises OSError (with a readable message) on no answer.

    The whole attempt gets HTTP_TIMEOUT seconds, the answer's head MAX_ANSWER_HEAD bytes;
    redirects are not followed."""
    problem = unsendable_url(url)
    if problem:
        raise OSError(f"cannot be sent: {problem}")
    deadline = _Deadline(HTTP_TIMEOUT)
    opener = urllib.request.build_opener(
        _NoRedirect, _HTTPHandler(deadline), _HTTPSHandler(deadline)
    )
    request = urllib.request.Request(url, data=body, method="POST", headers=headers)
    try:
        with opener.open(request, timeout=HTTP_TIMEOUT) as response:
            return int(response.status)
    except urllib.error.HTTPError as exc:
        return int(exc.code)
    except urllib.error.URLError as exc:
        if isinstance(exc.reason, TimeoutError):
            raise OSError(f"no answer within {HTTP_TIMEOUT:g} seconds") from None
        raise OSError(f"no answer: {exc.reason}") from None
    except TimeoutError:
        raise OSError(f"no answer within {HTTP_TIMEOUT:g} seconds") from None
    except ValueError as exc:
        raise OSError(f"no answer: {exc or type(exc).__name__}") from None
    except _AnswerTooLong as exc:
        raise OSError(f"not an HTTP answer: {exc}") from None
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
            timeout = getattr(settings, "EMAIL_TIMEOUT", None) or EMAIL_TIMEOUT
            message = EmailMultiAlternatives(
                subject=notification.subject,
                body=notification.text,
                to=[notification.recipient.email] if notification.recipient else [],
                connection=get_connection(timeout=timeout),
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


class Claim(NamedTuple):
    """A due row claimed for one task: only the task given this token may send it."""

    pk: int
    token: str


Outbox = type[Notification] | type[WebhookDelivery]


def _claim(model: Outbox, at: dt.datetime, workspace: Workspace | None = None) -> list[Claim]:
    """Due rows, each claimed with a fresh token and its next attempt moved past the lease.

    A second scheduler does not claim them again while the lease runs; once it has run out (the
    task is still waiting in a queue that fell behind) a later tick claims the row anew, and
    only the task with the newest token sends it."""
    claimed = []
    due = model.objects.filter(status="pending", next_attempt_at__lte=at)
    if workspace is not None:
        mine = Q(workspace=workspace) if model is Notification else Q(endpoint__workspace=workspace)
        due = due.filter(mine)
    rows = due.order_by("next_attempt_at", "id").values_list("id", "next_attempt_at")[:500]
    for pk, next_at in rows:
        token = uuid.uuid4().hex
        if model.objects.filter(pk=pk, next_attempt_at=next_at, status="pending").update(
            next_attempt_at=at + LEASE, claim=token
        ):
            claimed.append(Claim(pk, token))
    return claimed


def _take(model: Outbox, pk: int, token: str) -> bool:
    """Whether this task may send the row: it is still pending and its claim is `token`. Taking
    it clears the claim (the task cannot send it twice, even when run twice) and keeps the row
    from being claimed again for a lease, far longer than an attempt lasts."""
    if not token:  # a task queued before claims had tokens: a later tick claims the row anew
        return False
    return bool(
        model.objects.filter(pk=pk, status="pending", claim=token).update(
            claim="", next_attempt_at=now() + LEASE
        )
    )


def claim_due_notifications(
    at: dt.datetime | None = None, workspace: Workspace | None = None
) -> list[Claim]:
    return _claim(Notification, at or now(), workspace)


def claim_due_deliveries(
    at: dt.datetime | None = None, workspace: Workspace | None = None
) -> list[Claim]:
    return _claim(WebhookDelivery, at or now(), workspace)


def send_notification_by_id(pk: int, token: str) -> str:
    """Send a claimed message, if the claim `token` still holds it; the row's status after,
    or "skipped" (sent, given up, or claimed again by a later tick for another task)."""
    if not _take(Notification, pk, token):
        return "skipped"
    notification = (
        Notification.objects.select_related("workspace", "recipient", "team").filter(pk=pk).first()
    )
    if notification is None:  # deleted meanwhile (its workspace, team or person was)
        return "skipped"
    send_notification(notification)
    return notification.status


def send_webhook_by_id(pk: int, token: str) -> str:
    """Deliver a claimed webhook event, if the claim `token` still holds it (as above)."""
    if not _take(WebhookDelivery, pk, token):
        return "skipped"
    delivery = WebhookDelivery.objects.select_related("endpoint").filter(pk=pk).first()
    if delivery is None:  # its endpoint was deleted meanwhile
        return "skipped"
    if not delivery.endpoint.active:
        delivery.status = DeliveryStatus.FAILED
        delivery.last_error = "the endpoint was disabled"
        delivery.save(update_fields=["status", "last_error"])
        return delivery.status
    send_webhook(delivery)
    return delivery.status


def deliver_due(at: dt.datetime | None = None, *, workspace: Workspace | None = None) -> int:
    """Send every due message and webhook now, in this process (only `workspace`'s, when
    given); how many were attempted."""
    at = at or now()
    count = 0
    for send, claims in (
        (send_notification_by_id, claim_due_notifications(at, workspace)),
        (send_webhook_by_id, claim_due_deliveries(at, workspace)),
    ):
        for pk, token in claims:
            try:
                send(pk, token)
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
