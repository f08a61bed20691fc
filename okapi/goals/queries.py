"""Reads shaped for the cycle tracker and the API, each in a constant number of queries."""

from __future__ import annotations

import datetime as dt
import functools
import zoneinfo
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import Q, QuerySet

from okapi.core import forecast as forecasting
from okapi.core import scoring
from okapi.goals.models import Cycle, KeyResult, Objective
from okapi.goals.services import workspace_today
from okapi.workspaces.access import Actor


def _f(value: Decimal | None) -> float | None:
    return float(value) if value is not None else None


# The tree reads plain rows (no model instances): at 6,000 KRs, building models and
# re-validating the answer cost several times more than the SQL itself (bench/platform_bench.py).
KR_OWN_COLUMNS = (
    "id", "key", "title", "kind", "baseline", "target", "unit", "weight", "final_score",
    "current_value", "last_checkin_at", "last_moved_at", "last_confidence", "checkin_count",
    "objective_id", "objective__key", "objective__type", "owner__email", "kpi_id", "kpi__key",
    "kpi__latest_value", "forecast_value", "forecast_low", "forecast_high", "created_at",
    "workspace__timezone",
)  # fmt: skip
CYCLE_COLUMNS = ("objective__cycle__start", "objective__cycle__end", "objective__cycle__closed_at")
KR_COLUMNS = KR_OWN_COLUMNS + CYCLE_COLUMNS
OBJECTIVE_COLUMNS = (
    "id", "key", "title", "description", "level", "type", "cycle__key", "cycle__start",
    "cycle__end", "owner_team__key", "owner_user__email", "parent__key",
)  # fmt: skip


@functools.cache
def _zone(name: str) -> zoneinfo.ZoneInfo:
    return zoneinfo.ZoneInfo(name)


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
    since = start
    if active and row["last_checkin_at"] is None:
        # A KR added mid-cycle had no chance to be checked in before it existed (its local day).
        zone = _zone(row["workspace__timezone"])
        since = max(start, row["created_at"].astimezone(zone).date())
    stale = active and scoring.is_stale(
        last_checkin=row["last_checkin_at"], today=today, since=since
    )
    moved = row["last_moved_at"]
    stuck = (
        active
        and row["checkin_count"] >= 2
        and moved is not None
        and today - moved >= scoring.STUCK_AFTER
    )
    return KrStatus(progress, current, pace, stale, stuck)


def forecast_dict(row: dict[str, Any]) -> dict[str, Any] | None:
    """The stored forecast of a KR row as the API gives it, or None: no forecast for a
    milestone, a KR with fewer than two check-ins (or measurements), one without a baseline or
    a target to score against, or one of a closed cycle (its final score is what counts).

    Cheap formulas on the three stored numbers only (no statistics at read time): the score and
    the chance read the value and the interval, never the slope."""
    value = row["forecast_value"]
    if (
        value is None
        or row["kind"] != "metric"
        or row["objective__cycle__closed_at"] is not None
        or row["baseline"] is None
        or row["target"] is None
        or row["forecast_low"] is None
        or row["forecast_high"] is None
    ):
        return None
    stored = forecasting.Forecast(
        value=value,
        low=row["forecast_low"],
        high=row["forecast_high"],
        slope_per_day=0.0,  # not used by the score or the chance
        points=0,
    )
    score, score_low, score_high = forecasting.forecast_score(
        stored, baseline=row["baseline"], target=row["target"]
    )
    chance_of = forecasting.chance_threshold(row["objective__type"])
    chance = forecasting.chance_of_reaching(
        stored, baseline=row["baseline"], target=row["target"], score=chance_of
    )
    score = round(score, 4)
    return {
        "value": stored.value,
        "low": stored.low,
        "high": stored.high,
        "score": score,
        "score_low": round(score_low, 4),
        "score_high": round(score_high, 4),
        "chance": round(chance, 2),
        "chance_of": chance_of,
        "drifting": forecasting.is_drifting(score),
    }


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
                    "forecast": forecast_dict(row),
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


# --------------------------------------------------------------------------- OKR web pages
# Reads shaped for the pages in okapi/goals/views.py: each in a constant number of queries.

