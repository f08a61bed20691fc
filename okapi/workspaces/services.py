"""Writes for users, workspaces, memberships, teams, API tokens and the audit log."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
import zoneinfo
from decimal import Decimal
from typing import Any

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import models, transaction
from django.template.loader import render_to_string
from django.utils.text import slugify
from django.utils.timezone import now

from okapi.accounts.models import User, normalize_email
from okapi.core.okrfile import EMAIL_RE, KEY_RE
from okapi.errors import Forbidden, Invalid, NotFound
from okapi.workspaces.access import Actor, require_admin
from okapi.workspaces.models import (
    ROLE_RANK,
    ApiToken,
    AuditEvent,
    Invitation,
    Membership,
    Role,
    ShareKind,
    ShareLink,
    Team,
    Workspace,
)

TOKEN_PREFIX = "okapi_"

# --------------------------------------------------------------------------- audit


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        # Normalised, so 2.500000 read back from the database and 2.5 typed in are one value.
        return format(value.normalize(), "f")
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    if isinstance(value, models.Model):
        return getattr(value, "key", None) or getattr(value, "email", None) or value.pk
    return value


def snapshot(instance: models.Model, fields: list[str]) -> dict[str, Any]:
    """A JSON-ready picture of some fields of a row, for the audit log."""
    return {name: _plain(getattr(instance, name)) for name in fields}


def audit_record(
    *,
    workspace: Workspace,
    actor: User | None,
    action: str,
    entity_type: str,
    entity_key: str,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> AuditEvent:
    event = audit_event(
        workspace=workspace,
        actor=actor,
        action=action,
        entity_type=entity_type,
        entity_key=entity_key,
        before=before,
        after=after,
    )
    event.save()
    return event


def audit_event(
    *,
    workspace: Workspace,
    actor: User | None,
    action: str,
    entity_type: str,
    entity_key: str,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> AuditEvent:
    """An unsaved audit event (for `bulk_create`); only the fields that changed are kept."""
    if before is not None and after is not None:
        changed = {k for k in after if before.get(k) != after.get(k)}
        before = {k: v for k, v in before.items() if k in changed}
        after = {k: v for k, v in after.items() if k in changed}
    return AuditEvent(
        workspace=workspace,
        actor=actor,
        action=action,
        entity_type=entity_type,
        entity_key=entity_key[:200],  # the column's length; a longer e-mail is cut, not refused
        before=before,
        after=after,
    )


# --------------------------------------------------------------------------- users and workspaces


def _limited(value: str, field: str, max_length: int) -> str:
    """A stripped text that fits its column (PostgreSQL refuses a longer one, SQLite keeps it)."""
    value = value.strip()
    if len(value) > max_length:
        raise Invalid({field: f"is longer than {max_length} characters"})
    return value


def validate_key(value: str, field: str = "key") -> str:
    value = (value or "").strip()
    if not KEY_RE.match(value):
        raise Invalid({field: f"'{value}' is not a valid key (letters, digits, '-', '_', '.')"})
    return value


def user_create(*, email: str, name: str = "", password: str | None = None) -> User:
    email = normalize_email(email)
    if not EMAIL_RE.match(email):
        raise Invalid({"email": f"'{email}' is not an e-mail address"})
    _limited(email, "email", 254)
    name = _limited(name, "name", 200)
    if User.objects.filter(email=email).exists():
        raise Invalid({"email": f"a user '{email}' already exists"})
    if password is not None and len(password) < 4:
        raise Invalid({"password": "must be at least 4 characters"})
    return User.objects.create_user(email, password, name=name.strip())


def user_get_or_create(*, email: str, name: str = "") -> User:
    email = normalize_email(email)
    user = User.objects.filter(email=email).first()
    if user is None:
        user = user_create(email=email, name=name)
    elif name and not user.name:
        user.name = _limited(name, "name", 200)
        user.save(update_fields=["name"])
    return user


def validate_timezone(value: str) -> str:
    try:
        zoneinfo.ZoneInfo(value)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise Invalid({"timezone": f"unknown time zone '{value}'"}) from None
    return value


@transaction.atomic
def workspace_create(*, key: str, name: str, owner: User, timezone: str = "UTC") -> Workspace:
    key = validate_key(key)
    if key != slugify(key):
        raise Invalid({"key": f"'{key}' must be lowercase letters, digits and '-'"})
    if not name.strip():
        raise Invalid({"name": "is required"})
    name = _limited(name, "name", 200)
    if Workspace.objects.filter(key=key).exists():
        raise Invalid({"key": f"a workspace '{key}' already exists"})
    workspace = Workspace.objects.create(
        key=key, name=name.strip(), timezone=validate_timezone(timezone)
    )
    Membership.objects.create(workspace=workspace, user=owner, role=Role.OWNER)
    audit_record(
        workspace=workspace,
        actor=owner,
        action="created",
        entity_type="workspace",
        entity_key=key,
        after={"key": key, "name": workspace.name},
    )
    return workspace


def workspace_update(
    *,
    actor: Actor,
    name: str | None = None,
    timezone: str | None = None,
    stage: str | None = None,
    headcount: int | None = None,
    clear_headcount: bool = False,
) -> Workspace:
    """Change the workspace's name, time zone, stage ("" for unknown) or headcount."""
    from okapi.core.stage import parse_stage

    require_admin(actor)
    workspace = actor.workspace
    fields = ["name", "timezone", "stage", "headcount"]
    before = snapshot(workspace, fields)
    if name is not None:
        if not name.strip():
            raise Invalid({"name": "is required"})
        workspace.name = _limited(name, "name", 200)
    if timezone is not None:
        workspace.timezone = validate_timezone(timezone)
    if stage is not None:
        try:
            workspace.stage = parse_stage(stage).value if stage.strip() else ""
        except ValueError:
            message = f"'{stage}' is not a stage (seed, series A, series B+)"
            raise Invalid({"stage": message}) from None
    if headcount is not None or clear_headcount:
        if headcount is not None and not 1 <= headcount <= 1_000_000:
            raise Invalid({"headcount": "must be between 1 and 1,000,000"})
        workspace.headcount = headcount
    workspace.save()
    audit_record(
        workspace=workspace,
        actor=actor.user,
        action="updated",
        entity_type="workspace",
        entity_key=workspace.key,
        before=before,
        after=snapshot(workspace, fields),
    )
    return workspace


