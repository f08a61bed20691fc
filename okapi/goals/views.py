"""The OKR pages: My week, the tracker, an objective, the alignment map, and the forms
(create, edit, and delete after a confirmation page that says what goes with the row).

Thin: parse, reach rows through goals.access, call a service or a query, render. A service's
refusal shows beside the field it names (422); a forbidden action answers 403 and another
workspace's row 404 (okapi.middleware.ServiceErrorsMiddleware).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.contrib import messages
from django.db.models import Count
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods, require_POST

from okapi.errors import Invalid
from okapi.goals import queries, services
from okapi.goals.access import (
    can_edit_objective,
    get_cycle_for_user,
    get_initiative_for_user,
    get_key_result_for_user,
    get_objective_for_user,
)
from okapi.goals.forms import (
    CarryOverForm,
    CheckInForm,
    CycleCloseForm,
    InitiativeForm,
    KeyResultForm,
    ObjectiveForm,
    score_field_name,
)
from okapi.goals.models import CheckIn, Cycle, Initiative, KeyResult, Objective
from okapi.workspaces.access import Actor, require_writer
from okapi.workspaces.web import add_service_errors, render_form, workspace_view

GET_POST = require_http_methods(["GET", "POST"])


def _plain(number: Decimal | None) -> str | None:
    """A number as a person types it: 1000000 and 2.5, never 1E+6 or 2.500000."""
    return None if number is None else format(number.normalize(), "f")


def _is_htmx(request: HttpRequest) -> bool:
    return request.headers.get("HX-Request") == "true"


def _next_url(request: HttpRequest, default: str) -> str:
    """Where to go after a form: a `next` on this site, else `default`."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return default


# --------------------------------------------------------------------------- My week


def _checkin_form(kr: dict[str, Any]) -> CheckInForm:
    """An unbound check-in form starting from where the KR stands: its value, its confidence."""
    initial: dict[str, Any] = {"confidence": kr["confidence"] or "on_track"}
    if kr["kind"] == "metric" and not kr["kpi"] and kr["current"] is not None:
        initial["value"] = _plain(Decimal(str(kr["current"])))
    return CheckInForm(kr=kr, initial=initial)


def _my_week_context(actor: Actor, bound: dict[str, CheckInForm] | None = None) -> dict[str, Any]:
    week = queries.my_week(actor)
    for kr in week["due"]:
        kr["form"] = (bound or {}).get(kr["key"]) or _checkin_form(kr)
    return {"week": week, "today": week["today"]}


@workspace_view
def my_week(request: HttpRequest, actor: Actor) -> HttpResponse:
    return render(request, "goals/my_week.html", _my_week_context(actor))


@workspace_view
@GET_POST
def checkin(request: HttpRequest, actor: Actor, key: str) -> HttpResponse:
    """Check in on a KR: from My week with htmx (the row comes back), or as a plain form."""
    kr = get_key_result_for_user(actor, key, checkin=True)
    context = {
        "today": services.workspace_today(actor.workspace),
        "next": _next_url(request, ""),
    }
    if request.method == "GET":
        row = queries.my_week_row(actor, key)
        row["form"] = _checkin_form(row)
        return render(request, "goals/checkin.html", {**context, "kr": row})
    form = CheckInForm(request.POST, kr=kr)
    if form.is_valid():
        try:
            services.checkin_create(actor=actor, kr=kr, **form.cleaned_data)
        except Invalid as exc:
            add_service_errors(form, exc)
    row = queries.my_week_row(actor, key)
    if not form.errors:
        if _is_htmx(request):
            context["due_count"] = queries.my_due_count(actor)  # My week's heading, out of band
            return render(request, "goals/_checkin_row.html", {**context, "kr": row})
        messages.success(request, f"Checked in on “{kr.title}”.")
        default = reverse("goals:my_week", args=[actor.workspace.key])
        return redirect(context["next"] or default)
    row["form"] = form
    if _is_htmx(request):
        # The layout's htmx-config swaps 422 answers: the row comes back with its errors.
        return render(request, "goals/_checkin_row.html", {**context, "kr": row}, status=422)
    return render(request, "goals/checkin.html", {**context, "kr": row}, status=422)


# --------------------------------------------------------------------------- tracker


