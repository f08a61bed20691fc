from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.timezone import now

from okapi.workspaces.models import Team, Workspace

NUMBER = {"max_digits": 24, "decimal_places": 6}


class Direction(models.TextChoices):
    UP = "up"
    DOWN = "down"
    RANGE = "range"


class Cadence(models.TextChoices):
    DAILY = "daily"
    WEEKLY = "weekly"
    MONTHLY = "monthly"
    QUARTERLY = "quarterly"


class Source(models.TextChoices):
    MANUAL = "manual"
    PUSH = "push"
    CSV = "csv"
    SQL = "sql"
    FORMULA = "formula"
    BILLING = "billing"


class Kpi(models.Model):
    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="kpis")
    key = models.CharField(max_length=64)
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    unit = models.CharField(max_length=32, blank=True)
    direction = models.CharField(max_length=8, choices=Direction.choices, default=Direction.UP)
    target = models.DecimalField(null=True, blank=True, **NUMBER)
    warning = models.DecimalField(null=True, blank=True, **NUMBER)
    target_low = models.DecimalField(null=True, blank=True, **NUMBER)
    target_high = models.DecimalField(null=True, blank=True, **NUMBER)
    warning_low = models.DecimalField(null=True, blank=True, **NUMBER)
    warning_high = models.DecimalField(null=True, blank=True, **NUMBER)
    cadence = models.CharField(max_length=16, choices=Cadence.choices, default=Cadence.MONTHLY)
    owner_team = models.ForeignKey(
        Team, on_delete=models.PROTECT, null=True, blank=True, related_name="kpis"
    )
    owner_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    source = models.CharField(max_length=16, choices=Source.choices, default=Source.MANUAL)
    # Kept up to date by the measurement services, so the dashboard reads one row per KPI.
    latest_value = models.DecimalField(null=True, blank=True, **NUMBER)
    latest_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["workspace", "key"], name="kpi_key_unique")]
        ordering = ["key"]

    def __str__(self) -> str:
        return self.key


class Measurement(models.Model):
    """A (time, value) point of a KPI; one per KPI and instant (a repeat replaces the value)."""

    kpi = models.ForeignKey(Kpi, on_delete=models.CASCADE, related_name="measurements")
    at = models.DateTimeField()
    value = models.DecimalField(**NUMBER)
    created_at = models.DateTimeField(default=now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["kpi", "at"], name="measurement_kpi_at_unique")
        ]
        ordering = ["at"]


class SourceStatus(models.TextChoices):
    NEVER = "never"
    OK = "ok"
    ERROR = "error"


class KpiSource(models.Model):
    """Where a KPI's measurements come from and how its last run went (docs/kpi-sources.md).

    `config` never holds a secret: an SQL source's connection URL is kept in `secret`, encrypted
    with a key derived from OKAPI_SECRET_KEY, and shown back with its password masked."""

    kpi = models.OneToOneField(Kpi, on_delete=models.CASCADE, related_name="data_source")
    kind = models.CharField(max_length=16, choices=Source.choices, default=Source.MANUAL)
    interval_minutes = models.PositiveIntegerField(null=True, blank=True)  # sql and formula
    config = models.JSONField(default=dict, blank=True)
    secret = models.TextField(blank=True)
    benchmark = models.CharField(max_length=300, blank=True)
    status = models.CharField(
        max_length=8, choices=SourceStatus.choices, default=SourceStatus.NEVER
    )
    last_run_at = models.DateTimeField(null=True, blank=True)
    last_success_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    failures = models.PositiveIntegerField(default=0)  # consecutive, for the back-off
    next_run_at = models.DateTimeField(null=True, blank=True)
    queued_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(default=now)

    class Meta:
        indexes = [models.Index(fields=["kind", "next_run_at"], name="kpisource_due")]

    def __str__(self) -> str:
        return f"{self.kpi_id}:{self.kind}"
