"""Cycle helpers: quarter and year keys, their dates, the cycle that contains a date."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Protocol, TypeVar

QUARTER_RE = re.compile(r"^(\d{4})-Q([1-4])$")
YEAR_RE = re.compile(r"^FY(\d{4})$")


@dataclass(frozen=True)
class Period:
    key: str
    start: dt.date
    end: dt.date


def quarter_key(day: dt.date) -> str:
    return f"{day.year}-Q{(day.month - 1) // 3 + 1}"


def quarter_period(day: dt.date) -> Period:
    q = (day.month - 1) // 3
    start = dt.date(day.year, 3 * q + 1, 1)
    next_start = dt.date(day.year + 1, 1, 1) if q == 3 else dt.date(day.year, 3 * q + 4, 1)
    return Period(quarter_key(day), start, next_start - dt.timedelta(days=1))


def previous_quarter(day: dt.date) -> Period:
    return quarter_period(quarter_period(day).start - dt.timedelta(days=1))


def period_for_key(key: str) -> Period | None:
    """The dates a conventional key stands for: `2027-Q1` or `FY2027`; None otherwise."""
    if m := QUARTER_RE.match(key):
        return quarter_period(dt.date(int(m[1]), 3 * (int(m[2]) - 1) + 1, 1))
    if m := YEAR_RE.match(key):
        year = int(m[1])
        return Period(key, dt.date(year, 1, 1), dt.date(year, 12, 31))
    return None


class HasDates(Protocol):
    @property
    def start(self) -> dt.date: ...

    @property
    def end(self) -> dt.date: ...


C = TypeVar("C", bound=HasDates)


def cycle_for_date(cycles: Iterable[C], day: dt.date) -> C | None:
    """The shortest cycle containing `day` (a quarter wins over the year around it)."""
    containing = [c for c in cycles if c.start <= day <= c.end]
    if not containing:
        return None
    return min(containing, key=lambda c: (c.end - c.start, c.start))


def week_start(day: dt.date) -> dt.date:
    """The Monday of the ISO week that contains `day`."""
    return day - dt.timedelta(days=day.weekday())