def _current_cycle_redirect(request: HttpRequest, actor: Actor, name: str) -> HttpResponse:
    wanted = request.GET.get("cycle")
    cycle = get_cycle_for_user(actor, wanted) if wanted else queries.cycle_for_today(actor)
    if cycle is None:
        return render(request, "goals/no_cycle.html", {})
    url = reverse(f"goals:{name}", args=[actor.workspace.key, cycle.key])
    params = request.GET.copy()
    params.pop("cycle", None)
    for empty in [k for k, v in params.items() if not v]:
        params.pop(empty)
    return HttpResponseRedirect(f"{url}?{params.urlencode()}" if params else url)


@workspace_view
def tracker_current(request: HttpRequest, actor: Actor) -> HttpResponse:
    return _current_cycle_redirect(request, actor, "tracker")


def _tracker_context(
    request: HttpRequest, actor: Actor, cycle: Cycle, carry_over: CarryOverForm | None = None
) -> dict[str, Any]:
    page = queries.tracker_page(actor, cycle)
    teams = {t.key for t in page["teams"]}
    people = {u.email for u in page["people"]}
    filters = {
        "team": request.GET.get("team", "") if request.GET.get("team") in teams else "",
        "owner": request.GET.get("owner", "") if request.GET.get("owner") in people else "",
        "status": request.GET.get("status", "")
        if request.GET.get("status") in queries.TRACKER_STATUSES
        else "",
    }
    editable_objectives, editable_krs = queries.editable_in_cycle(actor, cycle)
    context = {
        **page,
        "cycle": cycle,
        "tree": queries.filter_tree(page["tree"], **filters),
        "filters": filters,
        "filtered": any(filters.values()),
        "statuses": queries.TRACKER_STATUSES,
        "editable_objectives": editable_objectives,
        "editable_krs": editable_krs,
        "read_only": False,
    }
    if cycle.closed_at is not None and actor.can_write:
        context["carry_over"] = carry_over or _carry_over_form(actor, cycle, page["tree"])
    return context


@workspace_view
def tracker(request: HttpRequest, actor: Actor, cycle: str) -> HttpResponse:
    cycle_row = get_cycle_for_user(actor, cycle)
    return render(request, "goals/tracker.html", _tracker_context(request, actor, cycle_row))


def _carry_over_form(
    actor: Actor, cycle: Cycle, tree: dict[str, Any], data: Any = None
) -> CarryOverForm | None:
    """The objectives the actor may copy out of a closed cycle; unfinished ones pre-ticked."""
    editable = {
        o.key
        for o in Objective.objects.filter(cycle=cycle).only("key", "owner_user_id", "owner_team_id")
        if can_edit_objective(actor, o)
    }
    choices = [(o["key"], o["title"]) for o in tree["objectives"] if o["key"] in editable]
    targets = list(
        Cycle.objects.filter(workspace=actor.workspace, closed_at__isnull=True)
        .exclude(pk=cycle.pk)
        .order_by("start")
    )
    if not choices or not targets:
        return None
    later = [c for c in targets if c.start > cycle.start]
    unfinished = [o["key"] for o in tree["objectives"] if o["key"] in editable and not o["success"]]
    return CarryOverForm(
        data,
        objectives=choices,
        cycles=targets,
        initial={"objectives": unfinished, "cycle": (later or targets)[0].key},
    )


@workspace_view
@require_POST
def carry_over(request: HttpRequest, actor: Actor, cycle: str) -> HttpResponse:
    """Copy the chosen objectives of a closed cycle, with their KRs, into another cycle."""
    require_writer(actor)
    cycle_row = get_cycle_for_user(actor, cycle)
    tree = queries.cycle_tree(actor, cycle_row)
    form = _carry_over_form(actor, cycle_row, tree, request.POST)
    if form is None:
        return redirect("goals:tracker", actor.workspace.key, cycle_row.key)
    if form.is_valid():
        keys = form.cleaned_data["objectives"]
        objectives = [get_objective_for_user(actor, key, write=True) for key in keys]
        try:
            copies = services.objectives_carry_over(
                actor=actor, objectives=objectives, cycle=form.cleaned_data["cycle"]
            )
        except Invalid as exc:
            add_service_errors(form, exc)
        else:
            target = form.cleaned_data["cycle"]
            messages.success(
                request, f"Carried {len(copies)} objective(s) into {target}, with their KRs."
            )
            return redirect("goals:tracker", actor.workspace.key, target)
    context = _tracker_context(request, actor, cycle_row, carry_over=form)
    return render(request, "goals/tracker.html", context, status=422)


