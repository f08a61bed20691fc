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
