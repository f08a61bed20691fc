"""Settings pages (workspace, teams, members and invitations, cycles, API tokens, share links,
the audit log) and the public share page.

Admin-only pages answer 403 to members and viewers; every member sees the overview and their
own API tokens. Rows are always reached through the actor's workspace (another workspace's row
is not found).
"""

from __future__ import annotations

import datetime as dt
import functools
import smtplib
import zoneinfo
from collections.abc import Callable
from typing import Any

from django.conf import settings as django_settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.timezone import now
from django.views.decorators.http import require_POST

from okapi.core.cycles import cycle_for_date
from okapi.errors import Invalid, NotFound
from okapi.goals import services as goals_services
from okapi.goals.access import get_cycle_for_user
from okapi.goals.coaching import stage_context
from okapi.goals.models import Cycle
from okapi.goals.queries import tracker_page
from okapi.kpis.queries import kpi_dashboard_with_sparklines
from okapi.workspaces import services
from okapi.workspaces.access import Actor, get_team_for_user, require_admin
from okapi.workspaces.forms import (
    AuditFilterForm,
    CycleForm,
    InviteForm,
    RoleForm,
    ShareLinkForm,
    TeamForm,
    TokenForm,
    WorkspaceForm,
)
from okapi.workspaces.models import (
    ApiToken,
    AuditEvent,
    Invitation,
    Membership,
    Role,
    ShareKind,
    ShareLink,
    Team,
)
from okapi.workspaces.web import add_service_errors, render_form, workspace_view

AUDIT_PAGE_SIZE = 50


def admin_view(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """A settings page for owners and admins only: others are refused (403)."""

    @workspace_view
    @functools.wraps(view)
    def wrapper(request: HttpRequest, actor: Actor, *args: Any, **kwargs: Any) -> HttpResponse:
        require_admin(actor)  # Forbidden -> 403 (ServiceErrorsMiddleware)
        return view(request, actor, *args, **kwargs)

    return wrapper


def _people(actor: Actor) -> list[Any]:
    """The workspace's members as users, by name."""
    memberships = (
        Membership.objects.filter(workspace=actor.workspace)
        .select_related("user")
        .order_by("user__name", "user__email")
    )
    return [m.user for m in memberships]


def _posted(request: HttpRequest) -> Any:
    """The submitted data of a POST (even an empty one, so that it is validated), else None."""
    return request.POST if request.method == "POST" else None


def _no_store(response: HttpResponse) -> HttpResponse:
    """A page showing a secret once must not be kept by the browser or a proxy."""
    response.headers["Cache-Control"] = "no-store"
    return response


# --------------------------------------------------------------------------- overview


@workspace_view
def settings(request: HttpRequest, actor: Actor) -> HttpResponse:
    workspace = actor.workspace
    initial = {
        "name": workspace.name,
        "timezone": workspace.timezone,
        "stage": workspace.stage,
        "headcount": workspace.headcount,
    }
    form = WorkspaceForm(_posted(request), initial=initial)
    if request.method == "POST":
        require_admin(actor)
        if form.is_valid():
            try:
                services.workspace_update(
                    actor=actor,
                    name=form.cleaned_data["name"],
                    timezone=form.cleaned_data["timezone"],
                    stage=form.cleaned_data["stage"],
                    headcount=form.cleaned_data["headcount"],
                    clear_headcount=form.cleaned_data["headcount"] is None,
                )
            except Invalid as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, "Workspace settings saved.")
                return redirect("workspaces:settings", workspace.key)
    counts = Membership.objects.filter(workspace=workspace).aggregate(
        members=Count("id"), admins=Count("id", filter=Q(role__in=[Role.OWNER, Role.ADMIN]))
    )
    context = {"counts": counts, "here": "settings", **stage_context(actor, counts["members"])}
    return render_form(request, "workspaces/settings.html", context, form)


# --------------------------------------------------------------------------- teams


def _teams(actor: Actor) -> list[Team]:
    return list(
        Team.objects.filter(workspace=actor.workspace)
        .select_related("parent", "lead")
        .prefetch_related("members")
        .order_by("name", "key")
    )


def _team_fields(form: TeamForm) -> dict[str, Any]:
    data = form.cleaned_data
    return {
        "name": data["name"],
        "parent": data["parent"] or None,
        "lead": data["lead"] or None,
        "members": data["members"],
    }


