"""Settings pages of the rhythm: the notification schedule and chat channels, outgoing webhooks
with their delivery log (owners and admins; others are refused, 403), and each person's own
mute preferences (everyone, viewers too).

Chat webhook URLs are never shown back in full, and a webhook's signing secret only once, on
the page that answers its creation.
"""

from __future__ import annotations

import json
import zoneinfo
from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Count, Max, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.timezone import now
from django.views.decorators.http import require_POST

from okapi.errors import Invalid
from okapi.rhythm import delivery, services
from okapi.rhythm.access import get_delivery_for_user, get_webhook_for_user
from okapi.rhythm.forms import ChatWebhookForm, PreferenceForm, ScheduleForm, WebhookForm
from okapi.rhythm.models import (
    DeliveryStatus,
    Status,
    TeamChannel,
    WebhookDelivery,
    WebhookEndpoint,
)
from okapi.workspaces.access import Actor
from okapi.workspaces.models import Team
from okapi.workspaces.views import admin_view
from okapi.workspaces.web import add_service_errors, render_form, workspace_view

DELIVERY_PAGE_SIZE = 25


def _posted(request: HttpRequest) -> Any:
    return request.POST if request.method == "POST" else None


def _no_store(response: HttpResponse) -> HttpResponse:
    response.headers["Cache-Control"] = "no-store"
    return response


# --------------------------------------------------------------------------- notifications


def _schedule_initial(found: Any) -> dict[str, Any]:
    return {name: getattr(found, name) for name in services.SCHEDULE_FIELDS}


def _settings_page(
    request: HttpRequest,
    actor: Actor,
    *,
    schedule_form: ScheduleForm | None = None,
    chat_form: ChatWebhookForm | None = None,
    team_forms: dict[int, ChatWebhookForm] | None = None,
    status: int = 200,
) -> HttpResponse:
    workspace = actor.workspace
    found = delivery.rhythm_settings(workspace)
    zone = zoneinfo.ZoneInfo(workspace.timezone)
    channels = {c.team_id: c for c in TeamChannel.objects.filter(workspace=workspace)}
    teams = list(Team.objects.filter(workspace=workspace).order_by("name", "key"))
    for team in teams:
        channel = channels.get(team.pk)
        team.chat_hint = services.stored_url_hint(channel.chat_webhook) if channel else None
        team.chat_form = (team_forms or {}).get(team.pk) or ChatWebhookForm(prefix=f"t{team.pk}")
    context = {
        "schedule_form": schedule_form or ScheduleForm(initial=_schedule_initial(found)),
        "chat_form": chat_form or ChatWebhookForm(),
        "chat_hint": services.stored_url_hint(found.chat_webhook),
        "rhythm": found,
        "reminder_schedule": services.schedule_text(
            found.reminder_weekday, found.reminder_time, workspace.timezone
        ),
        "digest_schedule": services.schedule_text(
            found.digest_weekday, found.digest_time, workspace.timezone
        ),
        "next_reminder": services.next_run(found, "reminder").astimezone(zone),
        "next_digest": services.next_run(found, "digest").astimezone(zone),
        "teams": teams,
        "here": "rhythm_settings",
    }
    return render(request, "rhythm/settings_notifications.html", context, status=status)


@admin_view
def settings(request: HttpRequest, actor: Actor) -> HttpResponse:
    if request.method != "POST":
        return _settings_page(request, actor)
    form = ScheduleForm(request.POST)
    if form.is_valid():
        try:
            services.rhythm_settings_update(actor=actor, **form.cleaned_data)
        except Invalid as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, "Notification settings saved.")
            return redirect("rhythm:settings", actor.workspace.key)
    return _settings_page(request, actor, schedule_form=form, status=422)


def _chat_outcome(request: HttpRequest, sent: Any, where: str) -> None:
    if sent.status == Status.SENT:
        messages.success(request, f"Test message sent to {where}'s chat channel.")
    else:
        messages.error(request, f"The test message to {where} failed: {sent.last_error}")


