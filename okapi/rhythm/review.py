"""The end-of-cycle review: what a cycle came to, kept with it (issue 6, PRODUCT §3).

`review_create` snapshots the closed cycle into `CycleReview.data` (plain JSON): the cycle and
its note, every objective and key result with its final score, the bands, the distribution by
team, committed vs aspirational, sandbagging flags across this and the team's earlier closed
cycles, and the last check-in's notes per key result. `cycle_close` calls it inside its
transaction; a cycle closed before reviews existed gets one on first view (`review_for`).

What was carried over is the one thing that changes after closing (the tracker's carry-over
copies objectives into a later cycle afterwards), so it is read when the review is shown
(`review_data`), not frozen: an objective is carried over when `objective_copy` recorded a copy
of it (its "copied" audit event) and that copy still exists in another cycle.

A key result belongs to the team that owns its objective; an objective owned by a person
counts under "No team".
"""

from __future__ import annotations

import copy
import csv
import io
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import OuterRef, Q, Subquery
from django.utils.timezone import now

from okapi.core import review as core
from okapi.errors import NotFound
from okapi.goals import queries
from okapi.goals.models import CheckIn, Cycle, KeyResult, Objective, ObjectiveType
from okapi.goals.services import workspace_today
from okapi.rhythm.models import CycleReview
from okapi.workspaces.models import AuditEvent, Team

REVIEW_VERSION = 1


def _f(value: Decimal | float | None) -> float | None:
    return None if value is None else float(value)


def _iso(value: Any) -> str | None:
    return None if value is None else value.isoformat()


# --------------------------------------------------------------------------- building


def _closed_by(cycle: Cycle) -> dict[str, str] | None:
    event = (
        AuditEvent.objects.filter(
            workspace_id=cycle.workspace_id,
            entity_type="cycle",
            entity_key=cycle.key,
            action="closed",
        )
        .select_related("actor")
        .first()
    )
    if event is None or event.actor is None:
        return None
    return {"email": event.actor.email, "name": event.actor.display_name}


def _last_checkins(cycle: Cycle) -> dict[str, dict[str, Any]]:
    """Each KR's last check-in (date, moved, blocked, confidence): one query."""
    last = CheckIn.objects.filter(key_result=OuterRef("pk")).order_by("-at", "-id")
    rows = (
        KeyResult.objects.filter(objective__cycle=cycle)
        .annotate(
            last_at=Subquery(last.values("at")[:1]),
            last_moved=Subquery(last.values("moved")[:1]),
            last_blocked=Subquery(last.values("blocked")[:1]),
            last_confidence_=Subquery(last.values("confidence")[:1]),
        )
        .values("key", "last_at", "last_moved", "last_blocked", "last_confidence_")
    )
    return {
        r["key"]: {
            "at": _iso(r["last_at"]),
            "moved": r["last_moved"] or "",
            "blocked": r["last_blocked"] or "",
            "confidence": r["last_confidence_"] or None,
        }
        for r in rows
        if r["last_at"] is not None
    }


def _sandbagging(cycle: Cycle, team_names: dict[str, str]) -> list[dict[str, str]]:
    """Sandbagging flags per team: aspirational KRs of team-owned objectives, over the closed
    cycles (up to this one) in which the team had such KRs, ending with this cycle: one query."""
    rows = (
        KeyResult.objects.filter(
            Q(objective__cycle__closed_at__isnull=False) | Q(objective__cycle=cycle),
            workspace_id=cycle.workspace_id,
            objective__cycle__start__lte=cycle.start,
            objective__owner_team__isnull=False,
        )
        .exclude(objective__type=ObjectiveType.COMMITTED)
        .order_by("objective__cycle__start", "objective__cycle__key", "id")
        .values_list("objective__cycle__key", "objective__owner_team__key", "final_score")
    )
    by_team: dict[str, dict[str, list[float | None]]] = {}
    for cycle_key, team, score in rows:
        by_team.setdefault(team, {}).setdefault(cycle_key, []).append(_f(score))
    flags = []
    for team in sorted(by_team):
        by_cycle = by_team[team]
        if cycle.key not in by_cycle:
            continue
        # This cycle last, even if another cycle started on the same day.
        history = [(k, v) for k, v in by_cycle.items() if k != cycle.key]
        history.append((cycle.key, by_cycle[cycle.key]))
        name = team_names.get(team, team)
        message = core.sandbagging_flags(team=name, scores_by_cycle=history)
        if message is not None:
            flags.append({"team": team, "name": name, "message": message})
    return flags


