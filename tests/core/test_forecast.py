import datetime as dt
import math
from decimal import Decimal as D

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from okapi.core import forecast
from okapi.core.forecast import Forecast

START = dt.date(2027, 1, 1)
END = START + dt.timedelta(days=90)


def day(n: int) -> dt.date:
    return START + dt.timedelta(days=n)


def weekly(values: list[float], *, every: int = 7) -> list[tuple[dt.date, float]]:
    return [(day(every * (i + 1)), v) for i, v in enumerate(values)]


@pytest.mark.parametrize(
    ("baseline", "per_week", "weeks"),
    [(100, 7, 6), (100, -7, 6), (0, 70, 2), (None, 14, 5), (50, 0, 4)],
)
def test_it_projects_a_perfect_linear_history_exactly(baseline, per_week, weeks):
    origin = 100 if baseline is None else baseline
    checkins = weekly([origin + per_week * (i + 1) for i in range(weeks)])
    f = forecast.forecast_kr(checkins=checkins, start=START, end=END, baseline=baseline)
    assert f is not None
    assert f.value == origin + per_week * 90 / 7
    assert f.slope_per_day == per_week / 7
    assert f.low == f.value == f.high  # collinear: nothing to be unsure about
    assert f.points == weeks + (baseline is not None)


@pytest.mark.parametrize("spiked_week", [2, 4, 6])  # early, recent, the latest check-in
def test_it_barely_moves_for_an_outlier_check_in(spiked_week):
    """Least squares would tilt the line towards the 900; weighted medians do not."""
    clean = [100 + 7 * (i + 1) for i in range(6)]
    spiked = [*clean[: spiked_week - 1], 900, *clean[spiked_week:]]
    f_clean = forecast.forecast_kr(checkins=weekly(clean), start=START, end=END, baseline=100)
    f_spiked = forecast.forecast_kr(checkins=weekly(spiked), start=START, end=END, baseline=100)
    assert f_clean is not None and f_spiked is not None
    assert f_spiked.value == pytest.approx(f_clean.value, abs=15)
    assert f_spiked.low <= f_clean.value <= f_spiked.high
    xs = [0, 7, 14, 21, 28, 35, 42]
    ys = [100, *spiked]
    mean_x, mean_y = sum(xs) / len(xs), sum(ys) / len(ys)
    ls_slope = sum((x - mean_x) * (y - mean_y) for x, y in zip(xs, ys, strict=True)) / sum(
        (x - mean_x) ** 2 for x in xs
    )
    ls_value = mean_y + ls_slope * (90 - mean_x)
    assert abs(ls_value - f_clean.value) > 10 * abs(f_spiked.value - f_clean.value)


def test_it_follows_the_current_pace_after_a_late_start():
    """Flat for three weeks, then 14 a week: the whole-cycle average would say 7 a week."""
    checkins = weekly([100, 100, 100, 114, 128, 142])
    f = forecast.forecast_kr(checkins=checkins, start=START, end=END, baseline=100)
    naive = forecast.naive_pace_forecast(checkins=checkins, start=START, end=END, baseline=100)
    assert f is not None and naive is not None
    assert f.slope_per_day == 2
    assert f.value == 142 + 2 * (90 - 42)  # from where it is now, at the current pace
    assert naive < f.value
    assert f.low < f.value < f.high


def test_it_follows_a_levelling_off():
    checkins = weekly([130, 150, 160, 165, 167, 168])
    f = forecast.forecast_kr(checkins=checkins, start=START, end=END, baseline=100)
    naive = forecast.naive_pace_forecast(checkins=checkins, start=START, end=END, baseline=100)
    assert f is not None and naive is not None
    assert 168 < f.value < naive - 40


def test_it_widens_the_interval_with_the_bend_and_the_horizon():
    """A noise-free but bent history is not a line: the further out, the less sure."""
    checkins = weekly([130, 150, 160, 165, 167, 168])
    widths = []
    for days in (60, 90, 120):
        end = START + dt.timedelta(days=days)
        f = forecast.forecast_kr(checkins=checkins, start=START, end=end, baseline=100)
        assert f is not None
        assert f.low < f.value < f.high
        widths.append(f.high - f.low)
    assert widths[0] < widths[1] < widths[2]