@require_POST
@admin_view
def settings_chat(request: HttpRequest, actor: Actor) -> HttpResponse:
    """Set, replace, remove or test the workspace's chat channel or a team's (field `team`)."""
    team = None
    if request.POST.get("team"):
        team = Team.objects.filter(workspace=actor.workspace, key=request.POST["team"]).first()
        if team is None:
            return _settings_page(request, actor, status=422)
    action = request.POST.get("action", "save")
    where = f"the {team.name} team" if team else actor.workspace.name
    prefix = f"t{team.pk}" if team else None
    form = ChatWebhookForm(request.POST if action == "save" else None, prefix=prefix)
    try:
        if action == "remove":
            if team:
                services.team_channel_remove(actor=actor, team=team)
            else:
                services.rhythm_settings_update(actor=actor, remove_chat_webhook=True)
            messages.success(request, f"The chat channel of {where} was removed.")
        elif action == "test":
            _chat_outcome(request, services.chat_test_send(actor=actor, team=team), where)
        elif form.is_valid():
            url = form.cleaned_data["chat_webhook"]
            if team:
                services.team_channel_set(actor=actor, team=team, url=url)
            else:
                services.rhythm_settings_update(actor=actor, chat_webhook=url)
            messages.success(request, f"The chat channel of {where} was saved.")
        else:
            raise Invalid({})
    except Invalid as exc:
        form = ChatWebhookForm(request.POST, prefix=prefix)
        form.is_valid()
        add_service_errors(form, exc)
        if team:
            return _settings_page(request, actor, team_forms={team.pk: form}, status=422)
        return _settings_page(request, actor, chat_form=form, status=422)
    return redirect("rhythm:settings", actor.workspace.key)


# --------------------------------------------------------------------------- preferences


@workspace_view
def preferences(request: HttpRequest, actor: Actor) -> HttpResponse:
    found = delivery.preference(actor.workspace, actor.user)
    initial = {n: getattr(found, n) for n in ("mute_reminders", "mute_digest", "mute_alerts")}
    form = PreferenceForm(_posted(request), initial=initial)
    if request.method == "POST" and form.is_valid():
        services.preference_update(actor=actor, **form.cleaned_data)
        messages.success(request, "Your notification preferences were saved.")
        return redirect("rhythm:preferences", actor.workspace.key)
    context = {"preference": found, "here": "rhythm_preferences"}
    return render_form(request, "rhythm/preferences.html", context, form)


# --------------------------------------------------------------------------- webhooks


def _endpoints(actor: Actor) -> list[WebhookEndpoint]:
    return list(
        WebhookEndpoint.objects.filter(workspace=actor.workspace).annotate(
            delivered=Count("deliveries", filter=Q(deliveries__status=DeliveryStatus.DELIVERED)),
            failing=Count(
                "deliveries",
                filter=Q(deliveries__status__in=[DeliveryStatus.FAILED, DeliveryStatus.PENDING])
                & Q(deliveries__attempts__gt=0),
            ),
            last_at=Max("deliveries__created_at"),
        )
    )


def _webhook_fields(form: WebhookForm) -> dict[str, Any]:
    data = form.cleaned_data
    return {"url": data["url"], "description": data["description"], "events": data["events"]}


@admin_view
def webhooks(request: HttpRequest, actor: Actor) -> HttpResponse:
    form = WebhookForm(_posted(request))
    new_secret = new_endpoint = None
    if request.method == "POST" and form.is_valid():
        try:
            new_endpoint, new_secret = services.webhook_create(actor=actor, **_webhook_fields(form))
        except Invalid as exc:
            add_service_errors(form, exc)
        else:
            form = WebhookForm()
    context = {
        "endpoints": _endpoints(actor),
        "new_secret": new_secret,
        "new_endpoint": new_endpoint,
        "here": "rhythm_webhooks",
    }
    response = render_form(request, "rhythm/settings_webhooks.html", context, form)
    if new_secret:
        response.status_code = 201
    return _no_store(response)