def membership_set(
    *, actor: Actor | None, workspace: Workspace, user: User, role: str
) -> Membership:
    """Add a user to a workspace or change their role. `actor=None` is the system (CLI, import)."""
    if role not in Role.values:
        raise Invalid({"role": f"'{role}' is not one of {', '.join(Role.values)}"})
    existing = Membership.objects.filter(workspace=workspace, user=user).first()
    if actor is not None:
        if actor.workspace.pk != workspace.pk:
            raise NotFound(f"no workspace '{workspace.key}'")
        require_admin(actor)
        touches_owner = role == Role.OWNER or (existing and existing.role == Role.OWNER)
        if touches_owner and actor.role != Role.OWNER:
            raise Forbidden("only an owner may grant or change the owner role")
    if existing is None:
        membership = Membership.objects.create(workspace=workspace, user=user, role=role)
        before = None
    else:
        if existing.role == role:
            return existing
        before = {"role": existing.role}
        existing.role = role
        existing.save(update_fields=["role"])
        membership = existing
    audit_record(
        workspace=workspace,
        actor=actor.user if actor else None,
        action="created" if before is None else "updated",
        entity_type="membership",
        entity_key=user.email,
        before=before,
        after={"role": role},
    )
    return membership


# --------------------------------------------------------------------------- teams

TEAM_FIELDS = ["key", "name", "parent", "lead"]


def _team_snapshot(team: Team) -> dict[str, Any]:
    data = snapshot(team, TEAM_FIELDS)
    data["members"] = sorted(team.members.values_list("email", flat=True))
    return data


