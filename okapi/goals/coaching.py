"""The coach over a workspace's data: the same rules as `okapi coach FILE.yaml`, read from the
database through the exporter, so a rule is written once (okapi/core/coach)."""

from __future__ import annotations

from django.db import transaction

from okapi.core.coach import Finding, coach_document
from okapi.errors import Forbidden
from okapi.goals.access import can_edit_key_result
from okapi.goals.models import CheckIn, Cycle, KeyResult
from okapi.goals.services import key_result_delete, require_open, workspace_today
from okapi.kpis.models import Kpi
from okapi.kpis.services import Point, kpi_create, kpi_measure_bulk
from okapi.transfer import okr_export
from okapi.workspaces.access import Actor
from okapi.workspaces.models import Membership
from okapi.workspaces.services import audit_record


def cycle_findings(actor: Actor, cycle: Cycle) -> list[Finding]:
    """The coach's findings about a cycle: its objectives and KRs, and the workspace-level
    advice (stage, number of KPIs, sandbagging) that applies to everyone."""
    workspace = actor.workspace
    doc = okr_export(workspace, measurements=False)
    headcount = workspace.headcount or Membership.objects.filter(workspace=workspace).count()
    findings = coach_document(
        doc,
        today=workspace_today(workspace),
        headcount=headcount,
        stage=workspace.stage or None,
    )
    keys_in = {o.key: o.cycle for o in doc.objectives}
    keys_in.update({kr.key: o.cycle for o, kr in doc.key_results()})
    elsewhere = {key for key, in_cycle in keys_in.items() if in_cycle != cycle.key}
    return [f for f in findings if f.where not in elsewhere]


def _kpi_direction(kr: KeyResult) -> str:
    """Which way a KPI-in-disguise points: "keep churn below 2%" is a lower-is-better KPI."""
    words = set(kr.title.lower().replace(",", " ").split())
    if words & {"below", "under", "less", "lower", "fewer", "max", "maximum", "within", "cap"}:
        return "down"
    if kr.baseline is not None and kr.target is not None and kr.target < kr.baseline:
        return "down"
    return "up"


@transaction.atomic
def key_result_to_kpi(*, actor: Actor, kr: KeyResult, key: str | None = None) -> Kpi:
    """Turn a KPI in disguise into the KPI it is: the KR's target becomes the KPI's target, its
    owner the KPI's owner, its check-in values the KPI's measurements; the KR is removed from
    its objective. Both steps are audited; the KR's owner or an admin may do it."""
    if not can_edit_key_result(actor, kr):
        raise Forbidden("only the key result's owner or an admin may turn it into a KPI")
    require_open(kr.objective.cycle, "key_result")
    taken = set(Kpi.objects.filter(workspace=actor.workspace).values_list("key", flat=True))
    new_key = key or (kr.key if kr.key not in taken else f"{kr.key}-kpi")
    target = kr.target if kr.target is not None else kr.baseline
    kpi = kpi_create(
        actor=actor,
        key=new_key,
        name=kr.title[:200],
        description=f"Was the key result '{kr.key}' of the objective '{kr.objective.key}'.",
        unit=kr.unit,
        direction=_kpi_direction(kr),
        target=target,
        cadence="weekly",
        owner=kr.owner.email,
    )
    points = [
        Point(kpi.key, c.at, c.value)
        for c in CheckIn.objects.filter(key_result=kr, value__isnull=False).order_by("at", "id")
    ]
    if points:
        kpi_measure_bulk(actor=actor, points=points)
    key_result_delete(actor=actor, kr=kr)
    audit_record(
        workspace=actor.workspace,
        actor=actor.user,
        action="converted",
        entity_type="key_result",
        entity_key=kr.key,
        after={"kpi": kpi.key, "measurements": len(points)},
    )
    kpi.refresh_from_db()
    return kpi


STAGE_RULES = {"stage-framework", "stage-objectives", "early-cascading", "too-many-kpis"}


def stage_context(actor: Actor, members: int) -> dict[str, object]:
    """Stage advice for the workspace settings: the recommendation for its stage (or headcount)
    and the coach's findings where the workspace's setup contradicts it (PRODUCT §5)."""
    from okapi.core.stage import stage_advice

    workspace = actor.workspace
    headcount = workspace.headcount or members
    advice = stage_advice(headcount=headcount, stage=workspace.stage or None)
    doc = okr_export(workspace, measurements=False)
    findings = [
        f
        for f in coach_document(
            doc,
            today=workspace_today(workspace),
            headcount=headcount,
            stage=workspace.stage or None,
        )
        if f.rule in STAGE_RULES
    ]
    return {"advice": advice, "advice_headcount": headcount, "stage_findings": findings}
