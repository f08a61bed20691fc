"""Reads for the KPI dashboard and API, in a constant number of queries."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.core.exceptions import ObjectDoesNotExist
from django.db.models import (
    Case,
    DateTimeField,
    ExpressionWrapper,
    F,
    OuterRef,
    Prefetch,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.utils.timezone import now

from okapi.core import kpi as kpi_rules
from okapi.goals.models import KeyResult
from okapi.kpis.models import Kpi, Measurement
from okapi.workspaces.access import Actor
from okapi.workspaces.services import owner_ref


def _f(value: Decimal | None) -> float | None:
    return float(value) if value is not None else None


def thresholds(kpi: Kpi) -> kpi_rules.Thresholds:
    return kpi_rules.Thresholds(
        direction=kpi.direction,
        target=kpi.target,
        warning=kpi.warning,
        target_low=kpi.target_low,
        target_high=kpi.target_high,
        warning_low=kpi.warning_low,
        warning_high=kpi.warning_high,
    )


def kpi_health_of(kpi: Kpi, at: dt.datetime | None = None) -> kpi_rules.Health:
    return kpi_rules.kpi_health(
        latest_value=kpi.latest_value,
        latest_at=kpi.latest_at,
        thresholds=thresholds(kpi),
        cadence=kpi.cadence,
        now=at or now(),
    )


def kpis_queryset(actor: Actor) -> QuerySet[Kpi]:
    return (
        Kpi.objects.filter(workspace=actor.workspace)
        .select_related("owner_team", "owner_user", "data_source")
        .prefetch_related(
            Prefetch("key_results", queryset=KeyResult.objects.only("id", "key", "kpi_id"))
        )
    )


def with_previous_value(queryset: QuerySet[Kpi]) -> QuerySet[Kpi]:
    """Annotate each KPI with its value one cadence period before its latest measurement."""
    period = Case(
        *[
            When(cadence=name, then=Value(dt.timedelta(days=days)))
            for name, days in kpi_rules.CADENCE_DAYS.items()
        ],
        default=Value(dt.timedelta(days=31)),
    )
    cutoff = ExpressionWrapper(F("latest_at") - period, output_field=DateTimeField())
    previous = Measurement.objects.filter(kpi=OuterRef("pk"), at__lte=OuterRef("cutoff")).order_by(
        "-at"
    )
    return queryset.annotate(cutoff=cutoff).annotate(
        previous_value=Subquery(previous.values("value")[:1]),
        previous_at=Subquery(previous.values("at")[:1]),
    )


def _benchmark(kpi: Kpi) -> str | None:
    """The PRODUCT §6 benchmark band a billing KPI is shown beside, if it has one."""
    try:
        return kpi.data_source.benchmark or None
    except ObjectDoesNotExist:
        return None


def kpi_dict(kpi: Kpi, *, at: dt.datetime | None = None) -> dict[str, Any]:
    health = kpi_health_of(kpi, at)
    previous = getattr(kpi, "previous_value", None)
    delta, relative = kpi_rules.change(kpi.latest_value, previous)
    return {
        "key": kpi.key,
        "name": kpi.name,
        "description": kpi.description,
        "unit": kpi.unit,
        "direction": kpi.direction,
        "target": _f(kpi.target),
        "warning": _f(kpi.warning),
        "target_low": _f(kpi.target_low),
        "target_high": _f(kpi.target_high),
        "warning_low": _f(kpi.warning_low),
        "warning_high": _f(kpi.warning_high),
        "cadence": kpi.cadence,
        "owner": owner_ref(kpi.owner_user, kpi.owner_team),
        "source": kpi.source,
        "latest_value": _f(kpi.latest_value),
        "latest_at": kpi.latest_at,
        "health": health.value,
        "previous_value": _f(previous),
        "previous_at": getattr(kpi, "previous_at", None),
        "change": _f(delta),
        "change_relative": _f(relative),
        "key_results": [kr.key for kr in kpi.key_results.all()],
        "benchmark": _benchmark(kpi),
    }


def kpi_dashboard(actor: Actor) -> dict[str, Any]:
    """Every KPI with its latest value, health and change; breaches first."""
    stamp = now()
    items = [kpi_dict(k, at=stamp) for k in with_previous_value(kpis_queryset(actor))]
    items.sort(key=lambda k: (kpi_rules.HEALTH_ORDER[kpi_rules.Health(k["health"])], k["key"]))
    counts: dict[str, int] = {h.value: 0 for h in kpi_rules.Health}
    for item in items:
        counts[item["health"]] += 1
    return {"generated_at": stamp, "counts": counts, "kpis": items}


# --------------------------------------------------------------------------- web pages
# The KPI dashboard cards and the KPI page: numbers formatted with their units, health in
# words, and the Chart.js configurations (drawn by okapi/static/okapi/app.js).

SPARKLINE_POINTS = {"daily": 60, "weekly": 26, "monthly": 12, "quarterly": 8}
CHART_PERIODS = {"3": 3, "12": 12, "18": 18, "all": None}  # months; None: everything
DEFAULT_PERIOD = "12"
MEASUREMENTS_PER_PAGE = 20
CURRENCY_UNITS = ("$", "€", "£", "¥")
HEALTH_LABELS = {
    "green": "Green",
    "amber": "Amber",
    "red": "Red",
    "stale": "Stale",
    "no_data": "No data",
}
# Line colours for charts (the CSS has the text colours; a canvas cannot read CSS variables).
HEALTH_COLOURS = {
    "green": "#2f9e44",
    "amber": "#e8890c",
    "red": "#e03131",
    "stale": "#868e96",
    "no_data": "#868e96",
}
LINE_COLOUR = "#3b3f8f"
DIRECTION_LABELS = {"up": "Higher is better", "down": "Lower is better", "range": "Within a range"}
SOURCE_LABELS = {
    "manual": "Entered by hand",
    "push": "Pushed to the API",
    "csv": "CSV upload",
    "sql": "Scheduled SQL query",
    "formula": "Formula over other KPIs",
    "billing": "SaaS metrics engine (billing export)",
}


def format_number(value: Decimal | float | int, places: int | None = None) -> str:
    """Thousands separators; without `places`, as many decimals as the size calls for
    (252,136 · 105.7 · 99.95 · 0.125), trailing zeros dropped."""
    number = Decimal(str(value))
    if places is None:
        magnitude = abs(number)
        places = 0 if magnitude >= 1000 else 2 if magnitude >= 1 else 3
        text = f"{number:,.{places}f}"
        if "." in text:
            text = text.rstrip("0").rstrip(".")
    else:
        text = f"{number:,.{places}f}"
    return "0" if text.lstrip("-").strip("0.,") == "" else text


def format_value(value: Decimal | float | int | None, unit: str) -> str:
    """A number with its unit: "$252,136", "2.5 %", "10.7 months", "1.6x"."""
    if value is None:
        return "—"
    text = format_number(value)
    unit = unit.strip()
    if not unit:
        return text
    if unit in CURRENCY_UNITS:
        return f"-{unit}{text[1:]}" if text.startswith("-") else f"{unit}{text}"
    if unit in ("x", "×"):
        return f"{text}{unit}"
    return f"{text} {unit}"


def value_parts(value: Decimal | float | int | None, unit: str) -> tuple[str, str]:
    """The value for a headline, and a word unit to show smaller beside it:
    ("10.7", "months"), ("2.6", "% per month"); symbols stay with the number ("$252,136", "")."""
    unit = unit.strip()
    if value is None or unit in ("", "%", "x", "×", *CURRENCY_UNITS):
        return format_value(value, unit), ""
    return format_number(value), unit


def format_range(low: Any, high: Any, unit: str) -> str:
    """Two bounds sharing one unit: "3–5x", "100–120 %", "$1,000–$2,000"."""
    unit = unit.strip()
    if unit in CURRENCY_UNITS:
        return f"{format_value(low, unit)}–{format_value(high, unit)}"
    both = f"{format_number(low)}–{format_number(high)}"
    if not unit:
        return both
    return f"{both}{unit}" if unit in ("x", "×") else f"{both} {unit}"


def workspace_tz(actor: Actor) -> dt.tzinfo:
    import zoneinfo

    return zoneinfo.ZoneInfo(actor.workspace.timezone)


def _local(at: dt.datetime, tz: dt.tzinfo) -> dt.datetime:
    return at.astimezone(tz)


def format_day(at: dt.datetime, tz: dt.tzinfo, today: dt.date) -> str:
    """A day as "12 Sep" this year, "12 Sep 2026" otherwise, in the workspace's time zone."""
    day = _local(at, tz)
    return f"{day.day} {day:%b}" if day.year == today.year else f"{day.day} {day:%b %Y}"


