"""The KPI pages: the dashboard, one KPI with its chart and measurements, and the KPI forms."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.timezone import now
from django.views.decorators.http import require_POST

from okapi.errors import Forbidden, Invalid
from okapi.kpis import services
from okapi.kpis.access import get_kpi_for_user
from okapi.kpis.forms import KpiForm, MeasurementForm
from okapi.kpis.models import Kpi
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
