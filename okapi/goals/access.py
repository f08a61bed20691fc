"""Reaching cycles, objectives, key results, initiatives and check-ins for an actor."""

from __future__ import annotations

from okapi.errors import Forbidden, NotFound
from okapi.goals.models import CheckIn, Cycle, Initiative, KeyResult, Objective
from okapi.workspaces.access import Actor, require_admin, require_owns, require_writer


def get_cycle_for_user(actor: Actor, key: str, *, write: bool = False) -> Cycle:
    cycle = Cycle.objects.filter(workspace=actor.workspace, key=key).first()
    if cycle is None:
        raise NotFound(f"no cycle '{key}'")
    if write:
        require_admin(actor)
    return cycle


def can_edit_objective(actor: Actor, objective: Objective) -> bool:
    if not actor.can_write:
        return False
    return actor.is_admin or actor.owns(
        owner_user_id=objective.owner_user_id, owner_team_id=objective.owner_team_id
    )


def get_objective_for_user(actor: Actor, key: str, *, write: bool = False) -> Objective:
    objective = (
        Objective.objects.select_related("cycle", "owner_team", "owner_user", "parent")
        .filter(workspace=actor.workspace, key=key)
        .first()
    )
    if objective is None:
        raise NotFound(f"no objective '{key}'")
    if write:
        require_owns(
            actor, owner_user_id=objective.owner_user_id, owner_team_id=objective.owner_team_id
        )
    return objective


def can_edit_key_result(actor: Actor, kr: KeyResult) -> bool:
    if not actor.can_write:
        return False
    return (
        actor.is_admin
        or (actor.user is not None and kr.owner_id == actor.user.id)
        or can_edit_objective(actor, kr.objective)
    )


def can_check_in(actor: Actor, kr: KeyResult) -> bool:
    return actor.can_write and (
        actor.is_admin or (actor.user is not None and kr.owner_id == actor.user.id)
    )


def get_key_result_for_user(
    actor: Actor, key: str, *, write: bool = False, checkin: bool = False
) -> KeyResult:
    kr = (
        KeyResult.objects.select_related("objective", "objective__cycle", "owner", "kpi")
        .filter(workspace=actor.workspace, key=key)
        .first()
    )
    if kr is None:
        raise NotFound(f"no key result '{key}'")
    if write and not can_edit_key_result(actor, kr):
        require_writer(actor)
        raise Forbidden("members may only change key results they own or in objectives they own")
    if checkin and not can_check_in(actor, kr):
        require_writer(actor)
        raise Forbidden("only the key result's owner (or an admin) may check in on it")
    return kr


def get_initiative_for_user(actor: Actor, key: str, *, write: bool = False) -> Initiative:
    initiative = Initiative.objects.filter(workspace=actor.workspace, key=key).first()
    if initiative is None:
        raise NotFound(f"no initiative '{key}'")
    if write:
        require_owns(
            actor, owner_user_id=initiative.owner_user_id, owner_team_id=initiative.owner_team_id
        )
    return initiative


def get_checkin_for_user(actor: Actor, checkin_id: int, *, write: bool = False) -> CheckIn:
    checkin = (
        CheckIn.objects.select_related("key_result", "author")
        .filter(workspace=actor.workspace, pk=checkin_id)
        .first()
    )
    if checkin is None:
        raise NotFound(f"no check-in {checkin_id}")
    if write:
        require_writer(actor)
        if not actor.is_admin and (actor.user is None or checkin.author_id != actor.user.id):
            raise Forbidden("only the check-in's author (or an admin) may correct it")
    return checkin