def test_it_widens_the_interval_with_the_noise():
    wobble = [3, -2, 4, -5, 1, -1]
    widths = []
    for scale in (1, 2, 4):
        noisy = [100 + 7 * (i + 1) + scale * w for i, w in enumerate(wobble)]
        f = forecast.forecast_kr(checkins=weekly(noisy), start=START, end=END, baseline=100)
        assert f is not None
        assert f.low < f.value < f.high
        widths.append(f.high - f.low)
    assert widths[0] < widths[1] < widths[2]


def test_it_forecasts_a_decreasing_metric():
    # Churn from 5% to a 2% target, falling by 0.25 points a week with some wobble.
    checkins = weekly([4.8, 4.45, 4.3, 3.95, 3.8, 3.5])
    f = forecast.forecast_kr(checkins=checkins, start=START, end=END, baseline=D("5"))
    assert f is not None
    assert f.slope_per_day < 0
    assert f.value == pytest.approx(5 - 0.25 * 90 / 7, abs=0.3)
    score, low, high = forecast.forecast_score(f, baseline=D("5"), target=D("2"))
    assert 0.8 < score <= 1
    assert low <= score <= high
    assert forecast.chance_of_reaching(f, baseline=D("5"), target=D("2"), score=0.7) > 0.8


@pytest.mark.parametrize(
    "checkins",
    [
        [],
        [(day(7), 110)],
        [(day(7), 110), (day(7), 120)],  # two check-ins, one day: no spread
        [(day(7), 110), (END + dt.timedelta(days=1), 200)],  # after the end: ignored
    ],
)
def test_it_does_not_forecast_with_fewer_than_two_check_in_days(checkins):
    assert forecast.forecast_kr(checkins=checkins, start=START, end=END, baseline=100) is None


def test_it_keeps_the_last_check_in_of_a_day():
    checkins = [(day(7), 110), (day(14), 999), (day(14), 120)]
    f = forecast.forecast_kr(checkins=checkins, start=START, end=END, baseline=100)
    assert f is not None
    assert f.points == 3
    assert f.value == pytest.approx(100 + 10 / 7 * 90)


def test_it_lets_a_check_in_on_the_start_day_replace_the_baseline():
    checkins = [(START, 90), (day(7), 100), (day(14), 110)]
    f = forecast.forecast_kr(checkins=checkins, start=START, end=END, baseline=50)
    assert f is not None
    assert f.points == 3
    assert f.value == pytest.approx(90 + 10 / 7 * 90)


def test_it_gives_two_noisy_late_check_ins_a_range_not_a_certainty():
    """A month in at +2%, a week later at +30%: the pair of check-ins outweighs the baseline's
    pairs, but the history is far from a line, so the range must be wide, not one point."""
    checkins = [(day(31), 1_020_000), (day(38), 1_300_000)]
    f = forecast.forecast_kr(checkins=checkins, start=START, end=END, baseline=1_000_000)
    assert f is not None
    assert f.value == pytest.approx(1_300_000 + 40_000 * 52)  # the latest week's pace
    assert f.high - f.low > 2_000_000
    chance = forecast.chance_of_reaching(f, baseline=1_000_000, target=2_000_000, score=0.7)
    assert 0.5 < chance < 0.95


@pytest.mark.parametrize("days_left", [0, 30])
def test_it_gives_three_points_off_a_line_a_range_up_to_the_end(days_left):
    checkins = [(day(20), 120), (day(30), 180)]
    end = day(30 + days_left)
    f = forecast.forecast_kr(checkins=checkins, start=START, end=end, baseline=100)
    assert f is not None
    assert f.low < f.value < f.high