def _team_parent(workspace: Workspace, key: str | None, team: Team | None = None) -> Team | None:
    if key is None or key == "":
        return None
    parent = Team.objects.filter(workspace=workspace, key=key).first()
    if parent is None:
        raise Invalid({"parent": f"unknown team '{key}'"})
    ancestor: Team | None = parent
    while ancestor is not None and team is not None:
        if ancestor.pk == team.pk:
            raise Invalid({"parent": f"team '{team.key}' cannot be its own ancestor"})
        ancestor = ancestor.parent
    return parent


def _member(workspace: Workspace, email: str | None, field: str) -> User | None:
    if email is None or email == "":
        return None
    user = User.objects.filter(
        email=normalize_email(email), memberships__workspace=workspace
    ).first()
    if user is None:
        raise Invalid({field: f"unknown person '{email}'"})
    return user


def team_create(
    *,
    actor: Actor,
    key: str,
    name: str,
    parent: str | None = None,
    lead: str | None = None,
    members: list[str] | None = None,
) -> Team:
    require_admin(actor)
    workspace = actor.workspace
    key = validate_key(key)
    if not name.strip():
        raise Invalid({"name": "is required"})
    name = _limited(name, "name", 200)
    if Team.objects.filter(workspace=workspace, key=key).exists():
        raise Invalid({"key": f"a team '{key}' already exists"})
    people = [_member(workspace, m, "members") for m in members or []]
    team = Team.objects.create(
        workspace=workspace,
        key=key,
        name=name.strip(),
        parent=_team_parent(workspace, parent),
        lead=_member(workspace, lead, "lead"),
    )
    if people:
        team.members.set(people)
    audit_record(
        workspace=workspace,
        actor=actor.user,
        action="created",
        entity_type="team",
        entity_key=key,
        after=_team_snapshot(team),
    )
    return team


def team_update(*, actor: Actor, team: Team, **changes: Any) -> Team:
    require_admin(actor)
    before = _team_snapshot(team)
    if "name" in changes and changes["name"] is not None:
        if not str(changes["name"]).strip():
            raise Invalid({"name": "is required"})
        team.name = _limited(changes["name"], "name", 200)
    if "parent" in changes:
        team.parent = _team_parent(actor.workspace, changes["parent"], team)
    if "lead" in changes:
        team.lead = _member(actor.workspace, changes["lead"], "lead")
    if changes.get("members") is not None:
        team.members.set([_member(actor.workspace, m, "members") for m in changes["members"]])
    team.save()
    audit_record(
        workspace=actor.workspace,
        actor=actor.user,
        action="updated",
        entity_type="team",
        entity_key=team.key,
        before=before,
        after=_team_snapshot(team),
    )
    return team


def team_delete(*, actor: Actor, team: Team) -> None:
    require_admin(actor)
    before = _team_snapshot(team)
    try:
        with transaction.atomic():
            team.delete()
    except models.ProtectedError:
        message = f"team '{team.key}' still owns objectives, KPIs or initiatives, or has sub-teams"
        raise Invalid({"key": message}) from None
    audit_record(
        workspace=actor.workspace,
        actor=actor.user,
        action="deleted",
        entity_type="team",
        entity_key=before["key"],
        before=before,
    )


def resolve_owner(
    workspace: Workspace, value: str | None, field: str = "owner"
) -> tuple[User | None, Team | None]:
    """An owner reference (a team key, or a member's e-mail) as (user, team)."""
    if value is None or value == "":
        return None, None
    if "@" in value:
        return _member(workspace, value, field), None
    team = Team.objects.filter(workspace=workspace, key=value).first()
    if team is None:
        raise Invalid({field: f"unknown team '{value}'"})
    return None, team


def owner_ref(owner_user: User | None, owner_team: Team | None) -> str | None:
    if owner_team is not None:
        return owner_team.key
    if owner_user is not None:
        return owner_user.email
    return None


# --------------------------------------------------------------------------- API tokens


def _hash_token(token: str) -> str:
    # Tokens carry 256 bits of randomness, so a plain SHA-256 is enough (no slow KDF needed).
    return hashlib.sha256(token.encode()).hexdigest()


