import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from okapi.core.schedule import (
    Weekly,
    latest_occurrence,
    missed_weeks,
    next_occurrence,
    occurrence_for_week,
    week_key,
)

D = dt.date.fromisoformat
T = dt.time.fromisoformat


def utc(text):
    return dt.datetime.fromisoformat(text).replace(tzinfo=dt.UTC)


@pytest.mark.parametrize(
    ("zone", "weekday", "time", "week", "expected"),
    [
        # A Monday 09:00 reminder stays 09:00 local across the changes, so it moves in UTC.
        ("Europe/Berlin", 0, "09:00", "2027-03-22", "2027-03-22 08:00"),
        ("Europe/Berlin", 0, "09:00", "2027-03-29", "2027-03-29 07:00"),
        ("Europe/Berlin", 0, "09:00", "2027-11-01", "2027-11-01 08:00"),
        ("America/Los_Angeles", 0, "09:00", "2027-03-08", "2027-03-08 17:00"),
        ("America/Los_Angeles", 0, "09:00", "2027-03-15", "2027-03-15 16:00"),
        ("Pacific/Auckland", 0, "09:00", "2027-03-29", "2027-03-28 20:00"),  # NZDT, +13
        ("Pacific/Auckland", 0, "09:00", "2027-04-05", "2027-04-04 21:00"),  # NZST, +12
        ("UTC", 4, "16:00", "2027-03-22", "2027-03-26 16:00"),
        ("Asia/Kolkata", 2, "10:30", "2027-03-22", "2027-03-24 05:00"),
        # Spring forward: 02:30 does not exist and moves to the first valid time, 03:00.
        ("Europe/Berlin", 6, "02:30", "2027-03-22", "2027-03-28 01:00"),
        ("America/Los_Angeles", 6, "02:30", "2027-03-08", "2027-03-14 10:00"),
        ("Pacific/Auckland", 6, "02:30", "2027-09-20", "2027-09-25 14:00"),
        ("Australia/Lord_Howe", 6, "02:15", "2027-09-27", "2027-10-02 15:30"),  # a 30-minute gap
        ("Pacific/Apia", 4, "10:00", "2011-12-26", "2011-12-30 10:00"),  # a whole day skipped
        # Fall back: 02:30 happens twice; the first one counts.
        ("Europe/Berlin", 6, "02:30", "2027-10-25", "2027-10-31 00:30"),
        ("America/Los_Angeles", 6, "01:30", "2027-11-01", "2027-11-07 08:30"),
        ("Pacific/Auckland", 6, "02:30", "2027-03-29", "2027-04-03 13:30"),
    ],
)  # fmt: skip
def test_it_finds_the_occurrence_of_a_week(zone, weekday, time, week, expected):
    occurrence = occurrence_for_week(Weekly(weekday, T(time), zone), D(week))
    assert occurrence == utc(expected)
    assert occurrence.tzinfo == dt.UTC


MONDAY_9_BERLIN = Weekly(0, T("09:00"), "Europe/Berlin")


@pytest.mark.parametrize(
    ("now", "latest", "next_"),
    [
        ("2027-03-29 06:59", "2027-03-22 08:00", "2027-03-29 07:00"),
        ("2027-03-29 07:00", "2027-03-29 07:00", "2027-04-05 07:00"),  # at: latest, not next
        ("2027-03-29 07:01", "2027-03-29 07:00", "2027-04-05 07:00"),
        ("2027-03-28 23:30", "2027-03-22 08:00", "2027-03-29 07:00"),  # Monday 01:30 in Berlin
        ("2027-03-28 22:00", "2027-03-22 08:00", "2027-03-29 07:00"),  # Sunday in UTC, Monday there
    ],
)  # fmt: skip
def test_it_finds_the_latest_and_the_next_occurrence(now, latest, next_):
    assert latest_occurrence(MONDAY_9_BERLIN, utc(now)) == utc(latest)
    assert next_occurrence(MONDAY_9_BERLIN, utc(now)) == utc(next_)


def test_it_accepts_now_in_any_zone():
    now = dt.datetime(2027, 3, 29, 9, 0, tzinfo=ZoneInfo("Europe/Berlin"))
    assert latest_occurrence(MONDAY_9_BERLIN, now) == utc("2027-03-29 07:00")


