"""Key-result progress, objective scores, colour bands and pace (PRODUCT §2, §3).

Progress of a metric KR is ``(current − baseline) / (target − baseline)`` clipped to [0, 1];
the unclipped value is kept as ``raw`` so over- and under-shoot stay visible. The same formula
serves decreasing metrics (target below baseline): both differences are negative.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

ZERO = Decimal(0)
ONE = Decimal(1)
SCORE_PLACES = Decimal("0.0001")

# A KR is "stale" without a check-in for this long, "stuck" when its value has not moved
# for this long (PRODUCT §3: "a KR that has not moved for 4 weeks needs a fix").
STALE_AFTER = dt.timedelta(days=14)
STUCK_AFTER = dt.timedelta(days=28)
# Progress within this distance of the expected progress counts as "on pace".
PACE_TOLERANCE = Decimal("0.1")


class Band(StrEnum):
    RED = "red"
    YELLOW = "yellow"
    GREEN = "green"


class Pace(StrEnum):
    AHEAD = "ahead"
    ON_PACE = "on_pace"
    BEHIND = "behind"
    NO_DATA = "no_data"


class ObjectiveType(StrEnum):
    ASPIRATIONAL = "aspirational"
    COMMITTED = "committed"


@dataclass(frozen=True)
class Progress:
    value: Decimal  # clipped to [0, 1]
    raw: Decimal | None  # unclipped; None when it cannot be computed (no target, no value)


def _clip(value: Decimal) -> Decimal:
    return min(ONE, max(ZERO, value))


def _q(value: Decimal) -> Decimal:
    return value.quantize(SCORE_PLACES)


def metric_progress(
    *, baseline: Decimal | None, target: Decimal | None, current: Decimal | None
) -> Progress:
    """Progress of a metric KR; 0 until it has a baseline, a target and a current value."""
    if baseline is None or target is None or current is None:
        return Progress(ZERO, None)
    span = target - baseline
    if span == 0:
        # Target equals baseline: it is met or it is not (a badly written KR, the coach says so).
        return Progress(ONE if current == target else ZERO, None)
    raw = _q((current - baseline) / span)
    return Progress(_clip(raw), raw)


def milestone_progress(*, done: bool | None) -> Progress:
    value = ONE if done else ZERO
    return Progress(value, value)


def kr_progress(
    *,
    kind: str,
    baseline: Decimal | None,
    target: Decimal | None,
    current: Decimal | None,
) -> Progress:
    """Progress of any KR: a milestone's current value is 1 (done) or 0 (not done)."""
    if kind == "milestone":
        return milestone_progress(done=current is not None and current >= 1)
    return metric_progress(baseline=baseline, target=target, current=current)


def objective_score(krs: Iterable[tuple[Decimal, Decimal]]) -> Decimal | None:
    """Weighted mean of (progress, weight) pairs; None for an objective without KRs."""
    total = ZERO
    weights = ZERO
    for progress, weight in krs:
        if weight <= 0:
            continue
        total += progress * weight
        weights += weight
    if weights == 0:
        return None
    return _q(total / weights)


def score_band(score: Decimal | None) -> Band | None:
    """0.0–0.3 red, 0.4–0.6 yellow, 0.7–1.0 green; the gaps between go to the lower band."""
    if score is None:
        return None
    if score >= Decimal("0.7"):
        return Band.GREEN
    if score >= Decimal("0.4"):
        return Band.YELLOW
    return Band.RED


def success_threshold(objective_type: str) -> Decimal:
    """The score that counts as success: 1.0 for committed, 0.7 for aspirational objectives."""
    return ONE if objective_type == ObjectiveType.COMMITTED else Decimal("0.7")


def is_success(score: Decimal | None, objective_type: str) -> bool:
    return score is not None and score >= success_threshold(objective_type)


def expected_progress(*, start: dt.date, end: dt.date, today: dt.date) -> Decimal:
    """The share of the cycle elapsed by the end of `today`, in [0, 1]."""
    total_days = (end - start).days + 1
    if total_days <= 0:
        return ONE
    elapsed = (today - start).days + 1
    return _q(_clip(Decimal(elapsed) / Decimal(total_days)))


def pace_status(*, progress: Decimal, expected: Decimal, has_data: bool) -> Pace:
    if not has_data:
        return Pace.NO_DATA
    if progress > expected + PACE_TOLERANCE:
        return Pace.AHEAD
    if progress < expected - PACE_TOLERANCE:
        return Pace.BEHIND
    return Pace.ON_PACE


@dataclass(frozen=True)
class CheckinPoint:
    """One check-in as the rules need it: the day it refers to and the value then."""

    at: dt.date
    value: Decimal | None


def is_stale(*, last_checkin: dt.date | None, today: dt.date, since: dt.date | None = None) -> bool:
    """No check-in for two weeks. A KR without any is stale once `since` (its start) is that old."""
    reference = last_checkin or since
    if reference is None:
        return False
    return today - reference >= STALE_AFTER


def last_movement(checkins: Sequence[CheckinPoint]) -> dt.date | None:
    """The day of the latest check-in whose value differed from the one before it.

    With one check-in (or none that moved) it is the first check-in's day.
    """
    ordered = sorted(checkins, key=lambda c: c.at)
    if not ordered:
        return None
    moved_at = ordered[0].at
    for before, after in zip(ordered, ordered[1:], strict=False):
        if after.value != before.value:
            moved_at = after.at
    return moved_at


def is_stuck(*, checkins: Sequence[CheckinPoint], today: dt.date) -> bool:
    """Checked in, but the value has not moved for four weeks."""
    if len(checkins) < 2:
        return False
    moved_at = last_movement(checkins)
    return moved_at is not None and today - moved_at >= STUCK_AFTER
