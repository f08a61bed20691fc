"""Writes for cycles, objectives, key results, initiatives and check-ins.

Every write is validated here, recorded in the audit log, and shared by the API, the web pages,
the CLI and the importer.
"""

from __future__ import annotations

import datetime as dt
import math
import zoneinfo
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils.timezone import now

from okapi.accounts.models import User
from okapi.core import forecast as forecasting
from okapi.core import scoring
from okapi.core.okrfile import CONFIDENCES, KR_KINDS, LEVELS, OBJECTIVE_TYPES
from okapi.errors import Forbidden, Invalid
from okapi.goals.access import can_check_in
from okapi.goals.models import CheckIn, Cycle, Initiative, KeyResult, Objective
from okapi.kpis.models import Kpi, Measurement
from okapi.rhythm import delivery as events
from okapi.workspaces.access import Actor, require_admin, require_owns, require_writer
from okapi.workspaces.models import Workspace
from okapi.workspaces.services import (
    _member,
    audit_record,
    resolve_owner,
    snapshot,
    validate_key,
)

CYCLE_FIELDS = ["key", "name", "start", "end", "closed_at", "review_note"]
OBJECTIVE_FIELDS = [
    "key", "title", "description", "level", "type", "cycle", "owner_team", "owner_user", "parent",
]  # fmt: skip
KR_FIELDS = [
    "key", "title", "owner", "kind", "baseline", "target", "unit", "weight", "kpi", "final_score",
]  # fmt: skip
INITIATIVE_FIELDS = ["key", "title", "owner_team", "owner_user", "url"]
CHECKIN_FIELDS = ["at", "value", "confidence", "moved", "blocked"]


def workspace_today(workspace: Workspace) -> dt.date:
    """Today's date where the workspace is: dates and weeks follow its time zone."""
    return now().astimezone(zoneinfo.ZoneInfo(workspace.timezone)).date()


def _choice(value: str, choices: tuple[str, ...], field: str) -> str:
    if value not in choices:
        raise Invalid({field: f"'{value}' is not one of {', '.join(choices)}"})
    return value


def _text(value: str | None, field: str, *, required: bool = False, max_length: int = 300) -> str:
    value = (value or "").strip()
    if required and not value:
        raise Invalid({field: "is required"})
    if len(value) > max_length:
        raise Invalid({field: f"is longer than {max_length} characters"})
    return value


def _number(value: Decimal | float | int | None, field: str) -> Decimal | None:
    if value is None:
        return None
    number = Decimal(str(value))
    if not number.is_finite() or abs(number) >= Decimal(10) ** 17:
        raise Invalid({field: "must be a finite number below 10^17"})
    return number


# --------------------------------------------------------------------------- cycles


def cycle_create(*, actor: Actor, key: str, start: dt.date, end: dt.date, name: str = "") -> Cycle:
    require_admin(actor)
    key = validate_key(key)
    if end < start:
        raise Invalid({"end": f"{end} is before the start {start}"})
    if Cycle.objects.filter(workspace=actor.workspace, key=key).exists():
        raise Invalid({"key": f"a cycle '{key}' already exists"})
    cycle = Cycle.objects.create(
        workspace=actor.workspace,
        key=key,
        name=_text(name, "name", max_length=200) or key,
        start=start,
        end=end,
    )
    audit_record(
        workspace=actor.workspace,
        actor=actor.user,
        action="created",
        entity_type="cycle",
        entity_key=key,
        after=snapshot(cycle, CYCLE_FIELDS),
    )
    return cycle


@transaction.atomic
def cycle_update(*, actor: Actor, cycle: Cycle, **changes: Any) -> Cycle:
    require_admin(actor)
    before = snapshot(cycle, CYCLE_FIELDS)
    dates_before = (cycle.start, cycle.end)
    if changes.get("name") is not None:
        cycle.name = _text(changes["name"], "name", required=True, max_length=200)
    if changes.get("start") is not None:
        cycle.start = changes["start"]
    if changes.get("end") is not None:
        cycle.end = changes["end"]
    if (cycle.start, cycle.end) != dates_before:
        require_open(cycle, "start" if cycle.start != dates_before[0] else "end")
    if cycle.end < cycle.start:
        raise Invalid({"end": f"{cycle.end} is before the start {cycle.start}"})
    if changes.get("review_note") is not None:
        cycle.review_note = _text(changes["review_note"], "review_note", max_length=10000)
    cycle.save()
    if (cycle.start, cycle.end) != dates_before:
        refresh_forecasts(KeyResult.objects.filter(objective__cycle=cycle))
    audit_record(
        workspace=actor.workspace,
        actor=actor.user,
        action="updated",
        entity_type="cycle",
        entity_key=cycle.key,
        before=before,
        after=snapshot(cycle, CYCLE_FIELDS),
    )
    return cycle


def cycle_delete(*, actor: Actor, cycle: Cycle) -> None:
    require_admin(actor)
    if cycle.objectives.exists():
        raise Invalid({"key": f"cycle '{cycle.key}' still has objectives: move or delete them"})
    before = snapshot(cycle, CYCLE_FIELDS)
    cycle.delete()
    audit_record(
        workspace=actor.workspace,
        actor=actor.user,
        action="deleted",
        entity_type="cycle",
        entity_key=before["key"],
        before=before,
    )