def format_moment(at: dt.datetime, tz: dt.tzinfo) -> str:
    """A moment as "15 Feb 2027", or "15 Feb 2027, 10:30" when the time is not midnight."""
    local = _local(at, tz)
    text = f"{local.day} {local:%b %Y}"
    return text if (local.hour, local.minute) == (0, 0) else f"{text}, {local:%H:%M}"


def target_text(item: dict[str, Any]) -> str:
    """The target in a few words: "Target ≥ 110 % · red below 100 %"."""
    unit = item["unit"]
    if item["direction"] == "range":
        low, high = item["target_low"], item["target_high"]
        if low is None and high is None:
            return "No target range set"
        if low is None:
            text = f"Target ≤ {format_value(high, unit)}"
        elif high is None:
            text = f"Target ≥ {format_value(low, unit)}"
        else:
            text = f"Target {format_range(low, high, unit)}"
        warn_low, warn_high = item["warning_low"], item["warning_high"]
        if warn_low is not None and warn_high is not None:
            return f"{text} · red outside {format_range(warn_low, warn_high, unit)}"
        if warn_low is not None:
            return f"{text} · red below {format_value(warn_low, unit)}"
        if warn_high is not None:
            return f"{text} · red above {format_value(warn_high, unit)}"
        return text
    if item["target"] is None:
        return "No target set"
    up = item["direction"] == "up"
    text = f"Target {'≥' if up else '≤'} {format_value(item['target'], unit)}"
    if item["warning"] is not None:
        text += f" · red {'below' if up else 'above'} {format_value(item['warning'], unit)}"
    return text


