"""Where a metric key result will land at the end of its cycle, from its check-ins.

The trend is a recency-weighted Theil–Sen line: the weighted median of the pairwise slopes (x in
days since the cycle start, the baseline as an anchor point at the start), each pair weighted by
how recent its older point is (the weight halves every 10 days), so a late start or a levelling
off shows up while one outlying check-in still barely moves it. The projection starts from where
the key result is now (the weighted median of the points carried along that slope to the latest
check-in) rather than from a global intercept. The 80% interval is symmetric: the residual spread
(1.4826 · MAD) and the slope's spread (1.25 × the weighted interquartile range of the pairwise
slopes) times the days left, added in quadrature and scaled to 80%; it is zero for a straight line
and grows with noise, curvature and the horizon. The chance of reaching a score reads low
and high as the 10th and 90th percentiles of a two-piece normal whose median is the projection.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from statistics import median

from okapi.core.scoring import ObjectiveType

MIN_CHECKINS = 2  # fewer check-ins: no forecast
DRIFT_BELOW = 0.4  # a projected score under this is drifting (the red band)
Z80 = 1.2815515655446004  # standard normal quantile at 0.9: an 80% two-sided interval
MAD_TO_SIGMA = 1.4826  # MAD of a normal sample times this estimates its standard deviation
HALF_LIFE_DAYS = 10.0  # a pair of check-ins this much older counts half as much in the slope
# The slope's interquartile range times this is read as its standard deviation. Tuned on the bench
# (seed 1) so the 80% interval covers about 80% of end values across shapes of progress, not
# just straight lines.
SLOPE_IQR_TO_SIGMA = 1.25

Number = Decimal | float


@dataclass(frozen=True)
class Forecast:
    value: float  # projected value at `end` (recency-weighted Theil–Sen trend)
    low: float  # lower edge of the 80% interval of the value at `end`
    high: float  # upper edge (low <= value <= high)
    slope_per_day: float
    points: int  # how many points the trend was fitted on


def _points(checkins: Sequence[tuple[dt.date, Number]], *, end: dt.date) -> dict[dt.date, float]:
    """One value per day (the last check-in of the day), nothing after `end`."""
    by_day: dict[dt.date, float] = {}
    for day, value in checkins:
        if day <= end:
            by_day[day] = float(value)
    return by_day


def _weighted_quantile(weighted: Sequence[tuple[float, float]], share: float) -> float:
    """The value below which `share` of the weight lies, halfway between two values on a tie."""
    ordered = sorted(weighted)
    total = math.fsum(weight for _, weight in ordered)
    if total == 0:  # every weight underflowed (check-ins decades apart): count them alike
        ordered = [(value, 1.0) for value, _ in ordered]
        total = float(len(ordered))
    wanted = share * total
    seen = 0.0
    for i, (value, weight) in enumerate(ordered):
        seen += weight
        if seen > wanted:
            return value
        if seen == wanted and i + 1 < len(ordered):
            return (value + ordered[i + 1][0]) / 2
    return ordered[-1][0]


def forecast_kr(
    *,
    checkins: Sequence[tuple[dt.date, Number]],
    start: dt.date,
    end: dt.date,
    baseline: Number | None,
) -> Forecast | None:
    """The projected value at `end` with its 80% interval; None with too few check-ins."""
    by_day = _points(checkins, end=end)
    if len(by_day) < MIN_CHECKINS:
        return None  # also covers every check-in on one day: no spread in x
    if baseline is not None and start not in by_day:
        by_day[start] = float(baseline)  # a check-in on the start day says more than the plan
    days = sorted(by_day)
    xs = [float((day - start).days) for day in days]
    ys = [by_day[day] for day in days]
    n = len(xs)
    now = xs[-1]
    recency = [0.5 ** ((now - x) / HALF_LIFE_DAYS) for x in xs]
    # A pair weighs as much as its older point: recent pairs speak for the current pace.
    slopes = [
        ((ys[j] - ys[i]) / (xs[j] - xs[i]), recency[i]) for i in range(n) for j in range(i + 1, n)
    ]
    slope = _weighted_quantile(slopes, 0.5)
    level = _weighted_quantile(
        [(y - slope * (x - now), w) for x, y, w in zip(xs, ys, recency, strict=True)], 0.5
    )
    days_left = float((end - start).days) - now
    value = level + slope * days_left

    residuals = [y - level - slope * (x - now) for x, y in zip(xs, ys, strict=True)]
    centre = median(residuals)
    noise = MAD_TO_SIGMA * median(abs(r - centre) for r in residuals)
    slope_spread = SLOPE_IQR_TO_SIGMA * (
        _weighted_quantile(slopes, 0.75) - _weighted_quantile(slopes, 0.25)
    )
    half_width = Z80 * math.hypot(noise, slope_spread * abs(days_left))
    return Forecast(
        value=value,
        low=value - half_width,
        high=value + half_width,
        slope_per_day=slope,
        points=n,
    )


def _clip(value: float) -> float:
    return min(1.0, max(0.0, value))


def forecast_score(
    forecast: Forecast, *, baseline: Number, target: Number
) -> tuple[float, float, float]:
    """(score, score_low, score_high) of the projected end value, each in [0, 1], ordered."""
    b, t = float(baseline), float(target)
    if t == b:
        # As scoring.metric_progress: met (1) or not (0); the interval spans both if it holds t.
        score = 1.0 if forecast.value == t else 0.0
        met_for_sure = forecast.low == forecast.high == t
        reachable = forecast.low <= t <= forecast.high
        return score, 1.0 if met_for_sure else 0.0, 1.0 if reachable else 0.0
    span = t - b
    at_low = _clip((forecast.low - b) / span)
    at_high = _clip((forecast.high - b) / span)
    score = _clip((forecast.value - b) / span)
    return score, min(at_low, at_high), max(at_low, at_high)


def _normal_cdf(z: float) -> float:
    return 0.5 * (1.0 + math.erf(z / math.sqrt(2.0)))


def _chance_at_least(threshold: float, *, median_: float, below: float, above: float) -> float:
    """P(V >= threshold) for a two-piece normal with this median and these side deviations.

    Each side holds half the mass; a side with deviation 0 is that half as a point at the median.
    """
    if threshold > median_:
        return 0.0 if above == 0 else 1.0 - _normal_cdf((threshold - median_) / above)
    if threshold == median_:
        return 1.0 if below == 0 else 0.5
    return 1.0 if below == 0 else 1.0 - _normal_cdf((threshold - median_) / below)


def chance_of_reaching(
    forecast: Forecast, *, baseline: Number, target: Number, score: float
) -> float:
    """The probability in [0, 1] that the final score is at least `score`."""
    if score <= 0:
        return 1.0
    if score > 1:
        return 0.0
    b, t = float(baseline), float(target)
    below = (forecast.value - forecast.low) / Z80
    above = (forecast.high - forecast.value) / Z80
    if t == b:
        # Met only by landing exactly on the target: only a point mass there can do it.
        if forecast.value != t:
            return 0.0
        return (0.5 if below == 0 else 0.0) + (0.5 if above == 0 else 0.0)
    threshold = b + score * (t - b)
    if t > b:
        chance = _chance_at_least(threshold, median_=forecast.value, below=below, above=above)
    else:  # lower is better: mirror the distribution and reach for -threshold
        chance = _chance_at_least(-threshold, median_=-forecast.value, below=above, above=below)
    return _clip(chance)


def chance_threshold(objective_type: str) -> float:
    """The score a KR must reach: 1.0 for committed, 0.7 for aspirational objectives."""
    return 1.0 if objective_type == ObjectiveType.COMMITTED else 0.7


def is_drifting(forecast_score: float) -> bool:
    return forecast_score < DRIFT_BELOW


def naive_pace_forecast(
    *,
    checkins: Sequence[tuple[dt.date, Number]],
    start: dt.date,
    end: dt.date,
    baseline: Number | None,
) -> float | None:
    """The "current pace" projection: the progress so far stretched over the whole cycle."""
    by_day = _points(checkins, end=end)
    if baseline is None or not by_day:
        return None
    latest = max(by_day)
    elapsed = (latest - start).days
    if elapsed <= 0:
        return None
    b = float(baseline)
    return b + (by_day[latest] - b) * ((end - start).days / elapsed)