@transaction.atomic
def cycle_close(
    *,
    actor: Actor,
    cycle: Cycle,
    note: str = "",
    final_scores: dict[str, Decimal] | None = None,
) -> Cycle:
    """Close a cycle: every KR gets a final score (given, or its progress now)."""
    require_admin(actor)
    # The same lock as a check-in takes: none slips in while the cycle is being scored.
    locked = Cycle.objects.select_for_update().get(pk=cycle.pk)
    if cycle.closed_at is not None or locked.closed_at is not None:
        raise Invalid({"key": f"cycle '{cycle.key}' is already closed"})
    final_scores = final_scores or {}
    krs = list(KeyResult.objects.filter(objective__cycle=cycle).select_related("kpi"))
    unknown = set(final_scores) - {kr.key for kr in krs}
    if unknown:
        raise Invalid(
            {"final_scores": f"not key results of this cycle: {', '.join(sorted(unknown))}"}
        )
    for kr in krs:
        given = final_scores.get(kr.key)
        if given is not None and not (0 <= given <= 1):
            raise Invalid({f"final_scores.{kr.key}": "must be between 0 and 1"})
        kr.final_score = given if given is not None else kr_progress_of(kr).value
    KeyResult.objects.bulk_update(krs, ["final_score"])
    before = snapshot(cycle, CYCLE_FIELDS)
    cycle.closed_at = now()
    cycle.review_note = _text(note, "note", max_length=10000)
    cycle.save(update_fields=["closed_at", "review_note"])
    audit_record(
        workspace=actor.workspace,
        actor=actor.user,
        action="closed",
        entity_type="cycle",
        entity_key=cycle.key,
        before=before,
        after=snapshot(cycle, CYCLE_FIELDS),
    )
    # The review is kept with the cycle: scores, by team, sandbagging, notes (docs/rhythm.md).
    from okapi.rhythm.review import review_create  # the review reads the goals: import late

    review_create(cycle=cycle)
    scores = [(kr.final_score, kr.weight) for kr in krs if kr.final_score is not None]
    overall = scoring.objective_score(scores) if scores else None
    events.emit(
        workspace=actor.workspace,
        event=events.Event.CYCLE_CLOSED,
        data={
            "cycle": cycle.key,
            "name": cycle.name,
            "start": cycle.start,
            "end": cycle.end,
            "closed_at": cycle.closed_at,
            "key_results": len(krs),
            "score": float(overall) if overall is not None else None,
            "note": cycle.review_note,
        },
    )
    return cycle


@transaction.atomic
def cycle_reopen(*, actor: Actor, cycle: Cycle) -> Cycle:
    """Reopen a closed cycle (admins), to fix a missed check-in or a wrong score: its final
    scores are cleared (the KRs show their live progress again) and its review is dropped; both
    are made anew when it closes again. The audit log keeps the scores it had."""
    require_admin(actor)
    if cycle.closed_at is None:
        raise Invalid({"key": f"cycle '{cycle.key}' is not closed"})
    before = snapshot(cycle, CYCLE_FIELDS)
    before["final_scores"] = {
        key: str(score)
        for key, score in KeyResult.objects.filter(objective__cycle=cycle)
        .exclude(final_score=None)
        .values_list("key", "final_score")
    }
    KeyResult.objects.filter(objective__cycle=cycle).update(final_score=None)
    from okapi.rhythm.models import CycleReview  # the review reads the goals: import late

    CycleReview.objects.filter(cycle=cycle).delete()
    cycle.closed_at = None
    cycle.save(update_fields=["closed_at"])
    refresh_forecasts(KeyResult.objects.filter(objective__cycle=cycle))
    audit_record(
        workspace=actor.workspace,
        actor=actor.user,
        action="reopened",
        entity_type="cycle",
        entity_key=cycle.key,
        before=before,
        after={**snapshot(cycle, CYCLE_FIELDS), "final_scores": {}},
    )
    events.emit(
        workspace=actor.workspace,
        event=events.Event.CYCLE_REOPENED,
        data={"cycle": cycle.key, "name": cycle.name, "start": cycle.start, "end": cycle.end},
    )
    return cycle


# --------------------------------------------------------------------------- objectives


def _objective_parent(
    workspace: Workspace, key: str | None, objective: Objective | None = None
) -> Objective | None:
    if key is None or key == "":
        return None
    parent = Objective.objects.filter(workspace=workspace, key=key).first()
    if parent is None:
        raise Invalid({"parent": f"unknown objective '{key}'"})
    if objective is not None:
        ancestor: Objective | None = parent
        seen = set()
        while ancestor is not None and ancestor.pk not in seen:
            if ancestor.pk == objective.pk:
                raise Invalid({"parent": f"objective '{objective.key}' cannot align to itself"})
            seen.add(ancestor.pk)
            ancestor = ancestor.parent
    return parent


def _cycle(workspace: Workspace, key: str) -> Cycle:
    cycle = Cycle.objects.filter(workspace=workspace, key=key).first()
    if cycle is None:
        raise Invalid({"cycle": f"unknown cycle '{key}'"})
    return cycle