def health_explanation(item: dict[str, Any], *, tz: dt.tzinfo, today: dt.date) -> str:
    """Why a KPI has its colour, in words (PRODUCT §2)."""
    health, unit, cadence = item["health"], item["unit"], item["cadence"]
    label = HEALTH_LABELS[health]
    if health == "no_data":
        return f"{label}: no measurement yet; expected {cadence}."
    if health == "stale":
        since = format_day(item["latest_at"], tz, today)
        return f"{label}: no measurement since {since}; expected {cadence}."
    value = format_value(item["latest_value"], unit)
    if item["direction"] == "range":
        return f"{label}: {value} {_range_reason(item)}."
    target, warning = item["target"], item["warning"]
    if target is None:
        return f"{label}: {value}; no target is set."
    up = item["direction"] == "up"
    shown_target = format_value(target, unit)
    if health == "green":
        return f"{label}: {value} meets the target {shown_target}."
    side = "below" if up else "above"
    if health == "amber":
        edge = format_value(warning, unit)
        return (
            f"{label}: {value} is {side} the target {shown_target} "
            f"but within the warning edge {edge}."
        )
    if warning is None:
        return f"{label}: {value} is {side} the target {shown_target} (no warning band)."
    edge = format_value(warning, unit)
    return f"{label}: {value} is {side} the warning edge {edge} (target {shown_target})."


def _range_reason(item: dict[str, Any]) -> str:
    unit, value = item["unit"], item["latest_value"]
    low, high = item["target_low"], item["target_high"]
    shown = target_text({**item, "warning_low": None, "warning_high": None})
    shown = shown.replace("Target ", "the target range ", 1) if low is not None else shown
    if item["health"] == "green":
        return f"is within {shown}"
    below = low is not None and value < low
    side = "below" if below else "above"
    edge = item["warning_low"] if below else item["warning_high"]
    if edge is None:
        edge = low if below else high
        return f"is {side} {shown} (no warning band)"
    edge_text = format_value(edge, unit)
    if item["health"] == "amber":
        return f"is {side} {shown} but within the warning edge {edge_text}"
    return f"is {side} the warning edge {edge_text} ({shown})"


