from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.timezone import now

from okapi.workspaces.models import Team, Workspace

NUMBER = {"max_digits": 24, "decimal_places": 6}


class Level(models.TextChoices):
    COMPANY = "company"
    TEAM = "team"
    INDIVIDUAL = "individual"


class ObjectiveType(models.TextChoices):
    ASPIRATIONAL = "aspirational"
    COMMITTED = "committed"


class KrKind(models.TextChoices):
    METRIC = "metric"
    MILESTONE = "milestone"


class Confidence(models.TextChoices):
    ON_TRACK = "on_track"
    AT_RISK = "at_risk"
    OFF_TRACK = "off_track"


class Cycle(models.Model):
    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="cycles")
    key = models.CharField(max_length=64)
    name = models.CharField(max_length=200)
    start = models.DateField()
    end = models.DateField()
    closed_at = models.DateTimeField(null=True, blank=True)
    review_note = models.TextField(blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["workspace", "key"], name="cycle_key_unique"),
            models.CheckConstraint(condition=Q(end__gte=models.F("start")), name="cycle_dates"),
        ]
        ordering = ["start", "key"]

    def __str__(self) -> str:
        return self.key


class Objective(models.Model):
    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="objectives")
    cycle = models.ForeignKey(Cycle, on_delete=models.PROTECT, related_name="objectives")
    key = models.CharField(max_length=64)
    title = models.CharField(max_length=300)
    description = models.TextField(blank=True)
    level = models.CharField(max_length=16, choices=Level.choices, default=Level.TEAM)
    type = models.CharField(
        max_length=16, choices=ObjectiveType.choices, default=ObjectiveType.ASPIRATIONAL
    )
    owner_team = models.ForeignKey(
        Team, on_delete=models.PROTECT, null=True, blank=True, related_name="objectives"
    )
    owner_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="owned_objectives",
    )
    parent = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="children"
    )
    position = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(default=now)
    updated_at = models.DateTimeField(default=now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["workspace", "key"], name="objective_key_unique"),
            models.CheckConstraint(
                condition=Q(owner_team__isnull=True) | Q(owner_user__isnull=True),
                name="objective_one_owner",
            ),
        ]
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return self.key


class Initiative(models.Model):
    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="initiatives")
    key = models.CharField(max_length=64)
    title = models.CharField(max_length=300)
    owner_team = models.ForeignKey(
        Team, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    owner_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    url = models.URLField(max_length=500, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["workspace", "key"], name="initiative_key_unique")
        ]
        ordering = ["key"]


class KeyResult(models.Model):
    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="key_results")
    objective = models.ForeignKey(Objective, on_delete=models.CASCADE, related_name="key_results")
    key = models.CharField(max_length=64)
    title = models.CharField(max_length=300)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="owned_key_results"
    )
    kind = models.CharField(max_length=16, choices=KrKind.choices, default=KrKind.METRIC)
    baseline = models.DecimalField(null=True, blank=True, **NUMBER)
    target = models.DecimalField(null=True, blank=True, **NUMBER)
    unit = models.CharField(max_length=32, blank=True)
    weight = models.DecimalField(max_digits=8, decimal_places=3, default=1)
    kpi = models.ForeignKey(
        "kpis.Kpi", on_delete=models.SET_NULL, null=True, blank=True, related_name="key_results"
    )
    initiatives = models.ManyToManyField(Initiative, blank=True, related_name="key_results")
    final_score = models.DecimalField(max_digits=6, decimal_places=4, null=True, blank=True)
    position = models.PositiveIntegerField(default=0)
    # Kept up to date by the check-in services, so the cycle tree reads one row per KR.
    current_value = models.DecimalField(null=True, blank=True, **NUMBER)
    last_checkin_at = models.DateField(null=True, blank=True)
    last_moved_at = models.DateField(null=True, blank=True)
    last_confidence = models.CharField(max_length=16, choices=Confidence.choices, blank=True)
    checkin_count = models.PositiveIntegerField(default=0)
    # Where the trend of the check-ins lands at the cycle end (okapi.core.forecast), with its
    # 80% interval; kept up to date with the roll-up, null with fewer than two check-ins. Floats,
    # not decimals: a projection is an estimate, and the cycle tree reads 6,000 of them per call
    # (a Decimal column costs a conversion per value on SQLite; docs/performance.md).
    forecast_value = models.FloatField(null=True, blank=True)
    forecast_low = models.FloatField(null=True, blank=True)
    forecast_high = models.FloatField(null=True, blank=True)
    created_at = models.DateTimeField(default=now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["workspace", "key"], name="kr_key_unique")]
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return self.key


class CheckIn(models.Model):
    """A dated update of one KR. Append-only: a correction is audited, never silent."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+")
    key_result = models.ForeignKey(KeyResult, on_delete=models.CASCADE, related_name="checkins")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    at = models.DateField()
    value = models.DecimalField(null=True, blank=True, **NUMBER)
    confidence = models.CharField(max_length=16, choices=Confidence.choices)
    moved = models.TextField(blank=True)
    blocked = models.TextField(blank=True)
    created_at = models.DateTimeField(default=now)
    corrected_at = models.DateTimeField(null=True, blank=True)
    corrected_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        indexes = [models.Index(fields=["key_result", "at"], name="checkin_kr_at")]
        ordering = ["at", "id"]