def require_open(cycle: Cycle, what: str = "cycle") -> None:
    """A closed cycle is read-only: its scores are final and its review is kept. An admin may
    reopen it (`cycle_reopen`) to fix something."""
    if cycle.closed_at is not None:
        raise Invalid(
            {
                what: f"cycle '{cycle.key}' is closed: its scores are final (an admin may "
                "reopen it to change something)"
            }
        )


def _owner_allowed(actor: Actor, user: User | None, team: Any) -> None:
    require_owns(
        actor,
        owner_user_id=user.pk if user else None,
        owner_team_id=team.pk if team else None,
    )


def objective_create(
    *,
    actor: Actor,
    key: str,
    title: str,
    cycle: str,
    owner: str | None,
    level: str = "team",
    type: str = "aspirational",
    parent: str | None = None,
    description: str = "",
    position: int | None = None,
) -> Objective:
    require_writer(actor)
    workspace = actor.workspace
    key = validate_key(key)
    if Objective.objects.filter(workspace=workspace, key=key).exists():
        raise Invalid({"key": f"an objective '{key}' already exists"})
    if not owner:
        raise Invalid({"owner": "is required (a team key or a member's e-mail)"})
    owner_user, owner_team = resolve_owner(workspace, owner)
    _owner_allowed(actor, owner_user, owner_team)
    cycle_row = _cycle(workspace, cycle)
    require_open(cycle_row)
    objective = Objective.objects.create(
        workspace=workspace,
        key=key,
        title=_text(title, "title", required=True),
        description=_text(description, "description", max_length=10000),
        cycle=cycle_row,
        level=_choice(level, LEVELS, "level"),
        type=_choice(type, OBJECTIVE_TYPES, "type"),
        owner_user=owner_user,
        owner_team=owner_team,
        parent=_objective_parent(workspace, parent),
        position=position
        if position is not None
        else Objective.objects.filter(workspace=workspace).count(),
    )
    audit_record(
        workspace=workspace,
        actor=actor.user,
        action="created",
        entity_type="objective",
        entity_key=key,
        after=snapshot(objective, OBJECTIVE_FIELDS),
    )
    return objective


@transaction.atomic
def objective_update(*, actor: Actor, objective: Objective, **changes: Any) -> Objective:
    require_owns(
        actor, owner_user_id=objective.owner_user_id, owner_team_id=objective.owner_team_id
    )
    workspace = actor.workspace
    before = snapshot(objective, OBJECTIVE_FIELDS)
    before_cycle_id = objective.cycle_id
    if changes.get("title") is not None:
        objective.title = _text(changes["title"], "title", required=True)
    if changes.get("description") is not None:
        objective.description = _text(changes["description"], "description", max_length=10000)
    if changes.get("level") is not None:
        objective.level = _choice(changes["level"], LEVELS, "level")
    if changes.get("type") is not None:
        objective.type = _choice(changes["type"], OBJECTIVE_TYPES, "type")
    if changes.get("cycle") is not None:
        objective.cycle = _cycle(workspace, changes["cycle"])
    if changes.get("owner") is not None:
        owner_user, owner_team = resolve_owner(workspace, changes["owner"])
        if owner_user is None and owner_team is None:
            raise Invalid({"owner": "is required (a team key or a member's e-mail)"})
        _owner_allowed(actor, owner_user, owner_team)
        objective.owner_user, objective.owner_team = owner_user, owner_team
    if "parent" in changes:
        objective.parent = _objective_parent(workspace, changes["parent"], objective)
    if snapshot(objective, OBJECTIVE_FIELDS) != before:
        # Nothing changes in a closed cycle, nor moves into or out of one (an import that
        # repeats what is there changes nothing, and passes).
        require_open(objective.cycle)
        if objective.cycle_id != before_cycle_id:
            require_open(Cycle.objects.get(pk=before_cycle_id))
    objective.updated_at = now()
    objective.save()
    if objective.cycle_id != before_cycle_id:
        refresh_forecasts(KeyResult.objects.filter(objective=objective))
    audit_record(
        workspace=workspace,
        actor=actor.user,
        action="updated",
        entity_type="objective",
        entity_key=objective.key,
        before=before,
        after=snapshot(objective, OBJECTIVE_FIELDS),
    )
    return objective


@transaction.atomic
def objective_delete(*, actor: Actor, objective: Objective) -> None:
    require_owns(
        actor, owner_user_id=objective.owner_user_id, owner_team_id=objective.owner_team_id
    )
    require_open(objective.cycle)
    before = snapshot(objective, OBJECTIVE_FIELDS)
    before["key_results"] = list(objective.key_results.values_list("key", flat=True))
    objective.delete()
    audit_record(
        workspace=actor.workspace,
        actor=actor.user,
        action="deleted",
        entity_type="objective",
        entity_key=before["key"],
        before=before,
    )


def objective_move(*, actor: Actor, objective: Objective, cycle: str) -> Objective:
    """Move an objective, with its KRs and their check-ins, to another cycle."""
    return objective_update(actor=actor, objective=objective, cycle=cycle)


