"""The only way views, the API and the CLI reach workspace rows: isolation and roles live here.

The role matrix is in docs/permissions.md; keep the two in step.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

from okapi.accounts.models import User
from okapi.errors import Forbidden, NotFound
from okapi.workspaces.models import ROLE_RANK, Membership, Role, Team, Workspace


@dataclass(eq=False)
class Actor:
    """A user acting in one workspace with one role (a token may narrow the role)."""

    user: User | None  # None: the system itself (the CLI, the importer)
    workspace: Workspace
    role: str
    _team_ids: set[int] | None = field(default=None, repr=False)

    @property
    def is_admin(self) -> bool:
        return ROLE_RANK[Role(self.role)] >= ROLE_RANK[Role.ADMIN]

    @property
    def can_write(self) -> bool:
        return ROLE_RANK[Role(self.role)] >= ROLE_RANK[Role.MEMBER]

    @cached_property
    def team_ids(self) -> set[int]:
        """The teams the user belongs to or leads, in this workspace."""
        if self._team_ids is not None:
            return self._team_ids
        if self.user is None:
            return set()
        led = Team.objects.filter(workspace=self.workspace, lead=self.user).values_list(
            "id", flat=True
        )
        joined = Team.objects.filter(workspace=self.workspace, members=self.user).values_list(
            "id", flat=True
        )
        return set(led) | set(joined)

    def owns(self, *, owner_user_id: int | None, owner_team_id: int | None) -> bool:
        if owner_user_id is not None and self.user and owner_user_id == self.user.id:
            return True
        return owner_team_id is not None and owner_team_id in self.team_ids


def actor_for(user: User, workspace_key: str) -> Actor:
    """The user's actor in a workspace; a workspace they do not belong to is not found."""
    membership = (
        Membership.objects.select_related("workspace")
        .filter(user=user, workspace__key=workspace_key)
        .first()
    )
    if membership is None:
        raise NotFound(f"no workspace '{workspace_key}'")
    return Actor(user=user, workspace=membership.workspace, role=membership.role)


def system_actor(workspace: Workspace) -> Actor:
    """The command line and the importer act as the system, with the owner's rights."""
    return Actor(user=None, workspace=workspace, role=Role.OWNER)


def require_admin(actor: Actor) -> None:
    if not actor.is_admin:
        raise Forbidden("only an owner or admin may do this")


def require_writer(actor: Actor) -> None:
    if not actor.can_write:
        raise Forbidden("viewers cannot change anything")


def require_owns(actor: Actor, *, owner_user_id: int | None, owner_team_id: int | None) -> None:
    """Members may change what they or their team own; admins anything; viewers nothing."""
    require_writer(actor)
    if actor.is_admin:
        return
    if not actor.owns(owner_user_id=owner_user_id, owner_team_id=owner_team_id):
        raise Forbidden("members may only change what they or their team own")


def get_team_for_user(actor: Actor, key: str, *, write: bool = False) -> Team:
    team = Team.objects.filter(workspace=actor.workspace, key=key).first()
    if team is None:
        raise NotFound(f"no team '{key}'")
    if write:
        require_admin(actor)
    return team


def get_member_for_user(actor: Actor, email: str) -> User:
    """A member of the actor's workspace by e-mail; anyone else is not found."""
    user = User.objects.filter(
        email=email.strip().lower(), memberships__workspace=actor.workspace
    ).first()
    if user is None:
        raise NotFound(f"no member '{email}'")
    return user