@admin_view
def settings_teams(request: HttpRequest, actor: Actor) -> HttpResponse:
    teams, people = _teams(actor), _people(actor)
    form = TeamForm(_posted(request), teams=teams, people=people)
    if request.method == "POST" and form.is_valid():
        try:
            services.team_create(actor=actor, key=form.cleaned_data["key"], **_team_fields(form))
        except Invalid as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, f"Team “{form.cleaned_data['name']}” created.")
            return redirect("workspaces:settings_teams", actor.workspace.key)
    context = {"teams": teams, "here": "settings_teams"}
    return render_form(request, "workspaces/settings_teams.html", context, form)


@admin_view
def settings_team(request: HttpRequest, actor: Actor, key: str) -> HttpResponse:
    team = get_team_for_user(actor, key, write=True)
    teams, people = _teams(actor), _people(actor)
    team = next(t for t in teams if t.pk == team.pk)
    initial = {
        "name": team.name,
        "parent": team.parent.key if team.parent else "",
        "lead": team.lead.email if team.lead else "",
        "members": [u.email for u in team.members.all()],
    }
    form = TeamForm(_posted(request), initial=initial, teams=teams, people=people, team=team)
    if request.method == "POST" and form.is_valid():
        try:
            services.team_update(actor=actor, team=team, **_team_fields(form))
        except Invalid as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, f"Team “{team.name}” saved.")
            return redirect("workspaces:settings_teams", actor.workspace.key)
    context = {"team": team, "here": "settings_teams"}
    return render_form(request, "workspaces/settings_team.html", context, form)


@require_POST
@admin_view
def settings_team_delete(request: HttpRequest, actor: Actor, key: str) -> HttpResponse:
    team = get_team_for_user(actor, key, write=True)
    name = team.name
    try:
        services.team_delete(actor=actor, team=team)
    except Invalid as exc:
        teams, people = _teams(actor), _people(actor)
        team = next(t for t in teams if t.pk == team.pk)
        initial = {
            "name": team.name,
            "parent": team.parent.key if team.parent else "",
            "lead": team.lead.email if team.lead else "",
            "members": [u.email for u in team.members.all()],
        }
        form = TeamForm(initial=initial, teams=teams, people=people, team=team)
        context = {
            "team": team,
            "form": form,
            "delete_error": "; ".join(exc.errors.values()),
            "here": "settings_teams",
        }
        return render(request, "workspaces/settings_team.html", context, status=422)
    messages.success(request, f"Team “{name}” deleted.")
    return redirect("workspaces:settings_teams", actor.workspace.key)


# --------------------------------------------------------------------------- members


def _get_membership(actor: Actor, membership_id: int) -> Membership:
    membership = (
        Membership.objects.select_related("user")
        .filter(workspace=actor.workspace, pk=membership_id)
        .first()
    )
    if membership is None:
        raise NotFound("no such member")
    return membership


def _pending_invitations(actor: Actor) -> list[Invitation]:
    return list(
        Invitation.objects.filter(
            workspace=actor.workspace,
            accepted_at__isnull=True,
            revoked_at__isnull=True,
            expires_at__gt=now(),
        )
        .select_related("invited_by")
        .order_by("-created_at", "-id")
    )


def _members_page(
    request: HttpRequest,
    actor: Actor,
    *,
    invite_form: InviteForm | None = None,
    row_errors: dict[int, str] | None = None,
    status: int = 200,
) -> HttpResponse:
    memberships = list(
        Membership.objects.filter(workspace=actor.workspace)
        .select_related("user")
        .order_by("user__name", "user__email")
    )
    up_to = actor.role
    for m in memberships:
        # Only an owner may touch an owner; nobody changes their own role here.
        m.editable = (m.role != Role.OWNER or actor.role == Role.OWNER) and (
            m.user_id != actor.user.pk
        )
        m.role_form = RoleForm(initial={"role": m.role}, up_to=up_to, prefix=f"m{m.pk}")
        m.error = (row_errors or {}).get(m.pk)
    context = {
        "memberships": memberships,
        "invitations": _pending_invitations(actor),
        "form": invite_form or InviteForm(up_to=up_to),
        "console_email": "console" in django_settings.EMAIL_BACKEND,
        "here": "settings_members",
    }
    return render(request, "workspaces/settings_members.html", context, status=status)