@transaction.atomic
def objective_copy(
    *, actor: Actor, objective: Objective, cycle: str, key: str | None = None
) -> Objective:
    """Copy an objective and its KRs into another cycle, to carry unfinished work forward.

    Each copied metric KR starts from where the original stands: its baseline is the original's
    current value (when it has one). Check-ins are not copied. KR keys get the cycle as suffix.
    """
    target_cycle = _cycle(actor.workspace, cycle)
    new_key = validate_key(key or f"{objective.key}-{target_cycle.key}")
    copy = objective_create(
        actor=actor,
        key=new_key,
        title=objective.title,
        cycle=target_cycle.key,
        owner=objective.owner_team.key if objective.owner_team else objective.owner_user.email,
        level=objective.level,
        type=objective.type,
        parent=objective.parent.key if objective.parent else None,
        description=objective.description,
    )
    for kr in objective.key_results.select_related("owner", "kpi").prefetch_related("initiatives"):
        current = kr_current_value(kr)
        key_result_create(
            actor=actor,
            objective=copy,
            key=f"{kr.key}-{target_cycle.key}",
            title=kr.title,
            owner=kr.owner.email,
            kind=kr.kind,
            baseline=current if current is not None and kr.kind == "metric" else kr.baseline,
            target=kr.target,
            unit=kr.unit,
            weight=kr.weight,
            kpi=kr.kpi.key if kr.kpi else None,
            initiatives=[i.key for i in kr.initiatives.all()],
        )
    refresh_forecasts(KeyResult.objects.filter(objective=copy))
    audit_record(
        workspace=actor.workspace,
        actor=actor.user,
        action="copied",
        entity_type="objective",
        entity_key=objective.key,
        after={"copy": copy.key, "cycle": target_cycle.key},
    )
    return copy


# --------------------------------------------------------------------------- key results


def _kpi(workspace: Workspace, key: str | None) -> Kpi | None:
    if key is None or key == "":
        return None
    kpi = Kpi.objects.filter(workspace=workspace, key=key).first()
    if kpi is None:
        raise Invalid({"kpi": f"unknown KPI '{key}'"})
    return kpi


def _initiatives(workspace: Workspace, keys: list[str]) -> list[Initiative]:
    found = {i.key: i for i in Initiative.objects.filter(workspace=workspace, key__in=keys)}
    missing = [k for k in keys if k not in found]
    if missing:
        raise Invalid({"initiatives": f"unknown initiative '{missing[0]}'"})
    return [found[k] for k in keys]


def _check_kr_numbers(kind: str, weight: Decimal | None) -> None:
    if weight is not None and weight <= 0:
        raise Invalid({"weight": "must be greater than 0"})
    if weight is not None and weight < Decimal("0.001"):
        # Weights keep three decimals: a smaller one would be stored as 0 and drop out of scores.
        raise Invalid({"weight": "must be at least 0.001"})
    if weight is not None and weight >= 10000:
        raise Invalid({"weight": "must be below 10000"})


def _may_place_key_result(actor: Actor, objective: Objective, owner: User) -> None:
    """Members put key results in objectives they may edit, or own the key result themselves."""
    if actor.is_admin:
        return
    editable = actor.owns(
        owner_user_id=objective.owner_user_id, owner_team_id=objective.owner_team_id
    )
    if not editable and (actor.user is None or owner.pk != actor.user.pk):
        raise Forbidden("members may add key results to objectives they own, or own them")


@transaction.atomic
def key_result_create(
    *,
    actor: Actor,
    objective: Objective,
    key: str,
    title: str,
    owner: str | None,
    kind: str = "metric",
    baseline: Decimal | float | None = None,
    target: Decimal | float | None = None,
    unit: str = "",
    weight: Decimal | float | None = None,
    kpi: str | None = None,
    initiatives: list[str] | None = None,
    final_score: Decimal | None = None,
    position: int | None = None,
) -> KeyResult:
    require_writer(actor)
    workspace = actor.workspace
    key = validate_key(key)
    if not owner:
        raise Invalid({"owner": "is required: every key result has one named owner"})
    owner_user = _member(workspace, owner, "owner")
    assert owner_user is not None
    _may_place_key_result(actor, objective, owner_user)
    require_open(objective.cycle, "objective")
    if KeyResult.objects.filter(workspace=workspace, key=key).exists():
        raise Invalid({"key": f"a key result '{key}' already exists"})
    weight_number = _number(weight, "weight")
    _check_kr_numbers(kind, weight_number)
    kr = KeyResult.objects.create(
        workspace=workspace,
        objective=objective,
        key=key,
        title=_text(title, "title", required=True),
        owner=owner_user,
        kind=_choice(kind, KR_KINDS, "kind"),
        baseline=_number(baseline, "baseline"),
        target=_number(target, "target"),
        unit=_text(unit, "unit", max_length=32),
        weight=weight_number if weight_number is not None else Decimal(1),
        kpi=_kpi(workspace, kpi),
        final_score=final_score,
        position=position if position is not None else objective.key_results.count(),
    )
    if initiatives:
        kr.initiatives.set(_initiatives(workspace, initiatives))
    if kr.kpi_id is not None:
        refresh_forecasts([kr.pk])  # the KPI's measurements in the cycle are its history
    after = snapshot(kr, KR_FIELDS)
    after["initiatives"] = list(initiatives or [])
    audit_record(
        workspace=workspace,
        actor=actor.user,
        action="created",
        entity_type="key_result",
        entity_key=key,
        after=after,
    )
    return kr


