"""API: the coach — classify key-result statements; findings for a cycle (FORMATS §4 shapes)."""

from __future__ import annotations

from typing import Any, Literal

from django.http import HttpRequest
from ninja import Field, Router, Schema
from ninja.params import Path

from okapi.apitypes import Key, Text
from okapi.core.coach import classify_kr
from okapi.goals.access import get_cycle_for_user
from okapi.goals.coaching import cycle_findings
from okapi.kpis.api import KpiOut

router = Router(tags=["coach"])


def _actor(request: HttpRequest) -> Any:
    from okapi.api import actor

    return actor(request)


class ClassifyIn(Schema):
    statements: list[Text(500, min_length=1)] = Field(  # type: ignore[valid-type]
        ..., min_length=1, max_length=1000, description="key-result statements, one per item"
    )


class VerdictOut(Schema):
    text: str
    kind: Literal["outcome", "kpi", "task", "milestone"] = Field(
        description="outcome: a real key result; kpi: a KPI in disguise; task: an activity or "
        "output; milestone: a binary deliverable"
    )
    reasons: list[str]
    suggestion: str


class FindingOut(Schema):
    rule: str = Field(description="a stable kebab-case rule id, e.g. kpi-in-disguise")
    severity: Literal["error", "warning", "info"]
    where: str = Field(description="the objective or KR key (or team, person, workspace)")
    message: str
    suggestion: str


@router.post(
    "/coach/classify",
    response=list[VerdictOut],
    summary="Classify key-result statements (outcome, kpi, task, milestone) with reasons",
)
def classify(request: HttpRequest, body: ClassifyIn) -> list[dict[str, Any]]:
    _actor(request)
    return [classify_kr(text).to_dict() for text in body.statements]


@router.get(
    "/cycles/{key}/coach",
    response=list[FindingOut],
    summary="The coach's findings for a cycle's objectives and key results",
)
def findings(request: HttpRequest, key: Path[Key]) -> list[dict[str, Any]]:
    a = _actor(request)
    return [f.to_dict() for f in cycle_findings(a, get_cycle_for_user(a, key))]


class ToKpiIn(Schema):
    key: Key | None = Field(None, description="the KPI's key; default the KR's key")


@router.post(
    "/key-results/{key}/to-kpi",
    response={201: KpiOut},
    summary="Turn a KPI-in-disguise key result into a KPI, carrying its check-ins as measurements",
)
def to_kpi(request: HttpRequest, key: Path[Key], body: ToKpiIn) -> tuple[int, dict[str, Any]]:
    from okapi.goals.access import get_key_result_for_user
    from okapi.goals.coaching import key_result_to_kpi
    from okapi.kpis.queries import kpi_dict, kpis_queryset, with_previous_value

    a = _actor(request)
    kr = get_key_result_for_user(a, key)
    kpi = key_result_to_kpi(actor=a, kr=kr, key=body.key)
    return 201, kpi_dict(with_previous_value(kpis_queryset(a)).get(pk=kpi.pk))