@admin_view
def settings_members(request: HttpRequest, actor: Actor) -> HttpResponse:
    if request.method != "POST":
        return _members_page(request, actor)
    form = InviteForm(request.POST, up_to=actor.role)
    if form.is_valid():
        try:
            invitation, secret = services.invitation_create(
                actor=actor, email=form.cleaned_data["email"], role=form.cleaned_data["role"]
            )
        except Invalid as exc:
            add_service_errors(form, exc)
        else:
            url = request.build_absolute_uri(reverse("invitation", args=[secret]))
            try:
                services.invitation_send(invitation=invitation, url=url)
            except (OSError, smtplib.SMTPException) as exc:
                # Nobody has the link: withdraw the invitation rather than leave it pending.
                services.invitation_revoke(actor=actor, invitation=invitation)
                form.add_error(None, f"The e-mail could not be sent ({exc}); nothing was sent. "
                               "Check the OKAPI_EMAIL_* settings and try again.")  # fmt: skip
                return _members_page(request, actor, invite_form=form, status=502)
            messages.success(request, f"Invitation sent to {invitation.email}.")
            return redirect("workspaces:settings_members", actor.workspace.key)
    return _members_page(request, actor, invite_form=form, status=422)


@require_POST
@admin_view
def settings_member_role(request: HttpRequest, actor: Actor, membership_id: int) -> HttpResponse:
    membership = _get_membership(actor, membership_id)
    form = RoleForm(request.POST, up_to=actor.role, prefix=f"m{membership.pk}")
    error = None
    if not form.is_valid():
        error = "; ".join(form.errors.get("role", ["Choose a role."]))
    else:
        try:
            services.membership_change_role(
                actor=actor, membership=membership, role=form.cleaned_data["role"]
            )
        except Invalid as exc:
            error = "; ".join(exc.errors.values())
    if error:
        return _members_page(request, actor, row_errors={membership.pk: error}, status=422)
    messages.success(request, f"{membership.user.display_name} is now {form.cleaned_data['role']}.")
    return redirect("workspaces:settings_members", actor.workspace.key)


@require_POST
@admin_view
def settings_member_remove(request: HttpRequest, actor: Actor, membership_id: int) -> HttpResponse:
    membership = _get_membership(actor, membership_id)
    try:
        services.membership_remove(actor=actor, membership=membership)
    except Invalid as exc:
        errors = {membership.pk: "; ".join(exc.errors.values())}
        return _members_page(request, actor, row_errors=errors, status=422)
    messages.success(request, f"{membership.user.display_name} was removed from the workspace.")
    return redirect("workspaces:settings_members", actor.workspace.key)


@require_POST
@admin_view
def settings_invitation_revoke(
    request: HttpRequest, actor: Actor, invitation_id: int
) -> HttpResponse:
    invitation = Invitation.objects.filter(workspace=actor.workspace, pk=invitation_id).first()
    if invitation is None:
        raise NotFound("no such invitation")
    try:
        services.invitation_revoke(actor=actor, invitation=invitation)
    except Invalid as exc:
        messages.error(request, "; ".join(exc.errors.values()))
    else:
        messages.success(request, f"The invitation to {invitation.email} was withdrawn.")
    return redirect("workspaces:settings_members", actor.workspace.key)


# --------------------------------------------------------------------------- cycles


@admin_view
def settings_cycles(request: HttpRequest, actor: Actor) -> HttpResponse:
    form = CycleForm(_posted(request))
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            goals_services.cycle_create(
                actor=actor,
                key=data["key"],
                name=data["name"],
                start=data["start"],
                end=data["end"],
            )
        except Invalid as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, f"Cycle {data['key']} created.")
            return redirect("workspaces:settings_cycles", actor.workspace.key)
    cycles = Cycle.objects.filter(workspace=actor.workspace).order_by("-start", "key")
    today = goals_services.workspace_today(actor.workspace)
    context = {"cycles": list(cycles), "today": today, "here": "settings_cycles"}
    return render_form(request, "workspaces/settings_cycles.html", context, form)