@transaction.atomic
def key_result_update(*, actor: Actor, kr: KeyResult, **changes: Any) -> KeyResult:
    require_writer(actor)
    workspace = actor.workspace
    before = snapshot(kr, KR_FIELDS)
    before["initiatives"] = list(kr.initiatives.values_list("key", flat=True))
    before_objective = kr.objective
    inputs_before = _forecast_inputs(kr)
    if changes.get("title") is not None:
        kr.title = _text(changes["title"], "title", required=True)
    if changes.get("owner") is not None:
        owner_user = _member(workspace, changes["owner"], "owner")
        assert owner_user is not None
        kr.owner = owner_user
    if changes.get("kind") is not None:
        kr.kind = _choice(changes["kind"], KR_KINDS, "kind")
    for name in ("baseline", "target"):
        if name in changes:
            setattr(kr, name, _number(changes[name], name))
    if changes.get("unit") is not None:
        kr.unit = _text(changes["unit"], "unit", max_length=32)
    if changes.get("weight") is not None:
        kr.weight = _number(changes["weight"], "weight")
        _check_kr_numbers(kr.kind, kr.weight)
    if "kpi" in changes:
        kr.kpi = _kpi(workspace, changes["kpi"])
    if changes.get("objective") is not None:
        objective = Objective.objects.filter(workspace=workspace, key=changes["objective"]).first()
        if objective is None:
            raise Invalid({"objective": f"unknown objective '{changes['objective']}'"})
        kr.objective = objective
    if changes.get("objective") is not None or changes.get("owner") is not None:
        _may_place_key_result(actor, kr.objective, kr.owner)
    initiatives_change = changes.get("initiatives") is not None and sorted(
        changes["initiatives"]
    ) != sorted(before["initiatives"])
    if (
        snapshot(kr, KR_FIELDS) != {k: v for k, v in before.items() if k != "initiatives"}
        or kr.objective_id != before_objective.pk
        or initiatives_change
    ):
        # Nothing changes in a closed cycle (an import that repeats what is there passes).
        require_open(before_objective.cycle, "objective")
        require_open(kr.objective.cycle, "objective")
    kr.save()
    if _forecast_inputs(kr) != inputs_before:
        refresh_forecasts([kr.pk])
    after = snapshot(kr, KR_FIELDS)
    after["initiatives"] = before["initiatives"]
    if changes.get("initiatives") is not None:
        kr.initiatives.set(_initiatives(workspace, changes["initiatives"]))
        after["initiatives"] = list(changes["initiatives"])
    audit_record(
        workspace=workspace,
        actor=actor.user,
        action="updated",
        entity_type="key_result",
        entity_key=kr.key,
        before=before,
        after=after,
    )
    return kr


@transaction.atomic
def key_result_delete(*, actor: Actor, kr: KeyResult) -> None:
    require_writer(actor)
    require_open(kr.objective.cycle, "objective")
    before = snapshot(kr, KR_FIELDS)
    kr.delete()
    audit_record(
        workspace=actor.workspace,
        actor=actor.user,
        action="deleted",
        entity_type="key_result",
        entity_key=before["key"],
        before=before,
    )


def _forecast_inputs(kr: KeyResult) -> tuple[Any, ...]:
    """What a KR's stored forecast depends on besides its history and its cycle's dates."""
    return (kr.kind, kr.baseline, kr.kpi_id, kr.objective_id)


def kr_current_value(kr: KeyResult) -> Decimal | None:
    """A KR that targets a KPI follows the KPI's latest measurement; others their check-ins."""
    if kr.kpi_id is not None and kr.kpi is not None and kr.kpi.latest_value is not None:
        return kr.kpi.latest_value
    return kr.current_value


def kr_progress_of(kr: KeyResult) -> scoring.Progress:
    return scoring.kr_progress(
        kind=kr.kind, baseline=kr.baseline, target=kr.target, current=kr_current_value(kr)
    )


# --------------------------------------------------------------------------- initiatives


def initiative_create(
    *, actor: Actor, key: str, title: str, owner: str | None = None, url: str | None = None
) -> Initiative:
    require_writer(actor)
    workspace = actor.workspace
    key = validate_key(key)
    owner_user, owner_team = resolve_owner(workspace, owner)
    if not actor.is_admin:
        _owner_allowed(actor, owner_user, owner_team)
    if Initiative.objects.filter(workspace=workspace, key=key).exists():
        raise Invalid({"key": f"an initiative '{key}' already exists"})
    initiative = Initiative.objects.create(
        workspace=workspace,
        key=key,
        title=_text(title, "title", required=True),
        owner_user=owner_user,
        owner_team=owner_team,
        url=_url(url),
    )
    audit_record(
        workspace=workspace,
        actor=actor.user,
        action="created",
        entity_type="initiative",
        entity_key=key,
        after=snapshot(initiative, INITIATIVE_FIELDS),
    )
    return initiative


