"""Forms of the rhythm's settings pages: they parse and check input; the services decide."""

from __future__ import annotations

from typing import Any

from django import forms

from okapi.rhythm.services import MAX_DESCRIPTION_LENGTH, MAX_URL_LENGTH, WEEKDAYS
from okapi.workspaces.forms import Form

WEEKDAY_CHOICES = [(str(n), name) for n, name in enumerate(WEEKDAYS)]
EVENT_CHOICES = [
    ("checkin.created", "checkin.created — someone checked in on a key result"),
    ("kpi.health_changed", "kpi.health_changed — a KPI turned green, amber, red or stale"),
    ("kr.drifting", "kr.drifting — a key result's forecast fell below 0.4"),
    ("cycle.closed", "cycle.closed — a cycle was closed and scored"),
    ("cycle.reopened", "cycle.reopened — an admin reopened a closed cycle"),
]


class TimeInput(forms.TimeInput):
    input_type = "time"

    def __init__(self, attrs: dict[str, Any] | None = None):
        super().__init__(attrs, format="%H:%M")


class ScheduleForm(Form):
    reminders_enabled = forms.BooleanField(
        label="Send check-in reminders", required=False,
        help_text="Each key result owner gets one message listing what needs a check-in.",
    )  # fmt: skip
    reminder_weekday = forms.TypedChoiceField(
        label="Reminder day", choices=WEEKDAY_CHOICES, coerce=int
    )
    reminder_time = forms.TimeField(label="Reminder time", widget=TimeInput())
    digest_enabled = forms.BooleanField(
        label="Send the weekly digest", required=False,
        help_text="What moved, what is blocked, what is at risk: by e-mail and to the chat.",
    )  # fmt: skip
    digest_weekday = forms.TypedChoiceField(label="Digest day", choices=WEEKDAY_CHOICES, coerce=int)
    digest_time = forms.TimeField(label="Digest time", widget=TimeInput())


class ChatWebhookForm(Form):
    chat_webhook = forms.CharField(
        label="Incoming webhook URL",
        max_length=MAX_URL_LENGTH,
        widget=forms.URLInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
        help_text="A Slack-compatible incoming webhook (Slack, Mattermost, Rocket.Chat…). "
        "It is stored encrypted and never shown again in full.",
    )


class PreferenceForm(Form):
    mute_reminders = forms.BooleanField(
        label="Mute check-in reminders", required=False,
        help_text="No weekly e-mail about your key results that need a check-in.",
    )  # fmt: skip
    mute_digest = forms.BooleanField(
        label="Mute the weekly digest", required=False,
        help_text="No digest e-mail (the digest page stays available).",
    )  # fmt: skip
    mute_alerts = forms.BooleanField(
        label="Mute alerts", required=False,
        help_text="No e-mail when a KPI you own changes health or a key result drifts.",
    )  # fmt: skip


class WebhookForm(Form):
    url = forms.CharField(
        label="Payload URL",
        max_length=MAX_URL_LENGTH,
        widget=forms.URLInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
        help_text="Okapi POSTs JSON events here (http:// or https://).",
    )
    description = forms.CharField(
        label="Description", max_length=MAX_DESCRIPTION_LENGTH, required=False
    )
    events = forms.MultipleChoiceField(
        label="Events",
        choices=EVENT_CHOICES,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="None ticked: every event, including those added later.",
    )
