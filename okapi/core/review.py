"""The numbers of an end-of-cycle review (PRODUCT §3): score bands, per team, per objective type,
and sandbagging across cycles (PRODUCT §4, rule 10).

Scores are floats here (what the review page and its export show); the bands and success bars
come from `okapi.core.scoring`, read through the float's shortest decimal form so that 0.7 is
green, as it is there.
"""

from __future__ import annotations

import statistics
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import TypedDict

from okapi.core.scoring import Band, ObjectiveType, is_success, score_band, success_threshold

UNSCORED = "unscored"
NO_TEAM = "No team"
SANDBAG_SHARE = 0.5  # most KRs at >= 1.0: strictly more than this share of the scored ones
# As the coach's sandbagging rule: a cycle with fewer scored KRs says nothing about a team.
SANDBAG_MIN_SCORED = 2
SANDBAG_MIN_CYCLES = 2  # in a row, ending with this cycle


@dataclass(frozen=True)
class ReviewKr:
    key: str
    objective: str  # the objective's key
    title: str
    owner: str
    team: str | None
    score: float | None
    checkins: int


@dataclass(frozen=True)
class ReviewObjective:
    key: str
    title: str
    team: str | None
    type: str  # aspirational | committed
    score: float | None
    carried_over: bool


class TeamReview(TypedDict):
    team: str | None
    name: str  # the team, or "No team"
    objectives: int
    krs: int
    mean_score: float | None  # of the scored KRs
    red: int
    yellow: int
    green: int
    unscored: int
    maxed_share: float | None  # share of the scored KRs at >= 1.0


class TypeReview(TypedDict):
    count: int
    scored: int
    mean_score: float | None  # of the scored objectives
    met: int  # at or above the success bar: 1.0 committed, 0.7 aspirational
    success_threshold: float


def _decimal(score: float) -> Decimal:
    return Decimal(repr(score))


def band_of(score: float | None) -> str:
    """red, yellow or green (`scoring.score_band`), or unscored."""
    band = score_band(None if score is None else _decimal(score))
    return UNSCORED if band is None else band.value


def score_distribution(scores: Iterable[float | None]) -> dict[str, int]:
    """How many scores fall in each band: red (< 0.4), yellow (< 0.7), green, and unscored."""
    counts = {Band.RED.value: 0, Band.YELLOW.value: 0, Band.GREEN.value: 0, UNSCORED: 0}
    for score in scores:
        counts[band_of(score)] += 1
    return counts


def _mean(scores: Iterable[float | None]) -> float | None:
    scored = [s for s in scores if s is not None]
    return statistics.fmean(scored) if scored else None


def _maxed_share(scores: Sequence[float | None]) -> float | None:
    scored = [s for s in scores if s is not None]
    return sum(s >= 1 for s in scored) / len(scored) if scored else None


def team_distribution(
    objectives: Iterable[ReviewObjective], krs: Iterable[ReviewKr]
) -> list[TeamReview]:
    """One row per team (objectives by their team, KRs by theirs), by name; "No team" last."""
    objective_counts: dict[str | None, int] = {}
    for objective in objectives:
        objective_counts[objective.team] = objective_counts.get(objective.team, 0) + 1
    kr_scores: dict[str | None, list[float | None]] = {}
    for kr in krs:
        kr_scores.setdefault(kr.team, []).append(kr.score)
    teams = sorted(objective_counts.keys() | kr_scores.keys(), key=lambda t: (t is None, t or ""))
    rows = []
    for team in teams:
        scores = kr_scores.get(team, [])
        bands = score_distribution(scores)
        rows.append(
            TeamReview(
                team=team,
                name=team if team is not None else NO_TEAM,
                objectives=objective_counts.get(team, 0),
                krs=len(scores),
                mean_score=_mean(scores),
                red=bands[Band.RED],
                yellow=bands[Band.YELLOW],
                green=bands[Band.GREEN],
                unscored=bands[UNSCORED],
                maxed_share=_maxed_share(scores),
            )
        )
    return rows


def type_summary(objectives: Iterable[ReviewObjective]) -> dict[str, TypeReview]:
    """Committed and aspirational objectives (any other type counts as aspirational, as in
    `scoring.success_threshold`): how many, their mean score, how many met their success bar."""
    by_type: dict[str, list[float | None]] = {t.value: [] for t in ObjectiveType}
    for objective in objectives:
        committed = objective.type == ObjectiveType.COMMITTED
        kind = ObjectiveType.COMMITTED if committed else ObjectiveType.ASPIRATIONAL
        by_type[kind].append(objective.score)
    return {
        kind: TypeReview(
            count=len(scores),
            scored=sum(s is not None for s in scores),
            mean_score=_mean(scores),
            met=sum(s is not None and is_success(_decimal(s), kind) for s in scores),
            success_threshold=float(success_threshold(kind)),
        )
        for kind, scores in by_type.items()
    }


def mostly_maxed(scores: Sequence[float | None]) -> bool:
    """At least SANDBAG_MIN_SCORED scored KRs, and more than half of them at >= 1.0."""
    scored = [s for s in scores if s is not None]
    maxed = sum(s >= 1 for s in scored)
    return len(scored) >= SANDBAG_MIN_SCORED and maxed > SANDBAG_SHARE * len(scored)


def sandbagging_flags(
    *, team: str, scores_by_cycle: Sequence[tuple[str, Sequence[float | None]]]
) -> str | None:
    """A warning when `team` scored >= 1.0 on most KRs in this cycle and the one(s) before.

    `scores_by_cycle` is (cycle key, KR scores), oldest first, ending with the cycle under
    review; pass aspirational KRs only (a committed objective is meant to reach 1.0). The
    cycles counted are the run of mostly-maxed cycles that ends with this one; it takes
    SANDBAG_MIN_CYCLES of them. None when there is nothing to say.
    """
    run: list[tuple[str, Sequence[float | None]]] = []
    for cycle, scores in reversed(scores_by_cycle):
        if not mostly_maxed(scores):
            break
        run.insert(0, (cycle, scores))
    if len(run) < SANDBAG_MIN_CYCLES:
        return None
    detail = ", ".join(
        f"{sum(s is not None and s >= 1 for s in scores)} of "
        f"{sum(s is not None for s in scores)} in {cycle}"
        for cycle, scores in run
    )
    return (
        f"{team} scored 1.0 on most key results cycle after cycle ({detail}). On ambitious "
        "OKRs about 0.7 is success; hitting 1.0 every time means the targets are not stretching. "
        "Next cycle, set targets with maybe a 50–70% chance of hitting them."
    )
