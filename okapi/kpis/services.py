"""Writes for KPIs and their measurements."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import connection, transaction
from django.db.models import OuterRef, Subquery
from django.utils.timezone import now

from okapi.core.okrfile import CADENCES, DIRECTIONS, kpi_threshold_problems
from okapi.core.okrfile import Kpi as KpiSpec
from okapi.errors import Invalid
from okapi.kpis.models import Kpi, Measurement
from okapi.workspaces.access import Actor, require_owns, require_writer
from okapi.workspaces.models import AuditEvent, Workspace
from okapi.workspaces.services import (
    audit_event,
    audit_record,
    resolve_owner,
    snapshot,
    validate_key,
)

KPI_FIELDS = [
    "key", "name", "description", "unit", "direction", "target", "warning", "target_low",
    "target_high", "warning_low", "warning_high", "cadence", "owner_team", "owner_user", "source",
]  # fmt: skip
THRESHOLDS = ["target", "warning", "target_low", "target_high", "warning_low", "warning_high"]
MAX_ABS = Decimal(10) ** 17
MIN_YEAR, MAX_YEAR = 1000, 9000


def _number(value: Any, field: str) -> Decimal | None:
    if value is None:
        return None
    number = Decimal(str(value))
    if not number.is_finite() or abs(number) >= MAX_ABS:
        raise Invalid({field: "must be a finite number below 10^17"})
    return number


def _check_thresholds(kpi: Kpi) -> None:
    spec = KpiSpec(
        key=kpi.key,
        name=kpi.name,
        direction=kpi.direction,
        **{name: getattr(kpi, name) for name in THRESHOLDS},
    )
    problems = kpi_threshold_problems(spec)
    if problems:
        raise Invalid({p.path: p.message for p in problems})


def _apply(kpi: Kpi, workspace: Workspace, changes: dict[str, Any]) -> None:
    if changes.get("name") is not None:
        name = str(changes["name"]).strip()
        if not name:
            raise Invalid({"name": "is required"})
        if len(name) > 200:
            raise Invalid({"name": "is longer than 200 characters"})
        kpi.name = name
    for text, limit in (("description", 10000), ("unit", 32)):
        if changes.get(text) is not None:
            value = str(changes[text]).strip()
            if len(value) > limit:
                raise Invalid({text: f"is longer than {limit} characters"})
            setattr(kpi, text, value)
    if changes.get("direction") is not None:
        if changes["direction"] not in DIRECTIONS:
            raise Invalid({"direction": f"'{changes['direction']}' is not one of up, down, range"})
        kpi.direction = changes["direction"]
    if changes.get("cadence") is not None:
        if changes["cadence"] not in CADENCES:
            raise Invalid(
                {"cadence": f"'{changes['cadence']}' is not one of {', '.join(CADENCES)}"}
            )
        kpi.cadence = changes["cadence"]
    for name in THRESHOLDS:
        if name in changes:
            setattr(kpi, name, _number(changes[name], name))
    if "owner" in changes:
        kpi.owner_user, kpi.owner_team = resolve_owner(workspace, changes["owner"])
    _check_thresholds(kpi)


def kpi_create(*, actor: Actor, key: str, name: str, **fields: Any) -> Kpi:
    require_writer(actor)
    workspace = actor.workspace
    key = validate_key(key)
    if key.lower() == "new":  # /w/<ws>/kpis/new/ is the page that creates a KPI
        raise Invalid({"key": "'new' is reserved; choose another key"})
    if Kpi.objects.filter(workspace=workspace, key=key).exists():
        raise Invalid({"key": f"a KPI '{key}' already exists"})
    kpi = Kpi(workspace=workspace, key=key)
    _apply(kpi, workspace, {"name": name, **fields})
    require_owns(actor, owner_user_id=kpi.owner_user_id, owner_team_id=kpi.owner_team_id)
    kpi.save()
    audit_record(
        workspace=workspace,
        actor=actor.user,
        action="created",
        entity_type="kpi",
        entity_key=key,
        after=snapshot(kpi, KPI_FIELDS),
    )
    return kpi


def kpi_update(*, actor: Actor, kpi: Kpi, **changes: Any) -> Kpi:
    require_owns(actor, owner_user_id=kpi.owner_user_id, owner_team_id=kpi.owner_team_id)
    before = snapshot(kpi, KPI_FIELDS)
    _apply(kpi, actor.workspace, changes)
    if not actor.is_admin:
        require_owns(actor, owner_user_id=kpi.owner_user_id, owner_team_id=kpi.owner_team_id)
    kpi.save()
    audit_record(
        workspace=actor.workspace,
        actor=actor.user,
        action="updated",
        entity_type="kpi",
        entity_key=kpi.key,
        before=before,
        after=snapshot(kpi, KPI_FIELDS),
    )
    return kpi


def formula_readers(kpi: Kpi) -> list[str]:
    """The keys of the formula KPIs that read this one, sorted."""
    from okapi.kpis.models import KpiSource, Source

    rows = KpiSource.objects.filter(kpi__workspace_id=kpi.workspace_id, kind=Source.FORMULA)
    return sorted(
        key
        for key, config in rows.exclude(kpi=kpi).values_list("kpi__key", "config")
        if kpi.key in (config or {}).get("inputs", [])
    )


@transaction.atomic
def kpi_delete(*, actor: Actor, kpi: Kpi) -> None:
    """Delete a KPI with its measurements and source. Refused while a formula reads it: the
    formula could no longer be computed (change or delete that first)."""
    from okapi.goals.services import refresh_forecasts

    require_owns(actor, owner_user_id=kpi.owner_user_id, owner_team_id=kpi.owner_team_id)
    readers = formula_readers(kpi)
    if readers:
        names = ", ".join(readers)
        raise Invalid(
            {
                "kpi": f"'{kpi.key}' is read by the formula of {names}: change or delete "
                f"{'that' if len(readers) == 1 else 'those'} first"
            }
        )
    before = snapshot(kpi, KPI_FIELDS)
    following = list(kpi.key_results.values_list("pk", flat=True))
    kpi.delete()
    refresh_forecasts(following)  # they fall back to their own check-ins
    audit_record(
        workspace=actor.workspace,
        actor=actor.user,
        action="deleted",
        entity_type="kpi",
        entity_key=before["key"],
        before=before,
    )


# --------------------------------------------------------------------------- measurements


def measurement_time(workspace: Workspace, at: dt.date | dt.datetime | str) -> dt.datetime:
    """A date is midnight in the workspace's time zone; a naive date-time is taken there too."""
    tz = zoneinfo.ZoneInfo(workspace.timezone)
    if isinstance(at, str):
        text = at.strip()
        try:
            if "T" in text or " " in text:
                at = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
            else:
                at = dt.date.fromisoformat(text)
        except ValueError:
            raise Invalid({"at": f"'{text}' is not an ISO 8601 date or date-time"}) from None
    if not MIN_YEAR <= at.year <= MAX_YEAR:
        # Near year 1 or 9999 the conversion to UTC (and a cadence period before) overflows.
        raise Invalid({"at": f"must be between the years {MIN_YEAR} and {MAX_YEAR}"})
    if isinstance(at, dt.datetime):
        return at if at.tzinfo is not None else at.replace(tzinfo=tz)
    return dt.datetime(at.year, at.month, at.day, tzinfo=tz)


