import datetime as dt
from decimal import Decimal as D

import pytest
from hypothesis import given
from hypothesis import strategies as st

from okapi.core import scoring
from okapi.core.scoring import Band, Pace

numbers = st.decimals(min_value=-(10**9), max_value=10**9, allow_nan=False, places=3)


@pytest.mark.parametrize(
    ("baseline", "target", "current", "value", "raw"),
    [
        ("108", "120", "114", "0.5", "0.5"),  # increasing
        ("3", "1.5", "2.25", "0.5", "0.5"),  # decreasing: lower is better
        ("108", "120", "126", "1", "1.5"),  # overshoot: clipped, raw kept
        ("108", "120", "100", "0", "-0.6667"),  # went backwards
        ("0", "10", "10", "1", "1"),
    ],
)
def test_it_computes_metric_progress(baseline, target, current, value, raw):
    p = scoring.metric_progress(baseline=D(baseline), target=D(target), current=D(current))
    assert p.value == D(value)
    assert p.raw == D(raw)


def test_it_gives_no_progress_without_numbers():
    assert scoring.metric_progress(baseline=None, target=D(1), current=D(1)).value == 0
    assert scoring.metric_progress(baseline=D(0), target=D(1), current=None).raw is None


def test_it_scores_a_target_equal_to_baseline_as_met_or_not():
    assert scoring.metric_progress(baseline=D(5), target=D(5), current=D(5)).value == 1
    assert scoring.metric_progress(baseline=D(5), target=D(5), current=D(4)).value == 0


def test_it_scores_milestones_done_or_not():
    assert (
        scoring.kr_progress(kind="milestone", baseline=None, target=None, current=D(1)).value == 1
    )
    assert (
        scoring.kr_progress(kind="milestone", baseline=None, target=None, current=D(0)).value == 0
    )
    assert (
        scoring.kr_progress(kind="milestone", baseline=None, target=None, current=None).value == 0
    )


@given(baseline=numbers, target=numbers, current=numbers)
def test_it_keeps_progress_between_0_and_1(baseline, target, current):
    p = scoring.metric_progress(baseline=baseline, target=target, current=current)
    assert 0 <= p.value <= 1


@given(baseline=numbers, target=numbers, a=numbers, b=numbers)
def test_it_never_scores_a_better_value_lower(baseline, target, a, b):
    """Moving towards the target never lowers progress, for both directions."""
    if target == baseline:
        return
    better, worse = (max(a, b), min(a, b)) if target > baseline else (min(a, b), max(a, b))
    p_better = scoring.metric_progress(baseline=baseline, target=target, current=better)
    p_worse = scoring.metric_progress(baseline=baseline, target=target, current=worse)
    assert p_better.value >= p_worse.value


@given(st.lists(st.tuples(st.decimals(0, 1, places=4), st.decimals("0.1", 10, places=2)),
                min_size=1, max_size=8))  # fmt: skip
def test_it_keeps_an_objective_score_between_its_lowest_and_highest_kr(pairs):
    score = scoring.objective_score(pairs)
    assert min(p for p, _ in pairs) - D("0.0001") <= score <= max(p for p, _ in pairs) + D("0.0001")


def test_it_weights_key_results():
    assert scoring.objective_score([(D(1), D(3)), (D(0), D(1))]) == D("0.75")
    assert scoring.objective_score([]) is None


@pytest.mark.parametrize(
    ("score", "band"),
    [("0", Band.RED), ("0.3", Band.RED), ("0.39", Band.RED), ("0.4", Band.YELLOW),
     ("0.6", Band.YELLOW), ("0.69", Band.YELLOW), ("0.7", Band.GREEN), ("1", Band.GREEN)],
)  # fmt: skip
def test_it_colours_scores(score, band):
    assert scoring.score_band(D(score)) == band


def test_it_expects_more_of_committed_objectives():
    assert scoring.is_success(D("0.7"), "aspirational")
    assert not scoring.is_success(D("0.7"), "committed")
    assert scoring.is_success(D("1"), "committed")


def test_it_computes_expected_progress_from_elapsed_time():
    start, end = dt.date(2027, 1, 1), dt.date(2027, 1, 10)
    assert scoring.expected_progress(start=start, end=end, today=dt.date(2027, 1, 5)) == D("0.5")
    assert scoring.expected_progress(start=start, end=end, today=dt.date(2026, 12, 1)) == 0
    assert scoring.expected_progress(start=start, end=end, today=dt.date(2027, 2, 1)) == 1


@pytest.mark.parametrize(
    ("progress", "expected", "has_data", "pace"),
    [("0.5", "0.5", True, Pace.ON_PACE), ("0.8", "0.5", True, Pace.AHEAD),
     ("0.2", "0.5", True, Pace.BEHIND), ("0", "0.5", False, Pace.NO_DATA)],
)  # fmt: skip
def test_it_tells_the_pace(progress, expected, has_data, pace):
    assert (
        scoring.pace_status(progress=D(progress), expected=D(expected), has_data=has_data) == pace
    )


def test_it_flags_stale_and_stuck_key_results():
    today = dt.date(2027, 2, 15)
    assert scoring.is_stale(last_checkin=dt.date(2027, 2, 1), today=today)
    assert not scoring.is_stale(last_checkin=dt.date(2027, 2, 2), today=today)
    assert not scoring.is_stale(last_checkin=None, today=today)
    flat = [
        scoring.CheckinPoint(dt.date(2027, 1, 4) + dt.timedelta(weeks=i), D(5)) for i in range(6)
    ]
    assert scoring.is_stuck(checkins=flat, today=today)
    moving = [*flat[:-1], scoring.CheckinPoint(dt.date(2027, 2, 8), D(6))]
    assert not scoring.is_stuck(checkins=moving, today=today)
    assert scoring.last_movement(moving) == dt.date(2027, 2, 8)
