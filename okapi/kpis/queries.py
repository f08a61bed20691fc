"""Reads for the KPI dashboard and API, in a constant number of queries."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

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
        .select_related("owner_team", "owner_user")
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