def token_create(
    *, workspace: Workspace, user: User, role: str | None = None, name: str = ""
) -> tuple[ApiToken, str]:
    """A new token; the secret is returned once and only its hash is stored."""
    membership = Membership.objects.filter(workspace=workspace, user=user).first()
    if membership is None:
        raise NotFound(f"'{user.email}' is not a member of '{workspace.key}'")
    role = role or membership.role
    if role not in Role.values:
        raise Invalid({"role": f"'{role}' is not one of {', '.join(Role.values)}"})
    if ROLE_RANK[Role(role)] > ROLE_RANK[Role(membership.role)]:
        raise Invalid({"role": f"'{user.email}' is only {membership.role} in '{workspace.key}'"})
    name = _limited(name, "name", 100)
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        workspace=workspace,
        user=user,
        role=role,
        name=name.strip(),
        prefix=secret[: len(TOKEN_PREFIX) + 6],
        token_hash=_hash_token(secret),
    )
    audit_record(
        workspace=workspace,
        actor=user,
        action="created",
        entity_type="token",
        entity_key=token.prefix,
        after={"role": role, "name": token.name, "user": user.email},
    )
    return token, secret


def token_authenticate(secret: str) -> Actor | None:
    """The actor a bearer token stands for, or None (unknown, revoked, or membership gone)."""
    if not secret.startswith(TOKEN_PREFIX):
        return None
    token = (
        ApiToken.objects.select_related("user", "workspace")
        .filter(token_hash=_hash_token(secret), revoked_at__isnull=True)
        .first()
    )
    if token is None or not token.user.is_active:
        return None
    membership = Membership.objects.filter(workspace=token.workspace, user=token.user).first()
    if membership is None:
        return None
    # A token never exceeds the user's current role.
    role = min(token.role, membership.role, key=lambda r: ROLE_RANK[Role(r)])
    stamp = now()
    if token.last_used_at is None or stamp - token.last_used_at > dt.timedelta(minutes=1):
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=stamp)
    return Actor(user=token.user, workspace=token.workspace, role=role)


def token_revoke(*, actor: Actor, token: ApiToken) -> None:
    if token.workspace_id != actor.workspace.pk:
        raise NotFound("no such token")
    if actor.user is None or token.user_id != actor.user.pk:
        require_admin(actor)
    if token.revoked_at is None:
        token.revoked_at = now()
        token.save(update_fields=["revoked_at"])
        audit_record(
            workspace=actor.workspace,
            actor=actor.user,
            action="revoked",
            entity_type="token",
            entity_key=token.prefix,
        )


# --------------------------------------------------------------------------- members


def _owner_count(workspace: Workspace) -> int:
    return Membership.objects.filter(workspace=workspace, role=Role.OWNER).count()


def membership_change_role(*, actor: Actor, membership: Membership, role: str) -> Membership:
    """Change a member's role; a workspace always keeps at least one owner."""
    require_admin(actor)
    if membership.role == Role.OWNER and actor.role != Role.OWNER:
        raise Forbidden("only an owner may grant or change the owner role")
    if membership.role == Role.OWNER and role != Role.OWNER and _owner_count(actor.workspace) <= 1:
        raise Invalid({"role": "the workspace needs at least one owner: make another one first"})
    return membership_set(actor=actor, workspace=actor.workspace, user=membership.user, role=role)


@transaction.atomic
def membership_remove(*, actor: Actor, membership: Membership) -> None:
    """Remove someone from the workspace: their teams and tokens here go with the membership.

    What they own (objectives, key results, check-ins) stays, for the record.
    """
    require_admin(actor)
    workspace = actor.workspace
    if membership.role == Role.OWNER:
        if actor.role != Role.OWNER:
            raise Forbidden("only an owner may remove an owner")
        if _owner_count(workspace) <= 1:
            raise Invalid({"role": "the workspace needs at least one owner"})
    user = membership.user
    teams = list(Team.objects.filter(workspace=workspace, members=user).order_by("key"))
    for team in teams:
        team.members.remove(user)
    Team.objects.filter(workspace=workspace, lead=user).update(lead=None)
    ApiToken.objects.filter(workspace=workspace, user=user, revoked_at__isnull=True).update(
        revoked_at=now()
    )
    before = {"role": membership.role, "teams": [t.key for t in teams]}
    membership.delete()
    audit_record(
        workspace=workspace,
        actor=actor.user,
        action="deleted",
        entity_type="membership",
        entity_key=user.email,
        before=before,
    )