@workspace_view
@GET_POST
def cycle_close(request: HttpRequest, actor: Actor, cycle: str) -> HttpResponse:
    """Close a cycle (admins): a final score per KR, pre-filled with its progress, and a note."""
    cycle_row = get_cycle_for_user(actor, cycle, write=True)
    if cycle_row.closed_at is not None:
        messages.info(request, f"{cycle_row.name or cycle_row.key} is already closed.")
        return redirect("goals:tracker", actor.workspace.key, cycle_row.key)
    tree = queries.tracker_page(actor, cycle_row)["tree"]
    key_results = [kr for o in tree["objectives"] for kr in o["key_results"]]
    form = CycleCloseForm(request.POST or None, key_results=key_results)
    if form.is_bound and form.is_valid():
        try:
            services.cycle_close(
                actor=actor,
                cycle=cycle_row,
                note=form.cleaned_data["note"],
                final_scores=form.final_scores(),
            )
        except Invalid as exc:
            for field, message in exc.errors.items():
                name = score_field_name(field.split(".", 1)[1]) if "." in field else field
                form.add_error(name if name in form.fields else None, message)
        else:
            messages.success(request, f"{cycle_row.name or cycle_row.key} is closed and scored.")
            return redirect("goals:tracker", actor.workspace.key, cycle_row.key)
    groups = [
        (o, [(kr, form[score_field_name(kr["key"])]) for kr in o["key_results"]])
        for o in tree["objectives"]
        if o["key_results"]
    ]
    context = {"cycle": cycle_row, "groups": groups}
    return render_form(request, "goals/cycle_close.html", context, form)


@workspace_view
@require_POST
def cycle_reopen(request: HttpRequest, actor: Actor, cycle: str) -> HttpResponse:
    """Reopen a closed cycle (admins): its final scores are cleared and its review dropped."""
    cycle_row = get_cycle_for_user(actor, cycle, write=True)
    try:
        services.cycle_reopen(actor=actor, cycle=cycle_row)
    except Invalid as exc:
        messages.error(request, "; ".join(exc.errors.values()))
    else:
        messages.success(
            request,
            f"{cycle_row.name or cycle_row.key} is open again: check-ins and edits are back, "
            "and closing it again scores it anew.",
        )
    return redirect("goals:tracker", actor.workspace.key, cycle_row.key)


# --------------------------------------------------------------------------- alignment map


@workspace_view
def alignment_current(request: HttpRequest, actor: Actor) -> HttpResponse:
    return _current_cycle_redirect(request, actor, "alignment")


@workspace_view
def alignment(request: HttpRequest, actor: Actor, cycle: str) -> HttpResponse:
    cycle_row = get_cycle_for_user(actor, cycle)
    context = {**queries.tracker_page(actor, cycle_row), "cycle": cycle_row}
    return render(request, "goals/alignment.html", context)


# --------------------------------------------------------------------------- objective page

CHART_INK = "#3b3f8f"
CHART_PACE = "#8a91a5"