def test_it_keeps_the_trend_of_check_ins_that_all_precede_the_start():
    """An objective moved to a later cycle: the baseline is where it stood at the old start, and
    pinned at the new one it would read as a fall from $1.4M to $1M."""
    checkins = [(day(-50), 1_100_000), (day(-36), 1_250_000), (day(-22), 1_400_000)]
    f = forecast.forecast_kr(checkins=checkins, start=START, end=END, baseline=1_000_000)
    assert f is not None
    assert f.points == 3  # the check-ins, not the baseline
    assert f.slope_per_day == pytest.approx(150_000 / 14)
    assert f.value == pytest.approx(1_400_000 + 150_000 / 14 * (90 + 22))
    assert f.low == pytest.approx(f.value) == pytest.approx(f.high)  # a line


def test_it_uses_every_earlier_check_in_while_one_falls_inside_the_cycle():
    checkins = [(day(-20), 80), (day(-10), 90), (day(5), 105)]
    f = forecast.forecast_kr(checkins=checkins, start=START, end=END, baseline=0)
    assert f is not None
    assert f.points == 3
    assert f.value == 190  # 1 a day: the stale baseline of 0 plays no part


def test_it_keeps_only_the_latest_check_in_before_the_start_once_two_fall_inside():
    """The latest earlier check-in stands for the start, in place of the baseline; older ones
    belong to another period (here a wild one) and drop out."""
    checkins = [(day(-40), 0), (day(-5), 95), (day(7), 107), (day(14), 114)]
    f = forecast.forecast_kr(checkins=checkins, start=START, end=END, baseline=50)
    assert f is not None
    assert f.points == 3
    assert f.value == 190
    assert f.low == f.value == f.high


@pytest.mark.parametrize(
    ("weighted", "expected"),
    [
        ([(5.0, 1.0), (5.0, 3.0)], 0.0),  # one value: no spread
        ([(1.0, 1.0), (2.0, 1.0)], 1.0),  # at 25% and 75%: the whole gap
        ([(1.0, 0.01), (2.0, 0.01), (3.0, 10.0)], 0.5),  # one heavy value does not cover it
        ([(1.0, 1.0), (3.0, 1.0), (9.0, 0.0)], 2.0),  # no weight: no say
        ([(1.0, 0.0), (3.0, 0.0)], 2.0),  # every weight underflowed: counted alike
    ],
)
def test_it_reads_the_interquartile_range_between_values(weighted, expected):
    assert forecast._interquartile_range(weighted) == pytest.approx(expected, abs=0.02)


def spread(value: float, low: float, high: float) -> Forecast:
    return Forecast(value=value, low=low, high=high, slope_per_day=0.0, points=5)


@pytest.mark.parametrize(
    ("f", "baseline", "target", "score", "expected"),
    [
        (spread(170, 160, 180), 100, 200, 0.7, 0.5),  # projected right on the threshold
        (spread(250, 240, 260), 100, 200, 0.7, 1.0),  # far above
        (spread(120, 110, 130), 100, 200, 0.7, 0.0),  # far below
        (spread(170, 150, 175), 100, 200, 0.7, 0.5),  # asymmetric, still the median
        (spread(200, 190, 210), 100, 200, 1.0, 0.5),
        (spread(3.2, 3.0, 3.4), 5, 2, 0.6, 0.5),  # decreasing: the threshold is 3.2
        (spread(1.0, 0.8, 1.2), 5, 2, 0.7, 1.0),
        (spread(4.5, 4.3, 4.7), 5, 2, 0.7, 0.0),
        (spread(150, 150, 150), 100, 200, 0.5, 1.0),  # no spread: a step
        (spread(149, 149, 149), 100, 200, 0.5, 0.0),
        (spread(150, 140, 160), 100, 200, 0.0, 1.0),  # a score of 0 is always reached
        (spread(250, 240, 260), 100, 200, 1.01, 0.0),  # above 1 never is
    ],
)
def test_it_gives_the_chance_of_reaching_a_score(f, baseline, target, score, expected):
    chance = forecast.chance_of_reaching(f, baseline=baseline, target=target, score=score)
    assert chance == pytest.approx(expected, abs=1e-6)


