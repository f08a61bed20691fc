"""The rhythm: reminders, digests, alerts, outgoing webhooks and cycle reviews (docs/rhythm.md).

Messages and webhook events are written to an outbox (`Notification`, `WebhookDelivery`) in
the same transaction as the change that caused them, and delivered by the worker with retries:
a change is never announced without having happened, and never lost because a server was down.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import models
from django.utils.timezone import now

from okapi.workspaces.models import Team, Workspace


class RhythmSettings(models.Model):
    """A workspace's schedule for reminders and digests, and its chat channel."""

    workspace = models.OneToOneField(Workspace, on_delete=models.CASCADE, related_name="rhythm")
    reminders_enabled = models.BooleanField(default=True)
    reminder_weekday = models.PositiveSmallIntegerField(default=0)  # 0 = Monday
    reminder_time = models.TimeField(default=dt.time(9, 0))
    digest_enabled = models.BooleanField(default=True)
    digest_weekday = models.PositiveSmallIntegerField(default=4)  # Friday
    digest_time = models.TimeField(default=dt.time(16, 0))
    # A Slack-compatible incoming webhook URL, encrypted (okapi.secrets): it is a credential.
    chat_webhook = models.TextField(blank=True)
    updated_at = models.DateTimeField(default=now)
    # The worker's bookkeeping (okapi/rhythm/planning.py): the reminder and digest occurrences
    # last handled (claimed in the transaction that queues their messages), when each was last
    # queued as a task (a lease, so a queued job is not queued again every tick), and when the
    # alert scan last ran.
    reminders_done_for = models.DateTimeField(null=True, blank=True)
    reminders_queued_at = models.DateTimeField(null=True, blank=True)
    digest_done_for = models.DateTimeField(null=True, blank=True)
    digest_queued_at = models.DateTimeField(null=True, blank=True)
    scanned_at = models.DateTimeField(null=True, blank=True)


class TeamChannel(models.Model):
    """A team's own Slack-compatible incoming webhook (its digest and its alerts go there)."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+")
    team = models.OneToOneField(Team, on_delete=models.CASCADE, related_name="channel")
    chat_webhook = models.TextField()  # encrypted
    updated_at = models.DateTimeField(default=now)


class Preference(models.Model):
    """What one person has muted in one workspace."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    mute_reminders = models.BooleanField(default=False)
    mute_digest = models.BooleanField(default=False)
    mute_alerts = models.BooleanField(default=False)
    updated_at = models.DateTimeField(default=now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["workspace", "user"], name="preference_unique")
        ]


class Kind(models.TextChoices):
    REMINDER = "reminder"
    LEAD_REMINDER = "lead_reminder"
    DIGEST = "digest"
    KPI_ALERT = "kpi_alert"
    DRIFT_ALERT = "drift_alert"
    TEST = "test"  # "Send a test message" on the notification settings page


class Channel(models.TextChoices):
    EMAIL = "email"
    CHAT = "chat"


class Status(models.TextChoices):
    PENDING = "pending"
    SENT = "sent"
    FAILED = "failed"  # gave up after the last retry


class Notification(models.Model):
    """One message to one person (e-mail) or one chat channel, kept as a log once sent.

    `dedupe_key` makes every announcement happen once: a reminder per person per week, an
    alert per change. Creating a second row with the same key is a no-op."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=16, choices=Kind.choices)
    channel = models.CharField(max_length=8, choices=Channel.choices)
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    team = models.ForeignKey(
        Team, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    dedupe_key = models.CharField(max_length=200)
    subject = models.CharField(max_length=300)
    text = models.TextField()
    html = models.TextField(blank=True)
    chat = models.JSONField(null=True, blank=True)  # the chat message body, Slack-compatible
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(default=now)
    # Who may send it: the token of the scheduler's claim that queued it (okapi/rhythm/delivery.py);
    # a task holding an older claim finds another token and sends nothing.
    claim = models.CharField(max_length=32, blank=True, default="")
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(default=now)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["workspace", "channel", "dedupe_key"], name="notification_once"
            )
        ]
        indexes = [models.Index(fields=["status", "next_attempt_at"], name="notification_due")]
        ordering = ["-created_at", "-id"]


class KpiAlertState(models.Model):
    """What was last announced about a KPI, so each change is announced once."""

    kpi = models.OneToOneField("kpis.Kpi", on_delete=models.CASCADE, related_name="alert_state")
    health = models.CharField(max_length=8, blank=True)
    stale = models.BooleanField(default=False)
    outlier_at = models.CharField(max_length=40, blank=True)
    # The KPI's latest measurement time at the last scan: the outlier band is only computed
    # again when it changed.
    seen_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(default=now)


class KrAlertState(models.Model):
    """Whether a KR's drift (forecast score below 0.4) has been announced."""

    key_result = models.OneToOneField(
        "goals.KeyResult", on_delete=models.CASCADE, related_name="alert_state"
    )
    drifting = models.BooleanField(default=False)
    updated_at = models.DateTimeField(default=now)


class Event(models.TextChoices):
    CHECKIN_CREATED = "checkin.created"
    KPI_HEALTH_CHANGED = "kpi.health_changed"
    KR_DRIFTING = "kr.drifting"
    CYCLE_CLOSED = "cycle.closed"
    CYCLE_REOPENED = "cycle.reopened"
    PING = "ping"  # a test event, sent to one endpoint from its settings page or the API


class WebhookEndpoint(models.Model):
    """An outgoing webhook: JSON events POSTed to `url`, signed with HMAC-SHA256."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="webhooks")
    url = models.URLField(max_length=500)
    description = models.CharField(max_length=200, blank=True)
    events = models.JSONField(default=list)  # Event values; empty = every event
    secret = models.TextField()  # encrypted (okapi.secrets); shown once, at creation
    prefix = models.CharField(max_length=16)  # the secret's first characters, to recognise it
    active = models.BooleanField(default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(default=now)

    class Meta:
        ordering = ["created_at", "id"]


class DeliveryStatus(models.TextChoices):
    PENDING = "pending"
    DELIVERED = "delivered"
    FAILED = "failed"  # gave up after the last retry


class WebhookDelivery(models.Model):
    """One event for one endpoint: its payload, every attempt's outcome and the next retry."""

    endpoint = models.ForeignKey(
        WebhookEndpoint, on_delete=models.CASCADE, related_name="deliveries"
    )
    event_id = models.CharField(max_length=40)  # the same for every endpoint that gets it
    event = models.CharField(max_length=32, choices=Event.choices)
    payload = models.JSONField()
    status = models.CharField(
        max_length=10, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING
    )
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(default=now)
    claim = models.CharField(max_length=32, blank=True, default="")  # as Notification.claim
    response_status = models.PositiveSmallIntegerField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    duration_ms = models.PositiveIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(default=now)
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["status", "next_attempt_at"], name="delivery_due")]
        ordering = ["-created_at", "-id"]


class CycleReview(models.Model):
    """The end-of-cycle review, computed when the cycle closes and kept with it."""

    cycle = models.OneToOneField("goals.Cycle", on_delete=models.CASCADE, related_name="review")
    created_at = models.DateTimeField(default=now)
    data = models.JSONField()