def _kr_chart(
    kr: dict[str, Any], points: list[tuple[dt.date, Decimal]], cycle: Cycle, today: dt.date
) -> dict[str, Any]:
    """A Chart.js line chart over every day of the cycle: the values checked in (or measured)
    against the expected pace, a straight line from the baseline to the target."""
    days = [cycle.start + dt.timedelta(days=n) for n in range((cycle.end - cycle.start).days + 1)]
    span = max(len(days) - 1, 1)
    baseline, target = kr["baseline"], kr["target"]
    on_day = {at: float(value) for at, value in sorted(points)}  # the day's last value
    if baseline is not None:
        on_day.setdefault(cycle.start, baseline)
    expected = [
        round(baseline + (target - baseline) * n / span, 6)
        if baseline is not None and target is not None
        else None
        for n in range(len(days))
    ]
    unit = kr["unit"]
    return {
        "type": "line",
        "data": {
            "labels": [f"{d.day} {d:%b}" for d in days],
            "datasets": [
                {
                    "label": "Actual",
                    "data": [on_day.get(d) if d <= today else None for d in days],
                    "borderColor": CHART_INK,
                    "backgroundColor": CHART_INK,
                    "spanGaps": True,
                    "pointRadius": 3,
                    "borderWidth": 2,
                },
                {
                    "label": "Expected pace",
                    "data": expected,
                    "borderColor": CHART_PACE,
                    "backgroundColor": CHART_PACE,
                    "borderDash": [6, 4],
                    "pointRadius": 0,
                    "borderWidth": 2,
                },
                *_forecast_datasets(kr, on_day, days, today),
            ],
        },
        "options": {
            "responsive": True,
            "maintainAspectRatio": False,
            "animation": False,
            "interaction": {"mode": "index", "intersect": False},
            "plugins": {"legend": {"position": "bottom", "labels": {"boxHeight": 2}}},
            "scales": {
                "x": {"offset": False, "ticks": {"maxRotation": 0, "autoSkipPadding": 16}},
                "y": {"title": {"display": bool(unit), "text": unit}},
            },
        },
    }


CHART_FORECAST = "#7048e8"
CHART_FORECAST_BAND = "rgba(112, 72, 232, 0.2)"


def _forecast_datasets(
    kr: dict[str, Any], on_day: dict[dt.date, float], days: list[dt.date], today: dt.date
) -> list[dict[str, Any]]:
    """The projection from the last value to the forecast at the cycle end (a dotted line) and
    its 80% interval (a shaded band, one floating bar per day, widening to the end); none
    without a forecast or when the last value is on the last day."""
    forecast = kr.get("forecast")
    seen = [d for d in on_day if d <= today and d <= days[-1]]
    if forecast is None or not seen:
        return []
    last = max(seen)
    start_value, span = on_day[last], (days[-1] - last).days
    if span <= 0:
        return []

    def along(end_value: float, day: dt.date) -> float:
        return round(start_value + (end_value - start_value) * (day - last).days / span, 6)

    line = [along(forecast["value"], d) if d >= last else None for d in days]
    series = [
        {
            "label": "Forecast",
            "data": line,
            "borderColor": CHART_FORECAST,
            "backgroundColor": CHART_FORECAST,
            "borderDash": [2, 3],
            "pointRadius": 0,
            "borderWidth": 2,
        }
    ]
    if forecast["low"] != forecast["high"]:
        series.append(
            {
                "type": "bar",
                "label": "Likely range (80%)",
                "data": [
                    [along(forecast["low"], d), along(forecast["high"], d)] if d >= last else None
                    for d in days
                ],
                "backgroundColor": CHART_FORECAST_BAND,
                "borderWidth": 0,
                "barPercentage": 1.0,
                "categoryPercentage": 1.0,
            }
        )
    return series


def _may_edit_initiative(actor: Actor, initiative: dict[str, Any]) -> bool:
    # The rule of okapi.workspaces.access.require_owns, read without raising.
    return actor.can_write and (
        actor.is_admin
        or actor.owns(
            owner_user_id=initiative["owner_user_id"], owner_team_id=initiative["owner_team_id"]
        )
    )


@workspace_view
def objective(request: HttpRequest, actor: Actor, key: str) -> HttpResponse:
    objective_row = get_objective_for_user(actor, key)
    page = queries.objective_page(actor, objective_row)
    permissions = queries.kr_permissions(actor, objective_row)
    cycle = objective_row.cycle
    today = page["today"]
    for kr in page["objective"]["key_results"]:
        kr["may"] = permissions.get(kr["key"], {})
        kr["checkin_list"] = page["checkins"][kr["key"]]
        kr["kpi_info"] = page["kpis"].get(kr["kpi"]) if kr["kpi"] else None
        if kr["kind"] == "metric":
            if kr["kpi"]:
                points = [
                    (at.date(), value) for at, value in page["measurements"].get(kr["kpi"], [])
                ]
            else:
                checkins = kr["checkin_list"]
                points = [(c["at"], c["value"]) for c in checkins if c["value"] is not None]
            kr["chart_id"] = f"chart-{kr['key']}"
            kr["chart"] = _kr_chart(kr, points, cycle, today)
    by_key = {i["key"]: i for i in page["initiatives"]}
    for initiative in page["initiatives"]:
        initiative["may_edit"] = _may_edit_initiative(actor, initiative)
    for kr in page["objective"]["key_results"]:
        kr["initiative_items"] = [by_key[k] for k in kr["initiatives"] if k in by_key]
    context = {
        **page,
        "objective_row": objective_row,
        "cycle": cycle,
        "parent": objective_row.parent,
        "may_edit": can_edit_objective(actor, objective_row),
    }
    return render(request, "goals/objective.html", context)