# --------------------------------------------------------------------------- invitations

INVITATION_DAYS = 7


def invitation_create(
    *, actor: Actor, email: str, role: str = Role.MEMBER
) -> tuple[Invitation, str]:
    """Invite an e-mail address with a role; returns the invitation and its secret (once).

    A new invitation to the same address replaces a pending one (its link stops working).
    """
    require_admin(actor)
    workspace = actor.workspace
    email = normalize_email(email or "")
    if not EMAIL_RE.match(email):
        raise Invalid({"email": f"'{email}' is not an e-mail address"})
    if role not in Role.values:
        raise Invalid({"role": f"'{role}' is not one of {', '.join(Role.values)}"})
    if role == Role.OWNER and actor.role != Role.OWNER:
        raise Forbidden("only an owner may grant or change the owner role")
    if Membership.objects.filter(workspace=workspace, user__email=email).exists():
        raise Invalid({"email": f"'{email}' is already a member of this workspace"})
    stamp = now()
    with transaction.atomic():
        for old in Invitation.objects.filter(
            workspace=workspace, email=email, accepted_at__isnull=True, revoked_at__isnull=True,
            expires_at__gt=stamp,
        ):  # fmt: skip
            _invitation_revoke(actor, old, stamp)
        secret = secrets.token_urlsafe(32)
        invitation = Invitation.objects.create(
            workspace=workspace,
            email=email,
            role=role,
            token_hash=_hash_token(secret),
            invited_by=actor.user,
            created_at=stamp,
            expires_at=stamp + dt.timedelta(days=INVITATION_DAYS),
        )
        audit_record(
            workspace=workspace,
            actor=actor.user,
            action="created",
            entity_type="invitation",
            entity_key=email,
            after={"email": email, "role": role, "expires_at": _plain(invitation.expires_at)},
        )
    return invitation, secret


def invitation_send(*, invitation: Invitation, url: str) -> None:
    """E-mail the invitation link (the only place its secret is ever written)."""
    context = {"invitation": invitation, "url": url, "days": INVITATION_DAYS}
    inviter = invitation.invited_by.display_name if invitation.invited_by else "Someone"
    send_mail(
        subject=f"{inviter} invited you to {invitation.workspace.name} on Okapi",
        message=render_to_string("workspaces/email/invitation.txt", context),
        from_email=None,
        recipient_list=[invitation.email],
    )


def invitation_find(secret: str) -> Invitation | None:
    """The invitation a link's secret stands for, in any state; None if unknown."""
    if not secret:
        return None
    return (
        Invitation.objects.select_related("workspace", "invited_by")
        .filter(token_hash=_hash_token(secret))
        .first()
    )


@transaction.atomic
def invitation_accept(
    *, invitation: Invitation, user: User | None = None, name: str = "", password: str = ""
) -> Membership:
    """Accept an invitation once: as the signed-in `user` with the invited address, or as a new
    person with a name and a password. The member gets the invited role (an existing member
    keeps theirs)."""
    invitation = (
        Invitation.objects.select_for_update().select_related("workspace").get(pk=invitation.pk)
    )
    if invitation.state != "pending":
        raise Invalid({"invitation": f"this invitation is {invitation.state}"})
    if user is not None:
        if normalize_email(user.email) != invitation.email:
            raise Forbidden(f"this invitation is for {invitation.email}, not {user.email}")
    else:
        if User.objects.filter(email=invitation.email).exists():
            raise Invalid({"email": f"an account for {invitation.email} exists: sign in to accept"})
        errors: dict[str, str] = {}
        if not name.strip():
            errors["name"] = "is required"
        candidate = User(email=invitation.email, name=name.strip())
        try:
            validate_password(password, candidate)
        except ValidationError as exc:
            errors["password"] = " ".join(exc.messages)
        if errors:
            raise Invalid(errors)
        user = User.objects.create_user(invitation.email, password, name=name.strip())
    workspace = invitation.workspace
    membership = Membership.objects.filter(workspace=workspace, user=user).first()
    if membership is None:
        membership = membership_set(
            actor=None, workspace=workspace, user=user, role=invitation.role
        )
    invitation.accepted_at = now()
    invitation.save(update_fields=["accepted_at"])
    audit_record(
        workspace=workspace,
        actor=user,
        action="accepted",
        entity_type="invitation",
        entity_key=invitation.email,
        after={"role": membership.role},
    )
    return membership


