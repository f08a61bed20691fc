"""KPI health (PRODUCT §2): green meets the target, amber is inside the warning band, red is a
breach, stale is no measurement within two cadence periods."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum


class Health(StrEnum):
    GREEN = "green"
    AMBER = "amber"
    RED = "red"
    STALE = "stale"
    NO_DATA = "no_data"


class Direction(StrEnum):
    UP = "up"
    DOWN = "down"
    RANGE = "range"


CADENCE_DAYS = {"daily": 1, "weekly": 7, "monthly": 31, "quarterly": 92}

# Order for a dashboard: what needs attention first.
HEALTH_ORDER = {
    Health.RED: 0,
    Health.AMBER: 1,
    Health.STALE: 2,
    Health.NO_DATA: 3,
    Health.GREEN: 4,
}


@dataclass(frozen=True)
class Thresholds:
    direction: str
    target: Decimal | None = None
    warning: Decimal | None = None
    target_low: Decimal | None = None
    target_high: Decimal | None = None
    warning_low: Decimal | None = None
    warning_high: Decimal | None = None


def value_health(value: Decimal, t: Thresholds) -> Health:
    """The colour of one value against the thresholds, ignoring staleness.

    Without a warning edge there is no amber band: a miss is a breach.
    """
    if t.direction == Direction.RANGE:
        low, high = t.target_low, t.target_high
        if (low is None or value >= low) and (high is None or value <= high):
            return Health.GREEN
        warn_low = t.warning_low if t.warning_low is not None else low
        warn_high = t.warning_high if t.warning_high is not None else high
        if (warn_low is None or value >= warn_low) and (warn_high is None or value <= warn_high):
            return Health.AMBER
        return Health.RED
    if t.target is None:
        return Health.GREEN
    if t.direction == Direction.DOWN:
        if value <= t.target:
            return Health.GREEN
        if t.warning is not None and value <= t.warning:
            return Health.AMBER
        return Health.RED
    if value >= t.target:
        return Health.GREEN
    if t.warning is not None and value >= t.warning:
        return Health.AMBER
    return Health.RED


def stale_after(cadence: str) -> dt.timedelta:
    """Two cadence periods."""
    return dt.timedelta(days=2 * CADENCE_DAYS.get(cadence, 31))


def is_stale(*, last_at: dt.datetime, cadence: str, now: dt.datetime) -> bool:
    return now - last_at > stale_after(cadence)


def kpi_health(
    *,
    latest_value: Decimal | None,
    latest_at: dt.datetime | None,
    thresholds: Thresholds,
    cadence: str,
    now: dt.datetime,
) -> Health:
    if latest_value is None or latest_at is None:
        return Health.NO_DATA
    if is_stale(last_at=latest_at, cadence=cadence, now=now):
        return Health.STALE
    return value_health(latest_value, thresholds)


def change(
    latest: Decimal | None, previous: Decimal | None
) -> tuple[Decimal | None, Decimal | None]:
    """Absolute and relative change from the previous period's value (relative None at 0)."""
    if latest is None or previous is None:
        return None, None
    delta = latest - previous
    relative = (delta / abs(previous)).quantize(Decimal("0.0001")) if previous != 0 else None
    return delta, relative