# --------------------------------------------------------------------------- editing


def _objective_changes(form: ObjectiveForm) -> dict[str, Any]:
    data = form.cleaned_data
    return {
        "title": data["title"],
        "description": data["description"],
        "level": data["level"],
        "type": data["type"],
        "owner": data["owner"],
        "parent": data["parent"] or None,
        "cycle": data["cycle"],
    }


@workspace_view
@GET_POST
def objective_new(request: HttpRequest, actor: Actor, cycle: str) -> HttpResponse:
    require_writer(actor)
    cycle_row = get_cycle_for_user(actor, cycle)
    parent = request.GET.get("parent", "")
    my_teams = sorted(actor.team_ids)
    initial = {
        "cycle": cycle_row.key,
        "parent": parent,
        "level": "company" if actor.is_admin and not parent else "team",
        "owner": actor.user.email if actor.user and (actor.is_admin or not my_teams) else "",
    }
    form = ObjectiveForm(request.POST or None, actor=actor, initial=initial)
    if form.is_bound and form.is_valid():
        try:
            created = services.objective_create(
                actor=actor, key=form.key_or_derived(), **_objective_changes(form)
            )
        except Invalid as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, "Objective created. Now give it 2 to 5 key results.")
            return redirect("goals:kr_new", actor.workspace.key, created.key)
    context = {"cycle": cycle_row, "creating": True}
    return render_form(request, "goals/objective_form.html", context, form)


@workspace_view
@GET_POST
def objective_edit(request: HttpRequest, actor: Actor, key: str) -> HttpResponse:
    objective_row = get_objective_for_user(actor, key, write=True)
    services.require_open(objective_row.cycle)  # closed: a 422 page says why (middleware)
    owner = objective_row.owner_team or objective_row.owner_user
    initial = {
        "title": objective_row.title,
        "description": objective_row.description,
        "level": objective_row.level,
        "type": objective_row.type,
        "owner": getattr(owner, "key", None) or getattr(owner, "email", ""),
        "parent": objective_row.parent.key if objective_row.parent else "",
        "cycle": objective_row.cycle.key,
    }
    form = ObjectiveForm(
        request.POST or None, actor=actor, objective=objective_row, initial=initial
    )
    if form.is_bound and form.is_valid():
        try:
            services.objective_update(
                actor=actor, objective=objective_row, **_objective_changes(form)
            )
        except Invalid as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, "Objective saved.")
            return redirect("goals:objective", actor.workspace.key, objective_row.key)
    context = {"objective": objective_row, "cycle": objective_row.cycle, "creating": False}
    return render_form(request, "goals/objective_form.html", context, form)


def _kr_changes(form: KeyResultForm) -> dict[str, Any]:
    data = form.cleaned_data
    return {
        "title": data["title"],
        "kind": data["kind"],
        "baseline": data["baseline"],
        "target": data["target"],
        "unit": data["unit"],
        "owner": data["owner"],
        "weight": data["weight"],
        "kpi": data["kpi"] or None,
        "initiatives": list(data["initiatives"]),
    }


@workspace_view
@GET_POST
def kr_new(request: HttpRequest, actor: Actor, key: str) -> HttpResponse:
    require_writer(actor)
    objective_row = get_objective_for_user(actor, key)
    initial = {"owner": actor.user.email if actor.user else "", "weight": Decimal(1)}
    form = KeyResultForm(request.POST or None, actor=actor, initial=initial)
    if form.is_bound and form.is_valid():
        try:
            services.key_result_create(
                actor=actor, objective=objective_row, key=form.key_or_derived(), **_kr_changes(form)
            )
        except Invalid as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, f"Key result “{form.cleaned_data['title']}” added.")
            if "add_another" in request.POST:
                return redirect("goals:kr_new", actor.workspace.key, objective_row.key)
            return redirect("goals:objective", actor.workspace.key, objective_row.key)
    existing = list(objective_row.key_results.values_list("title", flat=True))
    context = {"objective": objective_row, "creating": True, "existing": existing}
    return render_form(request, "goals/kr_form.html", context, form)


