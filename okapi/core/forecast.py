"""Where a metric key result will land at the end of its cycle, from its check-ins.

The points: the check-ins up to the cycle end (the last one of each day) and the baseline as a
point at the cycle start, where the key result stood when the cycle began. Once two check-ins
fall inside the cycle, the ones before its start drop out but the latest of them, which then
stands for the start in place of the baseline; with fewer inside (an objective just moved to a
later cycle) every earlier check-in counts. The baseline is a point only when no check-in comes
on or before the start: a value measured there says more than the plan, and a baseline pinned
after real check-ins would read as a fall to it.

The trend is a recency-weighted Theil–Sen line: the weighted median of the pairwise slopes (x in
days since the cycle start), each pair weighted by how recent its older point is (the weight
halves every 10 days), so a late start or a levelling off shows up while one outlying check-in
still barely moves it. The projection starts from where the key result is now (the weighted
median of the points carried along that slope to the latest check-in) rather than from a global
intercept. The 80% interval is symmetric: the scatter of the points around the line and the
slope's spread times the days left, added in quadrature and scaled to 80%. Both spreads are
interquartile ranges of the same recency-weighted samples (the points' distances from the line,
the pairwise slopes), read with each distinct value at the middle of its share of the weight and
straight lines in between: a range that steps from value to value would be zero as soon as one
heavy pair holds the middle half of the weight (two late check-ins a week apart outweigh the
baseline's pairs), and would show a noisy history as certain. So the interval is zero exactly
when the points lie on one line, and grows with noise, curvature and the horizon. The chance of
reaching a score reads low and high as the 10th and 90th percentiles of a two-piece normal whose
median is the projection.
"""

from __future__ import annotations

import datetime as dt
import math
from bisect import bisect_left
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from okapi.core.scoring import ObjectiveType

MIN_CHECKINS = 2  # fewer check-ins: no forecast
DRIFT_BELOW = 0.4  # a projected score under this is drifting (the red band)
Z80 = 1.2815515655446004  # standard normal quantile at 0.9: an 80% two-sided interval
IQR_TO_SIGMA = 1 / 1.3489795003921634  # a normal sample's interquartile range times this: its sd
ROUNDING = 1e-12  # relative: differences this small between float results are rounding error
HALF_LIFE_DAYS = 10.0  # a pair of check-ins this much older counts half as much in the slope
# The slope's interquartile range times this is read as its standard deviation. Tuned on the bench
# (seed 1) so the 80% interval covers about 80% of end values across shapes of progress, not
# just straight lines; reading the ranges between values rather than step-wise kept seed 1 at
# 79.7% covered (79.5% before), so it was not re-tuned.
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


def _interquartile_range(weighted: Sequence[tuple[float, float]]) -> float:
    """The spread between the weighted 25% and 75% quantiles, read between the values: each
    distinct value sits at the middle of its share of the weight, linear in between, the
    extremes below the first middle and above the last.

    Zero-weight values carry no mass; if every weight underflowed, the values count alike. Two
    different values always give a positive spread, however uneven the weights: no single value
    covers the middle half of this reading, as it can when the quantiles step from value to value.
    """
    mass: dict[float, float] = {}
    for value, weight in weighted:
        mass[value] = mass.get(value, 0.0) + weight
    if math.fsum(mass.values()) == 0:
        mass = dict.fromkeys(mass, 1.0)
    values = sorted(value for value, weight in mass.items() if weight > 0)
    total = math.fsum(mass[value] for value in values)
    middles = []
    seen = 0.0
    for value in values:
        middles.append((seen + mass[value] / 2) / total)
        seen += mass[value]
    return _between(values, middles, 0.75) - _between(values, middles, 0.25)


def _between(values: list[float], middles: list[float], share: float) -> float:
    k = bisect_left(middles, share)
    if k == 0:
        return values[0]
    if k == len(values):
        return values[-1]
    # middles[k - 1] < share <= middles[k]: the gap is positive
    t = (share - middles[k - 1]) / (middles[k] - middles[k - 1])
    return values[k - 1] + t * (values[k] - values[k - 1])


def _residual(y: float, level: float, rise: float) -> float:
    """y's distance from the line through `level` (rising by `rise` to y's day), 0 within the
    rounding error of those numbers: the points the line runs through have distances of 1e-16
    or so, which would crowd the real distances out of the interquartile range."""
    distance = y - level - rise
    return 0.0 if abs(distance) <= ROUNDING * (abs(y) + abs(level) + abs(rise)) else distance


def _fitted_points(
    checkins: Sequence[tuple[dt.date, Number]],
    *,
    start: dt.date,
    end: dt.date,
    baseline: Number | None,
) -> dict[dt.date, float] | None:
    """The points the trend is fitted on (see the module's docstring); None with too few."""
    by_day = _points(checkins, end=end)
    if len(by_day) < MIN_CHECKINS:
        return None  # also covers every check-in on one day: no spread in x
    before = [day for day in by_day if day < start]
    if before and len(by_day) - len(before) >= MIN_CHECKINS:
        latest_before = max(before)  # where the key result stood when the cycle began
        for day in before:
            if day != latest_before:
                del by_day[day]
    if baseline is not None and start < min(by_day):
        by_day[start] = float(baseline)
    return by_day


def forecast_kr(
    *,
    checkins: Sequence[tuple[dt.date, Number]],
    start: dt.date,
    end: dt.date,
    baseline: Number | None,
) -> Forecast | None:
    """The projected value at `end` with its 80% interval; None with too few check-ins."""
    by_day = _fitted_points(checkins, start=start, end=end, baseline=baseline)
    if by_day is None:
        return None
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

    # The points' distances from the line, weighted as they were for the level.
    residuals = [
        (_residual(y, level, slope * (x - now)), w) for x, y, w in zip(xs, ys, recency, strict=True)
    ]
    noise = IQR_TO_SIGMA * _interquartile_range(residuals)
    slope_spread = SLOPE_IQR_TO_SIGMA * _interquartile_range(slopes)
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