def test_it_refuses_a_naive_now():
    with pytest.raises(ValueError, match="aware"):
        next_occurrence(MONDAY_9_BERLIN, dt.datetime(2027, 3, 29, 9, 0))


ZONES = ["UTC", "Europe/Berlin", "Pacific/Auckland", "America/Los_Angeles",
         "Australia/Lord_Howe", "Asia/Kolkata", "America/St_Johns"]  # fmt: skip
SCHEDULES = st.builds(
    Weekly,
    weekday=st.integers(0, 6),
    time=st.times(),
    timezone=st.sampled_from(ZONES),
)
NOWS = st.datetimes(
    min_value=dt.datetime(2000, 1, 1),
    max_value=dt.datetime(2099, 12, 31),
    timezones=st.just(dt.UTC),
)


@given(SCHEDULES, NOWS)
def test_it_brackets_now_between_the_latest_and_the_next_occurrence(schedule, now):
    latest = latest_occurrence(schedule, now)
    next_ = next_occurrence(schedule, now)
    assert latest <= now < next_
    assert dt.timedelta(days=7, hours=-1) <= next_ - latest <= dt.timedelta(days=7, hours=1)
    assert latest_occurrence(schedule, latest) == latest
    assert next_occurrence(schedule, latest) == next_


@given(SCHEDULES, NOWS)
def test_it_keeps_the_local_wall_time_unless_it_does_not_exist(schedule, now):
    zone = ZoneInfo(schedule.timezone)
    local = next_occurrence(schedule, now).astimezone(zone).replace(tzinfo=None)
    assert local.weekday() == schedule.weekday
    wall = dt.datetime.combine(local.date(), schedule.time)
    if local != wall:  # moved forward out of a gap: that wall time does not exist that day
        round_trip = wall.replace(tzinfo=zone).astimezone(dt.UTC).astimezone(zone)
        assert round_trip.replace(tzinfo=None) != wall
        assert dt.timedelta(0) < local - wall <= dt.timedelta(hours=1)


@pytest.mark.parametrize(
    ("day", "key"),
    [("2027-02-15", "2027-W07"), ("2027-02-21", "2027-W07"), ("2027-01-01", "2026-W53"),
     ("2024-12-30", "2025-W01"), ("2027-01-04", "2027-W01")],
)  # fmt: skip
def test_it_names_iso_weeks(day, key):
    assert week_key(D(day)) == key


TODAY = D("2027-02-17")  # a Wednesday in W07: W06 (8–14 February) is the last complete week


@pytest.mark.parametrize(
    ("last_checkin", "since", "missed"),
    [
        ("2027-02-16", "2027-01-04", 0),  # this week
        ("2027-02-10", "2027-01-04", 0),  # last week
        ("2027-02-07", "2027-01-04", 1),  # the Sunday before: W06 was missed
        ("2027-02-01", "2027-01-04", 1),
        ("2027-01-25", "2027-01-04", 2),
        (None, "2027-01-04", 6),  # never: W01–W06 since the cycle started on a Monday
        (None, "2027-01-06", 5),  # created on a Wednesday: its first week is not a whole one
        (None, "2027-02-08", 1),
        (None, "2027-02-15", 0),
        (None, "2027-03-01", 0),  # not started yet
        ("2026-12-01", "2027-01-04", 6),  # weeks before `since` do not count
        ("2027-02-20", "2027-01-04", 0),  # a check-in dated later this week
    ],
)  # fmt: skip
def test_it_counts_missed_weeks(last_checkin, since, missed):
    last = D(last_checkin) if last_checkin else None
    assert missed_weeks(last_checkin=last, since=D(since), today=TODAY) == missed


DAYS = st.dates(min_value=D("2020-01-01"), max_value=D("2030-12-31"))


@given(DAYS, DAYS, DAYS, DAYS)
def test_it_counts_fewer_missed_weeks_after_a_later_checkin(a, b, since, today):
    earlier, later = sorted([a, b])
    missed_earlier = missed_weeks(last_checkin=earlier, since=since, today=today)
    missed_later = missed_weeks(last_checkin=later, since=since, today=today)
    never = missed_weeks(last_checkin=None, since=since, today=today)
    assert 0 <= missed_later <= missed_earlier <= never
    assert missed_weeks(last_checkin=today, since=since, today=today) == 0