# What the tracker's status filter can ask for, and what it means for a KR dict.
TRACKER_STATUSES: dict[str, str] = {
    "behind": "Behind pace",
    "at_risk": "At risk or off track",
    "stuck": "Stuck (no movement for 4 weeks)",
    "stale": "No check-in for 2 weeks",
}


CHECKIN_COLUMNS = (
    "id", "at", "value", "confidence", "moved", "blocked", "corrected_at", "key_result__key",
    "key_result__title", "key_result__unit", "key_result__kind", "author__email", "author__name",
)  # fmt: skip


def kr_matches_status(kr: dict[str, Any], status: str) -> bool:
    if status == "behind":
        return bool(kr["pace"] == scoring.Pace.BEHIND)
    if status == "at_risk":
        return kr["confidence"] in ("at_risk", "off_track")
    if status == "stuck":
        return bool(kr["stuck"])
    if status == "stale":
        return bool(kr["stale"])
    return True


def owner_names(workspace: Any) -> dict[str, str]:
    """Display names of the workspace's members (by e-mail) and teams (by key): two queries."""
    from okapi.accounts.models import User
    from okapi.workspaces.models import Team

    return _names(
        list(User.objects.filter(memberships__workspace=workspace)),
        list(Team.objects.filter(workspace=workspace)),
    )


def _names(users: list[Any], teams: list[Any]) -> dict[str, str]:
    names = {u.email: u.display_name for u in users}
    names.update((t.key, t.name) for t in teams)
    return names


PREFIX_UNITS = ("$", "€", "£")


def number_text(value: float | Decimal | None, unit: str = "") -> str:
    """A value as people read it: `$1,250,000`, `14.3%`, `8 customers`, `—` for none."""
    if value is None:
        return "—"
    number = Decimal(str(value))
    places = Decimal("0.01") if abs(number) >= 1 else Decimal("0.001")
    digits = f"{number.quantize(places).normalize():,f}"
    if unit in PREFIX_UNITS:
        return f"-{unit}{digits[1:]}" if digits.startswith("-") else f"{unit}{digits}"
    if unit in ("", "%", "x"):
        return f"{digits}{unit}"
    return f"{digits} {unit}"


def label_key_result(kr: dict[str, Any]) -> None:
    """Add `current_text`, `baseline_text` and `target_text` (number_text) to a KR dict, and
    the forecast's words (label_forecast)."""
    for name in ("current", "baseline", "target"):
        kr[f"{name}_text"] = number_text(kr[name], kr["unit"])
    label_forecast(kr)


def _about(value: float, unit: str) -> str:
    """A projection to three significant figures ($1,840,000, not $1,840,714.29)."""
    return number_text(Decimal(f"{value:.3g}"), unit)


def label_forecast(kr: dict[str, Any]) -> None:
    """Add what the pages say about a KR's forecast: `forecast_band` (of the projected score),
    `forecast_spread` (False when the interval collapsed to a point, which is no certainty),
    `forecast_help` (where the numbers come from) and, without a forecast in an open cycle,
    `forecast_missing` (why not)."""
    f = kr.get("forecast")
    kr["forecast_missing"] = ""
    if f is None:
        if kr["final_score"] is not None:
            return  # a closed cycle: the final score is what counts
        if kr["kind"] != "metric":
            kr["forecast_missing"] = "No forecast (a milestone is done or not)"
        elif kr["baseline"] is None or kr["target"] is None:
            kr["forecast_missing"] = "No forecast (needs a baseline and a target)"
        elif kr["kpi"]:
            kr["forecast_missing"] = "No forecast yet (needs 2 measurements of its KPI this cycle)"
        elif kr["checkins"] < 2:
            kr["forecast_missing"] = "No forecast yet (needs 2 check-ins)"
        else:
            kr["forecast_missing"] = "No forecast (the trend runs off the scale)"
        return
    kr["forecast_band"] = scoring.score_band(Decimal(str(f["score"])))
    kr["forecast_spread"] = f["low"] != f["high"]
    source = (
        "the trend of its KPI's measurements this cycle"
        if kr["kpi"]
        else f"the trend of {kr['checkins']} check-in{'s' if kr['checkins'] != 1 else ''}"
    )
    unit = kr["unit"]
    where = f"about {_about(f['value'], unit)}"
    if kr["forecast_spread"]:
        where += f", 80% likely between {_about(f['low'], unit)} and {_about(f['high'], unit)}"
    kr["forecast_help"] = f"From {source}: {where} at the cycle end." + (
        f" The score that would earn, and the chance of reaching {f['chance_of']:.1f}, follow "
        "from that range."
        if kr["forecast_spread"]
        else " The check-ins lie on a line: too few, or too regular, to say how far off it "
        "the end may land."
    )


