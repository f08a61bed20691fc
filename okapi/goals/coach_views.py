"""The coach in the web app: findings for a cycle (a page, and a panel on the tracker), live
feedback while a key result is written, and turning a KPI in disguise into a KPI."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from okapi.core.coach import Severity, classify_kr
from okapi.goals.access import can_edit_key_result, get_cycle_for_user, get_key_result_for_user
from okapi.goals.coaching import cycle_findings, key_result_to_kpi
from okapi.goals.models import KeyResult, Objective
from okapi.workspaces.access import Actor
from okapi.workspaces.web import workspace_view

SEVERITY_ORDER = {Severity.ERROR: 0, Severity.WARNING: 1, Severity.INFO: 2}


@workspace_view
def coach(request: HttpRequest, actor: Actor, cycle: str) -> HttpResponse:
    """Everything the coach found in a cycle; `?panel=1` (htmx, from the tracker) is the list."""
    the_cycle = get_cycle_for_user(actor, cycle)
    findings = sorted(cycle_findings(actor, the_cycle), key=lambda f: SEVERITY_ORDER[f.severity])
    objectives = dict(
        Objective.objects.filter(workspace=actor.workspace).values_list("key", "title")
    )
    krs = {
        kr.key: kr
        for kr in KeyResult.objects.filter(objective__cycle=the_cycle).select_related(
            "objective", "owner"
        )
    }
    items = []
    for f in findings:
        kr = krs.get(f.where)
        objective_key = kr.objective.key if kr else (f.where if f.where in objectives else None)
        items.append(
            {
                "finding": f,
                "objective_key": objective_key,
                "title": kr.title if kr else objectives.get(f.where),
                "can_convert": f.rule == "kpi-in-disguise" and kr is not None
                and the_cycle.closed_at is None and can_edit_key_result(actor, kr),
            }
        )  # fmt: skip
    counts = {s.value: sum(1 for f in findings if f.severity == s) for s in Severity}
    context = {"cycle": the_cycle, "items": items, "counts": counts}
    if request.GET.get("panel"):
        return render(request, "goals/_coach_findings.html", {**context, "panel": True})
    return render(request, "goals/coach.html", context)


@workspace_view
@require_POST
def coach_kr(request: HttpRequest, actor: Actor) -> HttpResponse:
    """Classify the key result being written (htmx, as the person types)."""
    text = request.POST.get("title", "").strip()[:500]
    verdict = classify_kr(text) if text else None
    return render(request, "goals/_coach_verdict.html", {"verdict": verdict})


@workspace_view
@require_POST
def kr_to_kpi(request: HttpRequest, actor: Actor, key: str) -> HttpResponse:
    kr = get_key_result_for_user(actor, key)
    kpi = key_result_to_kpi(actor=actor, kr=kr)
    messages.success(
        request,
        f"“{kpi.name}” is now a KPI with its check-ins as measurements; it left its objective.",
    )
    return redirect("kpis:kpi", actor.workspace.key, kpi.key)