def build_review_data(cycle: Cycle) -> dict[str, Any]:
    """The review of a (closed) cycle as plain JSON, in a constant number of queries."""
    workspace = cycle.workspace
    today = workspace_today(workspace)
    rows = list(
        Objective.objects.filter(cycle=cycle)
        .order_by("position", "id")
        .values(*queries.OBJECTIVE_COLUMNS)
    )
    items = queries.objective_dicts(rows, today, cycle)
    names = queries.owner_names(workspace)
    team_names = dict(Team.objects.filter(workspace=workspace).values_list("key", "name"))
    last = _last_checkins(cycle)
    carried = carried_over(cycle, [o["key"] for o in items])

    objectives: list[dict[str, Any]] = []
    key_results: list[dict[str, Any]] = []
    core_objectives: list[core.ReviewObjective] = []
    core_krs: list[core.ReviewKr] = []
    for row, o in zip(rows, items, strict=True):
        team = row["owner_team__key"]
        objective = {
            "key": o["key"],
            "title": o["title"],
            "level": o["level"],
            "type": o["type"],
            "owner": o["owner"],
            "owner_name": names.get(o["owner"] or "", o["owner"] or ""),
            "team": team,
            "team_name": team_names.get(team, team) if team else None,
            "parent": o["parent"],
            "score": o["score"],
            "band": core.band_of(o["score"]),
            "success": o["success"],
            "success_threshold": 1.0 if o["type"] == ObjectiveType.COMMITTED else 0.7,
            "carried_over": o["key"] in carried,
            "carried_to": carried.get(o["key"]),
            "key_results": [kr["key"] for kr in o["key_results"]],
        }
        objectives.append(objective)
        core_objectives.append(
            core.ReviewObjective(
                key=o["key"],
                title=o["title"],
                team=team,
                type=o["type"],
                score=o["score"],
                carried_over=objective["carried_over"],
            )
        )
        for kr in o["key_results"]:
            score = kr["final_score"] if kr["final_score"] is not None else kr["progress"]
            key_results.append(
                {
                    "key": kr["key"],
                    "objective": o["key"],
                    "title": kr["title"],
                    "owner": kr["owner"],
                    "owner_name": names.get(kr["owner"], kr["owner"]),
                    "team": team,
                    "kind": kr["kind"],
                    "unit": kr["unit"],
                    "weight": kr["weight"],
                    "baseline": kr["baseline"],
                    "target": kr["target"],
                    "final_value": kr["current"],
                    "final_score": score,
                    "band": core.band_of(score),
                    "checkins": kr["checkins"],
                    "last_checkin": last.get(kr["key"]),
                }
            )
            core_krs.append(
                core.ReviewKr(
                    key=kr["key"],
                    objective=o["key"],
                    title=kr["title"],
                    owner=kr["owner"],
                    team=team,
                    score=score,
                    checkins=kr["checkins"],
                )
            )

    teams = core.team_distribution(core_objectives, core_krs)
    for t in teams:
        if t["team"] is not None:
            t["name"] = team_names.get(t["team"], t["team"])
    scores = [Decimal(str(o["score"])) for o in objectives if o["score"] is not None]
    overall = (sum(scores) / len(scores)).quantize(Decimal("0.0001")) if scores else None
    closed_at = cycle.closed_at
    return {
        "version": REVIEW_VERSION,
        "cycle": {
            "key": cycle.key,
            "name": cycle.name,
            "start": _iso(cycle.start),
            "end": _iso(cycle.end),
            "closed_at": _iso(closed_at),
            "closed_by": _closed_by(cycle),
            "note": cycle.review_note,
        },
        "summary": {
            "score": _f(overall),
            "band": core.band_of(_f(overall)),
            "objectives": len(objectives),
            "key_results": len(key_results),
            "objective_bands": core.score_distribution(o["score"] for o in objectives),
            "key_result_bands": core.score_distribution(k["final_score"] for k in key_results),
            "carried_over": sum(o["carried_over"] for o in objectives),
        },
        "types": core.type_summary(core_objectives),
        "teams": teams,
        "sandbagging": _sandbagging(cycle, team_names),
        "objectives": objectives,
        "key_results": key_results,
    }


def review_create(*, cycle: Cycle) -> CycleReview:
    """Snapshot a closed cycle into its review (replacing an earlier one). `cycle_close` calls
    this after the final scores are saved, inside its transaction."""
    data = build_review_data(cycle)
    review, _ = CycleReview.objects.update_or_create(
        cycle=cycle, defaults={"data": data, "created_at": now()}
    )
    return review


def review_for(cycle: Cycle) -> CycleReview | None:
    """A closed cycle's review, built on first view for a cycle closed before reviews existed;
    None while the cycle is open."""
    if cycle.closed_at is None:
        return None
    review = CycleReview.objects.filter(cycle=cycle).first()
    if review is not None:
        return review
    try:
        with transaction.atomic():
            return review_create(cycle=cycle)
    except IntegrityError:  # another request built it first
        return CycleReview.objects.get(cycle=cycle)