def _url(url: str | None) -> str:
    from django.core.exceptions import ValidationError
    from django.core.validators import URLValidator

    url = (url or "").strip()
    if url:
        try:
            URLValidator(schemes=["http", "https"])(url)
        except ValidationError:
            raise Invalid({"url": f"'{url}' is not an http(s) URL"}) from None
        if len(url) > 500:
            raise Invalid({"url": "is longer than 500 characters"})
    return url


def initiative_update(*, actor: Actor, initiative: Initiative, **changes: Any) -> Initiative:
    require_owns(
        actor, owner_user_id=initiative.owner_user_id, owner_team_id=initiative.owner_team_id
    )
    before = snapshot(initiative, INITIATIVE_FIELDS)
    if changes.get("title") is not None:
        initiative.title = _text(changes["title"], "title", required=True)
    if "owner" in changes:
        owner_user, owner_team = resolve_owner(actor.workspace, changes["owner"])
        if not actor.is_admin:
            _owner_allowed(actor, owner_user, owner_team)
        initiative.owner_user, initiative.owner_team = owner_user, owner_team
    if "url" in changes:
        initiative.url = _url(changes["url"])
    initiative.save()
    audit_record(
        workspace=actor.workspace,
        actor=actor.user,
        action="updated",
        entity_type="initiative",
        entity_key=initiative.key,
        before=before,
        after=snapshot(initiative, INITIATIVE_FIELDS),
    )
    return initiative


@transaction.atomic
def initiative_delete(*, actor: Actor, initiative: Initiative) -> None:
    require_owns(
        actor, owner_user_id=initiative.owner_user_id, owner_team_id=initiative.owner_team_id
    )
    before = snapshot(initiative, INITIATIVE_FIELDS)
    initiative.delete()
    audit_record(
        workspace=actor.workspace,
        actor=actor.user,
        action="deleted",
        entity_type="initiative",
        entity_key=before["key"],
        before=before,
    )


# --------------------------------------------------------------------------- check-ins


def _checkin_value(kr: KeyResult, value: Decimal | float | int | None) -> Decimal | None:
    number = _number(value, "value")
    if kr.kind == "milestone":
        if number is None or number not in (0, 1):
            raise Invalid({"value": "a milestone check-in is 0 (not done) or 1 (done)"})
    elif number is None and kr.kpi_id is None:
        raise Invalid({"value": "is required for a metric key result"})
    return number


def _checkin_date(workspace: Workspace, at: dt.date | None) -> dt.date:
    today = workspace_today(workspace)
    if at is None:
        return today
    if at > today:
        raise Invalid({"at": f"{at} is in the future (today is {today})"})
    return at


# --------------------------------------------------------------------------- forecasts

FORECAST_DIGITS = 6  # decimals kept: a straight line lands on 1890000.0, not 1889999.9999999998
# A projection this far out (the inputs are bounded by 10^17 too) says nothing useful: the KR
# then has no forecast at all rather than an absurd one.
FORECAST_LIMIT = 1e17
NO_FORECAST: tuple[None, None, None] = (None, None, None)
ForecastColumns = tuple[float, float, float] | tuple[None, None, None]


def forecast_columns(
    *,
    kind: str,
    baseline: Decimal | None,
    start: dt.date,
    end: dt.date,
    points: list[tuple[dt.date, Decimal]],
) -> ForecastColumns:
    """(forecast_value, forecast_low, forecast_high) as stored: okapi.core.forecast on the
    points, rounded to 6 decimals; nulls for a milestone, too few points or an absurd size."""
    if kind != "metric":
        return NO_FORECAST
    result = forecasting.forecast_kr(checkins=points, start=start, end=end, baseline=baseline)
    if result is None:
        return NO_FORECAST
    numbers = (result.value, result.low, result.high)
    if not all(math.isfinite(x) and abs(x) < FORECAST_LIMIT for x in numbers):
        return NO_FORECAST
    value, low, high = (round(x, FORECAST_DIGITS) for x in numbers)
    return value, low, high


def _follows_kpi(row: dict[str, Any]) -> bool:
    # As kr_current_value: a KR that targets a KPI with data follows its measurements.
    return row["kpi_id"] is not None and row["kpi__latest_value"] is not None


FORECAST_ROW = (
    "id", "kind", "baseline", "kpi_id", "kpi__latest_value", "objective__cycle__start",
    "objective__cycle__end", "workspace__timezone", "forecast_value", "forecast_low",
    "forecast_high",
)  # fmt: skip


