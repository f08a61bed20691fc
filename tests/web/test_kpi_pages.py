"""The KPI pages: the dashboard, a KPI's page, adding a measurement, creating and editing KPIs.

Frozen at 2027-02-15 12:00 UTC (tests/conftest.py). Acme's KPIs, breaches first:
logo-churn red, nrr and pipeline amber, nps stale, activation no data, cac-payback and mrr green.
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from typing import Any

import pytest

from okapi.kpis.models import Kpi, Measurement


def measure(workspace: Any, key: str, points: list[tuple[str, Any]]) -> None:
    from okapi.kpis import services
    from okapi.workspaces.access import system_actor

    services.kpi_measure_bulk(
        actor=system_actor(workspace), points=[services.Point(key, at, v) for at, v in points]
    )


@pytest.fixture
def kpis(okrs: Any) -> Any:
    from okapi.goals import services as goals
    from okapi.goals.models import Objective
    from okapi.kpis import services
    from okapi.workspaces.access import system_actor

    system = system_actor(okrs.workspace)
    create = services.kpi_create
    create(actor=system, key="mrr", name="Monthly recurring revenue", unit="$", direction="up",
           target=240_000, warning=220_000, owner="alice@acme.test")  # fmt: skip
    create(actor=system, key="cac-payback", name="CAC payback", unit="months", direction="down",
           target=12, warning=18, owner="growth")  # fmt: skip
    create(actor=system, key="logo-churn", name="Logo churn", unit="% per month",
           direction="down", target=1.5, warning=2, owner="growth")  # fmt: skip
    create(actor=system, key="nps", name="Net promoter score", direction="up", target=40,
           warning=30, owner="product")  # fmt: skip
    create(actor=system, key="pipeline", name="Pipeline coverage", unit="x", direction="range",
           target_low=3, target_high=5, warning_low=2.5, warning_high=6, cadence="weekly",
           owner="growth")  # fmt: skip
    create(actor=system, key="activation", name="Activation rate", unit="%", direction="up",
           target=40, owner="growth")  # fmt: skip
    measure(okrs.workspace, "nrr", [(f"2026-{m:02d}-28", 100 + m) for m in range(1, 13)]
            + [("2027-02-14", "105.7")])  # fmt: skip
    measure(okrs.workspace, "mrr", [("2026-12-31", 244_300), ("2027-01-31", "252136.4")])
    measure(okrs.workspace, "cac-payback", [("2026-12-31", "11.2"), ("2027-01-31", "10.7")])
    measure(okrs.workspace, "logo-churn", [("2026-12-31", "1.9"), ("2027-01-31", "2.5")])
    measure(okrs.workspace, "nps", [("2026-08-12", 35), ("2026-09-12", 31)])
    measure(okrs.workspace, "pipeline", [("2027-02-01", "3.1"), ("2027-02-08", "2.7")])
    goals.key_result_create(actor=system, objective=Objective.objects.get(key="retain"),
                            key="nrr-up", owner="bob@acme.test", kpi="nrr",
                            title="Grow NRR from 105% to 115%", baseline=105, target=115,
                            unit="%")  # fmt: skip
    return okrs


def signed_in(client: Any, user: Any) -> Any:
    client.force_login(user)
    return client


def text(response: Any) -> str:
    return response.content.decode()


def card(html: str, name: str) -> str:
    """The dashboard card that shows `name`."""
    return next(part for part in html.split('<li class="card kpi-card') if f">{name}<" in part)


def measurement_count() -> int:
    return Measurement.objects.count()


# --------------------------------------------------------------------------- the dashboard


@pytest.mark.parametrize("person", ["alice", "bob", "vera"])
def test_it_shows_every_member_the_kpi_cards_breaches_first(client, kpis, person):
    response = signed_in(client, getattr(kpis, person)).get("/w/acme/kpis/")
    assert response.status_code == 200
    html = text(response)
    order = ["Logo churn", "Net revenue retention", "Pipeline coverage", "Net promoter score",
             "Activation rate", "CAC payback", "Monthly recurring revenue"]  # fmt: skip
    positions = [html.index(f">{name}<") for name in order]
    assert positions == sorted(positions)
    assert '<span class="chip red">1 red</span>' in html
    assert '<span class="chip amber">2 amber</span>' in html


def test_it_formats_the_latest_value_change_and_target_of_each_card_with_units(client, kpis):
    html = text(signed_in(client, kpis.bob).get("/w/acme/kpis/"))
    mrr = card(html, "Monthly recurring revenue")
    assert '<p class="kpi-value">$252,136</p>' in mrr
    assert "▲" in mrr and "3.2 %" in mrr and "from $244,300 on 31 Dec 2026" in mrr
    assert "Target ≥ $240,000 · red below $220,000" in mrr
    unit = '<span class="kpi-unit">{}</span></p>'
    assert '<p class="kpi-value">10.7 ' + unit.format("months") in card(html, "CAC payback")
    assert '<p class="kpi-value">2.5 ' + unit.format("% per month") in card(html, "Logo churn")
    assert "Target 3–5x · red outside 2.5–6x" in card(html, "Pipeline coverage")
    assert '<p class="kpi-value">—</p>' in card(html, "Activation rate")


def test_it_colours_a_change_by_whether_it_is_good_for_the_kpi(client, kpis):
    html = text(signed_in(client, kpis.bob).get("/w/acme/kpis/"))
    assert 'class="kpi-change good"' in card(html, "CAC payback")  # down, and it went down
    assert "▼" in card(html, "CAC payback")
    assert 'class="kpi-change bad"' in card(html, "Logo churn")  # down, and it went up
    assert 'class="kpi-change bad"' in card(html, "Net revenue retention")  # up, and it fell
    assert 'class="kpi-change good"' in card(html, "Monthly recurring revenue")
    assert 'class="kpi-change bad"' in card(html, "Pipeline coverage")  # left its range


def test_each_card_has_a_sparkline_of_recent_measurements(client, kpis):
    import json

    html = text(signed_in(client, kpis.bob).get("/w/acme/kpis/"))
    nrr = card(html, "Net revenue retention")
    assert 'data-chart="kpi-spark-nrr"' in nrr and 'role="img"' in nrr
    config = json.loads(re.search(r'id="kpi-spark-nrr" type="application/json">(.*?)</script>',
                                  nrr).group(1))  # fmt: skip
    values = [point["y"] for point in config["data"]["datasets"][0]["data"]]
    assert values == [102, 103, 104, 105, 106, 107, 108, 109, 110, 111, 112, 105.7]  # the last 12
    assert config["options"]["scales"]["x"]["display"] is False
    assert "data-chart" not in card(html, "Activation rate")


def test_the_dashboard_partial_renders_read_only_without_links(kpis):
    from django.template.loader import render_to_string

    from okapi.kpis.queries import kpi_dashboard_with_sparklines
    from okapi.workspaces.access import Actor

    share_actor = Actor(user=None, workspace=kpis.workspace, role="viewer")
    html = render_to_string(
        "kpis/_dashboard.html",
        {"dashboard": kpi_dashboard_with_sparklines(share_actor), "read_only": True},
    )
    assert "$252,136" in html and "Logo churn" in html
    assert "<a " not in html and "<form" not in html


def test_a_member_sees_the_new_kpi_button_and_a_viewer_does_not(client, kpis):
    assert "New KPI" in text(signed_in(client, kpis.bob).get("/w/acme/kpis/"))
    assert "New KPI" not in text(signed_in(client, kpis.vera).get("/w/acme/kpis/"))


# --------------------------------------------------------------------------- isolation, roles


@pytest.mark.parametrize(
    "method,path",
    [
        ("get", "/w/acme/kpis/"),
        ("get", "/w/acme/kpis/nrr/"),
        ("get", "/w/acme/kpis/new/"),
        ("get", "/w/acme/kpis/nrr/edit/"),
        ("post", "/w/acme/kpis/nrr/measurements/"),
        ("post", "/w/acme/kpis/nrr/edit/"),
    ],
)
def test_it_answers_404_to_charlie_who_is_not_in_acme(client, kpis, method, path):
    response = getattr(signed_in(client, kpis.charlie), method)(path, {"value": "1"})
    assert response.status_code == 404


def test_it_answers_404_for_an_unknown_kpi(client, kpis):
    assert signed_in(client, kpis.bob).get("/w/acme/kpis/nope/").status_code == 404


def test_it_sends_a_stranger_to_sign_in(client, kpis):
    response = client.get("/w/acme/kpis/")
    assert response.status_code == 302 and response["Location"].startswith("/login/")


def test_vera_the_viewer_finds_no_edit_controls(client, kpis):
    html = text(signed_in(client, kpis.vera).get("/w/acme/kpis/nrr/"))
    assert "Net revenue retention" in html
    assert (
        "Edit KPI" not in html
        and "Add a measurement" not in html
        and '<form method="post" action="/w/acme/kpis' not in html
    )


@pytest.mark.parametrize(
    "path,data",
    [
        ("/w/acme/kpis/nrr/measurements/", {"value": "120", "at": "2027-02-15T10:00"}),
        (
            "/w/acme/kpis/new/",
            {
                "name": "X",
                "key": "x",
                "direction": "up",
                "target": "1",
                "cadence": "monthly",
                "owner": "growth",
            },
        ),
        (
            "/w/acme/kpis/nrr/edit/",
            {
                "name": "Renamed",
                "direction": "up",
                "target": "1",
                "cadence": "monthly",
                "owner": "growth",
            },
        ),
    ],
)
def test_vera_the_viewer_is_refused_a_direct_post(client, kpis, path, data):
    before = (measurement_count(), Kpi.objects.count(), Kpi.objects.get(key="nrr").name)
    response = signed_in(client, kpis.vera).post(path, data)
    assert response.status_code == 403
    assert (measurement_count(), Kpi.objects.count(), Kpi.objects.get(key="nrr").name) == before


def test_vera_is_refused_the_new_and_edit_forms(client, kpis):
    client = signed_in(client, kpis.vera)
    assert client.get("/w/acme/kpis/new/").status_code == 403
    assert client.get("/w/acme/kpis/nrr/edit/").status_code == 403


def test_bob_may_not_change_a_kpi_of_a_team_he_is_not_in(client, kpis):
    client = signed_in(client, kpis.bob)
    html = text(client.get("/w/acme/kpis/nps/"))  # owned by the product team
    assert "Edit KPI" not in html and "Add a measurement" not in html
    assert client.get("/w/acme/kpis/nps/edit/").status_code == 403
    assert client.post("/w/acme/kpis/nps/measurements/", {"value": "50"}).status_code == 403
    assert Kpi.objects.get(key="nps").latest_value == 31


def test_alice_the_owner_may_change_any_kpi(client, kpis):
    html = text(signed_in(client, kpis.alice).get("/w/acme/kpis/nps/"))
    assert "Edit KPI" in html and "Add a measurement" in html


# --------------------------------------------------------------------------- the KPI page


@pytest.mark.parametrize(
    "key,explanation",
    [
        ("nrr", "Amber: 105.7 % is below the target 110 % but within the warning edge 105 %."),
        ("mrr", "Green: $252,136 meets the target $240,000."),
        ("cac-payback", "Green: 10.7 months meets the target 12 months."),
        (
            "logo-churn",
            "Red: 2.5 % per month is above the warning edge 2 % per month "
            "(target 1.5 % per month).",
        ),
        ("nps", "Stale: no measurement since 12 Sep 2026; expected monthly."),
        (
            "pipeline",
            "Amber: 2.7x is below the target range 3–5x but within the warning edge 2.5x.",
        ),
        ("activation", "No data: no measurement yet; expected monthly."),
    ],
)
def test_it_explains_the_health_of_a_kpi_in_words(client, kpis, key, explanation):
    html = text(signed_in(client, kpis.vera).get(f"/w/acme/kpis/{key}/"))
    assert f'<p class="kpi-explanation">{explanation}</p>' in html


def test_it_explains_a_breach_without_a_warning_band(client, kpis):
    measure(kpis.workspace, "activation", [("2027-02-10", "31.5")])
    html = text(signed_in(client, kpis.vera).get("/w/acme/kpis/activation/"))
    assert "Red: 31.5 % is below the target 40 % (no warning band)." in html


def test_it_shows_the_chart_with_target_line_and_warning_band(client, kpis):
    import json

    html = text(signed_in(client, kpis.bob).get("/w/acme/kpis/nrr/"))
    config = json.loads(
        re.search(r'id="kpi-chart-nrr" type="application/json">(.*?)</script>', html).group(1)
    )
    measurements, target, warning = config["data"]["datasets"]
    assert len(measurements["data"]) == 12  # the last 12 months by default
    assert {p["y"] for p in target["data"]} == {110} and target["label"] == "Target"
    assert {p["y"] for p in warning["data"]} == {105} and warning["fill"] == "-1"  # the band
    assert config["okapi"]["unit"] == "%"


def test_a_range_kpi_chart_fills_the_healthy_range_and_the_warning_bands(client, kpis):
    import json

    html = text(signed_in(client, kpis.bob).get("/w/acme/kpis/pipeline/"))
    config = json.loads(
        re.search(r'id="kpi-chart-pipeline" type="application/json">(.*?)</script>', html).group(1)
    )
    lines = [
        (d["label"], d["data"][0]["y"], d["fill"], d.get("okapiNoLegend", False))
        for d in config["data"]["datasets"][1:]
    ]
    assert lines == [  # label, value, filled to (-1: the previous line), one legend entry each
        ("Target range", 3, False, False),
        ("Target range", 5, "-1", True),
        ("Warning edge", 2.5, 1, False),
        ("Warning edge", 6, 2, True),
    ]


@pytest.mark.parametrize(
    "period,points", [("3", 3), ("12", 12), ("18", 13), ("all", 13), ("x", 12)]
)
def test_the_period_switcher_chooses_how_much_history_the_chart_shows(client, kpis, period, points):
    html = text(signed_in(client, kpis.bob).get(f"/w/acme/kpis/nrr/?period={period}"))
    assert f'data-points="{points}"' in html
    shown = {"3": "3", "12": "12", "18": "18", "all": "all", "x": "12"}[period]
    assert f'<a href="?period={shown}" aria-current="true">' in html


def test_the_measurements_table_is_newest_first_and_paginated(client, kpis):
    start = dt.date(2026, 6, 1)
    measure(kpis.workspace, "logo-churn",
            [(str(start + dt.timedelta(days=n)), "1.8") for n in range(40)])  # fmt: skip
    client = signed_in(client, kpis.bob)
    html = text(client.get("/w/acme/kpis/logo-churn/"))
    rows = re.findall(r"<tr><td>([^<]+)</td>", html)
    assert rows[:2] == ["31 Jan 2027", "31 Dec 2026"] and len(rows) == 20
    assert "Page 1 of 3 · 42 measurements" in html
    last = text(client.get("/w/acme/kpis/logo-churn/?page=3"))
    assert re.findall(r"<tr><td>([^<]+)</td>", last)[-1] == "1 Jun 2026"


def test_it_lists_the_key_results_that_target_the_kpi(client, kpis):
    html = text(signed_in(client, kpis.vera).get("/w/acme/kpis/nrr/"))
    assert "Grow NRR from 105% to 115%" in html and "Make customers stay" in html
    assert "None. A KPI is monitored" in text(client.get("/w/acme/kpis/mrr/"))


def test_it_tells_the_kpi_source_owner_and_cadence(client, kpis):
    html = text(signed_in(client, kpis.vera).get("/w/acme/kpis/pipeline/"))
    assert "<dt>Owner</dt><dd>Growth</dd>" in html
    assert "<dt>Source</dt><dd>Entered by hand</dd>" in html
    assert "Weekly: stale after 14 days without a measurement" in html
    assert "<dt>Direction</dt><dd>Within a range</dd>" in html


# --------------------------------------------------------------------------- adding a measurement

HTMX = {"HTTP_HX_REQUEST": "true"}


def test_bob_adds_a_measurement_with_htmx_and_gets_the_refreshed_chart_and_table(client, kpis):
    response = signed_in(client, kpis.bob).post(
        "/w/acme/kpis/nrr/measurements/?period=12",
        {"value": "109", "at": "2027-02-15T10:30"},
        **HTMX,
    )
    assert response.status_code == 200
    html = text(response)
    assert "<html" not in html and 'class="kpi-layout"' in html  # the partial only
    assert "Added 109 % at 15 Feb 2027, 10:30." in html
    assert '<p class="kpi-value kpi-value-large" data-latest-value>109 %</p>' in html
    assert '<tr><td>15 Feb 2027, 10:30</td><td class="num">109 %</td>' in html
    assert 'data-points="13"' in html  # the chart has the new point
    assert "Amber: 109 % is below the target 110 %" in html
    kpi = Kpi.objects.get(key="nrr")
    assert kpi.latest_value == 109
    assert kpi.latest_at == dt.datetime(2027, 2, 15, 10, 30, tzinfo=dt.UTC)
    assert 'id="id_value"' in html and "autofocus" in html  # a fresh form, ready for the next


def test_without_htmx_adding_a_measurement_redirects_to_the_kpi_page(client, kpis):
    client = signed_in(client, kpis.bob)
    response = client.post("/w/acme/kpis/nrr/measurements/", {"value": "111.25", "at": ""})
    assert response.status_code == 302 and response["Location"] == "/w/acme/kpis/nrr/"
    html = text(client.get(response["Location"]))
    assert "Added 111.25 % at 15 Feb 2027, 12:00." in html  # empty time: now
    assert Kpi.objects.get(key="nrr").latest_value == Measurement.objects.latest("at").value


@pytest.mark.parametrize("htmx", [True, False])
@pytest.mark.parametrize(
    "data,field,message",
    [
        ({"value": "abc", "at": ""}, "value", "&#x27;abc&#x27; is not a number"),
        ({"value": "", "at": ""}, "value", "This field is required."),
        ({"value": "5", "at": "yesterday"}, "at", "&#x27;yesterday&#x27; is not an ISO 8601 date"),
    ],
)
def test_a_bad_measurement_answers_422_with_the_error_beside_the_field(
    client, kpis, htmx, data, field, message
):
    before = measurement_count()
    response = signed_in(client, kpis.bob).post(
        "/w/acme/kpis/nrr/measurements/", data, **(HTMX if htmx else {})
    )
    assert response.status_code == 422
    html = text(response)
    assert ("<html" in html) is not htmx
    errors = re.search(rf'<ul class="errorlist" id="id_{field}_error">(.*?)</ul>', html, re.S)
    assert errors is not None and message in errors.group(1)
    assert re.search(rf'name="{field}"[^>]*aria-invalid="true"', html)
    assert measurement_count() == before


# --------------------------------------------------------------------------- creating and editing

NEW = {
    "name": "Trial-to-paid conversion", "key": "trial-to-paid", "description": "From Stripe.",
    "unit": "%", "direction": "up", "target": "18", "warning": "12", "cadence": "weekly",
    "owner": "growth",
}  # fmt: skip


def test_bob_creates_a_kpi_for_his_team(client, kpis):
    response = signed_in(client, kpis.bob).post("/w/acme/kpis/new/", NEW)
    assert response.status_code == 302 and response["Location"] == "/w/acme/kpis/trial-to-paid/"
    kpi = Kpi.objects.get(key="trial-to-paid")
    assert (kpi.name, kpi.unit, kpi.direction, kpi.target, kpi.warning, kpi.cadence) == (
        "Trial-to-paid conversion", "%", "up", 18, 12, "weekly")  # fmt: skip
    assert kpi.owner_team.key == "growth"
    assert "Trial-to-paid conversion" in text(client.get("/w/acme/kpis/"))


def test_the_new_kpi_form_has_a_label_for_every_input(client, kpis):
    html = text(signed_in(client, kpis.bob).get("/w/acme/kpis/new/"))
    ids = re.findall(r'<(?:input|select|textarea)[^>]*\bid="([^"]+)"', html)
    assert len(ids) == 13  # name … owner
    for input_id in ids:
        assert f'<label for="{input_id}">' in html


def test_bob_may_only_choose_himself_or_his_teams_as_owner(client, kpis):
    html = text(signed_in(client, kpis.bob).get("/w/acme/kpis/new/"))
    assert '<option value="growth"' in html and '<option value="product"' not in html
    assert '<option value="bob@acme.test"' in html and '<option value="alice@acme.test"' not in html
    response = client.post("/w/acme/kpis/new/", {**NEW, "owner": "product"})
    assert response.status_code == 422
    assert "Select a valid choice" in text(response)
    assert not Kpi.objects.filter(key="trial-to-paid").exists()


@pytest.mark.parametrize(
    "change,field,message",
    [
        ({"target": ""}, "target", "is required for a KPI with direction up"),
        ({"warning": "20"}, "warning", "must be at or below the target (higher is better)"),
        ({"target": "lots"}, "target", "Enter a number."),
        ({"key": "nrr"}, "key", "a KPI &#x27;nrr&#x27; already exists"),
        ({"key": "no spaces"}, "key", "is not a valid key"),
        ({"key": "new"}, "key", "&#x27;new&#x27; is reserved"),
        ({"name": ""}, "name", "This field is required."),
        (
            {"direction": "range", "target_low": "5", "target_high": "3"},
            "target_high",
            "is below target_low",
        ),
    ],
)
def test_a_bad_new_kpi_answers_422_with_the_error_beside_the_field(
    client, kpis, change, field, message
):
    before = Kpi.objects.count()
    response = signed_in(client, kpis.bob).post("/w/acme/kpis/new/", {**NEW, **change})
    assert response.status_code == 422
    errors = re.search(
        rf'<ul class="errorlist" id="id_{field}_error">(.*?)</ul>', text(response), re.S
    )
    assert errors is not None and message in errors.group(1)
    assert Kpi.objects.count() == before


def test_bob_creates_a_range_kpi_and_the_other_direction_fields_are_ignored(client, kpis):
    data = {**NEW, "direction": "range", "target": "99", "target_low": "3", "target_high": "5",
            "warning_low": "2.5", "warning_high": ""}  # fmt: skip
    assert signed_in(client, kpis.bob).post("/w/acme/kpis/new/", data).status_code == 302
    kpi = Kpi.objects.get(key="trial-to-paid")
    assert (kpi.target, kpi.target_low, kpi.target_high, kpi.warning_low, kpi.warning_high) == (
        None, 3, 5, Decimal("2.5"), None)  # fmt: skip


def test_bob_edits_his_teams_kpi(client, kpis):
    client = signed_in(client, kpis.bob)
    html = text(client.get("/w/acme/kpis/nrr/edit/"))
    assert 'value="Net revenue retention"' in html and 'name="key"' not in html
    data = {"name": "NRR (trailing 12 months)", "unit": "%", "direction": "up", "target": "115",
            "warning": "105", "cadence": "monthly", "owner": "bob@acme.test"}  # fmt: skip
    response = client.post("/w/acme/kpis/nrr/edit/", data)
    assert response.status_code == 302 and response["Location"] == "/w/acme/kpis/nrr/"
    kpi = Kpi.objects.get(key="nrr")
    assert (kpi.name, kpi.target, kpi.owner_user, kpi.owner_team) == (
        "NRR (trailing 12 months)", 115, kpis.bob, None)  # fmt: skip
    html = text(client.get("/w/acme/kpis/nrr/"))
    assert "Amber: 105.7 % is below the target 115 % but within the warning edge 105 %." in html


def test_a_bad_edit_answers_422_and_changes_nothing(client, kpis):
    data = {"name": "Renamed", "unit": "%", "direction": "up", "target": "110", "warning": "120",
            "cadence": "monthly", "owner": "growth"}  # fmt: skip
    response = signed_in(client, kpis.bob).post("/w/acme/kpis/nrr/edit/", data)
    assert response.status_code == 422
    assert "must be at or below the target" in text(response)
    assert "Edit “Net revenue retention”" in text(response)
    kpi = Kpi.objects.get(key="nrr")
    assert (kpi.name, kpi.warning) == ("Net revenue retention", 105)


def test_the_edit_form_shows_the_range_fields_with_help_for_range_kpis(client, kpis):
    html = text(signed_in(client, kpis.bob).get("/w/acme/kpis/pipeline/edit/"))
    assert 'data-for-direction="range"' in html and 'data-for-direction="up down"' in html
    assert 'name="target_low" value="3"' in html
    assert '<option value="range" selected>' in html


# --------------------------------------------------------------------------- number formatting


@pytest.mark.parametrize(
    "value,unit,shown",
    [
        ("252136.4", "$", "$252,136"),
        ("-1200", "$", "-$1,200"),
        ("2.5", "%", "2.5 %"),
        ("105.666666", "%", "105.67 %"),
        ("99.95", "%", "99.95 %"),
        ("110.000000", "%", "110 %"),
        ("10.7", "months", "10.7 months"),
        ("1.6", "x", "1.6x"),
        ("1234567", "", "1,234,567"),
        ("0.125", "", "0.125"),
        ("0", "", "0"),
        (None, "%", "—"),
    ],
)
def test_it_formats_numbers_with_their_units(value, unit, shown):
    from okapi.kpis.queries import format_value

    assert format_value(Decimal(value) if value is not None else None, unit) == shown


def test_the_chart_ticks_fall_on_month_starts_in_the_workspace_time_zone():
    from zoneinfo import ZoneInfo

    from okapi.kpis.queries import month_ticks

    tz = ZoneInfo("America/New_York")
    start, end = dt.datetime(2026, 2, 15, tzinfo=dt.UTC), dt.datetime(2027, 2, 15, tzinfo=dt.UTC)
    moments = [dt.datetime.fromtimestamp(t / 1000, tz) for t in month_ticks(start, end, tz)]
    assert all((m.day, m.hour, m.minute) == (1, 0, 0) for m in moments)
    assert [m.month for m in moments] == [3, 5, 7, 9, 11, 1]  # every other month: at most 8


def test_a_period_without_measurements_says_where_the_latest_one_is(client, kpis):
    html = text(signed_in(client, kpis.bob).get("/w/acme/kpis/nps/?period=3"))
    assert "No measurements in the last 3 months: the latest is from 12 Sep 2026." in html
    assert 'href="?period=all">Show all</a>' in html
