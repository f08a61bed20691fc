"""Writes for the rhythm's settings: the reminder and digest schedule, the chat channels of the
workspace and its teams, people's mute preferences, outgoing webhooks and redeliveries.

Chat webhook URLs and signing secrets are credentials: they are stored encrypted
(okapi.secrets), never written to the audit log (it records "set" or "removed") and never shown
back in full. A signing secret is returned once, by `webhook_create`.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from typing import Any
from urllib.parse import urlsplit

from django.core.exceptions import ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.core.validators import URLValidator
from django.db import transaction
from django.utils.timezone import now

from okapi import secrets
from okapi.core.schedule import Weekly, next_occurrence
from okapi.errors import Invalid
from okapi.rhythm import delivery
from okapi.rhythm.models import (
    Channel,
    DeliveryStatus,
    Event,
    Kind,
    Notification,
    Preference,
    RhythmSettings,
    Status,
    TeamChannel,
    WebhookDelivery,
    WebhookEndpoint,
)
from okapi.workspaces.access import Actor, require_admin
from okapi.workspaces.models import Team
from okapi.workspaces.services import audit_record

MAX_URL_LENGTH = 500
MAX_DESCRIPTION_LENGTH = 200
WEEKDAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
# The events an endpoint may subscribe to ("ping" is only ever sent on request, to one endpoint).
SUBSCRIBABLE_EVENTS = [e.value for e in Event if e != Event.PING]
SCHEDULE_FIELDS = [
    "reminders_enabled",
    "reminder_weekday",
    "reminder_time",
    "digest_enabled",
    "digest_weekday",
    "digest_time",
]

_url_validator = URLValidator(schemes=["http", "https"])


# --------------------------------------------------------------------------- URLs


def validate_webhook_url(url: Any, field: str = "url") -> str:
    """An http(s) URL of at most 500 characters, stripped, that can be POSTed to: a port from 1
    to 65535, no user name or password; Invalid naming `field` otherwise."""
    if not isinstance(url, str) or not url.strip():
        raise Invalid({field: "is required"})
    url = url.strip()
    if len(url) > MAX_URL_LENGTH:
        raise Invalid({field: f"is longer than {MAX_URL_LENGTH} characters"})
    scheme = url.split(":", 1)[0].lower() if ":" in url else ""
    if scheme not in ("http", "https"):
        raise Invalid({field: "must be an http:// or https:// URL"})
    try:
        _url_validator(url)
    except ValidationError:
        raise Invalid({field: "is not a valid URL"}) from None
    parts = urlsplit(url)
    if "@" in parts.netloc:
        raise Invalid(
            {
                field: "must not contain a user name or password (user:password@): Okapi "
                "cannot send them; use a URL with the secret in its path or query"
            }
        )
    try:
        port = parts.port
    except ValueError:
        port = 0
    if port == 0:
        raise Invalid({field: "has a port out of range: it must be from 1 to 65535"})
    return url


def _host(url: str) -> str:
    """The host and port of a URL as written, without a user name or password."""
    return urlsplit(url).netloc.rpartition("@")[2]


def mask_url(url: str) -> str:
    """A URL with its secret parts hidden: "https://hooks.slack.com/…X1y2"."""
    parts = urlsplit(url)
    host = _host(url)
    rest = url[-4:] if len(url) > len(f"{parts.scheme}://{host}") + 8 else ""
    return f"{parts.scheme}://{host}/…{rest}"


def stored_url_hint(stored: str) -> str | None:
    """The masked form of an encrypted URL ("cannot be read" if OKAPI_SECRET_KEY changed)."""
    if not stored:
        return None
    try:
        return mask_url(secrets.decrypt(stored))
    except ValueError:
        return "(cannot be read: set it again)"


def url_for_log(url: str) -> str:
    """An endpoint URL fit for the audit log: without a password or a query string."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{_host(url)}{parts.path}"


# --------------------------------------------------------------------------- the schedule


def _schedule_snapshot(found: RhythmSettings) -> dict[str, Any]:
    picture: dict[str, Any] = {}
    for name in SCHEDULE_FIELDS:
        value = getattr(found, name)
        picture[name] = value.strftime("%H:%M") if isinstance(value, dt.time) else value
    picture["chat_webhook"] = "set" if found.chat_webhook else "none"
    return picture