def _webhook_page(
    request: HttpRequest,
    actor: Actor,
    endpoint: WebhookEndpoint,
    form: WebhookForm | None = None,
    status: int = 200,
) -> HttpResponse:
    deliveries = WebhookDelivery.objects.filter(endpoint=endpoint).order_by("-created_at", "-id")
    page = Paginator(deliveries, DELIVERY_PAGE_SIZE).get_page(request.GET.get("page"))
    initial = {"url": endpoint.url, "description": endpoint.description, "events": endpoint.events}
    context = {
        "endpoint": endpoint,
        "page": page,
        "form": form or WebhookForm(initial=initial),
        "here": "rhythm_webhooks",
        "now": now(),
    }
    return render(request, "rhythm/settings_webhook.html", context, status=status)


@admin_view
def webhook(request: HttpRequest, actor: Actor, pk: int) -> HttpResponse:
    endpoint = get_webhook_for_user(actor, pk)
    if request.method != "POST":
        return _webhook_page(request, actor, endpoint)
    form = WebhookForm(request.POST)
    if form.is_valid():
        try:
            services.webhook_update(actor=actor, endpoint=endpoint, **_webhook_fields(form))
        except Invalid as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, "Webhook saved.")
            return redirect("rhythm:webhook", actor.workspace.key, endpoint.pk)
    endpoint.refresh_from_db()
    return _webhook_page(request, actor, endpoint, form, status=422)


@require_POST
@admin_view
def webhook_active(request: HttpRequest, actor: Actor, pk: int) -> HttpResponse:
    endpoint = get_webhook_for_user(actor, pk)
    active = request.POST.get("active") == "1"
    services.webhook_update(actor=actor, endpoint=endpoint, active=active)
    messages.success(request, f"Webhook {'enabled' if active else 'disabled'}.")
    return redirect("rhythm:webhook", actor.workspace.key, endpoint.pk)


@require_POST
@admin_view
def webhook_delete(request: HttpRequest, actor: Actor, pk: int) -> HttpResponse:
    endpoint = get_webhook_for_user(actor, pk)
    services.webhook_delete(actor=actor, endpoint=endpoint)
    messages.success(request, "Webhook deleted, with its delivery log.")
    return redirect("rhythm:webhooks", actor.workspace.key)


@require_POST
@admin_view
def webhook_test(request: HttpRequest, actor: Actor, pk: int) -> HttpResponse:
    endpoint = get_webhook_for_user(actor, pk)
    try:
        sent = services.webhook_test_send(actor=actor, endpoint=endpoint)
    except Invalid as exc:
        messages.error(request, "; ".join(exc.errors.values()))
    else:
        if sent.status == DeliveryStatus.DELIVERED:
            messages.success(request, f"Test event delivered (HTTP {sent.response_status}).")
        else:
            messages.error(request, f"The test event failed: {sent.last_error}")
    return redirect("rhythm:webhook", actor.workspace.key, endpoint.pk)


@admin_view
def webhook_delivery(request: HttpRequest, actor: Actor, pk: int, delivery_id: int) -> HttpResponse:
    endpoint = get_webhook_for_user(actor, pk)
    found = get_delivery_for_user(actor, endpoint, delivery_id)
    context = {
        "endpoint": endpoint,
        "delivery": found,
        "payload": json.dumps(found.payload, indent=2, sort_keys=True),
        "here": "rhythm_webhooks",
    }
    return render(request, "rhythm/settings_webhook_delivery.html", context)


@require_POST
@admin_view
def webhook_redeliver(
    request: HttpRequest, actor: Actor, pk: int, delivery_id: int
) -> HttpResponse:
    endpoint = get_webhook_for_user(actor, pk)
    found = get_delivery_for_user(actor, endpoint, delivery_id)
    try:
        services.webhook_redeliver(actor=actor, delivery_row=found)
    except Invalid as exc:
        messages.error(request, "; ".join(exc.errors.values()))
    else:
        messages.success(
            request, f"Event {found.event_id} queued again: the worker sends it shortly."
        )
    return redirect("rhythm:webhook", actor.workspace.key, endpoint.pk)