def name_owners(objectives: list[dict[str, Any]], names: dict[str, str]) -> None:
    """Add `owner_name` beside every objective's and KR's `owner` (a key or an e-mail), and
    the KRs' numbers as text (label_key_result)."""
    for o in objectives:
        o["owner_name"] = names.get(o["owner"] or "", o["owner"] or "")
        for kr in o["key_results"]:
            kr["owner_name"] = names.get(kr["owner"], kr["owner"])
            label_key_result(kr)


def filter_tree(
    tree: dict[str, Any], *, team: str = "", owner: str = "", status: str = ""
) -> dict[str, Any]:
    """The tree with only the objectives and KRs that pass the filters (no query).

    `team` keeps the objectives that team owns; `owner` the KRs (and individual objectives)
    of one person; `status` the KRs in that state (TRACKER_STATUSES). The objectives above a
    kept one stay as context (`context: True`) so the alignment still reads top-down.
    """
    if not (team or owner or status):
        return tree
    by_key = {o["key"]: o for o in tree["objectives"]}
    kept: dict[str, dict[str, Any]] = {}
    for o in tree["objectives"]:
        if team and o["owner"] != team:
            continue
        krs = [
            kr
            for kr in o["key_results"]
            if (not owner or owner in (kr["owner"], o["owner"]))
            and (not status or kr_matches_status(kr, status))
        ]
        if krs or not (owner or status):
            kept[o["key"]] = {**o, "key_results": krs, "context": False}
    for key in list(kept):
        parent = kept[key]["parent"]
        while parent in by_key and parent not in kept:
            kept[parent] = {**by_key[parent], "key_results": [], "context": True}
            parent = by_key[parent]["parent"]
    objectives = [kept[o["key"]] for o in tree["objectives"] if o["key"] in kept]
    for o in objectives:
        o["children"] = [c for c in o["children"] if c in kept]
    return {
        **tree,
        "objectives": objectives,
        "roots": [o["key"] for o in objectives if o["parent"] not in kept],
        "filtered": True,
    }


def _kr_rows(queryset: QuerySet[KeyResult], today: dt.date) -> list[dict[str, Any]]:
    """KR dicts (as the API's) with their objective's title and key, their cycle's key and
    the progress expected today: two queries."""
    rows = list(
        queryset.values(*KR_COLUMNS, "objective__title", "objective__cycle__key", "owner__name")
    )
    out = []
    for row, kr in zip(rows, key_result_dicts(rows, today), strict=True):
        start, end = row["objective__cycle__start"], row["objective__cycle__end"]
        kr["objective_title"] = row["objective__title"]
        kr["cycle"] = row["objective__cycle__key"]
        kr["owner_name"] = row["owner__name"] or row["owner__email"].split("@")[0]
        label_key_result(kr)
        kr["expected_progress"] = float(
            scoring.expected_progress(start=start, end=end, today=min(today, end))
        )
        out.append(kr)
    return out


def _open_key_results(actor: Actor, today: dt.date) -> QuerySet[KeyResult]:
    """KRs of the cycles running today and not closed."""
    return key_results_queryset(actor).filter(
        objective__cycle__closed_at__isnull=True,
        objective__cycle__start__lte=today,
        objective__cycle__end__gte=today,
    )


