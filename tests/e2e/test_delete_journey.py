"""Deleting in Chromium: bob deletes one of his key results from its edit page, reads what goes
with it, confirms, and no longer finds it on the tracker; alice deletes a KPI with JavaScript
turned off (plain forms all the way).

The live server runs in another thread, where frozen time does not reliably apply: the data is
built with the services around the real today (the quarter that contains it).
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import save_screenshot, serious_accessibility_violations, sign_in

NPS = "Launch the NPS survey"
CHURN = "Reduce logo churn from 3% to 1.5%"


@pytest.fixture
def quarter(acme: Any) -> Any:
    """This quarter with the growth objective `retain` and bob's two KRs (the metric one with
    check-ins, linked to an initiative), and the NRR KPI with measurements and a KR on it."""
    from okapi.core.cycles import quarter_period
    from okapi.goals import services as goals
    from okapi.kpis import services as kpis
    from okapi.workspaces.access import system_actor

    system = system_actor(acme.workspace)
    today = goals.workspace_today(acme.workspace)
    period = quarter_period(today)
    goals.cycle_create(actor=system, key=period.key, start=period.start, end=period.end,
                       name=f"This quarter ({period.key})")  # fmt: skip
    kpis.kpi_create(actor=system, key="nrr", name="Net revenue retention", unit="%",
                    direction="up", target=110, warning=105, cadence="monthly", owner="growth")  # fmt: skip
    kpis.kpi_measure_bulk(actor=system, points=[
        kpis.Point("nrr", today - dt.timedelta(days=30 * n), 104 + n) for n in range(3)
    ])  # fmt: skip
    retain = goals.objective_create(actor=system, key="retain", title="Make customers stay",
                                    cycle=period.key, owner="growth")  # fmt: skip
    goals.initiative_create(actor=system, key="onboarding", title="Rebuild onboarding",
                            owner="growth")  # fmt: skip
    goals.key_result_create(actor=system, objective=retain, key="churn", owner="bob@acme.test",
                            title=CHURN, baseline=3, target=1.5, unit="%",
                            initiatives=["onboarding"])  # fmt: skip
    nps = goals.key_result_create(actor=system, objective=retain, key="nps-page",
                                  owner="bob@acme.test", title=NPS, kind="milestone",
                                  initiatives=["onboarding"])  # fmt: skip
    goals.key_result_create(actor=system, objective=retain, key="nrr-up", owner="bob@acme.test",
                            title="Grow NRR from 104% to 115%", baseline=104, target=115,
                            unit="%", kpi="nrr")  # fmt: skip
    days = sorted({max(period.start, today - dt.timedelta(days=n)) for n in (14, 7, 0)})
    for day in days:
        goals.checkin_create(actor=system, kr=nps, value=0, author=acme.bob, at=day,
                             moved="Survey questions drafted")  # fmt: skip
    acme.cycle, acme.nps_checkins = period.key, len(days)
    return acme


def test_bob_deletes_a_key_result_from_its_edit_page_and_it_is_gone_from_the_tracker(
    page: Any, live_server: Any, quarter: Any
) -> None:
    from okapi.goals.models import CheckIn, KeyResult
    from okapi.workspaces.models import AuditEvent

    sign_in(page, live_server, "bob@acme.test", "bob-pw")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="OKRs").click()
    # Wait for the tracker: My week (the page before) lists the same key result.
    expect(page.get_by_role("heading", level=1)).to_contain_text("OKRs · ")
    tracker_url = page.url
    expect(page.locator(".tracker .kr-title", has_text=NPS)).to_be_visible()
    page.get_by_role("link", name=f"Edit key result: {NPS}").click()
    expect(page.get_by_role("heading", name="Edit key result")).to_be_visible()

    page.get_by_role("link", name="Delete key result…").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Delete key result “{NPS}”?")
    n = quarter.nps_checkins
    lead = f"Its {n} check-in{'s' if n != 1 else ''} go{'es' if n == 1 else ''} with it."
    expect(page.locator(".delete-lead")).to_contain_text(lead)
    expect(page.locator("main")).to_contain_text(
        "The initiative “Rebuild onboarding”: only its link to this key result goes."
    )
    expect(page.locator("main")).to_contain_text("with 2 key results left")
    assert KeyResult.objects.filter(key="nps-page").exists()  # asking deleted nothing
    assert serious_accessibility_violations(page) == []
    save_screenshot(page, "delete-kr-confirmation")

    page.get_by_role("button", name="Delete key result").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Make customers stay")
    expect(page.get_by_role("status")).to_contain_text(
        f"Deleted key result “{NPS}”, with its {n} check-in"
    )
    expect(page.get_by_role("heading", name=NPS)).to_have_count(0)
    expect(page.get_by_role("heading", name=CHURN)).to_be_visible()

    page.get_by_role("link", name=re.compile("^OKRs · ")).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("OKRs · ")
    assert page.url == tracker_url
    tracker = page.locator(".tracker")
    expect(tracker.locator(".kr-title", has_text=CHURN)).to_be_visible()
    expect(tracker).not_to_contain_text(NPS)
    assert not CheckIn.objects.filter(key_result__key="nps-page").exists()
    event = AuditEvent.objects.get(action="deleted", entity_key="nps-page")
    assert (event.entity_type, event.actor) == ("key_result", quarter.bob)


def test_cancel_on_the_confirmation_page_keeps_the_key_result(
    page: Any, live_server: Any, quarter: Any
) -> None:
    from okapi.goals.models import KeyResult

    sign_in(page, live_server, "bob@acme.test", "bob-pw")
    page.goto(f"{live_server.url}/w/acme/kr/churn/delete/")
    page.get_by_role("link", name="Cancel").click()
    expect(page.get_by_role("heading", name="Edit key result")).to_be_visible()
    assert KeyResult.objects.filter(key="churn").exists()


def test_alice_deletes_a_kpi_with_javascript_turned_off(
    browser: Any, live_server: Any, quarter: Any
) -> None:
    from okapi.goals.models import KeyResult
    from okapi.kpis.models import Kpi

    context = browser.new_context(viewport={"width": 1280, "height": 900},
                                  java_script_enabled=False)  # fmt: skip
    page = context.new_page()
    page.set_default_timeout(10_000)
    sign_in(page, live_server, "alice@acme.test", "alice-pw")
    page.goto(f"{live_server.url}/w/acme/kpis/nrr/")
    page.get_by_role("link", name="Edit KPI").click()
    page.get_by_role("link", name="Delete KPI…").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Delete KPI “Net revenue retention”?")
    expect(page.locator(".delete-lead")).to_contain_text("Its 3 measurements go with it.")
    expect(page.locator("main")).to_contain_text(
        "The key result “Grow NRR from 104% to 115%” (Make customers stay) targets it"
    )
    page.get_by_role("button", name="Delete KPI").click()
    assert page.url == f"{live_server.url}/w/acme/kpis/"
    expect(page.get_by_role("status")).to_contain_text(
        "Deleted KPI “Net revenue retention”, with its 3 measurements."
    )
    assert not Kpi.objects.filter(key="nrr").exists()
    assert KeyResult.objects.get(key="nrr-up").kpi is None
    context.close()
