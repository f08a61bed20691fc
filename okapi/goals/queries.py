"""Reads shaped for the cycle tracker and the API, each in a constant number of queries."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import Q, QuerySet

from okapi.core import scoring
from okapi.goals.models import Cycle, KeyResult, Objective
from okapi.goals.services import workspace_today
from okapi.workspaces.access import Actor


def _f(value: Decimal | None) -> float | None:
    return float(value) if value is not None else None


# The tree reads plain rows (no model instances): at 6,000 KRs, building models and
# re-validating the answer cost several times more than the SQL itself (bench/platform_bench.py).
KR_COLUMNS = (
    "id", "key", "title", "kind", "baseline", "target", "unit", "weight", "final_score",
    "current_value", "last_checkin_at", "last_moved_at", "last_confidence", "checkin_count",
    "objective_id", "objective__key", "owner__email", "kpi_id", "kpi__key", "kpi__latest_value",
    "objective__cycle__start", "objective__cycle__end", "objective__cycle__closed_at",
)  # fmt: skip
OBJECTIVE_COLUMNS = (
    "id", "key", "title", "description", "level", "type", "cycle__key", "cycle__start",
    "cycle__end", "owner_team__key", "owner_user__email", "parent__key",
)  # fmt: skip


@dataclass
class KrStatus:
    progress: scoring.Progress
    current: Decimal | None
    pace: scoring.Pace
    stale: bool
    stuck: bool


def kr_status(row: dict[str, Any], today: dt.date, expected: Decimal | None = None) -> KrStatus:
    """Progress, pace and flags of a KR from its stored roll-up (no extra query)."""
    current = row["current_value"]
    if row["kpi_id"] is not None and row["kpi__latest_value"] is not None:
        current = row["kpi__latest_value"]  # a KR that targets a KPI follows it
    progress = scoring.kr_progress(
        kind=row["kind"], baseline=row["baseline"], target=row["target"], current=current
    )
    start, end = row["objective__cycle__start"], row["objective__cycle__end"]
    if expected is None:
        expected = scoring.expected_progress(start=start, end=end, today=min(today, end))
    has_data = row["checkin_count"] > 0 or (row["kpi_id"] is not None and current is not None)
    pace = scoring.pace_status(progress=progress.value, expected=expected, has_data=has_data)
    active = row["objective__cycle__closed_at"] is None and start <= today <= end
    stale = active and scoring.is_stale(
        last_checkin=row["last_checkin_at"], today=today, since=start
    )
    moved = row["last_moved_at"]
    stuck = (
        active
        and row["checkin_count"] >= 2
        and moved is not None
        and today - moved >= scoring.STUCK_AFTER
    )
    return KrStatus(progress, current, pace, stale, stuck)


def key_result_dicts(rows: list[dict[str, Any]], today: dt.date) -> list[dict[str, Any]]:
    """KR rows (from `.values(*KR_COLUMNS)`) as API dicts, with their initiatives: one query."""
    return [entry for entry, _ in _key_result_entries(rows, today)]


def _key_result_entries(
    rows: list[dict[str, Any]], today: dt.date, links_scope: Q | None = None
) -> list[tuple[dict[str, Any], Decimal]]:
    """(API dict, score as Decimal) per KR row; the score feeds the objective's.

    `links_scope` selects the initiative links by a join (e.g. the KRs of a cycle) instead
    of a list of thousands of ids."""
    links: dict[int, list[str]] = {}
    if rows:
        through = KeyResult.initiatives.through
        scope = (
            links_scope if links_scope is not None else Q(keyresult_id__in=[r["id"] for r in rows])
        )
        for kr_id, key in (
            through.objects.filter(scope)
            .order_by("initiative__key")
            .values_list("keyresult_id", "initiative__key")
        ):
            links.setdefault(kr_id, []).append(key)
    out = []
    expected_by_cycle: dict[tuple[dt.date, dt.date], Decimal] = {}
    for row in rows:
        span = (row["objective__cycle__start"], row["objective__cycle__end"])
        expected = expected_by_cycle.get(span)
        if expected is None:
            expected = expected_by_cycle[span] = scoring.expected_progress(
                start=span[0], end=span[1], today=min(today, span[1])
            )
        status = kr_status(row, today, expected)
        final = row["final_score"]
        score = final if final is not None else status.progress.value
        out.append(
            (
                {
                    "key": row["key"],
                    "objective": row["objective__key"],
                    "title": row["title"],
                    "owner": row["owner__email"],
                    "kind": row["kind"],
                    "baseline": _f(row["baseline"]),
                    "target": _f(row["target"]),
                    "unit": row["unit"],
                    "weight": float(row["weight"]),
                    "kpi": row["kpi__key"],
                    "initiatives": links.get(row["id"], []),
                    "current": _f(status.current),
                    "progress": float(status.progress.value),
                    "progress_raw": _f(status.progress.raw),
                    "final_score": _f(final),
                    "band": scoring.score_band(score),
                    "pace": status.pace.value,
                    "confidence": row["last_confidence"] or None,
                    "last_checkin_at": row["last_checkin_at"],
                    "checkins": row["checkin_count"],
                    "stale": status.stale,
                    "stuck": status.stuck,
                },
                score,
            )
        )
    return out


def key_results_queryset(actor: Actor) -> QuerySet[KeyResult]:
    return KeyResult.objects.filter(workspace=actor.workspace)


def objectives_queryset(actor: Actor) -> QuerySet[Objective]:
    return Objective.objects.filter(workspace=actor.workspace)


def objective_dicts(
    rows: list[dict[str, Any]], today: dt.date, cycle: Cycle | None = None
) -> list[dict[str, Any]]:
    """Objective rows (from `.values(*OBJECTIVE_COLUMNS)`) with their KRs, scores and aligned
    children: three queries whatever the number of objectives. With `cycle` (all the rows are
    that cycle's objectives) the related rows are selected by joins rather than id lists."""
    if not rows:
        return []
    ids = [r["id"] for r in rows]
    if cycle is not None:
        kr_scope = Q(objective__cycle=cycle)
        links_scope: Q | None = Q(keyresult__objective__cycle=cycle)
        children_scope = Q(parent__cycle=cycle)
    else:
        kr_scope, links_scope = Q(objective_id__in=ids), None
        children_scope = Q(parent_id__in=ids)
    krs: dict[int, list[dict[str, Any]]] = {i: [] for i in ids}
    weighted: dict[int, list[tuple[Decimal, Decimal]]] = {i: [] for i in ids}
    kr_rows = list(
        KeyResult.objects.filter(kr_scope).order_by("position", "id").values(*KR_COLUMNS)
    )
    entries = _key_result_entries(kr_rows, today, links_scope)
    for row, (kr, score) in zip(kr_rows, entries, strict=True):
        krs[row["objective_id"]].append(kr)
        weighted[row["objective_id"]].append((score, row["weight"]))
    children: dict[int, list[str]] = {i: [] for i in ids}
    for parent_id, key in (
        Objective.objects.filter(children_scope)
        .order_by("position", "id")
        .values_list("parent_id", "key")
    ):
        children[parent_id].append(key)
    out = []
    for o in rows:
        results = krs[o["id"]]
        score = scoring.objective_score(weighted[o["id"]])
        start, end = o["cycle__start"], o["cycle__end"]
        out.append(
            {
                "key": o["key"],
                "title": o["title"],
                "description": o["description"],
                "level": o["level"],
                "type": o["type"],
                "cycle": o["cycle__key"],
                "owner": o["owner_team__key"] or o["owner_user__email"],
                "parent": o["parent__key"],
                "children": children[o["id"]],
                "score": _f(score),
                "band": scoring.score_band(score),
                "success": scoring.is_success(score, o["type"]),
                "expected_progress": float(
                    scoring.expected_progress(start=start, end=end, today=min(today, end))
                ),
                "key_results": results,
            }
        )
    return out


def cycle_tree(actor: Actor, cycle: Cycle) -> dict[str, Any]:
    """A cycle's objectives with KRs, progress, scores, pace and alignment."""
    today = workspace_today(actor.workspace)
    rows = list(
        objectives_queryset(actor)
        .filter(cycle=cycle)
        .order_by("position", "id")
        .values(*OBJECTIVE_COLUMNS)
    )
    items = objective_dicts(rows, today, cycle)
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