def test_it_reads_low_and_high_as_the_10th_and_90th_percentiles():
    f = spread(170, 150, 180)
    assert forecast.chance_of_reaching(f, baseline=100, target=200, score=0.5) == pytest.approx(0.9)
    assert forecast.chance_of_reaching(f, baseline=100, target=200, score=0.8) == pytest.approx(0.1)


@pytest.mark.parametrize(
    ("f", "expected"),
    [
        (spread(5, 5, 5), (1.0, 1.0, 1.0, 1.0)),
        (spread(5, 4, 6), (1.0, 0.0, 1.0, 0.0)),
        (spread(5, 5, 6), (1.0, 0.0, 1.0, 0.5)),
        (spread(4, 3, 6), (0.0, 0.0, 1.0, 0.0)),
        (spread(4, 3, 4.5), (0.0, 0.0, 0.0, 0.0)),
    ],
)
def test_it_scores_a_target_equal_to_baseline_as_met_or_not(f, expected):
    score, low, high = forecast.forecast_score(f, baseline=D(5), target=D(5))
    chance = forecast.chance_of_reaching(f, baseline=D(5), target=D(5), score=0.7)
    assert (score, low, high, chance) == expected


@pytest.mark.parametrize(
    ("f", "baseline", "target", "expected"),
    [
        (spread(150, 120, 190), 100, 200, (0.5, 0.2, 0.9)),
        (spread(3.5, 3.2, 4.1), 5, 2, (0.5, 0.3, 0.6)),  # decreasing: low value, high score
        (spread(250, 180, 300), 100, 200, (1.0, 0.8, 1.0)),
        (spread(50, 0, 120), 100, 200, (0.0, 0.0, 0.2)),
    ],
)
def test_it_turns_the_forecast_into_scores(f, baseline, target, expected):
    got = forecast.forecast_score(f, baseline=baseline, target=target)
    assert got == pytest.approx(expected)


@pytest.mark.parametrize(
    ("objective_type", "threshold"),
    [("committed", 1.0), ("aspirational", 0.7), ("", 0.7)],
)
def test_it_asks_committed_objectives_for_a_full_score(objective_type, threshold):
    assert forecast.chance_threshold(objective_type) == threshold


@pytest.mark.parametrize(
    ("score", "drifting"), [(0.0, True), (0.39, True), (0.4, False), (1, False)]
)
def test_it_flags_drift_under_0_4(score, drifting):
    assert forecast.is_drifting(score) is drifting


@pytest.mark.parametrize(
    ("checkins", "baseline", "expected"),
    [
        ([(day(30), 130)], 100, 190.0),  # 30 up in a third of the cycle: 90 up by the end
        ([(day(30), 130), (day(45), 120)], 100, 140.0),  # the latest counts
        ([(day(45), 80)], 100, 60.0),
        ([(day(30), 130)], None, None),
        ([], 100, None),
        ([(START, 130)], 100, None),  # no time elapsed
    ],
)
def test_it_projects_the_naive_current_pace(checkins, baseline, expected):
    got = forecast.naive_pace_forecast(checkins=checkins, start=START, end=END, baseline=baseline)
    assert got == expected


values = st.floats(min_value=-1e9, max_value=1e9, allow_nan=False, allow_infinity=False)
histories = st.lists(st.tuples(st.integers(-30, 120), values), min_size=0, max_size=15)


@given(
    history=histories,
    baseline=st.none() | values,
    target=values,
    length=st.integers(0, 400),
    score=st.floats(0, 1.2),
)
def test_it_keeps_forecasts_ordered_and_finite(history, baseline, target, length, score):
    end = START + dt.timedelta(days=length)
    checkins = [(day(d), v) for d, v in history]
    f = forecast.forecast_kr(checkins=checkins, start=START, end=end, baseline=baseline)
    if f is None:
        return
    assert all(math.isfinite(x) for x in (f.value, f.low, f.high, f.slope_per_day))
    assert f.low <= f.value <= f.high
    b = 0.0 if baseline is None else baseline
    scores = forecast.forecast_score(f, baseline=b, target=target)
    assert all(0 <= s <= 1 for s in scores)
    assert scores[1] <= scores[0] <= scores[2]
    chance = forecast.chance_of_reaching(f, baseline=b, target=target, score=score)
    assert 0 <= chance <= 1