def _weekday(value: Any, field: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 6:
        raise Invalid({field: "must be a weekday from 0 (Monday) to 6 (Sunday)"})
    return value


def _time(value: Any, field: str) -> dt.time:
    if isinstance(value, str):
        try:
            value = dt.time.fromisoformat(value)
        except ValueError:
            raise Invalid({field: "must be a time of day, HH:MM"}) from None
    if not isinstance(value, dt.time) or value.tzinfo is not None:
        raise Invalid({field: "must be a local time of day, HH:MM"})
    return value.replace(second=0, microsecond=0)


@transaction.atomic
def rhythm_settings_update(
    *,
    actor: Actor,
    reminders_enabled: bool | None = None,
    reminder_weekday: int | None = None,
    reminder_time: dt.time | str | None = None,
    digest_enabled: bool | None = None,
    digest_weekday: int | None = None,
    digest_time: dt.time | str | None = None,
    chat_webhook: str | None = None,
    remove_chat_webhook: bool = False,
) -> RhythmSettings:
    """Change the workspace's schedule and chat channel (None leaves a value as it is)."""
    require_admin(actor)
    changes: dict[str, Any] = {}
    if reminders_enabled is not None:
        changes["reminders_enabled"] = bool(reminders_enabled)
    if reminder_weekday is not None:
        changes["reminder_weekday"] = _weekday(reminder_weekday, "reminder_weekday")
    if reminder_time is not None:
        changes["reminder_time"] = _time(reminder_time, "reminder_time")
    if digest_enabled is not None:
        changes["digest_enabled"] = bool(digest_enabled)
    if digest_weekday is not None:
        changes["digest_weekday"] = _weekday(digest_weekday, "digest_weekday")
    if digest_time is not None:
        changes["digest_time"] = _time(digest_time, "digest_time")
    if chat_webhook is not None and remove_chat_webhook:
        raise Invalid({"chat_webhook": "give a new URL or remove it, not both"})
    if chat_webhook is not None:
        changes["chat_webhook"] = secrets.encrypt(
            validate_webhook_url(chat_webhook, "chat_webhook")
        )
    elif remove_chat_webhook:
        changes["chat_webhook"] = ""
    found = RhythmSettings.objects.select_for_update().filter(workspace=actor.workspace).first()
    found = found or RhythmSettings(workspace=actor.workspace)
    before = _schedule_snapshot(found) if found.pk else None
    for name, value in changes.items():
        setattr(found, name, value)
    found.updated_at = now()
    found.save()
    after = _schedule_snapshot(found)
    if "chat_webhook" in changes:
        # A replaced URL is a change the snapshot cannot see ("set" both times).
        was_set = before is not None and before["chat_webhook"] == "set"
        if changes["chat_webhook"]:
            after["chat_webhook"] = "replaced" if was_set else "set"
        else:
            after["chat_webhook"] = "removed"
    audit_record(
        workspace=actor.workspace,
        actor=actor.user,
        action="updated" if before else "created",
        entity_type="rhythm_settings",
        entity_key=actor.workspace.key,
        before=before,
        after=after,
    )
    return found


def schedule_text(weekday: int, time: dt.time, timezone: str) -> str:
    """ "Monday 09:00 Europe/Berlin"."""
    return f"{WEEKDAYS[weekday]} {time.strftime('%H:%M')} {timezone}"


def next_run(found: RhythmSettings, which: str, at: dt.datetime | None = None) -> dt.datetime:
    """When the next reminder ("reminder") or digest ("digest") goes out, in UTC."""
    weekly = Weekly(
        weekday=getattr(found, f"{which}_weekday"),
        time=getattr(found, f"{which}_time"),
        timezone=found.workspace.timezone,
    )
    return next_occurrence(weekly, at or now())


# --------------------------------------------------------------------------- team channels


@transaction.atomic
def team_channel_set(*, actor: Actor, team: Team, url: str) -> TeamChannel:
    """Give a team its own chat channel (or replace its URL)."""
    require_admin(actor)
    if team.workspace_id != actor.workspace.pk:
        raise Invalid({"team": "is not a team of this workspace"})
    encrypted = secrets.encrypt(validate_webhook_url(url, "chat_webhook"))
    channel = TeamChannel.objects.select_for_update().filter(team=team).first()
    before = {"chat_webhook": "set"} if channel else {"chat_webhook": "none"}
    if channel is None:
        channel = TeamChannel(workspace=actor.workspace, team=team)
    channel.chat_webhook = encrypted
    channel.updated_at = now()
    channel.save()
    audit_record(
        workspace=actor.workspace,
        actor=actor.user,
        action="updated",
        entity_type="team_channel",
        entity_key=team.key,
        before=before,
        after={"chat_webhook": "replaced" if before["chat_webhook"] == "set" else "set"},
    )
    return channel


@transaction.atomic
def team_channel_remove(*, actor: Actor, team: Team) -> None:
    """The team's messages go to the workspace's channel again."""
    require_admin(actor)
    deleted, _ = TeamChannel.objects.filter(workspace=actor.workspace, team=team).delete()
    if deleted:
        audit_record(
            workspace=actor.workspace,
            actor=actor.user,
            action="updated",
            entity_type="team_channel",
            entity_key=team.key,
            before={"chat_webhook": "set"},
            after={"chat_webhook": "removed"},
        )


def chat_test_send(*, actor: Actor, team: Team | None = None) -> Notification:
    """Post a test message to the workspace's (or a team's) chat channel now, once (no retry);
    the notification tells how it went (status, last_error)."""
    require_admin(actor)
    where = f"the {team.name} team" if team else actor.workspace.name
    if delivery.chat_webhook_for(actor.workspace, team) is None:
        field = "team" if team else "chat_webhook"
        raise Invalid({field: f"no chat webhook is set for {where}"})
    who = actor.user.display_name if actor.user else "Okapi"
    with transaction.atomic():  # the worker never sees it unclaimed
        notification = delivery.notify(
            workspace=actor.workspace,
            kind=Kind.TEST,
            dedupe_key=f"test:{uuid.uuid4().hex}",
            subject="Okapi test message",
            text=f"{who} sent this test message for {where}: the chat channel works.",
            team=team,
            channel=Channel.CHAT,
        )
        assert notification is not None  # a fresh key is never a duplicate
        # Claim it, so that the worker does not send it a second time while this one is on its
        # way.
        Notification.objects.filter(pk=notification.pk).update(
            next_attempt_at=now() + delivery.LEASE
        )
    delivery.send_notification(notification)
    if notification.status == Status.PENDING:  # a test is tried once, never retried later
        notification.status = Status.FAILED
        notification.save(update_fields=["status"])
    return notification


# --------------------------------------------------------------------------- preferences


def preference_update(
    *,
    actor: Actor,
    mute_reminders: bool | None = None,
    mute_digest: bool | None = None,
    mute_alerts: bool | None = None,
) -> Preference:
    """What the actor mutes in this workspace (anyone may, viewers too: it is their own)."""
    if actor.user is None:
        raise Invalid({"user": "preferences belong to a person"})
    with transaction.atomic():
        found, _ = Preference.objects.select_for_update().get_or_create(
            workspace=actor.workspace, user=actor.user
        )
        for name, value in (
            ("mute_reminders", mute_reminders),
            ("mute_digest", mute_digest),
            ("mute_alerts", mute_alerts),
        ):
            if value is not None:
                setattr(found, name, bool(value))
        found.updated_at = now()
        found.save()
    return found


# --------------------------------------------------------------------------- outgoing webhooks


def _events(events: Any) -> list[str]:
    if events is None:
        return []
    if not isinstance(events, list | tuple) or not all(isinstance(e, str) for e in events):
        raise Invalid({"events": "must be a list of event names"})
    unknown = [e for e in events if e not in SUBSCRIBABLE_EVENTS]
    if unknown:
        raise Invalid({"events": f"'{unknown[0]}' is not one of {', '.join(SUBSCRIBABLE_EVENTS)}"})
    return [e for e in SUBSCRIBABLE_EVENTS if e in events]  # in a stable order, once each


def _description(value: Any) -> str:
    if not isinstance(value, str):
        raise Invalid({"description": "must be a text"})
    value = value.strip()
    if len(value) > MAX_DESCRIPTION_LENGTH:
        raise Invalid({"description": f"is longer than {MAX_DESCRIPTION_LENGTH} characters"})
    if "\x00" in value:
        raise Invalid({"description": "must not contain NUL characters"})
    return value


def _endpoint_snapshot(endpoint: WebhookEndpoint) -> dict[str, Any]:
    return {
        "url": url_for_log(endpoint.url),
        "description": endpoint.description,
        "events": list(endpoint.events) or ["all"],
        "active": endpoint.active,
    }


@transaction.atomic
def webhook_create(
    *, actor: Actor, url: str, description: str = "", events: list[str] | None = None
) -> tuple[WebhookEndpoint, str]:
    """A new endpoint; returns it and its signing secret, which is never shown again."""
    require_admin(actor)
    url = validate_webhook_url(url)
    description = _description(description)
    chosen = _events(events)
    secret = delivery.new_signing_secret()
    endpoint = WebhookEndpoint.objects.create(
        workspace=actor.workspace,
        url=url,
        description=description,
        events=chosen,
        secret=secrets.encrypt(secret),
        prefix=secret[:12],
        created_by=actor.user,
    )
    audit_record(
        workspace=actor.workspace,
        actor=actor.user,
        action="created",
        entity_type="webhook",
        entity_key=str(endpoint.pk),
        after=_endpoint_snapshot(endpoint),
    )
    return endpoint, secret


@transaction.atomic
def webhook_update(
    *,
    actor: Actor,
    endpoint: WebhookEndpoint,
    url: str | None = None,
    description: str | None = None,
    events: list[str] | None = None,
    active: bool | None = None,
) -> WebhookEndpoint:
    """Change an endpoint (None leaves a value as it is); disabling one stops its deliveries.
    Every value is checked before any is changed."""
    require_admin(actor)
    changes: dict[str, Any] = {}
    if url is not None:
        changes["url"] = validate_webhook_url(url)
    if description is not None:
        changes["description"] = _description(description)
    if events is not None:
        changes["events"] = _events(events)
    if active is not None:
        changes["active"] = bool(active)
    before = _endpoint_snapshot(endpoint)
    for name, value in changes.items():
        setattr(endpoint, name, value)
    endpoint.save()
    audit_record(
        workspace=actor.workspace,
        actor=actor.user,
        action="updated",
        entity_type="webhook",
        entity_key=str(endpoint.pk),
        before=before,
        after=_endpoint_snapshot(endpoint),
    )
    return endpoint


@transaction.atomic
def webhook_delete(*, actor: Actor, endpoint: WebhookEndpoint) -> None:
    """Delete an endpoint and its delivery log."""
    require_admin(actor)
    before = _endpoint_snapshot(endpoint)
    key = str(endpoint.pk)
    endpoint.delete()
    audit_record(
        workspace=actor.workspace,
        actor=actor.user,
        action="deleted",
        entity_type="webhook",
        entity_key=key,
        before=before,
    )


def webhook_test_send(*, actor: Actor, endpoint: WebhookEndpoint) -> WebhookDelivery:
    """Send a signed "ping" event to one endpoint now, once; the delivery tells how it went."""
    require_admin(actor)
    if not endpoint.active:
        raise Invalid({"active": "the endpoint is disabled: enable it to send a test"})
    event_id = f"evt_{uuid.uuid4().hex}"
    payload = json.loads(
        json.dumps(
            {
                "id": event_id,
                "type": Event.PING.value,
                "created_at": now(),
                "workspace": actor.workspace.key,
                "data": {
                    "webhook": endpoint.pk,
                    "message": "A test event from Okapi: this endpoint receives events.",
                },
            },
            cls=DjangoJSONEncoder,
        )
    )
    sent = WebhookDelivery.objects.create(
        endpoint=endpoint,
        event_id=event_id,
        event=Event.PING,
        payload=payload,
        next_attempt_at=now() + delivery.LEASE,  # claimed: the worker leaves it to us
    )
    delivery.send_webhook(sent)
    if sent.status == DeliveryStatus.PENDING:  # a test is tried once, never retried later
        sent.status = DeliveryStatus.FAILED
        sent.save(update_fields=["status"])
    return sent


@transaction.atomic
def webhook_redeliver(*, actor: Actor, delivery_row: WebhookDelivery) -> WebhookDelivery:
    """Queue an event again for its endpoint (the worker sends it); a new delivery row."""
    require_admin(actor)
    if not delivery_row.endpoint.active:
        raise Invalid({"active": "the endpoint is disabled: enable it to redeliver"})
    again = delivery.redeliver(delivery_row)
    audit_record(
        workspace=actor.workspace,
        actor=actor.user,
        action="redelivered",
        entity_type="webhook",
        entity_key=str(delivery_row.endpoint.pk),
        after={"event": delivery_row.event, "event_id": delivery_row.event_id},
    )
    return again