def refresh_forecasts(krs: QuerySet[KeyResult] | Iterable[int]) -> int:
    """Recompute the stored forecasts of these KRs (a queryset, or ids) and save the changed
    ones; returns how many changed. A constant number of queries: the KRs, their check-ins (one
    query), the measurements of the KPIs they target inside their cycles (one query, read as
    local dates of the workspace), and the bulk update."""
    queryset = krs if isinstance(krs, QuerySet) else KeyResult.objects.filter(pk__in=list(krs))
    rows = list(queryset.values(*FORECAST_ROW))
    metric = [r for r in rows if r["kind"] == "metric"]
    points: dict[int, list[tuple[dt.date, Decimal]]] = {r["id"]: [] for r in rows}
    if any(not _follows_kpi(r) for r in metric):
        for kr_id, at, value in (
            CheckIn.objects.filter(
                key_result__in=queryset.values("pk"), value__isnull=False, key_result__kind="metric"
            )
            .order_by("at", "id")
            .values_list("key_result_id", "at", "value")
        ):
            points[kr_id].append((at, value))
    following = [r for r in metric if _follows_kpi(r)]
    if following:
        by_kpi: dict[int, list[dict[str, Any]]] = {}
        for r in following:
            by_kpi.setdefault(r["kpi_id"], []).append(r)
        # Measurements are instants; a day either side covers every time zone.
        first = min(r["objective__cycle__start"] for r in following) - dt.timedelta(days=2)
        last = max(r["objective__cycle__end"] for r in following) + dt.timedelta(days=2)
        zones: dict[str, zoneinfo.ZoneInfo] = {}
        for kpi_id, at, value in (
            Measurement.objects.filter(
                kpi_id__in=queryset.filter(kpi__isnull=False).values("kpi_id"),
                at__gte=dt.datetime.combine(first, dt.time(), dt.UTC),
                at__lt=dt.datetime.combine(last, dt.time(), dt.UTC),
            )
            .order_by("at")
            .values_list("kpi_id", "at", "value")
        ):
            for r in by_kpi.get(kpi_id, []):
                name = r["workspace__timezone"]
                zone = zones.get(name) or zones.setdefault(name, zoneinfo.ZoneInfo(name))
                day = at.astimezone(zone).date()
                if r["objective__cycle__start"] <= day <= r["objective__cycle__end"]:
                    points[r["id"]].append((day, value))
    changed = []
    for r in rows:
        columns = forecast_columns(
            kind=r["kind"],
            baseline=r["baseline"],
            start=r["objective__cycle__start"],
            end=r["objective__cycle__end"],
            points=points[r["id"]],
        )
        if columns != (r["forecast_value"], r["forecast_low"], r["forecast_high"]):
            value, low, high = columns
            changed.append(
                KeyResult(pk=r["id"], forecast_value=value, forecast_low=low, forecast_high=high)
            )
    if changed:
        KeyResult.objects.bulk_update(
            changed, ["forecast_value", "forecast_low", "forecast_high"], batch_size=500
        )
    return len(changed)


def refresh_open_cycle_forecasts(
    workspace: Workspace | None = None, *, recompute: bool = False
) -> int:
    """Fill the missing forecasts of the metric KRs in open cycles (of one workspace, or all):
    the KRs created before forecasts were stored. The worker's periodic scan calls it; a stored
    forecast is kept current by the writes that change it (check-ins, measurements, cycle
    dates, baseline, KPI link), so only `recompute=True` recomputes those too."""
    krs = KeyResult.objects.filter(objective__cycle__closed_at__isnull=True, kind="metric")
    if workspace is not None:
        krs = krs.filter(workspace=workspace)
    if not recompute:
        # Two check-ins make a trend; a KR that follows a KPI may have measurements instead.
        krs = krs.filter(forecast_value__isnull=True).filter(
            Q(checkin_count__gte=2) | Q(kpi__isnull=False)
        )
    return refresh_forecasts(krs)


def refresh_kr_rollup(kr: KeyResult) -> None:
    """Recompute the KR's current value, last check-in, last movement and forecast from its
    history (a KR that follows a KPI takes its forecast from the KPI's measurements)."""
    history = list(
        CheckIn.objects.filter(key_result=kr)
        .order_by("at", "id")
        .values_list("at", "value", "confidence")
    )
    points = [scoring.CheckinPoint(at, value) for at, value, _ in history if value is not None]
    valued = points
    kr.checkin_count = len(history)
    kr.last_checkin_at = history[-1][0] if history else None
    kr.last_confidence = history[-1][2] if history else ""
    kr.current_value = valued[-1].value if valued else None
    kr.last_moved_at = scoring.last_movement(valued)
    fields: dict[str, Any] = {
        "checkin_count": kr.checkin_count,
        "last_checkin_at": kr.last_checkin_at,
        "last_confidence": kr.last_confidence,
        "current_value": kr.current_value,
        "last_moved_at": kr.last_moved_at,
    }
    if kr.kpi_id is None:
        columns: ForecastColumns = NO_FORECAST
        if kr.kind == "metric":
            cycle = kr.objective.cycle
            columns = forecast_columns(
                kind=kr.kind,
                baseline=kr.baseline,
                start=cycle.start,
                end=cycle.end,
                points=[(p.at, p.value) for p in valued if p.value is not None],
            )
        kr.forecast_value, kr.forecast_low, kr.forecast_high = columns
        fields.update(
            forecast_value=kr.forecast_value,
            forecast_low=kr.forecast_low,
            forecast_high=kr.forecast_high,
        )
    KeyResult.objects.filter(pk=kr.pk).update(**fields)
    if kr.kpi_id is not None:
        refresh_forecasts([kr.pk])  # from the KPI's measurements (its check-ins without any)


