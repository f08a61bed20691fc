import datetime as dt
import math
from decimal import Decimal as D

import pytest
from hypothesis import given
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
