"""API: who am I, teams, members, the audit log."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest
from ninja import Query, Router, Schema
from ninja.params import Path

from okapi.apitypes import Email, Key, OwnerRef, Page, PageParams, Text, Title, paginate
from okapi.workspaces import services
from okapi.workspaces.access import get_team_for_user, require_admin
from okapi.workspaces.models import AuditEvent, Membership, Team

router = Router(tags=["workspace"])


def _actor(request: HttpRequest) -> Any:
    from okapi.api import actor

    return actor(request)


class MeOut(Schema):
    email: str
    name: str
    workspace: str
    workspace_name: str
    timezone: str
    role: str


@router.get("/me", response=MeOut, summary="The token's user, workspace and role")
def me(request: HttpRequest) -> dict[str, Any]:
    a = _actor(request)
    return {
        "email": a.user.email if a.user else "",
        "name": a.user.name if a.user else "",
        "workspace": a.workspace.key,
        "workspace_name": a.workspace.name,
        "timezone": a.workspace.timezone,
        "role": a.role,
    }


class MemberOut(Schema):
    email: str
    name: str
    role: str


@router.get("/members", response=Page[MemberOut], summary="Members of the workspace")
def list_members(request: HttpRequest, page: Query[PageParams]) -> dict[str, Any]:
    a = _actor(request)
    qs = (
        Membership.objects.filter(workspace=a.workspace)
        .select_related("user")
        .order_by("user__email")
    )
    count, rows = paginate(qs, page)
    return {
        "count": count,
        "items": [{"email": m.user.email, "name": m.user.name, "role": m.role} for m in rows],
    }


class TeamIn(Schema):
    key: Key
    name: Title(200)  # type: ignore[valid-type]
    parent: Key | None = None
    lead: Email | None = None
    members: list[Email] | None = None


class TeamPatch(Schema):
    name: Title(200) | None = None  # type: ignore[valid-type]
    parent: Key | None = None
    lead: Email | None = None
    members: list[Email] | None = None


class TeamOut(Schema):
    key: str
    name: str
    parent: str | None
    lead: str | None
    members: list[str]


def team_dict(team: Team) -> dict[str, Any]:
    return {
        "key": team.key,
        "name": team.name,
        "parent": team.parent.key if team.parent else None,
        "lead": team.lead.email if team.lead else None,
        "members": sorted(u.email for u in team.members.all()),
    }


def _teams(request: HttpRequest) -> Any:
    return (
        Team.objects.filter(workspace=_actor(request).workspace)
        .select_related("parent", "lead")
        .prefetch_related("members")
    )


@router.get("/teams", response=Page[TeamOut], summary="List teams")
def list_teams(request: HttpRequest, page: Query[PageParams]) -> dict[str, Any]:
    count, rows = paginate(_teams(request).order_by("key"), page)
    return {"count": count, "items": [team_dict(t) for t in rows]}


@router.post("/teams", response={201: TeamOut}, summary="Create a team (admin)")
def create_team(request: HttpRequest, body: TeamIn) -> tuple[int, dict[str, Any]]:
    team = services.team_create(actor=_actor(request), **body.dict())
    return 201, team_dict(_teams(request).get(pk=team.pk))


@router.get("/teams/{key}", response=TeamOut, summary="Read a team")
def read_team(request: HttpRequest, key: Path[Key]) -> dict[str, Any]:
    team = get_team_for_user(_actor(request), key)
    return team_dict(_teams(request).get(pk=team.pk))


@router.patch("/teams/{key}", response=TeamOut, summary="Update a team (admin)")
def update_team(request: HttpRequest, key: Path[Key], body: TeamPatch) -> dict[str, Any]:
    a = _actor(request)
    team = get_team_for_user(a, key, write=True)
    services.team_update(actor=a, team=team, **body.dict(exclude_unset=True))
    return team_dict(_teams(request).get(pk=team.pk))


@router.delete("/teams/{key}", response={204: None}, summary="Delete a team (admin)")
def delete_team(request: HttpRequest, key: Path[Key]) -> tuple[int, None]:
    a = _actor(request)
    services.team_delete(actor=a, team=get_team_for_user(a, key, write=True))
    return 204, None


class AuditOut(Schema):
    at: dt.datetime
    actor: str | None
    action: str
    entity_type: str
    entity_key: str
    before: dict[str, Any] | None
    after: dict[str, Any] | None


class AuditFilter(Schema):
    entity_type: Text(32) | None = None  # type: ignore[valid-type]
    entity_key: Text(200) | None = None  # type: ignore[valid-type]
    actor: OwnerRef | None = None


@router.get("/audit", response=Page[AuditOut], summary="The audit log, newest first (admin)")
def list_audit(
    request: HttpRequest, filters: Query[AuditFilter], page: Query[PageParams]
) -> dict[str, Any]:
    a = _actor(request)
    require_admin(a)
    qs = AuditEvent.objects.filter(workspace=a.workspace).select_related("actor")
    if filters.entity_type:
        qs = qs.filter(entity_type=filters.entity_type)
    if filters.entity_key:
        qs = qs.filter(entity_key=filters.entity_key)
    if filters.actor:
        qs = qs.filter(actor__email=filters.actor.lower())
    count, rows = paginate(qs.order_by("-at", "-id"), page)
    return {
        "count": count,
        "items": [
            {
                "at": e.at,
                "actor": e.actor.email if e.actor else None,
                "action": e.action,
                "entity_type": e.entity_type,
                "entity_key": e.entity_key,
                "before": e.before,
                "after": e.after,
            }
            for e in rows
        ],
    }