@workspace_view
@GET_POST
def kr_edit(request: HttpRequest, actor: Actor, key: str) -> HttpResponse:
    kr = get_key_result_for_user(actor, key, write=True)
    services.require_open(kr.objective.cycle)  # closed: a 422 page says why (middleware)
    initial = {
        "title": kr.title,
        "kind": kr.kind,
        "baseline": _plain(kr.baseline),
        "target": _plain(kr.target),
        "unit": kr.unit,
        "owner": kr.owner.email,
        "weight": _plain(kr.weight),
        "kpi": kr.kpi.key if kr.kpi else "",
        "initiatives": list(kr.initiatives.values_list("key", flat=True)),
    }
    form = KeyResultForm(request.POST or None, actor=actor, kr=kr, initial=initial)
    if form.is_bound and form.is_valid():
        try:
            services.key_result_update(actor=actor, kr=kr, **_kr_changes(form))
        except Invalid as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, "Key result saved.")
            return redirect("goals:objective", actor.workspace.key, kr.objective.key)
    context = {"objective": kr.objective, "kr": kr, "creating": False}
    return render_form(request, "goals/kr_form.html", context, form)


@workspace_view
@GET_POST
def initiative_new(request: HttpRequest, actor: Actor) -> HttpResponse:
    require_writer(actor)
    form = InitiativeForm(request.POST or None, actor=actor)
    back = _next_url(request, reverse("goals:my_week", args=[actor.workspace.key]))
    if form.is_bound and form.is_valid():
        data = form.cleaned_data
        try:
            services.initiative_create(
                actor=actor,
                key=form.key_or_derived(),
                title=data["title"],
                owner=data["owner"] or None,
                url=data["url"],
            )
        except Invalid as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, f"Initiative “{data['title']}” created.")
            return redirect(back)
    context = {"creating": True, "next": back}
    return render_form(request, "goals/initiative_form.html", context, form)


@workspace_view
@GET_POST
def initiative_edit(request: HttpRequest, actor: Actor, key: str) -> HttpResponse:
    initiative = get_initiative_for_user(actor, key, write=True)
    owner = initiative.owner_team or initiative.owner_user
    initial = {
        "title": initiative.title,
        "owner": getattr(owner, "key", None) or getattr(owner, "email", ""),
        "url": initiative.url,
    }
    form = InitiativeForm(request.POST or None, actor=actor, initiative=initiative, initial=initial)
    back = _next_url(request, reverse("goals:my_week", args=[actor.workspace.key]))
    if form.is_bound and form.is_valid():
        data = form.cleaned_data
        try:
            services.initiative_update(
                actor=actor,
                initiative=initiative,
                title=data["title"],
                owner=data["owner"] or None,
                url=data["url"],
            )
        except Invalid as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, "Initiative saved.")
            return redirect(back)
    context = {
        "initiative": initiative,
        "creating": False,
        "next": back,
        "linked_from": _next_url(request, ""),  # where to go after a deletion, if anywhere
    }
    return render_form(request, "goals/initiative_form.html", context, form)


# --------------------------------------------------------------------------- deleting
#
# GET shows what the deletion takes with it and asks; POST deletes through the service (which
# checks the permission again and writes the audit log). The access helpers are the edit
# views': whoever may edit a row may delete it, viewers and others get 403, another
# workspace's row 404.


def _plural(count: int, singular: str) -> str:
    return f"{count} {singular}{'' if count == 1 else 's'}"


def _going(*counts: tuple[int, str]) -> dict[str, str]:
    """What goes with a deleted row, as a phrase ("3 key results and 27 check-ins", for the
    message afterwards) and a sentence ("Its 1 check-in goes with it.", for the question)."""
    parts = [_plural(count, word) for count, word in counts if count]
    phrase = " and ".join(parts)
    if not parts:
        sentence = ""
    elif len(parts) == 1 and parts[0].startswith("1 "):
        sentence = f"Its {phrase} goes with it."
    else:
        sentence = f"Its {phrase} go with it."
    return {"going": phrase, "going_sentence": sentence}


