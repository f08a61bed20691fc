"""Weekly schedules (check-in reminders, digests) in a workspace's time zone, and ISO weeks.

A schedule is a local wall time: a 09:00 Monday reminder in Europe/Berlin stays at 09:00 local
across the daylight-saving changes, so in UTC it moves. Where the local time does not exist (the
hour skipped when clocks spring forward) it fires at the first valid time after the gap (02:30
becomes 03:00); where it exists twice (clocks fall back) it fires the first time (fold = 0).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

WEEK = dt.timedelta(days=7)


@dataclass(frozen=True)
class Weekly:
    weekday: int  # 0 = Monday
    time: dt.time  # local wall time
    timezone: str  # IANA name, e.g. "Europe/Berlin"


def monday_of(day: dt.date) -> dt.date:
    return day - dt.timedelta(days=day.weekday())


def local_to_utc(wall: dt.datetime, zone: ZoneInfo) -> dt.datetime:
    """A naive local wall time as an aware UTC datetime (see the module docstring for gaps)."""
    first = wall.replace(tzinfo=zone, fold=0)
    utc = first.astimezone(dt.UTC)
    if utc.astimezone(zone).replace(tzinfo=None) == wall:
        return utc
    # A gap: with fold=0 the wall time is read with the offset before the change, which lands
    # after the change; with fold=1 with the offset after it, which lands before. The change
    # lies in between: find the first instant with the later offset, to the second.
    low = wall.replace(tzinfo=zone, fold=1).astimezone(dt.UTC)
    high = utc
    after = high.astimezone(zone).utcoffset()
    while high - low > dt.timedelta(seconds=1):
        middle = low + (high - low) / 2
        if middle.astimezone(zone).utcoffset() == after:
            high = middle
        else:
            low = middle
    return high.replace(microsecond=0)


def occurrence_for_week(schedule: Weekly, week_start: dt.date) -> dt.datetime:
    """The aware UTC time of the occurrence in the ISO week starting on `week_start`."""
    day = monday_of(week_start) + dt.timedelta(days=schedule.weekday)
    wall = dt.datetime.combine(day, schedule.time.replace(tzinfo=None, fold=0))
    return local_to_utc(wall, ZoneInfo(schedule.timezone))


def _local_week(schedule: Weekly, now: dt.datetime) -> dt.date:
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    return monday_of(now.astimezone(ZoneInfo(schedule.timezone)).date())


def latest_occurrence(schedule: Weekly, now: dt.datetime) -> dt.datetime:
    """The most recent occurrence at or before `now` (aware), in UTC."""
    week = _local_week(schedule, now)
    occurrence = occurrence_for_week(schedule, week)
    if occurrence <= now:
        return occurrence
    return occurrence_for_week(schedule, week - WEEK)


def next_occurrence(schedule: Weekly, now: dt.datetime) -> dt.datetime:
    """The first occurrence strictly after `now` (aware), in UTC."""
    week = _local_week(schedule, now)
    occurrence = occurrence_for_week(schedule, week)
    if occurrence > now:
        return occurrence
    return occurrence_for_week(schedule, week + WEEK)


def week_key(day: dt.date) -> str:
    """The ISO week of `day`, e.g. "2027-W07" (its year is the ISO year: 2027-01-01 is 2026-W53)."""
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


def missed_weeks(*, last_checkin: dt.date | None, since: dt.date, today: dt.date) -> int:
    """Whole ISO weeks in a row without a check-in, up to the last complete week before today's.

    They are counted from the week after the last check-in, or, without one, from the first
    whole week on or after `since` (the cycle start or the KR's creation): a KR created on a
    Wednesday has not missed that week. Weeks before `since` never count.
    """
    first = monday_of(since)
    if first != since:
        first += WEEK
    if last_checkin is not None:
        first = max(first, monday_of(last_checkin) + WEEK)
    return max(0, (monday_of(today) - first).days // 7)
