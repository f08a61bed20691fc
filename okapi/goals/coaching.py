"""The coach over a workspace's data: the same rules as `okapi coach FILE.yaml`, read from the
database through the exporter, so a rule is written once (okapi/core/coach)."""

from __future__ import annotations

from okapi.core.coach import Finding, coach_document
from okapi.goals.models import Cycle
from okapi.goals.services import workspace_today
from okapi.transfer import okr_export
from okapi.workspaces.access import Actor
from okapi.workspaces.models import Membership


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