def _invitation_revoke(actor: Actor, invitation: Invitation, stamp: dt.datetime) -> None:
    invitation.revoked_at = stamp
    invitation.save(update_fields=["revoked_at"])
    audit_record(
        workspace=actor.workspace,
        actor=actor.user,
        action="revoked",
        entity_type="invitation",
        entity_key=invitation.email,
        before={"role": invitation.role},
    )


def invitation_revoke(*, actor: Actor, invitation: Invitation) -> None:
    """Withdraw a pending invitation: its link stops working."""
    require_admin(actor)
    if invitation.workspace_id != actor.workspace.pk:
        raise NotFound("no such invitation")
    if invitation.state != "pending":
        raise Invalid({"invitation": f"this invitation is already {invitation.state}"})
    _invitation_revoke(actor, invitation, now())


# --------------------------------------------------------------------------- share links


def share_link_create(
    *, actor: Actor, kind: str, cycle: Any = None, label: str = ""
) -> tuple[ShareLink, str]:
    """A public read-only link to the KPI dashboard ("kpis") or a cycle's tracker ("okrs");
    returns the link and its secret (once). An OKR link without a cycle follows the current one.
    """
    require_admin(actor)
    if kind not in ShareKind.values:
        raise Invalid({"kind": f"'{kind}' is not one of {', '.join(ShareKind.values)}"})
    if cycle is not None and (kind != ShareKind.OKRS or cycle.workspace_id != actor.workspace.pk):
        raise Invalid({"cycle": "a cycle only goes with an OKR tracker link of this workspace"})
    label = (label or "").strip()
    if len(label) > 100:
        raise Invalid({"label": "is longer than 100 characters"})
    secret = secrets.token_urlsafe(24)
    link = ShareLink.objects.create(
        workspace=actor.workspace,
        kind=kind,
        cycle=cycle,
        label=label,
        token_hash=_hash_token(secret),
        prefix=secret[:6],
        created_by=actor.user,
    )
    audit_record(
        workspace=actor.workspace,
        actor=actor.user,
        action="created",
        entity_type="share_link",
        entity_key=link.prefix,
        after={"kind": kind, "cycle": cycle.key if cycle else None, "label": label},
    )
    return link, secret


def share_link_find(secret: str) -> ShareLink | None:
    """The live (not revoked) share link a secret stands for, or None."""
    if not secret:
        return None
    return (
        ShareLink.objects.select_related("workspace", "cycle")
        .filter(token_hash=_hash_token(secret), revoked_at__isnull=True)
        .first()
    )


def share_link_viewed(link: ShareLink) -> None:
    """Note when a link was last opened (at most once a minute: it is shown on busy screens)."""
    stamp = now()
    if link.last_viewed_at is None or stamp - link.last_viewed_at > dt.timedelta(minutes=1):
        ShareLink.objects.filter(pk=link.pk).update(last_viewed_at=stamp)
        link.last_viewed_at = stamp


def share_link_revoke(*, actor: Actor, link: ShareLink) -> None:
    require_admin(actor)
    if link.workspace_id != actor.workspace.pk:
        raise NotFound("no such share link")
    if link.revoked_at is None:
        link.revoked_at = now()
        link.save(update_fields=["revoked_at"])
        audit_record(
            workspace=actor.workspace,
            actor=actor.user,
            action="revoked",
            entity_type="share_link",
            entity_key=link.prefix,
            before={"kind": link.kind, "label": link.label},
        )