# --------------------------------------------------------------------------- reading


def carried_over(cycle: Cycle, keys: list[str]) -> dict[str, str]:
    """{objective key: the cycle its copy is in} for the objectives of `cycle` copied into
    another cycle (objective_copy's "copied" audit event) whose copy still exists: two queries."""
    if not keys:
        return {}
    copies: dict[str, str] = {}
    for key, after in (
        AuditEvent.objects.filter(
            workspace_id=cycle.workspace_id,
            entity_type="objective",
            action="copied",
            entity_key__in=keys,
        )
        .order_by("at", "id")
        .values_list("entity_key", "after")
    ):
        if isinstance(after, dict) and isinstance(after.get("copy"), str):
            copies.setdefault(after["copy"], key)
    if not copies:
        return {}
    found: dict[str, str] = {}
    for copy_key, cycle_key in (
        Objective.objects.filter(workspace_id=cycle.workspace_id, key__in=list(copies))
        .exclude(cycle=cycle)
        .order_by("cycle__start", "key")
        .values_list("key", "cycle__key")
    ):
        found.setdefault(copies[copy_key], cycle_key)
    return found


def review_data(cycle: Cycle) -> dict[str, Any]:
    """The review of a closed cycle with what was carried over as it stands now; NotFound while
    the cycle is open."""
    review = review_for(cycle)
    if review is None:
        raise NotFound(
            f"cycle '{cycle.key}' is not closed yet: its review appears when the cycle closes"
        )
    data = copy.deepcopy(review.data)
    carried = carried_over(cycle, [o["key"] for o in data.get("objectives", [])])
    for o in data.get("objectives", []):
        o["carried_over"] = o["key"] in carried
        o["carried_to"] = carried.get(o["key"])
    data.setdefault("summary", {})["carried_over"] = len(carried)
    data["created_at"] = _iso(review.created_at)
    return data


# --------------------------------------------------------------------------- CSV

CSV_COLUMNS = (
    "cycle", "objective_key", "objective_title", "objective_type", "team", "objective_score",
    "kr_key", "kr_title", "owner", "kind", "baseline", "target", "final_value", "final_score",
    "band", "checkins", "carried_over", "last_note",
)  # fmt: skip
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def csv_safe(text: str) -> str:
    """A text cell a spreadsheet will not run: one starting with = + - @ (or a tab or carriage
    return) gets a leading apostrophe (OWASP's CSV injection advice)."""
    return f"'{text}" if text.startswith(FORMULA_STARTS) else text


def _number(value: float | None) -> str:
    if value is None:
        return ""
    return format(Decimal(str(value)).normalize(), "f")


def _note(last: dict[str, Any] | None) -> str:
    if not last:
        return ""
    parts = []
    if last.get("moved"):
        parts.append(f"Moved: {last['moved']}")
    if last.get("blocked"):
        parts.append(f"Blocked: {last['blocked']}")
    return " | ".join(parts)


def review_csv(data: dict[str, Any]) -> str:
    """One row per KR with its objective's columns (an objective without KRs gets one row with
    the KR columns empty). Text cells are CSV-injection safe; numbers are plain."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    krs: dict[str, list[dict[str, Any]]] = {}
    for kr in data.get("key_results", []):
        krs.setdefault(kr["objective"], []).append(kr)
    cycle = data["cycle"]["key"]
    for o in data.get("objectives", []):
        head = [
            csv_safe(cycle),
            csv_safe(o["key"]),
            csv_safe(o["title"]),
            o["type"],
            csv_safe(o["team"] or ""),
            _number(o["score"]),
        ]
        carried = "yes" if o.get("carried_over") else "no"
        rows = krs.get(o["key"]) or [None]
        for kr in rows:
            if kr is None:
                writer.writerow([*head, "", "", "", "", "", "", "", "", "", "", carried, ""])
                continue
            writer.writerow(
                [
                    *head,
                    csv_safe(kr["key"]),
                    csv_safe(kr["title"]),
                    csv_safe(kr["owner"]),
                    kr["kind"],
                    _number(kr["baseline"]),
                    _number(kr["target"]),
                    _number(kr["final_value"]),
                    _number(kr["final_score"]),
                    kr["band"],
                    kr["checkins"],
                    carried,
                    csv_safe(_note(kr.get("last_checkin"))),
                ]
            )
    return out.getvalue()


def csv_filename(workspace_key: str, cycle_key: str) -> str:
    return f"okapi-{workspace_key}-{cycle_key}-review.csv"
