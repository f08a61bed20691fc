"""Reads shaped for the cycle tracker and the API, each in a constant number of queries."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import Prefetch, QuerySet

from okapi.core import scoring
from okapi.goals.models import Cycle, Initiative, KeyResult, Objective
from okapi.goals.services import kr_current_value, workspace_today
from okapi.workspaces.access import Actor
from okapi.workspaces.services import owner_ref


def _f(value: Decimal | None) -> float | None:
    return float(value) if value is not None else None


@dataclass
class KrStatus:
    progress: scoring.Progress
    current: Decimal | None
    pace: scoring.Pace
    stale: bool
    stuck: bool


def kr_status(kr: KeyResult, cycle: Cycle, today: dt.date) -> KrStatus:
    """Progress, pace and flags of a KR from its stored roll-up (no extra query)."""
    current = kr_current_value(kr)
    progress = scoring.kr_progress(
        kind=kr.kind, baseline=kr.baseline, target=kr.target, current=current
    )
    closed = cycle.closed_at is not None
    reference_day = min(today, cycle.end)
    expected = scoring.expected_progress(start=cycle.start, end=cycle.end, today=reference_day)
    has_data = kr.checkin_count > 0 or (kr.kpi_id is not None and current is not None)
    pace = scoring.pace_status(progress=progress.value, expected=expected, has_data=has_data)
    active = not closed and cycle.start <= today <= cycle.end
    stale = active and scoring.is_stale(
        last_checkin=kr.last_checkin_at, today=today, since=cycle.start
    )
    stuck = (
        active
        and kr.checkin_count >= 2
        and kr.last_moved_at is not None
        and today - kr.last_moved_at >= scoring.STUCK_AFTER
    )
    return KrStatus(progress, current, pace, stale, stuck)


def key_result_dict(kr: KeyResult, cycle: Cycle, today: dt.date) -> dict[str, Any]:
    status = kr_status(kr, cycle, today)
    score = kr.final_score if kr.final_score is not None else status.progress.value
    return {
        "key": kr.key,
        "objective": kr.objective.key,
        "title": kr.title,
        "owner": kr.owner.email,
        "kind": kr.kind,
        "baseline": _f(kr.baseline),
        "target": _f(kr.target),
        "unit": kr.unit,
        "weight": float(kr.weight),
        "kpi": kr.kpi.key if kr.kpi else None,
        "initiatives": [i.key for i in kr.initiatives.all()],
        "current": _f(status.current),
        "progress": float(status.progress.value),
        "progress_raw": _f(status.progress.raw),
        "final_score": _f(kr.final_score),
        "band": scoring.score_band(score),
        "pace": status.pace.value,
        "confidence": kr.last_confidence or None,
        "last_checkin_at": kr.last_checkin_at,
        "checkins": kr.checkin_count,
        "stale": status.stale,
        "stuck": status.stuck,
    }


def key_results_queryset(actor: Actor) -> QuerySet[KeyResult]:
    return (
        KeyResult.objects.filter(workspace=actor.workspace)
        .select_related("owner", "kpi", "objective", "objective__cycle")
        .prefetch_related(Prefetch("initiatives", queryset=Initiative.objects.only("id", "key")))
    )


def objectives_queryset(actor: Actor) -> QuerySet[Objective]:
    return Objective.objects.filter(workspace=actor.workspace).select_related(
        "cycle", "owner_team", "owner_user", "parent"
    )


@dataclass
class ObjectiveView:
    objective: Objective
    key_results: list[dict[str, Any]] = field(default_factory=list)
    children: list[str] = field(default_factory=list)


def objective_dict(view: ObjectiveView, today: dt.date) -> dict[str, Any]:
    o = view.objective
    pairs = [
        (
            Decimal(str(kr["final_score"] if kr["final_score"] is not None else kr["progress"])),
            Decimal(str(kr["weight"])),
        )
        for kr in view.key_results
    ]
    score = scoring.objective_score(pairs)
    expected = scoring.expected_progress(
        start=o.cycle.start, end=o.cycle.end, today=min(today, o.cycle.end)
    )
    return {
        "key": o.key,
        "title": o.title,
        "description": o.description,
        "level": o.level,
        "type": o.type,
        "cycle": o.cycle.key,
        "owner": owner_ref(o.owner_user, o.owner_team),
        "parent": o.parent.key if o.parent else None,
        "children": view.children,
        "score": _f(score),
        "band": scoring.score_band(score),
        "success": scoring.is_success(score, o.type),
        "expected_progress": float(expected),
        "key_results": view.key_results,
    }


def objective_views(actor: Actor, objectives: list[Objective]) -> list[ObjectiveView]:
    """Objectives with their KRs and aligned children: three queries whatever the size."""
    today = workspace_today(actor.workspace)
    views = {o.pk: ObjectiveView(o) for o in objectives}
    if not views:
        return []
    krs = key_results_queryset(actor).filter(objective_id__in=views).order_by("position", "id")
    for kr in krs:
        view = views[kr.objective_id]
        kr.objective = view.objective  # the cycle is already loaded
        view.key_results.append(key_result_dict(kr, view.objective.cycle, today))
    for parent_id, key in (
        Objective.objects.filter(parent_id__in=views)
        .order_by("position", "id")
        .values_list("parent_id", "key")
    ):
        views[parent_id].children.append(key)
    return list(views.values())


def cycle_tree(actor: Actor, cycle: Cycle) -> dict[str, Any]:
    """A cycle's objectives with KRs, progress, scores, pace and alignment."""
    today = workspace_today(actor.workspace)
    objectives = list(objectives_queryset(actor).filter(cycle=cycle).order_by("position", "id"))
    items = [objective_dict(v, today) for v in objective_views(actor, objectives)]
    in_cycle = {o["key"] for o in items}
    scores = [Decimal(str(o["score"])) for o in items if o["score"] is not None]
    overall = (sum(scores) / len(scores)).quantize(Decimal("0.0001")) if scores else None
    return {
        "cycle": cycle_dict(cycle, today),
        "score": _f(overall),
        "band": scoring.score_band(overall),
        "roots": [o["key"] for o in items if o["parent"] not in in_cycle],
        "objectives": items,
    }


def cycle_dict(cycle: Cycle, today: dt.date) -> dict[str, Any]:
    return {
        "key": cycle.key,
        "name": cycle.name,
        "start": cycle.start,
        "end": cycle.end,
        "closed": cycle.closed_at is not None,
        "closed_at": cycle.closed_at,
        "review_note": cycle.review_note,
        "today": today,
        "expected_progress": float(
            scoring.expected_progress(start=cycle.start, end=cycle.end, today=min(today, cycle.end))
        ),
    }
