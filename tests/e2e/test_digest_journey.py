"""The weekly digest in the browser: bob opens it from the navigation, reads what moved and
what is blocked, follows a link to the key result, and narrows it to his team."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import save_screenshot, serious_accessibility_violations, sign_in
from tests.e2e.test_okr_journeys import quarter  # noqa: F401 - the shared fixture


@pytest.fixture
def this_week(quarter: Any) -> Any:  # noqa: F811
    """Today's check-ins: one with notes, one off track; and a KPI in breach."""
    from okapi.goals import services as goals
    from okapi.goals.models import KeyResult
    from okapi.kpis import services as kpis
    from okapi.kpis.models import Kpi
    from okapi.workspaces.access import system_actor

    system = system_actor(quarter.workspace)
    goals.checkin_create(actor=system, kr=KeyResult.objects.get(key="churn"), value=2.4,
                         author=quarter.bob, confidence="at_risk",
                         moved="Onboarding calls for every new account",
                         blocked="Waiting for the CRM export")  # fmt: skip
    goals.checkin_create(actor=system, kr=KeyResult.objects.get(key="nps-page"), value=0,
                         author=quarter.bob, confidence="off_track",
                         moved="Survey questions drafted")  # fmt: skip
    kpis.kpi_measure(actor=system, kpi=Kpi.objects.get(key="nrr"), value=101)
    return quarter


def test_bob_reads_the_weekly_digest_from_the_navigation(
    page: Any, live_server: Any, this_week: Any
) -> None:
    sign_in(page, live_server, "bob@acme.test", "bob-pw")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Digest").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Weekly digest")
    assert page.url == f"{live_server.url}/w/acme/rhythm/digest/"
    moved = page.locator("section", has=page.get_by_role("heading", name="What moved"))
    expect(moved).to_contain_text("Onboarding calls for every new account")
    expect(moved).to_contain_text("Waiting for the CRM export")
    blocked = page.locator("section", has=page.get_by_role("heading", name="Blocked"))
    expect(blocked).to_contain_text("Launch the NPS survey")
    expect(blocked).to_contain_text("Off track")
    kpis = page.locator("section", has=page.get_by_role("heading", name="KPIs needing"))
    expect(kpis).to_contain_text("Net revenue retention")
    expect(kpis).to_contain_text("In breach")
    assert serious_accessibility_violations(page) == []
    save_screenshot(page, "digest")

    page.get_by_label("Team").select_option("growth")
    page.get_by_role("button", name="Show").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Weekly digest · Growth")
    assert "team=growth" in page.url
    save_screenshot(page, "digest-team")

    moved = page.locator("section", has=page.get_by_role("heading", name="What moved"))
    moved.get_by_role("link", name="Reduce logo churn from 3% to 1.5%").first.click()
    expect(page.get_by_role("heading", name="Make customers stay", level=1)).to_be_visible()
    assert page.url.endswith("/w/acme/objectives/retain/#kr-churn-h")


def test_a_bad_week_shows_a_message_not_an_error(
    page: Any, live_server: Any, this_week: Any
) -> None:
    sign_in(page, live_server, "alice@acme.test", "alice-pw")
    page.goto(f"{live_server.url}/w/acme/rhythm/digest/?until=someday")
    expect(page.get_by_role("alert")).to_contain_text("is not a date written YYYY-MM-DD")
    assert serious_accessibility_violations(page) == []
