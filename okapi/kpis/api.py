"""API: KPIs, measurements (one or many), the KPI dashboard."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema
from ninja.params import Path
from pydantic import BaseModel

from okapi.apitypes import (
    DateOrTime,
    Key,
    Number,
    OwnerRef,
    Page,
    PageParams,
    Text,
    Title,
    paginate,
)
from okapi.kpis import services
from okapi.kpis.access import get_kpi_for_user
from okapi.kpis.models import Measurement
from okapi.kpis.queries import kpi_dashboard, kpi_dict, kpis_queryset, with_previous_value

router = Router(tags=["kpis"])

Direction = Literal["up", "down", "range"]
Cadence = Literal["daily", "weekly", "monthly", "quarterly"]
When = DateOrTime


def _actor(request: HttpRequest) -> Any:
    from okapi.api import actor

    return actor(request)


class KpiIn(Schema):
    key: Key
    name: Title(200)  # type: ignore[valid-type]
    description: Text(10000) = ""  # type: ignore[valid-type]
    unit: Text(32) = ""  # type: ignore[valid-type]
    direction: Direction = "up"
    target: Number | None = None
    warning: Number | None = None
    target_low: Number | None = None
    target_high: Number | None = None
    warning_low: Number | None = None
    warning_high: Number | None = None
    cadence: Cadence = "monthly"
    owner: OwnerRef | None = None


class KpiPatch(Schema):
    name: Title(200) | None = None  # type: ignore[valid-type]
    description: Text(10000) | None = None  # type: ignore[valid-type]
    unit: Text(32) | None = None  # type: ignore[valid-type]
    direction: Direction | None = None
    target: Number | None = None
    warning: Number | None = None
    target_low: Number | None = None
    target_high: Number | None = None
    warning_low: Number | None = None
    warning_high: Number | None = None
    cadence: Cadence | None = None
    owner: OwnerRef | None = None


class KpiOut(Schema):
    key: str
    name: str
    description: str
    unit: str
    direction: str
    target: float | None
    warning: float | None
    target_low: float | None
    target_high: float | None
    warning_low: float | None
    warning_high: float | None
    cadence: str
    owner: str | None
    source: str
    latest_value: float | None
    latest_at: dt.datetime | None
    health: str = Field(description="green | amber | red | stale | no_data")
    previous_value: float | None = Field(description="the value one cadence period earlier")
    previous_at: dt.datetime | None
    change: float | None
    change_relative: float | None = Field(description="change as a fraction of previous_value")
    key_results: list[str] = Field(description="keys of the KRs that target this KPI")
    benchmark: str | None = Field(
        None, description="the benchmark band of a billing KPI (PRODUCT §6), e.g. NRR 120%+"
    )


class KpiFilter(Schema):
    team: Key | None = None
    owner: OwnerRef | None = None


def _one(request: HttpRequest, key: str) -> dict[str, Any]:
    qs = with_previous_value(kpis_queryset(_actor(request)))
    return kpi_dict(qs.get(key=key))


@router.get("/kpis", response=Page[KpiOut], summary="List KPIs")
def list_kpis(
    request: HttpRequest, filters: Query[KpiFilter], page: Query[PageParams]
) -> dict[str, Any]:
    qs = with_previous_value(kpis_queryset(_actor(request))).order_by("key")
    if filters.team:
        qs = qs.filter(owner_team__key=filters.team)
    if filters.owner:
        owner = filters.owner
        qs = (
            qs.filter(owner_user__email=owner.lower())
            if "@" in owner
            else qs.filter(owner_team__key=owner)
        )
    count, rows = paginate(qs, page)
    return {"count": count, "items": [kpi_dict(k) for k in rows]}


@router.post("/kpis", response={201: KpiOut}, summary="Create a KPI")
def create_kpi(request: HttpRequest, body: KpiIn) -> tuple[int, dict[str, Any]]:
    kpi = services.kpi_create(actor=_actor(request), **body.dict())
    return 201, _one(request, kpi.key)


@router.get("/kpis/{key}", response=KpiOut, summary="Read a KPI with its health")
def read_kpi(request: HttpRequest, key: Path[Key]) -> dict[str, Any]:
    get_kpi_for_user(_actor(request), key)
    return _one(request, key)


@router.patch("/kpis/{key}", response=KpiOut, summary="Update a KPI")
def update_kpi(request: HttpRequest, key: Path[Key], body: KpiPatch) -> dict[str, Any]:
    a = _actor(request)
    kpi = get_kpi_for_user(a, key, write=True)
    services.kpi_update(actor=a, kpi=kpi, **body.dict(exclude_unset=True))
    return _one(request, key)


@router.delete("/kpis/{key}", response={204: None}, summary="Delete a KPI and its measurements")
def delete_kpi(request: HttpRequest, key: Path[Key]) -> tuple[int, None]:
    a = _actor(request)
    services.kpi_delete(actor=a, kpi=get_kpi_for_user(a, key, write=True))
    return 204, None


class MeasurementIn(Schema):
    at: When | None = Field(None, description="ISO date or date-time; default: now")
    value: Number


class MeasurementOut(Schema):
    at: dt.datetime
    value: float


EARLIEST = dt.date(services.MIN_YEAR, 1, 1)
LATEST = dt.date(services.MAX_YEAR, 12, 31)


class MeasurementRange(Schema):
    since: dt.date | None = Field(None, alias="from", ge=EARLIEST, le=LATEST)
    until: dt.date | None = Field(None, alias="to", ge=EARLIEST, le=LATEST)


@router.get(
    "/kpis/{key}/measurements",
    response=Page[MeasurementOut],
    summary="A KPI's measurements, oldest first",
)
def list_measurements(
    request: HttpRequest, key: Path[Key], window: Query[MeasurementRange], page: Query[PageParams]
) -> dict[str, Any]:
    a = _actor(request)
    kpi = get_kpi_for_user(a, key)
    qs = Measurement.objects.filter(kpi=kpi).order_by("at")
    if window.since:
        qs = qs.filter(at__gte=services.measurement_time(a.workspace, window.since))
    if window.until:
        until = window.until + dt.timedelta(days=1)
        qs = qs.filter(at__lt=services.measurement_time(a.workspace, until))
    count, rows = paginate(qs.only("at", "value"), page)
    return {"count": count, "items": [{"at": m.at, "value": float(m.value)} for m in rows]}


@router.post(
    "/kpis/{key}/measurements",
    response={201: MeasurementOut},
    summary="Add one measurement (a repeat of the same instant replaces the value)",
)
def create_measurement(
    request: HttpRequest, key: Path[Key], body: MeasurementIn
) -> tuple[int, dict[str, Any]]:
    a = _actor(request)
    kpi = get_kpi_for_user(a, key)
    m = services.kpi_measure(actor=a, kpi=kpi, value=body.value, at=body.at)
    return 201, {"at": m.at, "value": float(m.value)}


class BulkPoint(BaseModel):  # plain pydantic: ninja's Schema costs ~30 µs more per item
    kpi: Key
    at: When
    value: Number


class BulkIn(BaseModel):
    measurements: list[BulkPoint] = Field(max_length=100_000)


class BulkOut(Schema):
    stored: int


@router.post(
    "/measurements",
    response={201: BulkOut},
    summary="Add many measurements of many KPIs, all or nothing",
)
def create_measurements(request: HttpRequest, body: BulkIn) -> tuple[int, dict[str, Any]]:
    stored = services.kpi_measure_bulk(
        actor=_actor(request),
        points=[services.Point(p.kpi, p.at, p.value) for p in body.measurements],
    )
    return 201, {"stored": stored}


class DashboardOut(Schema):
    generated_at: dt.datetime
    counts: dict[str, int]
    kpis: list[KpiOut]


@router.get(
    "/dashboard/kpis",
    response=DashboardOut,
    summary="The KPI dashboard: every KPI with latest value, health and change, breaches first",
)
def dashboard(request: HttpRequest) -> dict[str, Any]:
    return kpi_dashboard(_actor(request))
