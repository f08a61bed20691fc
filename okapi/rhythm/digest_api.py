"""API: the weekly digest of the token's workspace (or one of its teams)."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema

from okapi.apitypes import Key
from okapi.rhythm.digest import digest_data
from okapi.rhythm.digest_views import FIRST_DAY, LAST_DAY, team_for_digest

router = Router()

Confidence = Literal["on_track", "at_risk", "off_track"]
Health = Literal["red", "amber", "stale", "no_data"]
Reason = Literal["off_track", "drifting", "at_risk", "behind", "stuck", "stale"]


class DigestParams(Schema):
    team: Key | None = Field(None, description="a team's key: only that team's digest")
    until: dt.date | None = Field(
        None, description="the last day of the week (YYYY-MM-DD); default today"
    )


class DigestNamedRef(Schema):
    key: str
    name: str


class DigestPeriod(Schema):
    start: dt.date = Field(description="first day of the week (workspace time zone)")
    end: dt.date = Field(description="last day of the week, included")


class DigestMovedOut(Schema):
    at: dt.date
    kr: str
    kr_title: str
    objective: str
    objective_title: str
    author: str
    author_name: str
    value: float | None
    value_text: str
    progress: float | None = Field(description="the KR's progress at this value, 0–1")
    confidence: Confidence
    moved: str
    blocked: str
    url: str


class DigestBlockedOut(Schema):
    kr: str
    kr_title: str
    objective: str
    objective_title: str
    owner: str
    owner_name: str
    note: str | None = Field(description="the week's latest 'blocked' note; null if none")
    at: dt.date | None
    confidence: Confidence | None
    off_track: bool = Field(description="the KR's last confidence is off track")
    url: str


class DigestForecastOut(Schema):
    value: float | None = Field(None, description="projected value at the end of the cycle")
    low: float | None = Field(None, description="80% interval of that value")
    high: float | None = None
    score: float | None = Field(None, description="projected score, 0–1")
    chance: float | None = Field(None, description="chance of reaching `chance_of`, 0–1")
    chance_of: float | None = Field(None, description="0.7 (aspirational) or 1.0 (committed)")
    drifting: bool | None = Field(None, description="projected score below 0.4")


class DigestAtRiskOut(Schema):
    kr: str
    kr_title: str
    objective: str
    objective_title: str
    owner: str
    owner_name: str
    kind: Literal["metric", "milestone"]
    current: float | None
    current_text: str
    target_text: str
    progress: float
    pace: Literal["ahead", "on_pace", "behind", "no_data"]
    confidence: Confidence | None
    last_checkin_at: dt.date | None
    reasons: list[Reason]
    reasons_text: str
    forecast: DigestForecastOut | None
    url: str


class DigestKpiOut(Schema):
    key: str
    name: str
    health: Health
    health_text: str
    value: float | None
    value_text: str
    unit: str
    latest_at: dt.datetime | None
    target_text: str
    owner: str | None
    owner_name: str | None
    url: str


class DigestQuietObjectiveOut(Schema):
    objective: str
    title: str
    cycle: str
    owner: str | None
    owner_name: str | None
    key_results: int
    last_checkin_at: dt.date | None
    url: str


class DigestCounts(Schema):
    moved: int
    blocked: int
    at_risk: int
    kpis: int
    kpis_red: int
    quiet_objectives: int


class DigestOut(Schema):
    workspace: DigestNamedRef
    team: DigestNamedRef | None
    period: DigestPeriod
    week: str = Field(description="ISO week of the last day, e.g. 2027-W07")
    generated_at: dt.datetime
    url: str = Field(description="the digest page")
    quiet: bool = Field(description="no check-in during the week")
    moved: list[DigestMovedOut] = Field(description="the week's check-ins, newest first")
    blocked: list[DigestBlockedOut]
    at_risk: list[DigestAtRiskOut] = Field(
        description="KRs at risk, off track, behind, stale, stuck"
    )
    kpis: list[DigestKpiOut] = Field(description="KPIs red, amber, stale or without data")
    quiet_objectives: list[DigestQuietObjectiveOut] = Field(
        description="objectives of running cycles without a check-in this week"
    )
    counts: DigestCounts


@router.get(
    "/digest",
    response=DigestOut,
    tags=["digest"],
    summary="The weekly digest",
    description="What moved, what is blocked, KRs at risk or off pace, KPIs needing attention "
    "and objectives without a check-in, over the 7 days ending on `until` (workspace time "
    "zone). With `team`: the objectives the team owns, the KRs of its members and lead, and the "
    "KPIs they own. An unknown team or a bad date answers 422.",
)
def read_digest(request: HttpRequest, params: Query[DigestParams]) -> dict[str, Any]:
    from okapi.api import actor
    from okapi.errors import Invalid

    a = actor(request)
    team = team_for_digest(a, params.team) if params.team else None
    if params.until is not None and not FIRST_DAY <= params.until <= LAST_DAY:
        raise Invalid({"until": "must be between 1970-01-01 and 2999-12-31"})
    return digest_data(workspace=a.workspace, team=team, until=params.until)
