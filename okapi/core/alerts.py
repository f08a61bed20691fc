"""KPI alerts: an unusual measurement (outlier) and a change of health, each announced once.

An outlier is judged against the KPI's own recent past, not its target: a robust band of
median ± k·1.4826·MAD over the measurements before the latest one (1.4826·MAD estimates the
standard deviation of normally distributed data, and unlike it is not dragged by the outliers it
is meant to find).

`kpi_alerts` is a small state machine: given what was last announced for a KPI and what is true
now, it returns the alerts to send and the state to store. Applying the same observation twice
never alerts the second time.
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

from okapi.core.kpi import Health

OUTLIER_WINDOW = 12  # trailing measurements before the latest
OUTLIER_MIN_HISTORY = 6  # fewer previous measurements: no band
OUTLIER_K = 3.5  # robust z
MAD_TO_SIGMA = 1.4826
# When the history is (nearly) flat its MAD is 0 and every wiggle would be an outlier. The
# spread never goes below 1% of the median (so 100, 100, 100 accepts 96.5–103.5 at k = 3.5),
# nor below a tiny absolute amount (a history of zeros still flags any non-zero value).
MIN_RELATIVE_SPREAD = 0.01
MIN_ABSOLUTE_SPREAD = 1e-9

COLOURS = frozenset({Health.GREEN, Health.AMBER, Health.RED})


@dataclass(frozen=True)
class OutlierBand:
    low: float
    high: float
    median: float
    window: int  # how many measurements it was computed from


def outlier_band(history: Sequence[Decimal | float], *, k: float = OUTLIER_K) -> OutlierBand | None:
    """The band the latest value of `history` (oldest first) is judged against.

    It is computed from up to OUTLIER_WINDOW values before the latest one; None with fewer than
    OUTLIER_MIN_HISTORY of them.
    """
    window = [float(v) for v in history[:-1][-OUTLIER_WINDOW:]]
    if len(window) < OUTLIER_MIN_HISTORY:
        return None
    median = statistics.median(window)
    mad = statistics.median(abs(v - median) for v in window)
    spread = max(MAD_TO_SIGMA * mad, MIN_RELATIVE_SPREAD * abs(median), MIN_ABSOLUTE_SPREAD)
    return OutlierBand(
        low=median - k * spread, high=median + k * spread, median=median, window=len(window)
    )


def is_outlier(value: Decimal | float, band: OutlierBand | None) -> bool:
    """Outside the band (its edges are still usual); never without a band."""
    if band is None:
        return False
    return not band.low <= float(value) <= band.high


class AlertKind(StrEnum):
    HEALTH_CHANGED = "health_changed"  # between green, amber and red; to green is a recovery
    OUTLIER = "outlier"
    STALE = "stale"


@dataclass(frozen=True)
class KpiAlertState:
    """What was last announced for one KPI. `health` None: never looked at yet."""

    health: str | None  # a Health value other than stale: green/amber/red/no_data
    stale: bool
    outlier_at: str | None  # ISO time of the last measurement announced as an outlier


UNSEEN = KpiAlertState(health=None, stale=False, outlier_at=None)


@dataclass(frozen=True)
class KpiAlert:
    kind: str  # an AlertKind
    previous: str | None  # health_changed: the old health
    current: str | None  # health_changed: the new health
    message: str


def format_value(value: Decimal | float, unit: str) -> str:
    """104%, $12,000, 3.5 months: at most two decimals, thousands separated."""
    text = f"{float(value):,.2f}".rstrip("0").rstrip(".")
    if text == "-0":
        text = "0"
    if unit in ("$", "€", "£"):
        return f"-{unit}{text[1:]}" if text.startswith("-") else f"{unit}{text}"
    if not unit or unit == "%":
        return f"{text}{unit}"
    return f"{text} {unit}"


def kpi_alerts(
    *,
    name: str,
    unit: str,
    previous: KpiAlertState,
    health: str,
    stale: bool,
    latest_value: Decimal | float | None,
    latest_at_iso: str | None,
    band: OutlierBand | None,
    target_text: str = "",
) -> tuple[list[KpiAlert], KpiAlertState]:
    """The alerts one observation of a KPI calls for, and the state to remember.

    - health: the colour of the latest value (`kpi.value_health`), or no_data. A change among
      green/amber/red is announced; from no_data (or a KPI never seen) it is the first reading
      and recorded silently. `stale` as health means the colour is unknown: it keeps the last one.
    - stale: announced once when the KPI goes stale; fresh data after it is announced as a
      change of health from stale to its colour (one alert, even if the colour changed too).
    - an outlier latest measurement is announced once, keyed by its time (`latest_at_iso`).

    The first observation of a KPI (`previous` is UNSEEN) only records the state: turning alerts
    on does not announce everything that is already true. `target_text` is the target as a
    founder reads it ("110%", "40–60%"); it goes into the health message.
    """
    if health == Health.STALE:
        health, stale = previous.health or Health.NO_DATA, True
    outlier_at = None
    if latest_value is not None and is_outlier(latest_value, band):
        outlier_at = latest_at_iso
    state = KpiAlertState(health=health, stale=stale, outlier_at=outlier_at or previous.outlier_at)
    if previous.health is None:
        return [], state
    alerts = []
    if previous.stale and not stale and health in COLOURS:
        # Fresh data after a stale spell: a change of health from "stale" (what was announced
        # last), in place of a change of colour, whatever the colour was before.
        alerts.append(
            KpiAlert(
                AlertKind.HEALTH_CHANGED,
                Health.STALE.value,
                health,
                _fresh_message(name, health, latest_value, unit, target_text),
            )
        )
    elif previous.health in COLOURS and health in COLOURS and previous.health != health:
        alerts.append(
            KpiAlert(
                AlertKind.HEALTH_CHANGED,
                previous.health,
                health,
                _health_message(name, previous.health, health, latest_value, unit, target_text),
            )
        )
    if outlier_at is not None and outlier_at != previous.outlier_at:
        assert latest_value is not None and band is not None
        alerts.append(
            KpiAlert(
                AlertKind.OUTLIER, None, None, _outlier_message(name, latest_value, unit, band)
            )
        )
    if stale and not previous.stale:
        alerts.append(
            KpiAlert(
                AlertKind.STALE,
                previous.health,
                Health.STALE.value,
                _stale_message(name, latest_at_iso),
            )
        )
    return alerts, state


def _health_message(
    name: str,
    before: str,
    after: str,
    value: Decimal | float | None,
    unit: str,
    target_text: str,
) -> str:
    verb = "recovered from" if after == Health.GREEN else "went from"
    if value is None:
        detail = ""
    elif target_text:
        detail = f" ({format_value(value, unit)} against a target of {target_text})"
    else:
        detail = f" (now {format_value(value, unit)})"
    return f"{name} {verb} {before} to {after}{detail}."


def _fresh_message(
    name: str, health: str, value: Decimal | float | None, unit: str, target_text: str
) -> str:
    if value is None:
        detail = ""
    elif target_text:
        detail = f": {format_value(value, unit)} against a target of {target_text}"
    else:
        detail = f": now {format_value(value, unit)}"
    return f"{name} has fresh data again after being stale{detail} ({health})."


def _outlier_message(name: str, value: Decimal | float, unit: str, band: OutlierBand) -> str:
    direction = "above" if float(value) > band.high else "below"
    return (
        f"{name} came in at {format_value(value, unit)}, far {direction} its usual range of "
        f"{format_value(band.low, unit)} to {format_value(band.high, unit)} over the last "
        f"{band.window} measurements."
    )


def _stale_message(name: str, latest_at_iso: str | None) -> str:
    since = f" since {latest_at_iso[:10]}" if latest_at_iso else ""
    return f"{name} is stale: no new measurement{since}, more than two cadence periods."