@dataclass(frozen=True)
class Point:
    kpi: str
    at: dt.date | dt.datetime | str
    value: Any
    line: int | None = None  # where it came from in a CSV file


def _upsert_measurements(rows: dict[tuple[int, dt.datetime], Decimal]) -> None:
    """Insert or replace measurements with one statement run for many rows.

    SQLite and PostgreSQL accept the same upsert; sending plain rows rather than building a
    model per row keeps bulk ingest near the speed of a raw executemany
    (bench/platform_bench.py). Values go through the backend's own adapters, exactly as the
    ORM stores them."""
    ops = connection.ops
    created = ops.adapt_datetimefield_value(now())
    table = ops.quote_name(Measurement._meta.db_table)
    sql = (
        f"INSERT INTO {table} (kpi_id, at, value, created_at) VALUES (%s, %s, %s, %s) "
        "ON CONFLICT (kpi_id, at) DO UPDATE SET value = excluded.value"
    )
    field = Measurement._meta.get_field("value")
    params = [
        (
            kpi_id,
            ops.adapt_datetimefield_value(at),
            ops.adapt_decimalfield_value(value, field.max_digits, field.decimal_places),
            created,
        )
        for (kpi_id, at), value in rows.items()
    ]
    with connection.cursor() as cursor:
        cursor.executemany(sql, params)


def refresh_latest(kpi_ids: Iterable[int]) -> None:
    """Recompute each KPI's latest measurement in one UPDATE, then the forecasts of the open
    cycles' KRs that target these KPIs (a constant number of queries however many rows)."""
    from okapi.goals.models import KeyResult
    from okapi.goals.services import refresh_forecasts

    ids = list(kpi_ids)
    latest = Measurement.objects.filter(kpi=OuterRef("pk")).order_by("-at")
    Kpi.objects.filter(pk__in=ids).update(
        latest_at=Subquery(latest.values("at")[:1]),
        latest_value=Subquery(latest.values("value")[:1]),
    )
    refresh_forecasts(
        KeyResult.objects.filter(kpi_id__in=ids, objective__cycle__closed_at__isnull=True)
    )


