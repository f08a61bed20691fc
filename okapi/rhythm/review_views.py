"""The end-of-cycle review in the web app: a printable page and its CSV export, for everyone in
the workspace (viewers too). An open cycle has no review yet: the page says so (404)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from okapi.errors import NotFound
from okapi.goals.access import get_cycle_for_user
from okapi.goals.queries import number_text
from okapi.rhythm.review import csv_filename, review_csv, review_data
from okapi.workspaces.access import Actor
from okapi.workspaces.web import workspace_view


def _page_objectives(data: dict[str, Any]) -> list[dict[str, Any]]:
    """The objectives with their KR dicts, numbers as text, for the template (no query)."""
    krs: dict[str, list[dict[str, Any]]] = {}
    for kr in data["key_results"]:
        unit = kr.get("unit", "")
        last = kr.get("last_checkin")
        kr = {
            **kr,
            "last_checkin": last and {**last, "at": dt.date.fromisoformat(last["at"])},
            "baseline_text": number_text(kr["baseline"], unit),
            "target_text": number_text(kr["target"], unit),
            "final_value_text": number_text(kr["final_value"], unit),
        }
        krs.setdefault(kr["objective"], []).append(kr)
    return [{**o, "krs": krs.get(o["key"], [])} for o in data["objectives"]]


@workspace_view
@require_GET
def review(request: HttpRequest, actor: Actor, cycle: str) -> HttpResponse:
    cycle_row = get_cycle_for_user(actor, cycle)
    if cycle_row.closed_at is None:
        return render(request, "rhythm/review_pending.html", {"cycle": cycle_row}, status=404)
    data = review_data(cycle_row)
    context = {
        "cycle": cycle_row,
        "kept_on": dt.datetime.fromisoformat(data["created_at"]),
        "review": data,
        "objectives": _page_objectives(data),
        "committed": data["types"]["committed"],
        "aspirational": data["types"]["aspirational"],
    }
    return render(request, "rhythm/review.html", context)


@workspace_view
@require_GET
def review_csv_export(request: HttpRequest, actor: Actor, cycle: str) -> HttpResponse:
    cycle_row = get_cycle_for_user(actor, cycle)
    if cycle_row.closed_at is None:
        raise NotFound(f"cycle '{cycle_row.key}' is not closed yet: no review to export")
    return csv_response(review_csv(review_data(cycle_row)), actor.workspace.key, cycle_row.key)


def csv_response(text: str, workspace_key: str, cycle_key: str) -> HttpResponse:
    response = HttpResponse(text.encode("utf-8"), content_type="text/csv; charset=utf-8")
    filename = csv_filename(workspace_key, cycle_key)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