def _change_tone(item: dict[str, Any]) -> str:
    """Whether the move since the previous period helps this KPI: "good", "bad" or "flat"."""
    latest, previous = item["latest_value"], item["previous_value"]
    if latest is None or previous is None or latest == previous:
        return "flat"
    if item["direction"] == "up":
        return "good" if latest > previous else "bad"
    if item["direction"] == "down":
        return "good" if latest < previous else "bad"

    def distance(value: float) -> float:  # how far outside the target range
        low, high = item["target_low"], item["target_high"]
        if low is not None and value < low:
            return low - value
        if high is not None and value > high:
            return value - high
        return 0.0

    before, after = distance(previous), distance(latest)
    return "flat" if before == after else "good" if after < before else "bad"


def change_view(item: dict[str, Any], *, tz: dt.tzinfo, today: dt.date) -> dict[str, Any] | None:
    """The change against the previous period: arrow, amount, tone, and what it compares to."""
    delta, relative = item["change"], item["change_relative"]
    if delta is None:
        return None
    if delta == 0:
        arrow, word = "=", "unchanged"
        amount = "no change"
    else:
        arrow, word = ("▲", "up") if delta > 0 else ("▼", "down")
        if relative is not None:
            percent = abs(relative) * 100
            amount = f"{format_number(percent, 1 if percent < 100 else 0)} %"
        else:
            amount = format_value(abs(delta), item["unit"])
    return {
        "arrow": arrow,
        "word": word,
        "amount": amount,
        "tone": _change_tone(item),
        "previous": format_value(item["previous_value"], item["unit"]),
        "since": format_day(item["previous_at"], tz, today) if item["previous_at"] else "",
    }


def _ms(at: dt.datetime) -> int:
    return int(at.timestamp() * 1000)


def sparkline_points(actor: Actor) -> dict[str, list[tuple[dt.datetime, Decimal]]]:
    """The recent measurements of every KPI of the workspace, oldest first, in one query.

    Per KPI the last SPARKLINE_POINTS[cadence] measurements, found with a window function
    over the measurements of roughly that many periods before the KPI's latest one.
    """
    from django.db.models import Window
    from django.db.models.functions import RowNumber

    count = Case(
        *[When(kpi__cadence=name, then=Value(n)) for name, n in SPARKLINE_POINTS.items()],
        default=Value(12),
    )
    span = Case(
        *[
            When(kpi__cadence=name, then=Value(dt.timedelta(days=(n + 1) * days)))
            for name, days in kpi_rules.CADENCE_DAYS.items()
            for n in [SPARKLINE_POINTS[name]]
        ],
        default=Value(dt.timedelta(days=400)),
    )
    since = ExpressionWrapper(F("kpi__latest_at") - span, output_field=DateTimeField())
    rows = (
        Measurement.objects.filter(kpi__workspace=actor.workspace)
        .annotate(since=since)
        .filter(at__gte=F("since"))
        .annotate(
            rank=Window(RowNumber(), partition_by=[F("kpi_id")], order_by=F("at").desc()),
            wanted=count,
        )
        .filter(rank__lte=F("wanted"))
        .values_list("kpi__key", "at", "value")
    )
    points: dict[str, list[tuple[dt.datetime, Decimal]]] = {}
    for key, at, value in rows:
        points.setdefault(key, []).append((at, value))
    for series in points.values():
        series.sort(key=lambda point: point[0])
    return points


def sparkline_config(series: list[tuple[dt.datetime, Decimal]], health: str) -> dict[str, Any]:
    """A tiny Chart.js line: no axes, no legend, no tooltip."""
    colour = HEALTH_COLOURS[health]
    return {
        "type": "line",
        "data": {
            "datasets": [
                {
                    "data": [{"x": _ms(at), "y": float(value)} for at, value in series],
                    "borderColor": colour,
                    "backgroundColor": colour,
                    "borderWidth": 2,
                    "pointRadius": 0,
                    "tension": 0.3,
                    "cubicInterpolationMode": "monotone",  # no overshoot past the data
                    "fill": False,
                }
            ]
        },
        "options": {
            "animation": False,
            "responsive": True,
            "maintainAspectRatio": False,
            "events": [],
            "layout": {"padding": 2},
            "plugins": {"legend": {"display": False}, "tooltip": {"enabled": False}},
            "scales": {
                "x": {"type": "linear", "display": False, "bounds": "data"},
                "y": {"display": False, "bounds": "data"},
            },
        },
    }