def _deleted(what: str, title: str, going: str) -> str:
    return f"Deleted {what} “{title}”" + (f", with its {going}." if going else ".")


def _objective_fallout(objective_row: Objective) -> dict[str, Any]:
    """What deleting an objective takes with it (its KRs and their check-ins) and what stays
    (objectives aligned to it lose that link)."""
    key_results = list(
        objective_row.key_results.annotate(checkins_stored=Count("checkins"))
        .order_by("position", "id")
        .values("title", "checkins_stored")
    )
    checkins = sum(kr["checkins_stored"] for kr in key_results)
    children = list(objective_row.children.order_by("title").values_list("title", flat=True))
    return {
        "key_results": key_results,
        "checkins": checkins,
        "children": children,
        **_going((len(key_results), "key result"), (checkins, "check-in")),
    }


@workspace_view
@GET_POST
def objective_delete(request: HttpRequest, actor: Actor, key: str) -> HttpResponse:
    objective_row = get_objective_for_user(actor, key, write=True)
    services.require_open(objective_row.cycle)  # closed: a 422 page says why (middleware)
    fallout = _objective_fallout(objective_row)
    if request.method == "POST":
        title, cycle_key = objective_row.title, objective_row.cycle.key
        services.objective_delete(actor=actor, objective=objective_row)
        messages.success(request, _deleted("objective", title, fallout["going"]))
        return redirect("goals:tracker", actor.workspace.key, cycle_key)
    context = {"objective": objective_row, "cycle": objective_row.cycle, **fallout}
    return render(request, "goals/objective_delete.html", context)


def _kr_fallout(kr: KeyResult) -> dict[str, Any]:
    """What deleting a KR takes with it (its check-ins) and what stays: the initiatives and the
    KPI it is linked to, and its objective with one key result fewer."""
    checkins = CheckIn.objects.filter(key_result=kr).count()
    initiatives = list(kr.initiatives.order_by("title").values_list("title", flat=True))
    siblings = KeyResult.objects.filter(objective_id=kr.objective_id).exclude(pk=kr.pk).count()
    return {
        "checkins": checkins,
        "initiatives": initiatives,
        "kpi": kr.kpi,
        "left": siblings,
        **_going((checkins, "check-in")),
    }


@workspace_view
@GET_POST
def kr_delete(request: HttpRequest, actor: Actor, key: str) -> HttpResponse:
    kr = get_key_result_for_user(actor, key, write=True)
    services.require_open(kr.objective.cycle)  # closed: a 422 page says why (middleware)
    fallout = _kr_fallout(kr)
    if request.method == "POST":
        title, objective_key = kr.title, kr.objective.key
        services.key_result_delete(actor=actor, kr=kr)
        messages.success(request, _deleted("key result", title, fallout["going"]))
        return redirect("goals:objective", actor.workspace.key, objective_key)
    context = {"kr": kr, "objective": kr.objective, **fallout}
    return render(request, "goals/kr_delete.html", context)


def _initiative_fallout(initiative: Initiative) -> dict[str, Any]:
    """Deleting an initiative deletes nothing else: the KRs it drives lose the link, and those
    it was the only initiative of are left with none."""
    # Through a subquery: annotating initiative.key_results would count only this initiative.
    driven = KeyResult.objects.filter(pk__in=initiative.key_results.values("pk"))
    key_results = list(
        driven.annotate(initiative_count=Count("initiatives"))
        .order_by("objective__title", "position", "id")
        .values("title", "objective__title", "initiative_count")
    )
    return {
        "key_results": key_results,
        "orphaned": [kr["title"] for kr in key_results if kr["initiative_count"] == 1],
    }


@workspace_view
@GET_POST
def initiative_delete(request: HttpRequest, actor: Actor, key: str) -> HttpResponse:
    initiative = get_initiative_for_user(actor, key, write=True)
    back = _next_url(request, reverse("goals:tracker_current", args=[actor.workspace.key]))
    if request.method == "POST":
        title = initiative.title
        services.initiative_delete(actor=actor, initiative=initiative)
        messages.success(request, _deleted("initiative", title, ""))
        return redirect(back)
    context = {"initiative": initiative, "next": back, **_initiative_fallout(initiative)}
    return render(request, "goals/initiative_delete.html", context)
