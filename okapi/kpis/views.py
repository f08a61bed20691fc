"""The KPI pages: the dashboard, one KPI with its chart and measurements, the KPI forms, and
deleting a KPI after a confirmation page that says what goes with it."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.timezone import now
from django.views.decorators.http import require_http_methods, require_POST

from okapi.errors import Forbidden, Invalid
from okapi.kpis import services
from okapi.kpis.access import get_kpi_for_user
from okapi.kpis.forms import KpiForm, MeasurementForm
from okapi.kpis.models import Kpi, Measurement, Source
from okapi.kpis.queries import (
    format_moment,
    format_value,
    kpi_dashboard_with_sparklines,
    kpi_page,
    workspace_tz,
)
from okapi.kpis.sources import CSV_KINDS, SEGMENTS, billing_import, csv_upload, source_of
from okapi.workspaces.access import Actor, require_admin, require_owns, require_writer
from okapi.workspaces.web import add_service_errors, render_form, workspace_view


def _is_htmx(request: HttpRequest) -> bool:
    return request.headers.get("HX-Request") == "true"


def _may_change(actor: Actor, kpi: Kpi) -> bool:
    """The access layer's rule for editing a KPI and adding its measurements."""
    try:
        require_owns(actor, owner_user_id=kpi.owner_user_id, owner_team_id=kpi.owner_team_id)
    except Forbidden:
        return False
    return True


@workspace_view
def dashboard(request: HttpRequest, actor: Actor) -> HttpResponse:
    context = {"dashboard": kpi_dashboard_with_sparklines(actor), "read_only": False}
    return render(request, "kpis/dashboard.html", context)


def _fresh_measurement_form(actor: Actor) -> MeasurementForm:
    at = now().astimezone(workspace_tz(actor)).strftime("%Y-%m-%dT%H:%M")
    return MeasurementForm(initial={"at": at})


def _kpi_context(
    request: HttpRequest, actor: Actor, kpi: Kpi, form: MeasurementForm | None
) -> dict[str, Any]:
    may_change = _may_change(actor, kpi)
    if may_change and form is None:
        form = _fresh_measurement_form(actor)
    source = source_of(kpi)
    return {
        **kpi_page(
            actor,
            kpi,
            period=request.GET.get("period", ""),
            page=request.GET.get("page", 1),
        ),
        "may_change": may_change,
        "measurement_form": form if may_change else None,
        "source": source,
        "csv_allowed": may_change and source.kind in CSV_KINDS,
    }


@workspace_view
def kpi(request: HttpRequest, actor: Actor, key: str) -> HttpResponse:
    found = get_kpi_for_user(actor, key)
    return render(request, "kpis/kpi.html", _kpi_context(request, actor, found, None))


@require_POST
@workspace_view
def kpi_csv(request: HttpRequest, actor: Actor, key: str) -> HttpResponse:
    """Upload a CSV of measurements (FORMATS §5) for this KPI, all or nothing."""
    found = get_kpi_for_user(actor, key, write=True)
    upload = request.FILES.get("file")
    try:
        if upload is None:
            raise Invalid({"file": "choose a CSV file (kpi,at,value)"})
        if upload.size > 20 * 1024 * 1024:
            raise Invalid({"file": "is larger than 20 MB"})
        stored = csv_upload(actor=actor, kpi=found, data=upload.read())
    except Invalid as exc:
        context = _kpi_context(request, actor, found, None)
        context["csv_errors"] = [f"{where}: {message}" for where, message in exc.errors.items()]
        return render(request, "kpis/kpi.html", context, status=422)
    messages.success(request, f"Imported {stored} measurement{'s' if stored != 1 else ''}.")
    return redirect("kpis:kpi", actor.workspace.key, found.key)


@require_POST
@workspace_view
def kpi_measure(request: HttpRequest, actor: Actor, key: str) -> HttpResponse:
    """Add a measurement; htmx gets the page's body back (chart, table, form), others a redirect."""
    found = get_kpi_for_user(actor, key, write=True)
    form = MeasurementForm(request.POST)
    added = None
    if form.is_valid():
        try:
            added = services.kpi_measure(
                actor=actor,
                kpi=found,
                value=form.cleaned_data["value"].strip(),
                at=form.cleaned_data["at"].strip() or None,
            )
        except Invalid as exc:
            add_service_errors(form, exc)
    if added is None:
        first_error = next((name for name in form.fields if name in form.errors), "value")
        form.fields[first_error].widget.attrs["autofocus"] = True  # htmx focuses it after the swap
        context = _kpi_context(request, actor, found, form)
    else:
        when = format_moment(added.at, workspace_tz(actor))
        message = f"Added {format_value(added.value, found.unit)} at {when}."
        if not _is_htmx(request):
            messages.success(request, message)
            return redirect("kpis:kpi", actor.workspace.key, found.key)
        fresh = _fresh_measurement_form(actor)
        fresh.fields["value"].widget.attrs["autofocus"] = True
        context = {**_kpi_context(request, actor, found, fresh), "added": message}
    template = "kpis/_kpi_body.html" if _is_htmx(request) else "kpis/kpi.html"
    return render(request, template, context, status=200 if added else 422)


def _save_kpi(request: HttpRequest, actor: Actor, form: KpiForm) -> Kpi | None:
    """Create or update through the services; their refusals go beside the fields."""
    if not form.is_valid():
        return None
    fields = form.service_fields()
    try:
        if form.kpi is None:
            return services.kpi_create(actor=actor, **fields)
        return services.kpi_update(actor=actor, kpi=form.kpi, **fields)
    except Invalid as exc:
        add_service_errors(form, exc)
    except Forbidden as exc:  # an owner outside the member's teams
        form.add_error("owner", str(exc))
    return None


