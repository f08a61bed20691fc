import datetime as dt
from decimal import Decimal as D

import pytest
from hypothesis import given
from hypothesis import strategies as st

from okapi.core.kpi import Health, Thresholds, change, kpi_health, value_health

UP = Thresholds("up", target=D(110), warning=D(105))
DOWN = Thresholds("down", target=D(2), warning=D(3))
RANGE = Thresholds("range", target_low=D(40), target_high=D(60), warning_low=D(30),
                   warning_high=D(70))  # fmt: skip
NOW = dt.datetime(2027, 2, 15, tzinfo=dt.UTC)


@pytest.mark.parametrize(
    ("thresholds", "value", "health"),
    [
        (UP, 112, Health.GREEN), (UP, 110, Health.GREEN), (UP, 107, Health.AMBER),
        (UP, 105, Health.AMBER), (UP, 100, Health.RED),
        (DOWN, 1.5, Health.GREEN), (DOWN, 2.5, Health.AMBER), (DOWN, 4, Health.RED),
        (RANGE, 50, Health.GREEN), (RANGE, 35, Health.AMBER), (RANGE, 65, Health.AMBER),
        (RANGE, 20, Health.RED), (RANGE, 80, Health.RED),
        (Thresholds("up", target=D(10)), 9, Health.RED),  # no warning edge: no amber band
    ],
)  # fmt: skip
def test_it_colours_a_value(thresholds, value, health):
    assert value_health(D(str(value)), thresholds) == health


@pytest.mark.parametrize(
    ("cadence", "age_days", "stale"),
    [("daily", 2, False), ("daily", 3, True), ("weekly", 14, False), ("weekly", 15, True),
     ("monthly", 60, False), ("monthly", 63, True), ("quarterly", 180, False)],
)  # fmt: skip
def test_it_goes_stale_after_two_cadence_periods(cadence, age_days, stale):
    health = kpi_health(latest_value=D(200), latest_at=NOW - dt.timedelta(days=age_days),
                        thresholds=UP, cadence=cadence, now=NOW)  # fmt: skip
    assert (health == Health.STALE) == stale


def test_it_has_no_data_without_measurements():
    assert kpi_health(latest_value=None, latest_at=None, thresholds=UP, cadence="daily",
                      now=NOW) == Health.NO_DATA  # fmt: skip


@given(st.decimals(-1000, 1000, places=2), st.decimals(-1000, 1000, places=2))
def test_it_never_rates_a_better_value_worse(a, b):
    rank = {Health.RED: 0, Health.AMBER: 1, Health.GREEN: 2}
    hi, lo = max(a, b), min(a, b)
    assert rank[value_health(hi, UP)] >= rank[value_health(lo, UP)]
    assert rank[value_health(lo, DOWN)] >= rank[value_health(hi, DOWN)]


def test_it_measures_change():
    assert change(D(110), D(100)) == (D(10), D("0.1"))
    assert change(D(5), D(0)) == (D(5), None)
    assert change(None, D(1)) == (None, None)