@given(
    days=st.sets(st.integers(-30, 120), min_size=2, max_size=12),
    origin=st.integers(-(10**6), 10**6),
    per_day=st.integers(-1000, 1000),
    baseline=st.booleans(),
    length=st.integers(0, 400),
)
def test_it_projects_any_straight_line_exactly(days, origin, per_day, baseline, length):
    """Whatever the spacing of the check-ins and the recency weights, a line stays a line."""
    end = START + dt.timedelta(days=length)
    checkins = [(day(d), float(origin + per_day * d)) for d in days]
    f = forecast.forecast_kr(
        checkins=checkins, start=START, end=end, baseline=origin if baseline else None
    )
    if f is None:
        return
    assert f.slope_per_day == per_day
    assert f.low == f.value == f.high == origin + per_day * length


@given(
    value=values,
    below=st.floats(0, 1e9),
    above=st.floats(0, 1e9),
    baseline=values,
    target=values,
    scores=st.lists(st.floats(-0.2, 1.2), min_size=2, max_size=6),
)
def test_it_never_gives_a_higher_score_a_better_chance(
    value, below, above, baseline, target, scores
):
    f = spread(value, value - below, value + above)
    chances = [
        forecast.chance_of_reaching(f, baseline=baseline, target=target, score=s)
        for s in sorted(scores)
    ]
    assert all(0 <= c <= 1 for c in chances)
    assert all(a >= b for a, b in zip(chances, chances[1:], strict=False))


def off_one_line(points: list[tuple[int, int]]) -> bool:
    (x0, y0), (x1, y1) = points[0], points[1]
    return any((y - y0) * (x1 - x0) != (y1 - y0) * (x - x0) for x, y in points[2:])


@given(
    history=st.dictionaries(
        st.integers(1, 120), st.integers(-(10**6), 10**6), min_size=2, max_size=8
    ),
    baseline=st.integers(-(10**6), 10**6),
    extra=st.integers(0, 280),
)
def test_it_gives_any_history_off_one_line_a_range(history, baseline, extra):
    """A point range ("100% chance") only when the points lie on one line, however the check-ins
    are spaced or how soon the cycle ends after the latest one."""
    points = [(0, baseline), *sorted(history.items())]
    assume(off_one_line(points))
    end = day(max(history) + extra)
    checkins = [(day(d), float(v)) for d, v in history.items()]
    f = forecast.forecast_kr(checkins=checkins, start=START, end=end, baseline=baseline)
    assert f is not None
    assert f.low < f.high


@given(
    days=st.sets(st.integers(-60, 120), min_size=2, max_size=10),
    steps=st.lists(st.integers(0, 10**5), min_size=10, max_size=10),
    first=st.integers(0, 10**6),
    below=st.integers(0, 10**6),
    length=st.integers(0, 200),
)
def test_it_never_forecasts_a_growing_history_below_its_baseline(days, steps, first, below, length):
    """Check-ins that only grow from a baseline under them, wherever the cycle starts (after all
    of them for an objective moved to a later cycle): the forecast never falls under the baseline,
    nor under every check-in."""
    values, value = [], first
    for step in steps[: len(days)]:
        value += step
        values.append(value)
    checkins = [(day(d), float(v)) for d, v in zip(sorted(days), values, strict=True)]
    baseline = first - below
    end = day(length)
    f = forecast.forecast_kr(checkins=checkins, start=START, end=end, baseline=baseline)
    if f is None:
        return
    assert f.slope_per_day >= 0
    assert f.value >= baseline
    counted = [v for at, v in checkins if at <= end]
    if all(at < START for at, _ in checkins):
        assert f.value >= min(counted)