@workspace_view
def kpi_new(request: HttpRequest, actor: Actor) -> HttpResponse:
    require_writer(actor)
    form = KpiForm(request.POST if request.method == "POST" else None, actor=actor)
    if request.method == "POST":
        created = _save_kpi(request, actor, form)
        if created is not None:
            messages.success(request, f"KPI “{created.name}” created.")
            return redirect("kpis:kpi", actor.workspace.key, created.key)
    return render_form(request, "kpis/kpi_form.html", {"kpi": None}, form)


@workspace_view
def kpi_edit(request: HttpRequest, actor: Actor, key: str) -> HttpResponse:
    found = get_kpi_for_user(actor, key, write=True)
    data = request.POST if request.method == "POST" else None
    form = KpiForm(data, actor=actor, kpi=found)
    if request.method == "POST":
        saved = _save_kpi(request, actor, form)
        if saved is not None:
            messages.success(request, f"KPI “{saved.name}” saved.")
            return redirect("kpis:kpi", actor.workspace.key, saved.key)
        found.refresh_from_db()  # the service may have changed the instance before refusing
    return render_form(request, "kpis/kpi_form.html", {"kpi": found}, form)


SEGMENT_LABELS = {"smb": "SMB", "mid-market": "Mid-market", "enterprise": "Enterprise"}


@workspace_view
def billing(request: HttpRequest, actor: Actor) -> HttpResponse:
    """Upload a billing export: the SaaS metrics engine keeps the billing KPIs up to date."""
    require_admin(actor)
    segments = [(key, SEGMENT_LABELS.get(key, key)) for key in SEGMENTS]  # the service's list
    context: dict[str, Any] = {"segments": segments, "errors": [], "segment": "smb"}
    if request.method == "POST":
        subscriptions = request.FILES.get("subscriptions")
        spend = request.FILES.get("spend")
        segment = request.POST.get("segment", "smb")
        context["segment"] = segment
        try:
            if subscriptions is None:
                raise Invalid({"subscriptions": "choose the subscriptions CSV"})
            too_big = [f for f in (subscriptions, spend) if f is not None and f.size > 200 << 20]
            if too_big:
                raise Invalid(
                    {"subscriptions": "a file is larger than 200 MB: use the command line"}
                )
            result = billing_import(
                actor=actor,
                subscriptions=subscriptions.read(),
                spend=spend.read() if spend is not None else None,
                segment=segment,
            )
        except Invalid as exc:
            context["errors"] = [f"{where}: {message}" for where, message in exc.errors.items()]
            return render(request, "kpis/billing.html", context, status=422)
        messages.success(
            request,
            f"Billing export read: {result.months} months ({result.first_month} to "
            f"{result.last_month}, {result.currency}); {len(result.kpis)} KPIs updated with "
            f"{result.stored} measurements.",
        )
        return redirect("kpis:dashboard", actor.workspace.key)
    return render(request, "kpis/billing.html", context)


SOURCE_LABELS = {
    Source.PUSH: "pushed through the API",
    Source.CSV: "CSV uploads",
    Source.SQL: "an SQL query, with its stored connection",
    Source.FORMULA: "a formula",
    Source.BILLING: "the billing export",
}


def _kpi_fallout(kpi: Kpi) -> dict[str, Any]:
    """What deleting a KPI takes with it (its measurements, its source) and what stays: the key
    results that target it (they fall back to their own check-ins); and the formula KPIs that
    read it, which keep it from being deleted (the service refuses)."""
    measurements = Measurement.objects.filter(kpi=kpi).count()
    source = source_of(kpi)
    key_results = list(
        kpi.key_results.order_by("objective__title", "position", "id").values(
            "title", "objective__title"
        )
    )
    readers = sorted(
        Kpi.objects.filter(
            workspace_id=kpi.workspace_id, key__in=services.formula_readers(kpi)
        ).values_list("name", flat=True)
    )
    source_label = SOURCE_LABELS.get(source.kind, "") if source.pk else ""
    going = f"{measurements} measurement{'' if measurements == 1 else 's'}" if measurements else ""
    if going:
        sentence = f"Its {going} {'goes' if measurements == 1 else 'go'} with it"
        if source_label:
            sentence += f", and so do its source settings ({source_label})"
    elif source_label:
        sentence = f"It has no measurements; its source settings ({source_label}) go with it"
    else:
        sentence = "It has no measurements: nothing else goes with it"
    return {
        "measurements": measurements,
        "key_results": key_results,
        "readers": readers,
        "going": going,
        "going_sentence": sentence + ".",
    }


@require_http_methods(["GET", "POST"])
@workspace_view
def kpi_delete(request: HttpRequest, actor: Actor, key: str) -> HttpResponse:
    """GET asks, showing what goes; POST deletes through the service (which writes the audit
    log). The same access rule as editing: viewers and members who do not own it get 403."""
    found = get_kpi_for_user(actor, key, write=True)
    fallout = _kpi_fallout(found)
    if request.method == "POST":
        name = found.name
        try:
            services.kpi_delete(actor=actor, kpi=found)
        except Invalid as exc:
            context = {"kpi": found, **fallout, "error": "; ".join(exc.errors.values())}
            return render(request, "kpis/kpi_delete.html", context, status=422)
        going = f", with its {fallout['going']}" if fallout["going"] else ""
        messages.success(request, f"Deleted KPI “{name}”{going}.")
        return redirect("kpis:dashboard", actor.workspace.key)
    return render(request, "kpis/kpi_delete.html", {"kpi": found, **fallout})