def _lock_open_cycle(kr: KeyResult) -> None:
    """Refuse a check-in into a closed cycle, reading the cycle row under a lock: a cycle closed
    while this request ran is seen closed (`cycle_close` takes the same lock first)."""
    cycle = Cycle.objects.select_for_update().get(pk=kr.objective.cycle_id)
    require_open(cycle, "key_result")


def _lock(kr: KeyResult) -> None:
    # Serialise check-ins on one KR so the roll-up never misses a concurrent one (PostgreSQL;
    # SQLite's IMMEDIATE transactions serialise all writers already).
    list(KeyResult.objects.select_for_update().filter(pk=kr.pk).values_list("pk"))


@transaction.atomic
def checkin_create(
    *,
    actor: Actor,
    kr: KeyResult,
    value: Decimal | float | int | None,
    confidence: str = "on_track",
    moved: str | None = None,
    blocked: str | None = None,
    at: dt.date | None = None,
    author: User | None = None,
) -> CheckIn:
    """Record a check-in. Only the KR's owner (or an admin, e.g. on someone's behalf) may."""
    if not can_check_in(actor, kr):
        require_writer(actor)
        raise Forbidden("only the key result's owner (or an admin) may check in on it")
    author = author or actor.user
    if author is None:
        raise Invalid({"by": "is required"})
    if actor.user is not None and author.pk != actor.user.pk and not actor.is_admin:
        raise Forbidden("only an admin may check in on someone else's behalf")
    _lock_open_cycle(kr)
    _lock(kr)
    checkin = CheckIn.objects.create(
        workspace=actor.workspace,
        key_result=kr,
        author=author,
        at=_checkin_date(actor.workspace, at),
        value=_checkin_value(kr, value),
        confidence=_choice(confidence, CONFIDENCES, "confidence"),
        moved=_text(moved, "moved", max_length=5000),
        blocked=_text(blocked, "blocked", max_length=5000),
    )
    refresh_kr_rollup(kr)
    audit_record(
        workspace=actor.workspace,
        actor=actor.user,
        action="created",
        entity_type="checkin",
        entity_key=f"{kr.key}#{checkin.pk}",
        after=snapshot(checkin, CHECKIN_FIELDS),
    )
    events.emit(
        workspace=actor.workspace,
        event=events.Event.CHECKIN_CREATED,
        data={
            "id": checkin.pk,
            "key_result": kr.key,
            "objective": kr.objective.key,
            "author": author.email,
            "at": checkin.at,
            "value": float(checkin.value) if checkin.value is not None else None,
            "confidence": checkin.confidence,
            "moved": checkin.moved,
            "blocked": checkin.blocked,
            "current": float(kr.current_value) if kr.current_value is not None else None,
        },
    )
    return checkin


@transaction.atomic
def checkin_correct(*, actor: Actor, checkin: CheckIn, **changes: Any) -> CheckIn:
    """Correct a check-in (its author or an admin). The before and after go to the audit log."""
    require_writer(actor)
    if not actor.is_admin and (actor.user is None or checkin.author_id != actor.user.pk):
        raise Forbidden("only the check-in's author (or an admin) may correct it")
    kr = checkin.key_result
    _lock_open_cycle(kr)
    _lock(kr)
    before = snapshot(checkin, CHECKIN_FIELDS)
    if "value" in changes:
        checkin.value = _checkin_value(kr, changes["value"])
    if changes.get("confidence") is not None:
        checkin.confidence = _choice(changes["confidence"], CONFIDENCES, "confidence")
    if changes.get("moved") is not None:
        checkin.moved = _text(changes["moved"], "moved", max_length=5000)
    if changes.get("blocked") is not None:
        checkin.blocked = _text(changes["blocked"], "blocked", max_length=5000)
    if changes.get("at") is not None:
        checkin.at = _checkin_date(actor.workspace, changes["at"])
    checkin.corrected_at = now()
    checkin.corrected_by = actor.user
    checkin.save()
    refresh_kr_rollup(kr)
    audit_record(
        workspace=actor.workspace,
        actor=actor.user,
        action="corrected",
        entity_type="checkin",
        entity_key=f"{kr.key}#{checkin.pk}",
        before=before,
        after=snapshot(checkin, CHECKIN_FIELDS),
    )
    return checkin


# --------------------------------------------------------------------------- carrying over


@transaction.atomic
def objectives_carry_over(
    *, actor: Actor, objectives: list[Objective], cycle: str
) -> list[Objective]:
    """Copy unfinished objectives (with their KRs) into another open cycle: all or none."""
    target = _cycle(actor.workspace, cycle)
    if target.closed_at is not None:
        raise Invalid({"cycle": f"cycle '{target.key}' is closed"})
    copies = []
    for objective in objectives:
        if objective.cycle_id == target.pk:
            raise Invalid({"cycle": f"'{objective.key}' is already in cycle '{target.key}'"})
        try:
            copies.append(objective_copy(actor=actor, objective=objective, cycle=target.key))
        except Invalid as exc:
            message = "; ".join(exc.errors.values())
            raise Invalid({"objectives": f"{objective.title}: {message}"}) from None
    return copies