@admin_view
def settings_cycle(request: HttpRequest, actor: Actor, key: str) -> HttpResponse:
    cycle = get_cycle_for_user(actor, key, write=True)
    initial = {"name": cycle.name, "start": cycle.start, "end": cycle.end}
    form = CycleForm(_posted(request), initial=initial, editing=True)
    if request.method == "POST" and form.is_valid():
        try:
            goals_services.cycle_update(actor=actor, cycle=cycle, **form.cleaned_data)
        except Invalid as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, f"Cycle {cycle.key} saved.")
            return redirect("workspaces:settings_cycles", actor.workspace.key)
    context = {"cycle": cycle, "here": "settings_cycles"}
    return render_form(request, "workspaces/settings_cycle.html", context, form)


# --------------------------------------------------------------------------- API tokens


def _tokens(actor: Actor) -> list[ApiToken]:
    """Mine; an admin sees every token of the workspace."""
    tokens = ApiToken.objects.filter(workspace=actor.workspace).select_related("user")
    if not actor.is_admin:
        tokens = tokens.filter(user=actor.user)
    return list(tokens.order_by("revoked_at", "-created_at", "-id"))


@workspace_view
def settings_tokens(request: HttpRequest, actor: Actor) -> HttpResponse:
    form = TokenForm(_posted(request), up_to=actor.role)
    new_secret = new_token = None
    if request.method == "POST" and form.is_valid():
        try:
            new_token, new_secret = services.token_create(
                workspace=actor.workspace,
                user=actor.user,
                role=form.cleaned_data["role"],
                name=form.cleaned_data["name"],
            )
        except Invalid as exc:
            add_service_errors(form, exc)
        else:
            form = TokenForm(up_to=actor.role)
    context = {
        "tokens": _tokens(actor),
        "new_secret": new_secret,
        "new_token": new_token,
        "here": "settings_tokens",
    }
    status = 201 if new_secret else None
    response = render_form(request, "workspaces/settings_tokens.html", context, form)
    if status:
        response.status_code = status
    return _no_store(response)


@require_POST
@workspace_view
def settings_token_revoke(request: HttpRequest, actor: Actor, token_id: int) -> HttpResponse:
    tokens = ApiToken.objects.filter(workspace=actor.workspace, pk=token_id)
    if not actor.is_admin:
        tokens = tokens.filter(user=actor.user)  # someone else's token is not found
    token = tokens.first()
    if token is None:
        raise NotFound("no such token")
    services.token_revoke(actor=actor, token=token)
    messages.success(request, f"Token {token.prefix}… revoked: it no longer works.")
    return redirect("workspaces:settings_tokens", actor.workspace.key)


# --------------------------------------------------------------------------- audit log


def _shown(value: Any) -> str:
    if value is None or value == "":
        return "—"
    if isinstance(value, list):
        return ", ".join(str(v) for v in value) or "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


def _blank(value: Any) -> bool:
    return value is None or value == "" or value == []


def audit_changes(event: AuditEvent) -> list[dict[str, Any]]:
    """The changed fields of an event, each with its value before and after.

    An update shows both sides (an empty side reads "none"); a creation or a deletion shows
    only the fields that had a value.
    """
    before, after = event.before or {}, event.after or {}
    both = bool(event.before) and bool(event.after)
    names = list(after) + [k for k in before if k not in after]
    changes = []
    for name in names:
        old, new = before.get(name), after.get(name)
        if not both and _blank(old) and _blank(new):
            continue
        changes.append(
            {
                "field": name.replace("_", " "),
                "both": both,
                "before": None if _blank(old) else _shown(old),
                "after": None if _blank(new) else _shown(new),
            }
        )
    return changes


def _day_start(day: dt.date, tz: zoneinfo.ZoneInfo) -> dt.datetime:
    return dt.datetime.combine(day, dt.time.min, tzinfo=tz)


