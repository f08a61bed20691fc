"""KPI journeys in a browser: the dashboard, a KPI's page, adding a measurement without a reload.

Data is built relative to the real today: frozen time does not reach the live server's thread.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import save_screenshot, serious_accessibility_violations, sign_in


def _months_back(today: dt.date, months: int) -> dt.date:
    year, month = divmod(today.year * 12 + today.month - 1 - months, 12)
    return dt.date(year, month + 1, min(today.day, 28))


@pytest.fixture
def kpis(acme: Any) -> Any:
    """Six KPIs of Acme with a year of history ending this week: red, amber, stale, green."""
    from okapi.kpis import services
    from okapi.workspaces.access import system_actor

    system = system_actor(acme.workspace)
    today = dt.date.today()
    specs = [
        # key, name, unit, direction, thresholds, owner, values (oldest first)
        ("mrr", "Monthly recurring revenue", "$", "up", {"target": 240_000, "warning": 220_000},
         "alice@acme.test", [180_000 + 6_500 * m for m in range(12)]),
        ("nrr", "Net revenue retention", "%", "up", {"target": 110, "warning": 105}, "growth",
         [104, 105.2, 106, 107.5, 108, 109.1, 110.4, 111, 109.8, 108.2, 107, 106.3]),
        ("logo-churn", "Logo churn", "% per month", "down", {"target": 1.5, "warning": 2},
         "growth", [1.4, 1.5, 1.6, 1.5, 1.7, 1.8, 1.9, 2.0, 2.1, 2.3, 2.4, 2.6]),
        ("cac-payback", "CAC payback", "months", "down", {"target": 12, "warning": 18},
         "growth", [14, 13.6, 13.1, 12.8, 12.5, 12.2, 11.9, 11.6, 11.4, 11.1, 10.9, 10.7]),
        ("pipeline", "Pipeline coverage", "x", "range",
         {"target_low": 3, "target_high": 5, "warning_low": 2.5, "warning_high": 6}, "product",
         [3.9, 3.8, 3.6, 3.4, 3.5, 3.7, 3.9, 4.1, 4.0, 4.2, 4.3, 4.4]),
        ("nps", "Net promoter score", "", "up", {"target": 40, "warning": 30}, "product",
         [36, 35, 35, 34, 33, 31, 30, 29]),  # stopped four months ago: stale
    ]  # fmt: skip
    for key, name, unit, direction, thresholds, owner, values in specs:
        services.kpi_create(actor=system, key=key, name=name, unit=unit, direction=direction,
                            owner=owner, cadence="monthly", **thresholds)  # fmt: skip
        # Monthly, the last one two days ago; a shorter history stopped months ago.
        last = today - dt.timedelta(days=2) if len(values) == 12 else _months_back(today, 5)
        points = [
            services.Point(key, _months_back(last, len(values) - 1 - i), value)
            for i, value in enumerate(values)
        ]
        services.kpi_measure_bulk(actor=system, points=points)
    return acme


def expect_chart_points(page: Any, chart: str, expected: int) -> None:
    """Wait until chart `chart` draws `expected` points; fail (time out) if it never does.

    The charts are drawn by app.js after the page (or an htmx swap) loads, so reading one straight
    after a navigation races the script: a one-off read failed CI once with "Cannot read
    properties of undefined".
    """
    script = (
        "([id, n]) => { if (!window.Chart) return false;"
        " const c = Chart.getChart(document.querySelector(`canvas[data-chart='${id}']`));"
        " return !!c && c.data.datasets[0].data.length === n; }"
    )
    page.wait_for_function(script, arg=[chart, expected])


def test_bob_reads_the_dashboard_opens_a_kpi_and_adds_a_measurement(page, live_server, kpis):
    sign_in(page, live_server, "bob@acme.test", "bob-pw")
    page.goto(f"{live_server.url}/w/acme/kpis/")
    cards = page.locator(".kpi-card")
    expect(cards).to_have_count(6)
    expect(cards.first).to_contain_text("Logo churn")  # the breach comes first
    expect(cards.first.locator(".chip")).to_have_text("Red")
    expect(page.locator(".kpi-card", has_text="Monthly recurring revenue")).to_contain_text(
        "$251,500"
    )
    page.wait_for_function(  # a sparkline on every card, once app.js has drawn them
        "() => window.Chart && [...document.querySelectorAll('canvas[data-chart]')]"
        ".filter(c => Chart.getChart(c)).length === 6"
    )
    assert serious_accessibility_violations(page) == []
    save_screenshot(page, "kpi-dashboard")

    page.get_by_role("link", name="Net revenue retention").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Net revenue retention")
    expect(page.locator(".kpi-explanation")).to_contain_text(
        "Amber: 106.3 % is below the target 110 % but within the warning edge 105 %."
    )
    expect_chart_points(page, "kpi-chart-nrr", 12)
    page.evaluate("() => { window.stillTheSamePage = true; }")

    # A mistake first: the error shows beside the field.
    page.get_by_label("Value", exact=True).fill("abc")
    page.get_by_role("button", name="Add measurement").click()
    expect(page.locator("#id_value_error")).to_contain_text("'abc' is not a number")
    expect(page.get_by_label("Value", exact=True)).to_have_attribute("aria-invalid", "true")

    page.get_by_label("Value", exact=True).fill("112.5")
    page.get_by_role("button", name="Add measurement").click()
    expect(page.get_by_role("status")).to_contain_text("Added 112.5 %")
    expect(page.locator("[data-latest-value]")).to_have_text("112.5 %")
    expect(page.locator(".kpi-headline .chip")).to_have_text("Green")
    expect(page.locator(".kpi-table tbody tr").first).to_contain_text("112.5 %")
    expect_chart_points(page, "kpi-chart-nrr", 13)
    assert page.evaluate("() => window.stillTheSamePage") is True  # no reload
    expect(page.get_by_label("Value", exact=True)).to_be_focused()
    assert serious_accessibility_violations(page) == []
    save_screenshot(page, "kpi-page")


def test_the_kpi_dashboard_reads_well_on_a_phone(phone, live_server, kpis):
    sign_in(phone, live_server, "bob@acme.test", "bob-pw")
    phone.goto(f"{live_server.url}/w/acme/kpis/")
    expect(phone.locator(".kpi-card")).to_have_count(6)
    width = phone.evaluate("() => document.documentElement.scrollWidth")
    assert width <= 390  # nothing sticks out sideways
    assert serious_accessibility_violations(phone) == []
    save_screenshot(phone, "kpi-dashboard-phone")


def test_vera_the_viewer_finds_no_edit_controls_and_is_refused_a_direct_post(
    page, live_server, kpis
):
    sign_in(page, live_server, "vera@acme.test", "vera-pw")
    page.goto(f"{live_server.url}/w/acme/kpis/nrr/")
    expect(page.locator(".kpi-explanation")).to_be_visible()
    expect(page.get_by_role("button", name="Add measurement")).to_have_count(0)
    expect(page.get_by_role("link", name="Edit KPI")).to_have_count(0)
    token = page.evaluate(
        "() => JSON.parse(document.body.getAttribute('hx-headers'))['X-CSRFToken']"
    )
    response = page.request.post(
        f"{live_server.url}/w/acme/kpis/nrr/measurements/",
        form={"value": "1"},
        headers={"X-CSRFToken": token, "Referer": f"{live_server.url}/w/acme/kpis/nrr/"},
    )
    assert response.status == 403
    page.reload()
    assert re.search(r"106\.3 %", page.locator("[data-latest-value]").inner_text())


def test_bob_creates_a_range_kpi_and_lands_on_its_page(page, live_server, kpis):
    sign_in(page, live_server, "bob@acme.test", "bob-pw")
    page.goto(f"{live_server.url}/w/acme/kpis/")
    page.get_by_role("link", name="New KPI").click()
    range_fields = page.locator("fieldset[data-for-direction='range']")
    expect(range_fields).to_be_hidden()  # "Higher is better" is chosen: no range fields
    assert serious_accessibility_violations(page) == []
    page.get_by_label("Name").fill("Support backlog")
    page.get_by_label("Key").fill("backlog")
    page.get_by_label("Unit").fill("tickets")
    page.get_by_label("Direction").select_option("range")
    expect(range_fields).to_be_visible()
    expect(page.locator("fieldset[data-for-direction='up down']")).to_be_hidden()
    page.get_by_label("Lowest healthy value").fill("20")
    page.get_by_label("Highest healthy value").fill("80")
    page.get_by_label("Cadence").select_option("weekly")
    page.get_by_label("Owner").select_option("growth")
    page.get_by_role("button", name="Create KPI").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Support backlog")
    expect(page.locator(".kpi-explanation")).to_have_text(
        "No data: no measurement yet; expected weekly."
    )
    expect(page.get_by_role("status")).to_contain_text("KPI “Support backlog” created.")