@transaction.atomic
def kpi_measure_bulk(
    *, actor: Actor, points: Iterable[Point], where: str = "measurements", audit: bool = True
) -> int:
    """Store many measurements all-or-nothing; a repeat of a KPI and instant replaces the value.

    An error names the offending item: ``measurements[3].value: 'abc' is not a number``.
    """
    require_writer(actor)
    workspace = actor.workspace
    kpis = {k.key: k for k in Kpi.objects.filter(workspace=workspace)}
    rows: dict[tuple[int, dt.datetime], Decimal] = {}
    touched: dict[int, list[dt.datetime]] = {}
    allowed: set[int] = set()
    for index, point in enumerate(points):
        path = f"{where}[{index}]"
        kpi = kpis.get(point.kpi)
        if kpi is None:
            raise Invalid({f"{path}.kpi": f"unknown KPI '{point.kpi}'"})
        if kpi.pk not in allowed:
            require_owns(actor, owner_user_id=kpi.owner_user_id, owner_team_id=kpi.owner_team_id)
            allowed.add(kpi.pk)
        try:
            at = measurement_time(workspace, point.at)
        except Invalid as exc:
            raise Invalid({f"{path}.at": exc.errors["at"]}) from None
        try:
            value = _number(point.value, "value")
        except (ArithmeticError, ValueError, TypeError):
            value = None
        except Invalid as exc:
            raise Invalid({f"{path}.value": exc.errors["value"]}) from None
        if value is None or isinstance(point.value, bool):
            raise Invalid({f"{path}.value": f"'{point.value}' is not a number"})
        rows[(kpi.pk, at)] = value
        touched.setdefault(kpi.pk, []).append(at)
    if not rows:
        return 0
    _upsert_measurements(rows)
    refresh_latest(touched)
    if audit:
        by_id = {k.pk: k for k in kpis.values()}
        AuditEvent.objects.bulk_create(
            [
                audit_event(
                    workspace=workspace,
                    actor=actor.user,
                    action="measured",
                    entity_type="kpi",
                    entity_key=by_id[kpi_id].key,
                    after={
                        "count": len(times),
                        "from": min(times).isoformat(),
                        "to": max(times).isoformat(),
                    },
                )
                for kpi_id, times in touched.items()
            ]
        )
    return len(rows)


def kpi_measure(
    *, actor: Actor, kpi: Kpi, value: Any, at: dt.date | dt.datetime | str | None = None
) -> Measurement:
    """Add one measurement (at now when no time is given)."""

    when = at if at is not None else now()
    try:
        kpi_measure_bulk(actor=actor, points=[Point(kpi.key, when, value)], where="_")
    except Invalid as exc:
        raise Invalid({k.split(".", 1)[1]: v for k, v in exc.errors.items()}) from None
    kpi.refresh_from_db(fields=["latest_at", "latest_value"])
    return Measurement.objects.get(kpi=kpi, at=measurement_time(actor.workspace, when))


def measurements_from_csv(data: bytes) -> list[Point]:
    """Parse a measurements CSV (FORMATS §5: header ``kpi,at,value``), naming the bad line.

    Errors say ``line 3: value 'abc' is not a number`` (the header is line 1).
    """
    import csv
    import io

    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise Invalid({"file": f"is not UTF-8 (byte {exc.start})"}) from None
    reader = csv.reader(io.StringIO(text, newline=""))
    header = next(reader, None)
    if header is None:
        raise Invalid({"file": "is empty: expected the header kpi,at,value"})
    columns = [h.strip().lower() for h in header]
    missing = [c for c in ("kpi", "at", "value") if c not in columns]
    if missing:
        raise Invalid({"line 1": f"missing column {', '.join(missing)} (header: kpi,at,value)"})
    index = {name: columns.index(name) for name in ("kpi", "at", "value")}
    points = []
    for number, row in enumerate(reader, start=2):
        if not row or all(not cell.strip() for cell in row):
            continue
        if len(row) < len(columns):
            raise Invalid({f"line {number}": f"expected {len(columns)} fields, got {len(row)}"})
        kpi, at, value = (row[index[c]].strip() for c in ("kpi", "at", "value"))
        if not kpi:
            raise Invalid({f"line {number}": "kpi is empty"})
        points.append(Point(kpi, at, value, line=number))
    return points


def line_errors(exc: Invalid, points: list[Point]) -> Invalid:
    """Re-express `measurements[i].field` errors as the CSV line of point i."""
    import re

    errors = {}
    for path, message in exc.errors.items():
        m = re.match(r"^measurements\[(\d+)\]\.(\w+)$", path)
        if m and points[int(m[1])].line is not None:
            errors[f"line {points[int(m[1])].line}"] = f"{m[2]}: {message}"
        else:
            errors[path] = message
    return Invalid(errors)