@admin_view
def settings_audit(request: HttpRequest, actor: Actor) -> HttpResponse:
    workspace = actor.workspace
    events = AuditEvent.objects.filter(workspace=workspace)
    entity_types = events.order_by("entity_type").values_list("entity_type", flat=True).distinct()
    form = AuditFilterForm(request.GET or None, entity_types=entity_types, people=_people(actor))
    status = 200
    if form.is_bound and not form.is_valid():
        status = 422
        events = events.none()
    elif form.is_bound:
        data = form.cleaned_data
        tz = zoneinfo.ZoneInfo(workspace.timezone)
        if data["entity_type"]:
            events = events.filter(entity_type=data["entity_type"])
        if data["actor"] == AuditFilterForm.SYSTEM:
            events = events.filter(actor__isnull=True)
        elif data["actor"]:
            events = events.filter(actor__email=data["actor"])
        if data["date_from"]:
            events = events.filter(at__gte=_day_start(data["date_from"], tz))
        if data["date_to"]:
            events = events.filter(at__lt=_day_start(data["date_to"] + dt.timedelta(days=1), tz))
    paginator = Paginator(events.select_related("actor").order_by("-at", "-id"), AUDIT_PAGE_SIZE)
    page = paginator.get_page(request.GET.get("page"))
    for event in page.object_list:
        event.entity_label = event.entity_type.replace("_", " ")
        event.changes = audit_changes(event)
    context = {
        "form": form,
        "page": page,
        "filtered": form.is_bound and any(form.data.get(f) for f in form.fields),
        "here": "settings_audit",
    }
    return render(request, "workspaces/settings_audit.html", context, status=status)


# --------------------------------------------------------------------------- share links


def _cycles(actor: Actor) -> list[Cycle]:
    return list(Cycle.objects.filter(workspace=actor.workspace).order_by("-start", "key"))


@admin_view
def settings_share(request: HttpRequest, actor: Actor) -> HttpResponse:
    cycles = _cycles(actor)
    form = ShareLinkForm(_posted(request), cycles=cycles)
    new_url = new_link = None
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        cycle = next((c for c in cycles if c.key == data["cycle"]), None)
        try:
            new_link, secret = services.share_link_create(
                actor=actor, kind=data["kind"], cycle=cycle, label=data["label"]
            )
        except Invalid as exc:
            add_service_errors(form, exc)
        else:
            new_url = request.build_absolute_uri(reverse("share", args=[secret]))
            form = ShareLinkForm(cycles=cycles)
    links = (
        ShareLink.objects.filter(workspace=actor.workspace)
        .select_related("cycle", "created_by")
        .order_by("revoked_at", "-created_at", "-id")
    )
    context = {
        "links": list(links),
        "new_url": new_url,
        "new_link": new_link,
        "here": "settings_share",
    }
    response = render_form(request, "workspaces/settings_share.html", context, form)
    if new_url:
        response.status_code = 201
    return _no_store(response)


@require_POST
@admin_view
def settings_share_revoke(request: HttpRequest, actor: Actor, link_id: int) -> HttpResponse:
    link = ShareLink.objects.filter(workspace=actor.workspace, pk=link_id).first()
    if link is None:
        raise NotFound("no such share link")
    services.share_link_revoke(actor=actor, link=link)
    what = f"“{link.label}”" if link.label else f"{link.prefix}…"
    messages.success(request, f"Share link {what} revoked: it no longer works.")
    return redirect("workspaces:settings_share", actor.workspace.key)


# --------------------------------------------------------------------------- the public page


def _public(response: HttpResponse) -> HttpResponse:
    response.headers["X-Robots-Tag"] = "noindex, nofollow"
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["Cache-Control"] = "private, no-store"
    return response


def _current_cycle(actor: Actor) -> Cycle | None:
    cycles = list(Cycle.objects.filter(workspace=actor.workspace))
    today = goals_services.workspace_today(actor.workspace)
    return cycle_for_date(cycles, today) or max(cycles, key=lambda c: c.start, default=None)


def share(request: HttpRequest, secret: str) -> HttpResponse:
    """A share link's page: read-only, for anyone holding the link, signed in or not."""
    link = services.share_link_find(secret)
    if link is None:
        return _public(render(request, "share/not_found.html", status=404))
    services.share_link_viewed(link)
    # A read-only actor: the partials render what a viewer sees, without edit controls.
    actor = Actor(user=None, workspace=link.workspace, role=Role.VIEWER)
    context: dict[str, Any] = {"link": link, "shared_workspace": link.workspace, "read_only": True}
    if link.kind == ShareKind.KPIS:
        context["dashboard"] = kpi_dashboard_with_sparklines(actor)
        template = "share/kpis.html"
    else:
        cycle = link.cycle or _current_cycle(actor)
        context["cycle"] = cycle
        # The tracker's own tree (cycle_tree) with owners named: no e-mail address on a public page.
        context["tree"] = tracker_page(actor, cycle)["tree"] if cycle else None
        template = "share/okrs.html"
    return _public(render(request, template, context))
