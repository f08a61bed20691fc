"""API: cycles (and their tree), objectives, key results, initiatives, check-ins."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

import orjson
from django.core.serializers.json import DjangoJSONEncoder
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from ninja import Field, Query, Router, Schema
from ninja.params import Path

from okapi.apitypes import Email, Key, Number, OwnerRef, Page, PageParams, Text, Title, paginate
from okapi.errors import Invalid, NotFound
from okapi.goals import services
from okapi.goals.access import (
    get_checkin_for_user,
    get_cycle_for_user,
    get_initiative_for_user,
    get_key_result_for_user,
    get_objective_for_user,
)
from okapi.goals.models import CheckIn, Cycle, Initiative
from okapi.goals.queries import (
    KR_COLUMNS,
    OBJECTIVE_COLUMNS,
    cycle_dict,
    cycle_tree,
    key_result_dicts,
    key_results_queryset,
    objective_dicts,
    objectives_queryset,
)
from okapi.workspaces.services import owner_ref

router = Router()

Level = Literal["company", "team", "individual"]
ObjectiveType = Literal["aspirational", "committed"]
Kind = Literal["metric", "milestone"]
Confidence = Literal["on_track", "at_risk", "off_track"]
Band = Literal["red", "yellow", "green"]
Pace = Literal["ahead", "on_pace", "behind", "no_data"]


def _actor(request: HttpRequest) -> Any:
    from okapi.api import actor

    return actor(request)


# --------------------------------------------------------------------------- cycles


class CycleIn(Schema):
    key: Key
    name: Title(200) = ""  # type: ignore[valid-type]
    start: dt.date
    end: dt.date


class CyclePatch(Schema):
    name: Title(200) | None = None  # type: ignore[valid-type]
    start: dt.date | None = None
    end: dt.date | None = None
    review_note: Text(10000) | None = None  # type: ignore[valid-type]


class CycleOut(Schema):
    key: str
    name: str
    start: dt.date
    end: dt.date
    closed: bool
    closed_at: dt.datetime | None
    review_note: str
    today: dt.date = Field(description="today in the workspace's time zone")
    expected_progress: float = Field(description="share of the cycle elapsed, 0–1")


class CloseIn(Schema):
    note: Text(10000) = ""  # type: ignore[valid-type]
    final_scores: dict[Key, Number] | None = Field(
        None, description="final score per KR key; others get their progress now"
    )


def _cycle_out(request: HttpRequest, cycle: Cycle) -> dict[str, Any]:
    return cycle_dict(cycle, services.workspace_today(_actor(request).workspace))


@router.get("/cycles", response=Page[CycleOut], tags=["cycles"], summary="List cycles")
def list_cycles(request: HttpRequest, page: Query[PageParams]) -> dict[str, Any]:
    a = _actor(request)
    count, rows = paginate(Cycle.objects.filter(workspace=a.workspace).order_by("start"), page)
    return {"count": count, "items": [_cycle_out(request, c) for c in rows]}


@router.post("/cycles", response={201: CycleOut}, tags=["cycles"], summary="Create a cycle")
def create_cycle(request: HttpRequest, body: CycleIn) -> tuple[int, dict[str, Any]]:
    cycle = services.cycle_create(actor=_actor(request), **body.dict())
    return 201, _cycle_out(request, cycle)


@router.get("/cycles/{key}", response=CycleOut, tags=["cycles"], summary="Read a cycle")
def read_cycle(request: HttpRequest, key: Path[Key]) -> dict[str, Any]:
    return _cycle_out(request, get_cycle_for_user(_actor(request), key))


@router.patch("/cycles/{key}", response=CycleOut, tags=["cycles"], summary="Update a cycle")
def update_cycle(request: HttpRequest, key: Path[Key], body: CyclePatch) -> dict[str, Any]:
    a = _actor(request)
    cycle = get_cycle_for_user(a, key, write=True)
    return _cycle_out(
        request, services.cycle_update(actor=a, cycle=cycle, **body.dict(exclude_unset=True))
    )


@router.delete(
    "/cycles/{key}", response={204: None}, tags=["cycles"], summary="Delete an empty cycle"
)
def delete_cycle(request: HttpRequest, key: Path[Key]) -> tuple[int, None]:
    a = _actor(request)
    services.cycle_delete(actor=a, cycle=get_cycle_for_user(a, key, write=True))
    return 204, None


@router.post(
    "/cycles/{key}/close",
    response=CycleOut,
    tags=["cycles"],
    summary="Close a cycle, fixing every KR's final score",
)
def close_cycle(request: HttpRequest, key: Path[Key], body: CloseIn) -> dict[str, Any]:
    a = _actor(request)
    cycle = get_cycle_for_user(a, key, write=True)
    services.cycle_close(actor=a, cycle=cycle, note=body.note, final_scores=body.final_scores)
    return _cycle_out(request, cycle)


@router.post(
    "/cycles/{key}/reopen",
    response=CycleOut,
    tags=["cycles"],
    summary="Reopen a closed cycle (admins): final scores cleared, review dropped",
)
def reopen_cycle(request: HttpRequest, key: Path[Key]) -> dict[str, Any]:
    """A closed cycle is read-only (no check-ins, no edits); reopening it lets people fix a
    missed check-in or a wrong score. Closing it again scores it and keeps a new review."""
    a = _actor(request)
    cycle = get_cycle_for_user(a, key, write=True)
    services.cycle_reopen(actor=a, cycle=cycle)
    return _cycle_out(request, cycle)


# --------------------------------------------------------------------------- the tree


class KeyResultForecastOut(Schema):
    value: float = Field(description="projected value at the cycle end (Theil–Sen trend)")
    low: float = Field(description="lower edge of the 80% interval of the end value")
    high: float = Field(description="upper edge of the 80% interval of the end value")
    score: float = Field(description="the score the projected value would earn, in [0, 1]")
    score_low: float = Field(description="the score at the pessimistic edge of the interval")
    score_high: float = Field(description="the score at the optimistic edge of the interval")
    chance: float = Field(description="probability (2 decimals) of reaching `chance_of`")
    chance_of: float = Field(description="the score to reach: 0.7 aspirational, 1.0 committed")
    drifting: bool = Field(description="projected score below 0.4")


class KeyResultOut(Schema):
    key: str
    objective: str
    title: str
    owner: str
    kind: str
    baseline: float | None
    target: float | None
    unit: str
    weight: float
    kpi: str | None = Field(description="the KPI whose latest measurement is the current value")
    initiatives: list[str]
    current: float | None
    progress: float = Field(description="(current − baseline) / (target − baseline), in [0, 1]")
    progress_raw: float | None = Field(description="the same, unclipped")
    final_score: float | None
    band: Band | None
    pace: Pace
    confidence: Confidence | None
    last_checkin_at: dt.date | None
    checkins: int
    stale: bool = Field(description="no check-in for two weeks")
    stuck: bool = Field(description="value unchanged for four weeks")
    forecast: KeyResultForecastOut | None = Field(
        description="where the trend of the check-ins (or the KPI's measurements) lands at the "
        "cycle end; null for milestones, fewer than two points, no baseline or target, or a "
        "closed cycle"
    )


class ObjectiveOut(Schema):
    key: str
    title: str
    description: str
    level: str
    type: str
    cycle: str
    owner: str | None
    parent: str | None = Field(description="the objective this one aligns to")
    children: list[str] = Field(description="objectives aligned to this one")
    score: float | None = Field(description="weighted mean of the KRs' progress (or final scores)")
    band: Band | None
    success: bool = Field(description="score ≥ 0.7 (aspirational) or 1.0 (committed)")
    expected_progress: float
    key_results: list[KeyResultOut]


class TreeOut(Schema):
    cycle: CycleOut
    score: float | None
    band: Band | None
    roots: list[str] = Field(description="objectives not aligned to another of this cycle")
    objectives: list[ObjectiveOut]


@router.get(
    "/cycles/{key}/tree",
    response=TreeOut,
    tags=["cycles"],
    summary="A cycle's whole tree: objectives, KRs, progress, scores, pace, alignment",
)
def read_tree(request: HttpRequest, key: Path[Key]) -> HttpResponse:
    a = _actor(request)
    tree = cycle_tree(a, get_cycle_for_user(a, key))
    # Already shaped as TreeOut (the tests check it against the schema): skip re-validating
    # thousands of nested dicts, which cost more than building them, and encode with orjson
    # (json.dumps took ~135 ms of the call at 6,000 KRs, orjson ~25: bench/platform_bench.py).
    # Date-times go through Django's encoder, so they read exactly as in every other answer.
    body = orjson.dumps(tree, default=_django_json, option=orjson.OPT_PASSTHROUGH_DATETIME)
    return HttpResponse(body, content_type="application/json")


_DJANGO_JSON = DjangoJSONEncoder()


def _django_json(value: Any) -> Any:
    return _DJANGO_JSON.default(value)


# --------------------------------------------------------------------------- objectives


class ObjectiveIn(Schema):
    key: Key
    title: Title(300)  # type: ignore[valid-type]
    cycle: Key
    owner: OwnerRef
    level: Level = "team"
    type: ObjectiveType = "aspirational"
    parent: Key | None = None
    description: Text(10000) = ""  # type: ignore[valid-type]


class ObjectivePatch(Schema):
    title: Title(300) | None = None  # type: ignore[valid-type]
    cycle: Key | None = None
    owner: OwnerRef | None = None
    level: Level | None = None
    type: ObjectiveType | None = None
    parent: Key | None = None
    description: Text(10000) | None = None  # type: ignore[valid-type]


class ObjectiveFilter(Schema):
    cycle: Key | None = None
    team: Key | None = Field(None, description="owned by this team")
    owner: OwnerRef | None = Field(None, description="a team key or a member's e-mail")
    level: Level | None = None


class MoveIn(Schema):
    cycle: Key


class CopyIn(Schema):
    cycle: Key
    key: Key | None = Field(None, description="the copy's key; default '<key>-<cycle>'")


def _objective_out(request: HttpRequest, key: str) -> dict[str, Any]:
    a = _actor(request)
    rows = list(objectives_queryset(a).filter(key=key).values(*OBJECTIVE_COLUMNS))
    return objective_dicts(rows, services.workspace_today(a.workspace))[0]


def _owner_filter(prefix: str, owner: str) -> Q:
    if "@" in owner:
        return Q(**{f"{prefix}owner_user__email": owner.lower()})
    return Q(**{f"{prefix}owner_team__key": owner})


@router.get(
    "/objectives", response=Page[ObjectiveOut], tags=["objectives"], summary="List objectives"
)
def list_objectives(
    request: HttpRequest, filters: Query[ObjectiveFilter], page: Query[PageParams]
) -> dict[str, Any]:
    a = _actor(request)
    qs = objectives_queryset(a).order_by("cycle__start", "position", "id")
    if filters.cycle:
        qs = qs.filter(cycle__key=filters.cycle)
    if filters.team:
        qs = qs.filter(owner_team__key=filters.team)
    if filters.owner:
        qs = qs.filter(_owner_filter("", filters.owner))
    if filters.level:
        qs = qs.filter(level=filters.level)
    count, rows = paginate(qs.values(*OBJECTIVE_COLUMNS), page)
    today = services.workspace_today(a.workspace)
    return {"count": count, "items": objective_dicts(rows, today)}


@router.post(
    "/objectives", response={201: ObjectiveOut}, tags=["objectives"], summary="Create an objective"
)
def create_objective(request: HttpRequest, body: ObjectiveIn) -> tuple[int, dict[str, Any]]:
    objective = services.objective_create(actor=_actor(request), **body.dict())
    return 201, _objective_out(request, objective.key)


@router.get(
    "/objectives/{key}", response=ObjectiveOut, tags=["objectives"], summary="Read an objective"
)
def read_objective(request: HttpRequest, key: Path[Key]) -> dict[str, Any]:
    get_objective_for_user(_actor(request), key)
    return _objective_out(request, key)


@router.patch(
    "/objectives/{key}", response=ObjectiveOut, tags=["objectives"], summary="Update an objective"
)
def update_objective(request: HttpRequest, key: Path[Key], body: ObjectivePatch) -> dict[str, Any]:
    a = _actor(request)
    objective = get_objective_for_user(a, key, write=True)
    services.objective_update(actor=a, objective=objective, **body.dict(exclude_unset=True))
    return _objective_out(request, key)


@router.delete(
    "/objectives/{key}",
    response={204: None},
    tags=["objectives"],
    summary="Delete an objective with its KRs",
)
def delete_objective(request: HttpRequest, key: Path[Key]) -> tuple[int, None]:
    a = _actor(request)
    services.objective_delete(actor=a, objective=get_objective_for_user(a, key, write=True))
    return 204, None


@router.post(
    "/objectives/{key}/move",
    response=ObjectiveOut,
    tags=["objectives"],
    summary="Move an objective (with its KRs and check-ins) to another cycle",
)
def move_objective(request: HttpRequest, key: Path[Key], body: MoveIn) -> dict[str, Any]:
    a = _actor(request)
    objective = get_objective_for_user(a, key, write=True)
    services.objective_move(actor=a, objective=objective, cycle=body.cycle)
    return _objective_out(request, key)


@router.post(
    "/objectives/{key}/copy",
    response={201: ObjectiveOut},
    tags=["objectives"],
    summary="Copy an objective and its KRs into another cycle",
)
def copy_objective(
    request: HttpRequest, key: Path[Key], body: CopyIn
) -> tuple[int, dict[str, Any]]:
    a = _actor(request)
    objective = get_objective_for_user(a, key)
    copy = services.objective_copy(actor=a, objective=objective, cycle=body.cycle, key=body.key)
    return 201, _objective_out(request, copy.key)


# --------------------------------------------------------------------------- key results


class KeyResultIn(Schema):
    objective: Key
    key: Key
    title: Title(300)  # type: ignore[valid-type]
    owner: Email
    kind: Kind = "metric"
    baseline: Number | None = None
    target: Number | None = None
    unit: Text(32) = ""  # type: ignore[valid-type]
    weight: Number | None = None
    kpi: Key | None = None
    initiatives: list[Key] = Field(default_factory=list, max_length=100)


class KeyResultPatch(Schema):
    objective: Key | None = None
    title: Title(300) | None = None  # type: ignore[valid-type]
    owner: Email | None = None
    kind: Kind | None = None
    baseline: Number | None = None
    target: Number | None = None
    unit: Text(32) | None = None  # type: ignore[valid-type]
    weight: Number | None = None
    kpi: Key | None = None
    initiatives: list[Key] | None = Field(None, max_length=100)


class KeyResultFilter(Schema):
    cycle: Key | None = None
    objective: Key | None = None
    team: Key | None = Field(None, description="in objectives owned by this team")
    owner: Email | None = Field(None, description="owned by this member")


def _kr_out(request: HttpRequest, key: str) -> dict[str, Any]:
    a = _actor(request)
    rows = list(key_results_queryset(a).filter(key=key).values(*KR_COLUMNS))
    return key_result_dicts(rows, services.workspace_today(a.workspace))[0]


@router.get(
    "/key-results", response=Page[KeyResultOut], tags=["key results"], summary="List key results"
)
def list_key_results(
    request: HttpRequest, filters: Query[KeyResultFilter], page: Query[PageParams]
) -> dict[str, Any]:
    a = _actor(request)
    qs = key_results_queryset(a).order_by("objective__cycle__start", "objective_id", "position")
    if filters.cycle:
        qs = qs.filter(objective__cycle__key=filters.cycle)
    if filters.objective:
        qs = qs.filter(objective__key=filters.objective)
    if filters.team:
        qs = qs.filter(objective__owner_team__key=filters.team)
    if filters.owner:
        qs = qs.filter(owner__email=filters.owner.lower())
    count, rows = paginate(qs.values(*KR_COLUMNS), page)
    today = services.workspace_today(a.workspace)
    return {
        "count": count,
        "items": key_result_dicts(rows, today),
    }


@router.post(
    "/key-results",
    response={201: KeyResultOut},
    tags=["key results"],
    summary="Create a key result",
)
def create_key_result(request: HttpRequest, body: KeyResultIn) -> tuple[int, dict[str, Any]]:
    a = _actor(request)
    data = body.dict()
    try:
        objective = get_objective_for_user(a, data.pop("objective"))
    except NotFound:
        raise Invalid({"objective": f"unknown objective '{body.objective}'"}) from None
    kr = services.key_result_create(actor=a, objective=objective, **data)
    return 201, _kr_out(request, kr.key)


@router.get(
    "/key-results/{key}",
    response=KeyResultOut,
    tags=["key results"],
    summary="Read a key result",
)
def read_key_result(request: HttpRequest, key: Path[Key]) -> dict[str, Any]:
    get_key_result_for_user(_actor(request), key)
    return _kr_out(request, key)


@router.patch(
    "/key-results/{key}",
    response=KeyResultOut,
    tags=["key results"],
    summary="Update a key result",
)
def update_key_result(request: HttpRequest, key: Path[Key], body: KeyResultPatch) -> dict[str, Any]:
    a = _actor(request)
    kr = get_key_result_for_user(a, key, write=True)
    services.key_result_update(actor=a, kr=kr, **body.dict(exclude_unset=True))
    return _kr_out(request, key)


@router.delete(
    "/key-results/{key}",
    response={204: None},
    tags=["key results"],
    summary="Delete a key result",
)
def delete_key_result(request: HttpRequest, key: Path[Key]) -> tuple[int, None]:
    a = _actor(request)
    services.key_result_delete(actor=a, kr=get_key_result_for_user(a, key, write=True))
    return 204, None


# --------------------------------------------------------------------------- check-ins


class CheckInIn(Schema):
    value: Number | None = Field(
        None, description="the new value; a milestone's is 0 (not done) or 1 (done)"
    )
    confidence: Confidence = "on_track"
    moved: Text(5000) | None = Field(None, description="what moved")  # type: ignore[valid-type]
    blocked: Text(5000) | None = Field(None, description="what is blocked")  # type: ignore[valid-type]
    at: dt.date | None = Field(None, description="the day it refers to; default today")
    by: Email | None = Field(None, description="on whose behalf (admins only)")


class CheckInPatch(Schema):
    value: Number | None = None
    confidence: Confidence | None = None
    moved: Text(5000) | None = None  # type: ignore[valid-type]
    blocked: Text(5000) | None = None  # type: ignore[valid-type]
    at: dt.date | None = None


class CheckInOut(Schema):
    id: int
    key_result: str
    at: dt.date
    by: str
    value: float | None
    confidence: str
    moved: str
    blocked: str
    created_at: dt.datetime
    corrected_at: dt.datetime | None
    corrected_by: str | None


def checkin_dict(c: CheckIn, kr_key: str) -> dict[str, Any]:
    return {
        "id": c.pk,
        "key_result": kr_key,
        "at": c.at,
        "by": c.author.email,
        "value": float(c.value) if c.value is not None else None,
        "confidence": c.confidence,
        "moved": c.moved,
        "blocked": c.blocked,
        "created_at": c.created_at,
        "corrected_at": c.corrected_at,
        "corrected_by": c.corrected_by.email if c.corrected_by else None,
    }


@router.get(
    "/key-results/{key}/checkins",
    response=Page[CheckInOut],
    tags=["check-ins"],
    summary="A key result's check-ins, oldest first",
)
def list_checkins(request: HttpRequest, key: Path[Key], page: Query[PageParams]) -> dict[str, Any]:
    kr = get_key_result_for_user(_actor(request), key)
    qs = CheckIn.objects.filter(key_result=kr).select_related("author", "corrected_by")
    count, rows = paginate(qs.order_by("at", "id"), page)
    return {"count": count, "items": [checkin_dict(c, kr.key) for c in rows]}


@router.post(
    "/key-results/{key}/checkins",
    response={201: CheckInOut},
    tags=["check-ins"],
    summary="Check in on a key result (its owner, or an admin)",
)
def create_checkin(
    request: HttpRequest, key: Path[Key], body: CheckInIn
) -> tuple[int, dict[str, Any]]:
    from okapi.workspaces.services import _member

    a = _actor(request)
    kr = get_key_result_for_user(a, key, checkin=True)
    author = _member(a.workspace, body.by, "by") if body.by else None
    checkin = services.checkin_create(
        actor=a,
        kr=kr,
        value=body.value,
        confidence=body.confidence,
        moved=body.moved,
        blocked=body.blocked,
        at=body.at,
        author=author,
    )
    return 201, checkin_dict(checkin, kr.key)


@router.patch(
    "/checkins/{checkin_id}",
    response=CheckInOut,
    tags=["check-ins"],
    summary="Correct a check-in (its author, or an admin); the change is audited",
)
def correct_checkin(
    request: HttpRequest, checkin_id: Path[int], body: CheckInPatch
) -> dict[str, Any]:
    a = _actor(request)
    if not 0 < checkin_id < 2**62:
        raise Invalid({"checkin_id": "out of range"})
    checkin = get_checkin_for_user(a, checkin_id, write=True)
    services.checkin_correct(actor=a, checkin=checkin, **body.dict(exclude_unset=True))
    checkin = CheckIn.objects.select_related("author", "corrected_by", "key_result").get(
        pk=checkin.pk
    )
    return checkin_dict(checkin, checkin.key_result.key)


# --------------------------------------------------------------------------- initiatives


class InitiativeIn(Schema):
    key: Key
    title: Title(300)  # type: ignore[valid-type]
    owner: OwnerRef | None = None
    url: Text(500) | None = None  # type: ignore[valid-type]


class InitiativePatch(Schema):
    title: Title(300) | None = None  # type: ignore[valid-type]
    owner: OwnerRef | None = None
    url: Text(500) | None = None  # type: ignore[valid-type]


class InitiativeOut(Schema):
    key: str
    title: str
    owner: str | None
    url: str | None
    key_results: list[str]


def initiative_dict(i: Initiative) -> dict[str, Any]:
    return {
        "key": i.key,
        "title": i.title,
        "owner": owner_ref(i.owner_user, i.owner_team),
        "url": i.url or None,
        "key_results": [kr.key for kr in i.key_results.all()],
    }


def _initiatives(request: HttpRequest) -> Any:
    return (
        Initiative.objects.filter(workspace=_actor(request).workspace)
        .select_related("owner_user", "owner_team")
        .prefetch_related("key_results")
    )


@router.get(
    "/initiatives",
    response=Page[InitiativeOut],
    tags=["initiatives"],
    summary="List initiatives",
)
def list_initiatives(request: HttpRequest, page: Query[PageParams]) -> dict[str, Any]:
    count, rows = paginate(_initiatives(request).order_by("key"), page)
    return {"count": count, "items": [initiative_dict(i) for i in rows]}


@router.post(
    "/initiatives",
    response={201: InitiativeOut},
    tags=["initiatives"],
    summary="Create an initiative",
)
def create_initiative(request: HttpRequest, body: InitiativeIn) -> tuple[int, dict[str, Any]]:
    initiative = services.initiative_create(actor=_actor(request), **body.dict())
    return 201, initiative_dict(_initiatives(request).get(pk=initiative.pk))


@router.get(
    "/initiatives/{key}",
    response=InitiativeOut,
    tags=["initiatives"],
    summary="Read an initiative",
)
def read_initiative(request: HttpRequest, key: Path[Key]) -> dict[str, Any]:
    initiative = get_initiative_for_user(_actor(request), key)
    return initiative_dict(_initiatives(request).get(pk=initiative.pk))


@router.patch(
    "/initiatives/{key}",
    response=InitiativeOut,
    tags=["initiatives"],
    summary="Update an initiative",
)
def update_initiative(
    request: HttpRequest, key: Path[Key], body: InitiativePatch
) -> dict[str, Any]:
    a = _actor(request)
    initiative = get_initiative_for_user(a, key, write=True)
    services.initiative_update(actor=a, initiative=initiative, **body.dict(exclude_unset=True))
    return initiative_dict(_initiatives(request).get(pk=initiative.pk))


@router.delete(
    "/initiatives/{key}",
    response={204: None},
    tags=["initiatives"],
    summary="Delete an initiative",
)
def delete_initiative(request: HttpRequest, key: Path[Key]) -> tuple[int, None]:
    a = _actor(request)
    services.initiative_delete(actor=a, initiative=get_initiative_for_user(a, key, write=True))
    return 204, None
