"""API: the end-of-cycle review of a closed cycle, as JSON and as CSV (any role may read it)."""

from __future__ import annotations

from typing import Any, Literal

from django.http import HttpRequest, HttpResponse
from ninja import Field, Router, Schema
from ninja.params import Path

from okapi.apitypes import Key
from okapi.goals.access import get_cycle_for_user
from okapi.rhythm.review import review_csv, review_data
from okapi.rhythm.review_views import csv_response

router = Router(tags=["review"])

Band = Literal["red", "yellow", "green", "unscored"]


def _actor(request: HttpRequest) -> Any:
    from okapi.api import actor

    return actor(request)


class ReviewPersonOut(Schema):
    email: str
    name: str


class ReviewCycleOut(Schema):
    key: str
    name: str
    start: str
    end: str
    closed_at: str | None
    closed_by: ReviewPersonOut | None = Field(description="who closed it (null: the command line)")
    note: str = Field(description="the review note written when closing")


class ReviewBandsOut(Schema):
    red: int
    yellow: int
    green: int
    unscored: int


class ReviewSummaryOut(Schema):
    score: float | None = Field(description="mean of the objectives' scores")
    band: Band
    objectives: int
    key_results: int
    objective_bands: ReviewBandsOut
    key_result_bands: ReviewBandsOut
    carried_over: int = Field(description="objectives copied into a later cycle (as of now)")


class ReviewTypeOut(Schema):
    count: int
    scored: int
    mean_score: float | None
    met: int = Field(description="objectives at or above their success bar")
    success_threshold: float = Field(description="1.0 committed, 0.7 aspirational")


class ReviewTypesOut(Schema):
    committed: ReviewTypeOut
    aspirational: ReviewTypeOut


class ReviewTeamOut(Schema):
    team: str | None = Field(description="the team's key; null: objectives owned by a person")
    name: str
    objectives: int
    krs: int
    mean_score: float | None
    red: int
    yellow: int
    green: int
    unscored: int
    maxed_share: float | None = Field(description="share of scored KRs at 1.0 or more")


class ReviewFlagOut(Schema):
    team: str
    name: str
    message: str


class ReviewObjectiveOut(Schema):
    key: str
    title: str
    level: str
    type: str
    owner: str | None
    owner_name: str
    team: str | None
    team_name: str | None
    parent: str | None
    score: float | None
    band: Band
    success: bool
    success_threshold: float
    carried_over: bool = Field(description="a copy exists in another cycle (as of now)")
    carried_to: str | None = Field(description="the cycle the copy is in")
    key_results: list[str]


class ReviewLastCheckinOut(Schema):
    at: str
    moved: str
    blocked: str
    confidence: str | None


class ReviewKeyResultOut(Schema):
    key: str
    objective: str
    title: str
    owner: str
    owner_name: str
    team: str | None
    kind: str
    unit: str
    weight: float
    baseline: float | None
    target: float | None
    final_value: float | None
    final_score: float | None
    band: Band
    checkins: int
    last_checkin: ReviewLastCheckinOut | None


class ReviewOut(Schema):
    version: int
    created_at: str = Field(description="when the review was kept (the cycle's closing)")
    cycle: ReviewCycleOut
    summary: ReviewSummaryOut
    types: ReviewTypesOut
    teams: list[ReviewTeamOut]
    sandbagging: list[ReviewFlagOut]
    objectives: list[ReviewObjectiveOut]
    key_results: list[ReviewKeyResultOut]


@router.get(
    "/cycles/{key}/review",
    response=ReviewOut,
    summary="The end-of-cycle review of a closed cycle",
    description="Kept when the cycle closed: final scores, bands, the distribution by team, "
    "committed vs aspirational, sandbagging flags and the last check-in notes. "
    "`carried_over` is read now. An open cycle answers 404.",
)
def review(request: HttpRequest, key: Path[Key]) -> dict[str, Any]:
    a = _actor(request)
    return review_data(get_cycle_for_user(a, key))


@router.get(
    "/cycles/{key}/review.csv",
    response={200: None},
    summary="The end-of-cycle review as CSV: one row per key result",
    description="Columns: cycle, objective_key, objective_title, objective_type, team, "
    "objective_score, kr_key, kr_title, owner, kind, baseline, target, final_value, "
    "final_score, band, checkins, carried_over, last_note. UTF-8; text cells starting with "
    "= + - @ are prefixed with an apostrophe. An open cycle answers 404.",
    openapi_extra={
        "responses": {
            "200": {
                "description": "the review as CSV (an attachment)",
                "content": {"text/csv": {"schema": {"type": "string"}}},
            }
        }
    },
)
def review_as_csv(request: HttpRequest, key: Path[Key]) -> HttpResponse:
    a = _actor(request)
    cycle = get_cycle_for_user(a, key)
    return csv_response(review_csv(review_data(cycle)), a.workspace.key, cycle.key)