def my_week(actor: Actor) -> dict[str, Any]:
    """My week: the KRs I own in running cycles, split into those that still need this week's
    check-in (none since Monday, in the workspace's time zone) and those that have one; and my
    teams' other KRs (people in my teams, or objectives my teams own)."""
    from django.db.models import Q

    from okapi.core.cycles import week_start
    from okapi.workspaces.models import Team

    today = workspace_today(actor.workspace)
    monday = week_start(today)
    order = ("objective__cycle__start", "objective__position", "objective_id", "position", "id")
    mine = _kr_rows(
        _open_key_results(actor, today).filter(owner=actor.user).order_by(*order), today
    )
    teammates = Team.members.through.objects.filter(team_id__in=actor.team_ids).values("user_id")
    leads = Team.objects.filter(id__in=actor.team_ids, lead__isnull=False).values("lead_id")
    team = _kr_rows(
        _open_key_results(actor, today)
        .filter(
            Q(objective__owner_team_id__in=actor.team_ids)
            | Q(owner_id__in=teammates)
            | Q(owner_id__in=leads)
        )
        .exclude(owner=actor.user)
        .order_by(*order),
        today,
    )
    return {
        "today": today,
        "week_start": monday,
        "due": [kr for kr in mine if not checked_in_this_week(kr, monday)],
        "done": [kr for kr in mine if checked_in_this_week(kr, monday)],
        "team": team,
    }


def checked_in_this_week(kr: dict[str, Any], monday: dt.date) -> bool:
    return kr["last_checkin_at"] is not None and kr["last_checkin_at"] >= monday


def my_week_row(actor: Actor, key: str) -> dict[str, Any]:
    """One KR as a row of My week (after a check-in): two queries."""
    today = workspace_today(actor.workspace)
    return _kr_rows(key_results_queryset(actor).filter(key=key), today)[0]


def objective_page(actor: Actor, objective: Objective) -> dict[str, Any]:
    """An objective with its KRs (each with its check-ins and, when it targets a KPI, that
    KPI's measurements over the cycle), its aligned objectives, initiatives and KPIs."""
    from okapi.goals.models import CheckIn, Initiative
    from okapi.kpis.models import Kpi, Measurement

    today = workspace_today(actor.workspace)
    rows = list(objectives_queryset(actor).filter(pk=objective.pk).values(*OBJECTIVE_COLUMNS))
    item = objective_dicts(rows, today)[0]
    children = objective_dicts(
        list(
            objectives_queryset(actor)
            .filter(parent=objective)
            .order_by("cycle__start", "position", "id")
            .values(*OBJECTIVE_COLUMNS)
        ),
        today,
    )
    checkins: dict[str, list[dict[str, Any]]] = {kr["key"]: [] for kr in item["key_results"]}
    timeline = []
    for c in (
        CheckIn.objects.filter(key_result__objective=objective)
        .order_by("at", "id")
        .values(*CHECKIN_COLUMNS)
    ):
        c["author_name"] = c["author__name"] or c["author__email"].split("@")[0]
        c["value_text"] = number_text(c["value"], c["key_result__unit"])
        checkins[c["key_result__key"]].append(c)
        timeline.append(c)
    timeline.reverse()
    cycle = objective.cycle
    measurements: dict[str, list[tuple[dt.datetime, Decimal]]] = {}
    for kpi_key, at, value in (
        Measurement.objects.filter(
            kpi__key_results__objective=objective,
            at__date__gte=cycle.start,
            at__date__lte=cycle.end,
        )
        .distinct()
        .order_by("at")
        .values_list("kpi__key", "at", "value")
    ):
        measurements.setdefault(kpi_key, []).append((at, value))
    kpis = {
        k["key"]: k
        for k in Kpi.objects.filter(key_results__objective=objective)
        .distinct()
        .values("key", "name", "unit", "latest_value", "latest_at")
    }
    initiatives = list(
        Initiative.objects.filter(key_results__objective=objective)
        .distinct()
        .order_by("key")
        .values("key", "title", "url", "owner_user_id", "owner_team_id")
    )
    names = owner_names(actor.workspace)
    name_owners([item, *children], names)
    return {
        "today": today,
        "objective": item,
        "children": children,
        "checkins": checkins,
        "timeline": timeline,
        "measurements": measurements,
        "kpis": kpis,
        "initiatives": initiatives,
    }


