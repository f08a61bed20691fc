"""API: a KPI's source (read, set, run now), CSV uploads and billing-export imports.

No answer ever holds a secret: an SQL source's URL is shown with its password masked, and only
to admins.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from django.http import HttpRequest
from ninja import Field, File, Form, Router, Schema, UploadedFile
from ninja.params import Path

from okapi.apitypes import Key, Text
from okapi.errors import Invalid
from okapi.kpis import sources
from okapi.kpis.access import get_kpi_for_user
from okapi.workspaces.access import require_admin

router = Router(tags=["kpi sources"])

MAX_CSV_BYTES = 50 * 1024 * 1024
MAX_BILLING_BYTES = 512 * 1024 * 1024


def _actor(request: HttpRequest) -> Any:
    from okapi.api import actor

    return actor(request)


class SourceIn(Schema):
    kind: Literal["manual", "push", "csv", "sql", "formula"]
    schedule_minutes: int | None = Field(
        None,
        ge=1,
        le=sources.MAX_INTERVAL_MINUTES,
        description="sql and formula: run every N minutes (default 60)",
    )
    url: Text(sources.MAX_URL_LENGTH) | None = Field(  # type: ignore[valid-type]
        None,
        description="sql: postgresql://…, mysql://… or sqlite:///path; stored encrypted, never "
        "shown back (omit it to keep the stored one)",
    )
    query: Text(sources.MAX_QUERY_LENGTH) | None = Field(  # type: ignore[valid-type]
        None, description="sql: one SELECT returning (at, value) rows or a single value"
    )
    timeout_seconds: int | None = Field(
        None, ge=1, le=sources.MAX_TIMEOUT_SECONDS, description="sql: statement timeout (30)"
    )
    expression: Text(1000) | None = Field(  # type: ignore[valid-type]
        None, description="formula: e.g. `ltv / cac`; keys with '-' or '.' in brackets"
    )


class SourceOut(Schema):
    kpi: str
    kind: str
    schedule_minutes: int | None
    url: str | None = Field(description="sql, admins only: the URL with its password masked")
    query: str | None = Field(description="sql, admins only")
    timeout_seconds: int | None
    expression: str | None
    inputs: list[str] = Field(description="formula: the KPI keys it reads")
    metric: str | None = Field(description="billing: the SaaS metric this KPI follows")
    segment: str | None = Field(description="billing: smb | mid-market | enterprise")
    benchmark: str = Field(description="billing: the benchmark band for the stage and segment")
    status: str = Field(description="never | ok | error")
    last_run_at: dt.datetime | None
    last_success_at: dt.datetime | None
    last_error: str | None
    failures: int = Field(description="consecutive failed runs")
    next_run_at: dt.datetime | None


@router.get("/kpis/{key}/source", response=SourceOut, summary="A KPI's source and its last run")
def read_source(request: HttpRequest, key: Path[Key]) -> dict[str, Any]:
    a = _actor(request)
    kpi = get_kpi_for_user(a, key)
    return sources.source_dict(sources.source_of(kpi), actor=a)


@router.put(
    "/kpis/{key}/source",
    response=SourceOut,
    summary="Set a KPI's source (SQL sources: admins only); a formula is computed at once",
)
def set_source(request: HttpRequest, key: Path[Key], body: SourceIn) -> dict[str, Any]:
    a = _actor(request)
    kpi = get_kpi_for_user(a, key)
    source = sources.source_set(actor=a, kpi=kpi, **body.dict())
    return sources.source_dict(source, actor=a)


@router.post(
    "/kpis/{key}/source/run",
    response=SourceOut,
    summary="Run an SQL or formula source now (admins); the outcome is in status/last_error",
)
def run_source(request: HttpRequest, key: Path[Key]) -> dict[str, Any]:
    a = _actor(request)
    kpi = get_kpi_for_user(a, key)
    require_admin(a)
    source = sources.source_of(kpi)
    if source.pk is None:
        raise Invalid({"kind": f"a {source.kind} source does not run: only sql and formula do"})
    return sources.source_dict(sources.source_run(actor=a, source=source), actor=a)


class StoredOut(Schema):
    stored: int


def _read_upload(upload: UploadedFile, field: str, limit: int) -> bytes:
    if upload.size is not None and upload.size > limit:
        raise Invalid({field: f"is larger than {limit // (1024 * 1024)} MB"})
    return bytes(upload.read())


@router.post(
    "/kpis/{key}/measurements/csv",
    response={201: StoredOut},
    summary="Upload a KPI's measurements as CSV (kpi,at,value), all or nothing",
    description="Send the file as a multipart field `file`, or as the whole body with "
    "`Content-Type: text/csv`. Header `kpi,at,value`; every row must name this KPI. An "
    "error names the line (the header is line 1); nothing is stored then.",
)
def upload_csv(
    request: HttpRequest, key: Path[Key], file: File[UploadedFile | None] = None
) -> tuple[int, dict[str, Any]]:
    a = _actor(request)
    kpi = get_kpi_for_user(a, key, write=True)
    if file is not None:
        data = _read_upload(file, "file", MAX_CSV_BYTES)
    elif request.content_type in ("text/csv", "text/plain", "application/csv"):
        data = request.read(MAX_CSV_BYTES + 1)
        if len(data) > MAX_CSV_BYTES:
            raise Invalid({"file": f"is larger than {MAX_CSV_BYTES // (1024 * 1024)} MB"})
    else:
        raise Invalid({"file": "is required: a multipart field 'file' or a text/csv body"})
    return 201, {"stored": sources.csv_upload(actor=a, kpi=kpi, data=data)}


class BillingKpiOut(Schema):
    key: str
    name: str
    unit: str
    target: float | None
    warning: float | None
    latest_value: float | None
    latest_at: dt.datetime | None
    benchmark: str


class BillingOut(Schema):
    currency: str
    months: int
    first_month: str | None
    last_month: str | None
    stored: int = Field(description="measurements stored")
    kpis: list[BillingKpiOut]


def _f(value: Any) -> float | None:
    return None if value is None else float(value)


@router.post(
    "/billing/import",
    response=BillingOut,
    summary="Import a billing export into the billing KPIs (admins), all or nothing",
    description="Multipart: `subscriptions` (CSV, FORMATS §6), optional `spend` (CSV) and "
    "`segment` (smb | mid-market | enterprise, for the benchmarks). Creates or updates the "
    "KPIs mrr, arr, mrr-growth, nrr-12m, grr-12m, logo-churn, arpa, quick-ratio (and with "
    "spend cac-payback, ltv-cac) with one measurement per month at its last day. An error "
    "names the file and line; nothing is changed then.",
)
def import_billing(
    request: HttpRequest,
    subscriptions: File[UploadedFile],
    spend: File[UploadedFile | None] = None,
    segment: Form[Literal["smb", "mid-market", "enterprise"]] = "smb",
) -> dict[str, Any]:
    a = _actor(request)
    require_admin(a)
    for name, upload in (("subscriptions", subscriptions), ("spend", spend)):
        if upload is not None and upload.size is not None and upload.size > MAX_BILLING_BYTES:
            raise Invalid({name: f"is larger than {MAX_BILLING_BYTES // (1024 * 1024)} MB"})
    result = sources.billing_import(
        actor=a, subscriptions=subscriptions, spend=spend, segment=segment
    )
    by_key = {
        s.kpi.key: s.benchmark
        for s in sources.KpiSource.objects.filter(kpi__in=result.kpis).select_related("kpi")
    }
    return {
        "currency": result.currency,
        "months": result.months,
        "first_month": result.first_month,
        "last_month": result.last_month,
        "stored": result.stored,
        "kpis": [
            {
                "key": k.key,
                "name": k.name,
                "unit": k.unit,
                "target": _f(k.target),
                "warning": _f(k.warning),
                "latest_value": _f(k.latest_value),
                "latest_at": k.latest_at,
                "benchmark": by_key.get(k.key, ""),
            }
            for k in result.kpis
        ],
    }