def _card(
    item: dict[str, Any], series: list[tuple[dt.datetime, Decimal]], tz: dt.tzinfo, today: dt.date
) -> dict[str, Any]:
    unit = item["unit"]
    label = ""
    if series:
        label = (
            f"Trend of the last {len(series)} measurements of {item['name']}, from "
            f"{format_value(series[0][1], unit)} on {format_day(series[0][0], tz, today)} to "
            f"{format_value(series[-1][1], unit)} on {format_day(series[-1][0], tz, today)}"
        )
    return {
        "value": format_value(item["latest_value"], unit),
        "value_parts": value_parts(item["latest_value"], unit),
        "as_of": format_day(item["latest_at"], tz, today) if item["latest_at"] else "",
        "health_label": HEALTH_LABELS[item["health"]],
        "change": change_view(item, tz=tz, today=today),
        "target": target_text(item),
        "sparkline": sparkline_config(series, item["health"]) if len(series) > 1 else None,
        "sparkline_id": f"kpi-spark-{item['key']}",
        "sparkline_label": label,
    }


def kpi_dashboard_with_sparklines(actor: Actor) -> dict[str, Any]:
    """The context of kpis/_dashboard.html (the KPI dashboard page and the public share page).

    kpi_dashboard()'s dict (generated_at, counts, kpis breaches first), plus `workspace_key`,
    `summary` [(health, label, count)] for the non-zero counts, and per KPI a `card` dict of
    display strings and a sparkline configuration. Three queries whatever the data size.
    """
    dashboard = kpi_dashboard(actor)
    tz = workspace_tz(actor)
    today = dashboard["generated_at"].astimezone(tz).date()
    points = sparkline_points(actor) if dashboard["kpis"] else {}
    dashboard["kpis"] = [
        {**item, "card": _card(item, points.get(item["key"], []), tz, today)}
        for item in dashboard["kpis"]
    ]
    dashboard["workspace_key"] = actor.workspace.key
    dashboard["summary"] = [
        (health.value, HEALTH_LABELS[health.value], dashboard["counts"][health.value])
        for health in sorted(kpi_rules.Health, key=lambda h: kpi_rules.HEALTH_ORDER[h])
        if dashboard["counts"][health.value]
    ]
    return dashboard


def _threshold_datasets(item: dict[str, Any], x_min: int, x_max: int) -> list[dict[str, Any]]:
    """Target lines and filled warning bands, as extra datasets spanning the chart."""

    def line(label: str, y: float, colour: str, **extra: Any) -> dict[str, Any]:
        return {
            "label": label,
            "data": [{"x": x_min, "y": y}, {"x": x_max, "y": y}],
            "borderColor": colour,
            "backgroundColor": colour + "22",
            "borderWidth": 1.5,
            "borderDash": [6, 4],
            "pointRadius": 0,
            "pointHoverRadius": 0,
            "fill": False,
            "okapiThreshold": True,
            **extra,
        }

    green, amber = HEALTH_COLOURS["green"], HEALTH_COLOURS["amber"]
    sets: list[dict[str, Any]] = []
    if item["direction"] == "range":
        # One legend entry per pair of lines: the app's chart hook hides okapiNoLegend ones.
        if item["target_low"] is not None:
            sets.append(line("Target range", item["target_low"], green))
        if item["target_high"] is not None:
            pair = {"fill": "-1", "okapiNoLegend": True} if item["target_low"] is not None else {}
            sets.append(line("Target range", item["target_high"], green, **pair))
        both = len(sets) == 2  # then dataset 1 is the low target line and 2 the high one
        for name, bound in (("warning_low", 1), ("warning_high", 2)):
            if item[name] is not None:
                extra: dict[str, Any] = {"fill": bound} if both else {}
                if any(s["label"] == "Warning edge" for s in sets):
                    extra["okapiNoLegend"] = True
                sets.append(line("Warning edge", item[name], amber, **extra))
        return sets
    if item["target"] is not None:
        sets.append(line("Target", item["target"], green))
        if item["warning"] is not None:
            sets.append(line("Warning edge", item["warning"], amber, fill="-1"))
    return sets


