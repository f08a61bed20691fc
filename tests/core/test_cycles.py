import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from okapi.core.cycles import (
    Period,
    cycle_for_date,
    period_for_key,
    previous_quarter,
    quarter_key,
    quarter_period,
    week_start,
)


@pytest.mark.parametrize(
    ("day", "key", "start", "end"),
    [
        (dt.date(2027, 1, 1), "2027-Q1", dt.date(2027, 1, 1), dt.date(2027, 3, 31)),
        (dt.date(2027, 6, 30), "2027-Q2", dt.date(2027, 4, 1), dt.date(2027, 6, 30)),
        (dt.date(2026, 11, 23), "2026-Q4", dt.date(2026, 10, 1), dt.date(2026, 12, 31)),
    ],
)
def test_it_knows_quarters(day, key, start, end):
    assert quarter_key(day) == key
    assert quarter_period(day) == Period(key, start, end)
    assert period_for_key(key) == Period(key, start, end)


def test_it_knows_years_and_previous_quarters():
    assert period_for_key("FY2027") == Period("FY2027", dt.date(2027, 1, 1), dt.date(2027, 12, 31))
    assert period_for_key("sprint-7") is None
    assert previous_quarter(dt.date(2027, 1, 15)).key == "2026-Q4"


@given(st.dates(min_value=dt.date(1990, 1, 1), max_value=dt.date(2100, 12, 31)))
def test_it_puts_every_day_in_its_quarter(day):
    q = quarter_period(day)
    assert q.start <= day <= q.end
    assert week_start(day).weekday() == 0 and 0 <= (day - week_start(day)).days < 7


def test_it_prefers_the_shortest_cycle_containing_a_date():
    year = Period("FY2027", dt.date(2027, 1, 1), dt.date(2027, 12, 31))
    q1 = Period("2027-Q1", dt.date(2027, 1, 1), dt.date(2027, 3, 31))
    assert cycle_for_date([year, q1], dt.date(2027, 2, 1)) == q1
    assert cycle_for_date([year, q1], dt.date(2027, 5, 1)) == year
    assert cycle_for_date([q1], dt.date(2028, 1, 1)) is None
