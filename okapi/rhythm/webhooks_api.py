"""API: outgoing webhooks and their delivery log (admins), the workspace's notification
settings (everyone reads, admins change) and one's own mute preferences (everyone).

No answer holds a credential: a webhook's signing secret is in the creation's answer only, and
a chat webhook URL is write-only (admins see it masked).
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema
from ninja.params import Path

from okapi.apitypes import Page, PageParams, Text, paginate
from okapi.rhythm import delivery, services
from okapi.rhythm.access import get_delivery_for_user, get_webhook_for_user
from okapi.rhythm.models import DeliveryStatus, TeamChannel, WebhookDelivery, WebhookEndpoint
from okapi.workspaces.access import require_admin

router = Router()

Id = Annotated[int, Field(ge=1, le=2_147_483_647)]
EventName = Literal[
    "checkin.created", "kpi.health_changed", "kr.drifting", "cycle.closed", "cycle.reopened"
]
Weekday = Annotated[int, Field(ge=0, le=6, description="0 = Monday … 6 = Sunday")]
LocalTime = Annotated[
    str, Field(pattern=r"^([01][0-9]|2[0-3]):[0-5][0-9]$", description="local HH:MM")
]


def _actor(request: HttpRequest) -> Any:
    from okapi.api import actor

    return actor(request)


# --------------------------------------------------------------------------- webhooks


class WebhookIn(Schema):
    url: Text(services.MAX_URL_LENGTH, min_length=1) = Field(  # type: ignore[valid-type]
        description="http:// or https://; events are POSTed here"
    )
    description: Text(services.MAX_DESCRIPTION_LENGTH) = ""  # type: ignore[valid-type]
    events: list[EventName] = Field(
        default_factory=list, max_length=20, description="the events to send; empty = all"
    )


class WebhookPatch(Schema):
    url: Text(services.MAX_URL_LENGTH, min_length=1) | None = None  # type: ignore[valid-type]
    description: Text(services.MAX_DESCRIPTION_LENGTH) | None = None  # type: ignore[valid-type]
    events: list[EventName] | None = Field(None, max_length=20)
    active: bool | None = None


class WebhookOut(Schema):
    id: int
    url: str
    description: str
    events: list[str] = Field(description="empty = every event")
    active: bool
    secret_prefix: str = Field(description="the signing secret's first characters")
    created_at: dt.datetime
    created_by: str | None


class WebhookCreatedOut(WebhookOut):
    secret: str = Field(description="the signing secret: shown in this answer only")


class DeliveryOut(Schema):
    id: int
    event_id: str
    event: str
    status: str = Field(description="pending | delivered | failed (given up)")
    attempts: int
    response_status: int | None
    duration_ms: int | None
    last_error: str
    next_attempt_at: dt.datetime | None = Field(description="pending only: the next try")
    created_at: dt.datetime
    delivered_at: dt.datetime | None
    payload: dict[str, Any]


def _webhook_out(endpoint: WebhookEndpoint) -> dict[str, Any]:
    return {
        "id": endpoint.pk,
        "url": endpoint.url,
        "description": endpoint.description,
        "events": list(endpoint.events),
        "active": endpoint.active,
        "secret_prefix": endpoint.prefix,
        "created_at": endpoint.created_at,
        "created_by": endpoint.created_by.email if endpoint.created_by else None,
    }


def _delivery_out(row: WebhookDelivery) -> dict[str, Any]:
    return {
        "id": row.pk,
        "event_id": row.event_id,
        "event": row.event,
        "status": row.status,
        "attempts": row.attempts,
        "response_status": row.response_status,
        "duration_ms": row.duration_ms,
        "last_error": row.last_error,
        "next_attempt_at": row.next_attempt_at if row.status == DeliveryStatus.PENDING else None,
        "created_at": row.created_at,
        "delivered_at": row.delivered_at,
        "payload": row.payload,
    }


@router.get(
    "/webhooks", response=Page[WebhookOut], tags=["webhooks"], summary="List webhooks (admin)"
)
def list_webhooks(request: HttpRequest, page: Query[PageParams]) -> dict[str, Any]:
    a = _actor(request)
    require_admin(a)
    qs = WebhookEndpoint.objects.filter(workspace=a.workspace).select_related("created_by")
    count, rows = paginate(qs.order_by("created_at", "id"), page)
    return {"count": count, "items": [_webhook_out(e) for e in rows]}


@router.post(
    "/webhooks",
    response={201: WebhookCreatedOut},
    tags=["webhooks"],
    summary="Create a webhook (admin); the answer holds its signing secret, once",
)
def create_webhook(request: HttpRequest, body: WebhookIn) -> tuple[int, dict[str, Any]]:
    endpoint, secret = services.webhook_create(actor=_actor(request), **body.dict())
    return 201, {**_webhook_out(endpoint), "secret": secret}


@router.get(
    "/webhooks/{id}", response=WebhookOut, tags=["webhooks"], summary="Read a webhook (admin)"
)
def read_webhook(request: HttpRequest, id: Path[Id]) -> dict[str, Any]:
    return _webhook_out(get_webhook_for_user(_actor(request), id))


@router.patch(
    "/webhooks/{id}",
    response=WebhookOut,
    tags=["webhooks"],
    summary="Change a webhook (admin): URL, description, events, enabled",
)
def update_webhook(request: HttpRequest, id: Path[Id], body: WebhookPatch) -> dict[str, Any]:
    a = _actor(request)
    endpoint = get_webhook_for_user(a, id)
    changes = body.dict(exclude_unset=True)
    changes = {k: v for k, v in changes.items() if v is not None}
    return _webhook_out(services.webhook_update(actor=a, endpoint=endpoint, **changes))


@router.delete(
    "/webhooks/{id}",
    response={204: None},
    tags=["webhooks"],
    summary="Delete a webhook and its delivery log (admin)",
)
def delete_webhook(request: HttpRequest, id: Path[Id]) -> tuple[int, None]:
    a = _actor(request)
    services.webhook_delete(actor=a, endpoint=get_webhook_for_user(a, id))
    return 204, None


@router.get(
    "/webhooks/{id}/deliveries",
    response=Page[DeliveryOut],
    tags=["webhooks"],
    summary="A webhook's delivery log, newest first (admin)",
)
def list_deliveries(request: HttpRequest, id: Path[Id], page: Query[PageParams]) -> dict[str, Any]:
    endpoint = get_webhook_for_user(_actor(request), id)
    qs = WebhookDelivery.objects.filter(endpoint=endpoint).order_by("-created_at", "-id")
    count, rows = paginate(qs, page)
    return {"count": count, "items": [_delivery_out(d) for d in rows]}


@router.post(
    "/webhooks/{id}/deliveries/{delivery_id}/redeliver",
    response={201: DeliveryOut},
    tags=["webhooks"],
    summary="Queue a delivery's event again (admin); the new delivery",
)
def redeliver(
    request: HttpRequest, id: Path[Id], delivery_id: Path[Id]
) -> tuple[int, dict[str, Any]]:
    a = _actor(request)
    found = get_delivery_for_user(a, get_webhook_for_user(a, id), delivery_id)
    return 201, _delivery_out(services.webhook_redeliver(actor=a, delivery_row=found))


# --------------------------------------------------------------------------- settings


class TeamChannelOut(Schema):
    team: str
    chat_webhook_set: bool
    chat_webhook_hint: str | None = Field(description="admins: the URL, masked")


class RhythmSettingsOut(Schema):
    timezone: str = Field(description="the workspace's time zone: times are local to it")
    reminders_enabled: bool
    reminder_weekday: int = Field(description="0 = Monday … 6 = Sunday")
    reminder_time: str = Field(description="local HH:MM")
    next_reminder_at: dt.datetime | None = Field(description="null when reminders are off")
    digest_enabled: bool
    digest_weekday: int
    digest_time: str
    next_digest_at: dt.datetime | None = Field(description="null when the digest is off")
    chat_webhook_set: bool
    chat_webhook_hint: str | None = Field(description="admins: the URL, masked")
    team_channels: list[TeamChannelOut] = Field(description="teams with their own chat channel")


class RhythmSettingsPatch(Schema):
    reminders_enabled: bool | None = None
    reminder_weekday: Weekday | None = None
    reminder_time: LocalTime | None = None
    digest_enabled: bool | None = None
    digest_weekday: Weekday | None = None
    digest_time: LocalTime | None = None
    chat_webhook: Text(services.MAX_URL_LENGTH) | None = Field(  # type: ignore[valid-type]
        None,
        description='write-only: an http(s) incoming webhook URL to set it; null or "" to '
        "remove it; omitted to keep it",
    )


def _settings_out(a: Any) -> dict[str, Any]:
    found = delivery.rhythm_settings(a.workspace)
    found.workspace = a.workspace
    channels = TeamChannel.objects.filter(workspace=a.workspace).select_related("team")
    hint = services.stored_url_hint if a.is_admin else (lambda stored: None)
    return {
        "timezone": a.workspace.timezone,
        "reminders_enabled": found.reminders_enabled,
        "reminder_weekday": found.reminder_weekday,
        "reminder_time": found.reminder_time.strftime("%H:%M"),
        "next_reminder_at": services.next_run(found, "reminder")
        if found.reminders_enabled
        else None,
        "digest_enabled": found.digest_enabled,
        "digest_weekday": found.digest_weekday,
        "digest_time": found.digest_time.strftime("%H:%M"),
        "next_digest_at": services.next_run(found, "digest") if found.digest_enabled else None,
        "chat_webhook_set": bool(found.chat_webhook),
        "chat_webhook_hint": hint(found.chat_webhook),
        "team_channels": [
            {
                "team": c.team.key,
                "chat_webhook_set": bool(c.chat_webhook),
                "chat_webhook_hint": hint(c.chat_webhook),
            }
            for c in sorted(channels, key=lambda c: c.team.key)
        ],
    }


@router.get(
    "/rhythm/settings",
    response=RhythmSettingsOut,
    tags=["notifications"],
    summary="The reminder and digest schedule and the chat channels",
)
def read_settings(request: HttpRequest) -> dict[str, Any]:
    return _settings_out(_actor(request))


@router.patch(
    "/rhythm/settings",
    response=RhythmSettingsOut,
    tags=["notifications"],
    summary="Change the schedule or the workspace's chat channel (admin)",
)
def update_settings(request: HttpRequest, body: RhythmSettingsPatch) -> dict[str, Any]:
    a = _actor(request)
    changes = body.dict(exclude_unset=True)
    chat: dict[str, Any] = {}
    if "chat_webhook" in changes:
        url = changes.pop("chat_webhook")
        chat = {"chat_webhook": url} if url else {"remove_chat_webhook": True}
    changes = {k: v for k, v in changes.items() if v is not None}
    services.rhythm_settings_update(actor=a, **changes, **chat)
    return _settings_out(a)


class PreferencesOut(Schema):
    mute_reminders: bool
    mute_digest: bool
    mute_alerts: bool
    updated_at: dt.datetime | None = Field(description="null until first changed")


class PreferencesPatch(Schema):
    mute_reminders: bool | None = None
    mute_digest: bool | None = None
    mute_alerts: bool | None = None


def _preferences_out(found: Any) -> dict[str, Any]:
    return {
        "mute_reminders": found.mute_reminders,
        "mute_digest": found.mute_digest,
        "mute_alerts": found.mute_alerts,
        "updated_at": found.updated_at if found.pk else None,
    }


@router.get(
    "/me/preferences",
    response=PreferencesOut,
    tags=["notifications"],
    summary="What the token's user muted in this workspace",
)
def read_preferences(request: HttpRequest) -> dict[str, Any]:
    a = _actor(request)
    return _preferences_out(delivery.preference(a.workspace, a.user))


@router.patch(
    "/me/preferences",
    response=PreferencesOut,
    tags=["notifications"],
    summary="Mute or unmute reminders, the digest or alerts for oneself (any role)",
)
def update_preferences(request: HttpRequest, body: PreferencesPatch) -> dict[str, Any]:
    a = _actor(request)
    return _preferences_out(services.preference_update(actor=a, **body.dict()))