def month_ticks(start: dt.datetime, end: dt.datetime, tz: dt.tzinfo) -> list[int]:
    """Tick positions (ms) at the first of a month in the workspace's time zone, at most
    about eight of them; every week instead when the chart spans less than two months."""
    local_start, local_end = start.astimezone(tz), end.astimezone(tz)
    if end - start < dt.timedelta(days=60):
        day = local_start.date() + dt.timedelta(days=(7 - local_start.weekday()) % 7)
        moments = []
        while day <= local_end.date():
            moments.append(dt.datetime(day.year, day.month, day.day, tzinfo=tz))
            day += dt.timedelta(days=7)
        return [_ms(m) for m in moments if start <= m <= end]
    months = (local_end.year - local_start.year) * 12 + local_end.month - local_start.month + 1
    step = next((s for s in (1, 2, 3, 6, 12, 24, 60) if months / s <= 8), 120)
    year, month = local_start.year, local_start.month
    ticks = []
    while (year, month) <= (local_end.year, local_end.month):
        moment = dt.datetime(year, month, 1, tzinfo=tz)
        if start <= moment <= end and (year * 12 + month - 1) % step == 0:
            ticks.append(_ms(moment))
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return ticks


def kpi_chart_config(
    item: dict[str, Any],
    series: list[tuple[dt.datetime, Decimal]],
    *,
    x_min: dt.datetime,
    x_max: dt.datetime,
    timezone: str,
) -> dict[str, Any]:
    """The KPI page's chart: the measurements, the target line and the warning band.

    `okapi` carries what okapi/static/okapi/kpi-charts.js needs to format the axes (unit,
    time zone); the x axis is linear in milliseconds, so gaps in the data show as gaps in time.
    """
    start, end = _ms(x_min), _ms(x_max)
    import zoneinfo

    ticks = month_ticks(x_min, x_max, zoneinfo.ZoneInfo(timezone))
    measurements = {
        "label": item["name"],
        "data": [{"x": _ms(at), "y": float(value)} for at, value in series],
        "borderColor": LINE_COLOUR,
        "backgroundColor": LINE_COLOUR,
        "borderWidth": 2,
        "pointRadius": 3 if len(series) <= 60 else 0,
        "pointHoverRadius": 5,
        "tension": 0.2,
        "cubicInterpolationMode": "monotone",
        "fill": False,
    }
    return {
        "type": "line",
        "data": {"datasets": [measurements, *_threshold_datasets(item, start, end)]},
        "options": {
            "animation": False,
            "responsive": True,
            "maintainAspectRatio": False,
            "interaction": {"mode": "nearest", "axis": "x", "intersect": False},
            "plugins": {"legend": {"position": "bottom", "labels": {"boxHeight": 2}}},
            "scales": {
                "x": {"type": "linear", "min": start, "max": end, "grid": {"display": False}},
                "y": {"grace": "5%"},
            },
        },
        "okapi": {
            "unit": item["unit"],
            "timeZone": timezone,
            "spanDays": (end - start) / 864e5,
            "ticks": ticks,
        },
    }