def tracker_page(actor: Actor, cycle: Cycle) -> dict[str, Any]:
    """The cycle's tree with owners' names, and the workspace's cycles, teams and members for
    the picker and the filters."""
    from okapi.accounts.models import User
    from okapi.workspaces.models import Team

    tree = cycle_tree(actor, cycle)
    people = list(
        User.objects.filter(memberships__workspace=actor.workspace).order_by("name", "email")
    )
    teams = list(Team.objects.filter(workspace=actor.workspace).order_by("name", "key"))
    name_owners(tree["objectives"], _names(people, teams))
    _children_in_cycle(actor, tree["objectives"])
    return {
        "tree": tree,
        "cycles": list(Cycle.objects.filter(workspace=actor.workspace).order_by("-start", "key")),
        "teams": teams,
        "people": people,
    }


def _children_in_cycle(actor: Actor, objectives: list[dict[str, Any]]) -> None:
    """Keep in `children` the objectives of this cycle; note the parent's title and cycle of an
    objective aligned to one in another cycle (one query, none without such objectives)."""
    keys = {o["key"] for o in objectives}
    for o in objectives:
        o["children_elsewhere"] = len([c for c in o["children"] if c not in keys])
        o["children"] = [c for c in o["children"] if c in keys]
    outside = {o["parent"] for o in objectives if o["parent"] and o["parent"] not in keys}
    parents: dict[str, dict[str, Any]] = {}
    if outside:
        rows = objectives_queryset(actor).filter(key__in=outside)
        parents = {p["key"]: p for p in rows.values("key", "title", "cycle__key")}
    for o in objectives:
        if o["parent"] in parents:
            o["parent_title"] = parents[o["parent"]]["title"]
            o["parent_cycle"] = parents[o["parent"]]["cycle__key"]


def editable_in_cycle(actor: Actor, cycle: Cycle) -> tuple[set[str], set[str]]:
    """The keys of the cycle's objectives and KRs the actor may edit (goals.access): none for
    a viewer, else two queries."""
    from okapi.goals.access import can_edit_key_result, can_edit_objective

    if not actor.can_write:
        return set(), set()
    objectives = {
        o.pk: o
        for o in Objective.objects.filter(cycle=cycle).only("key", "owner_user_id", "owner_team_id")
    }
    krs = list(
        KeyResult.objects.filter(objective__cycle=cycle).only("key", "owner_id", "objective_id")
    )
    for kr in krs:
        kr.objective = objectives[kr.objective_id]
    return (
        {o.key for o in objectives.values() if can_edit_objective(actor, o)},
        {kr.key for kr in krs if can_edit_key_result(actor, kr)},
    )


def cycle_for_today(actor: Actor) -> Cycle | None:
    """The cycle containing today (a quarter wins over its year), else the latest one."""
    from okapi.core.cycles import cycle_for_date

    cycles = list(Cycle.objects.filter(workspace=actor.workspace).order_by("-start", "key"))
    today = workspace_today(actor.workspace)
    return cycle_for_date(cycles, today) or (cycles[0] if cycles else None)


def kr_permissions(actor: Actor, objective: Objective) -> dict[str, dict[str, bool]]:
    """Per KR key of the objective: may the actor edit it, may they check in on it (one query)."""
    from okapi.goals.access import can_check_in, can_edit_key_result

    krs = KeyResult.objects.filter(objective=objective).only("key", "owner_id", "objective_id")
    out = {}
    for kr in krs:
        kr.objective = objective
        out[kr.key] = {"edit": can_edit_key_result(actor, kr), "checkin": can_check_in(actor, kr)}
    return out


def my_due_count(actor: Actor) -> int:
    """How many of my KRs in running cycles still need this week's check-in (one query)."""
    from django.db.models import Q

    from okapi.core.cycles import week_start

    today = workspace_today(actor.workspace)
    monday = week_start(today)
    return (
        _open_key_results(actor, today)
        .filter(owner=actor.user)
        .filter(Q(last_checkin_at__isnull=True) | Q(last_checkin_at__lt=monday))
        .count()
    )