def kpi_page(actor: Actor, kpi: Kpi, *, period: str, page: Any) -> dict[str, Any]:
    """Everything the KPI page shows, in a constant number of queries.

    `kpi` comes from access.get_kpi_for_user. `period` is a key of CHART_PERIODS (anything
    else means the default); `page` the measurements table's page number (newest first).
    """
    from django.core.paginator import Paginator
    from django.db.models import prefetch_related_objects

    stamp = now()
    tz = workspace_tz(actor)
    today = stamp.astimezone(tz).date()
    kpi.previous_value, kpi.previous_at = None, None  # type: ignore[attr-defined]
    if kpi.latest_at is not None:
        period_days = kpi_rules.CADENCE_DAYS.get(kpi.cadence, 31)
        previous = (
            Measurement.objects.filter(
                kpi=kpi, at__lte=kpi.latest_at - dt.timedelta(days=period_days)
            )
            .order_by("-at")
            .values_list("value", "at")
            .first()
        )
        if previous is not None:
            kpi.previous_value, kpi.previous_at = previous  # type: ignore[attr-defined]
    prefetch_related_objects(
        [kpi],
        Prefetch(
            "key_results",
            queryset=KeyResult.objects.select_related("objective__cycle", "owner").order_by(
                "objective__cycle__start", "objective__key", "position", "key"
            ),
        ),
    )
    item = kpi_dict(kpi, at=stamp)
    item["card"] = {
        "value": format_value(item["latest_value"], item["unit"]),
        "value_parts": value_parts(item["latest_value"], item["unit"]),
        "as_of": format_moment(item["latest_at"], tz) if item["latest_at"] else "",
        "health_label": HEALTH_LABELS[item["health"]],
        "change": change_view(item, tz=tz, today=today),
        "target": target_text(item),
    }

    period = period if period in CHART_PERIODS else DEFAULT_PERIOD
    months = CHART_PERIODS[period]
    chart_rows = Measurement.objects.filter(kpi=kpi).order_by("at")
    since = stamp - dt.timedelta(days=round(months * 30.44)) if months else None
    if since is not None:
        chart_rows = chart_rows.filter(at__gte=since)
    series = list(chart_rows.values_list("at", "value"))
    x_min = since or (series[0][0] if series else stamp - dt.timedelta(days=30))
    x_max = max(stamp, series[-1][0]) if series else stamp
    x_max += (x_max - x_min) * 0.02  # room for the newest point
    chart = kpi_chart_config(item, series, x_min=x_min, x_max=x_max, timezone=str(tz))
    chart_label = (
        f"Line chart of {item['name']}: {len(series)} measurements"
        + (
            f" from {format_day(series[0][0], tz, today)} to {format_day(series[-1][0], tz, today)}"
            if series
            else ""
        )
        + f". {item['card']['target']}."
    )

    table = Paginator(
        Measurement.objects.filter(kpi=kpi).order_by("-at").only("at", "value"),
        MEASUREMENTS_PER_PAGE,
    ).get_page(page)
    limits = thresholds(kpi)
    rows = [
        {
            "at": m.at,
            "when": format_moment(m.at, tz),
            "value": format_value(m.value, kpi.unit),
            "health": (health := kpi_rules.value_health(m.value, limits).value),
            "health_label": HEALTH_LABELS[health],
        }
        for m in table.object_list
    ]

    owner = kpi.owner_team.name if kpi.owner_team else None
    if owner is None and kpi.owner_user is not None:
        owner = kpi.owner_user.name or kpi.owner_user.email
    stale_days = kpi_rules.stale_after(kpi.cadence).days
    return {
        "kpi": item,
        "explanation": health_explanation(item, tz=tz, today=today),
        "chart": chart if series else None,
        "chart_id": f"kpi-chart-{kpi.key}",
        "chart_label": chart_label,
        "period": period,
        "periods": [(key, f"{n} months" if n else "All") for key, n in CHART_PERIODS.items()],
        "period_words": f"the last {months} months" if months else "any period",
        "table": table,
        "rows": rows,
        "key_results": [
            {
                "key": kr.key,
                "title": kr.title,
                "owner": kr.owner.name or kr.owner.email,
                "objective_key": kr.objective.key,
                "objective_title": kr.objective.title,
                "cycle": kr.objective.cycle.name or kr.objective.cycle.key,
            }
            for kr in kpi.key_results.all()
        ],
        "about": {
            "owner": owner or "Nobody",
            "source": SOURCE_LABELS.get(kpi.source, kpi.source),
            "cadence": f"{kpi.cadence.capitalize()}: stale after {stale_days} days "
            "without a measurement",
            "direction": DIRECTION_LABELS.get(kpi.direction, kpi.direction),
            "description": kpi.description,
        },
    }
