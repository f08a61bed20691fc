"""Alice closes the quarter in the browser and reads its end-of-cycle review, on screen and as it
prints; vera (a viewer) reads it too.

The live server runs in another thread, where frozen time does not reliably apply: the data is
built with the services around the real today.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import save_screenshot, serious_accessibility_violations, sign_in


@pytest.fixture
def quarter(acme: Any) -> Any:
    """The previous quarter, closed with product's objectives at 1.0 (the run a sandbagging
    flag needs), and this quarter with a committed and an aspirational objective, check-ins
    with notes, ready to close."""
    from okapi.core.cycles import quarter_period
    from okapi.goals import services as goals
    from okapi.workspaces.access import system_actor

    system = system_actor(acme.workspace)
    today = goals.workspace_today(acme.workspace)
    period = quarter_period(today)
    before = quarter_period(period.start - dt.timedelta(days=1))
    goals.cycle_create(actor=system, key=before.key, start=before.start, end=before.end,
                       name=f"Last quarter ({before.key})")  # fmt: skip
    goals.cycle_create(actor=system, key=period.key, start=period.start, end=period.end,
                       name=f"This quarter ({period.key})")  # fmt: skip
    old = goals.objective_create(actor=system, key="ship", title="Ship the mobile app",
                                 cycle=before.key, owner="product")  # fmt: skip
    for i, title in enumerate(["Reach 500 beta users", "Cut crash rate to 1%"]):
        goals.key_result_create(actor=system, objective=old, key=f"ship-{i}", title=title,
                                owner="bob@acme.test", baseline=0, target=10)  # fmt: skip
    from decimal import Decimal

    from okapi.goals.models import Cycle

    goals.cycle_close(actor=system, cycle=Cycle.objects.get(key=before.key),
                      final_scores={"ship-0": Decimal(1), "ship-1": Decimal(1)})  # fmt: skip

    grow = goals.objective_create(actor=system, key="grow", title="Grow revenue efficiently",
                                  cycle=period.key, owner="alice@acme.test", level="company",
                                  type="committed")  # fmt: skip
    retain = goals.objective_create(actor=system, key="retain", title="Make customers stay",
                                    cycle=period.key, owner="growth", parent="grow")  # fmt: skip
    app = goals.objective_create(actor=system, key="adopt", title="Make the app a habit",
                                 cycle=period.key, owner="product")  # fmt: skip
    arr = goals.key_result_create(actor=system, objective=grow, key="arr",
                                  owner="alice@acme.test", title="Grow ARR from $1M to $2M",
                                  baseline=1_000_000, target=2_000_000, unit="$")  # fmt: skip
    churn = goals.key_result_create(actor=system, objective=retain, key="churn",
                                    owner="bob@acme.test",
                                    title="Reduce logo churn from 3% to 1.5%", baseline=3,
                                    target=1.5, unit="%")  # fmt: skip
    goals.key_result_create(actor=system, objective=retain, key="nps-page", owner="bob@acme.test",
                            title="Launch the NPS survey", kind="milestone")  # fmt: skip
    for i, title in enumerate(["Reach 40% weekly active users", "Reach 4.5 stars in the store"]):
        kr = goals.key_result_create(actor=system, objective=app, key=f"adopt-{i}", title=title,
                                     owner="bob@acme.test", baseline=0, target=10)  # fmt: skip
        goals.checkin_create(actor=system, kr=kr, value=10, author=acme.bob, at=period.start,
                             moved="Launched streaks")  # fmt: skip
    goals.checkin_create(actor=system, kr=churn, value=2.2, author=acme.bob, at=period.start,
                         moved="Onboarding calls cut early churn",
                         blocked="Waiting for the CRM export")  # fmt: skip
    goals.checkin_create(actor=system, kr=arr, value=1_400_000, author=acme.alice,
                         at=period.start, moved="Two enterprise deals signed")  # fmt: skip
    acme.cycle, acme.before = period.key, before.key
    return acme


def test_alice_closes_the_quarter_and_reads_the_review(
    page: Any, live_server: Any, quarter: Any
) -> None:
    sign_in(page, live_server, "alice@acme.test", "alice-pw")
    page.goto(f"{live_server.url}/w/acme/okrs/{quarter.cycle}/")
    page.get_by_role("link", name="Close cycle").click()
    expect(page.get_by_text("Closing keeps an end-of-cycle review")).to_be_visible()
    page.get_by_label("Launch the NPS survey").fill("0.5")
    page.get_by_label(re.compile("note", re.I)).fill("Retention held; ARR lagged behind plan.")
    page.get_by_role("button", name="Close the cycle").click()
    expect(page.get_by_text("is closed and scored")).to_be_visible()

    page.get_by_role("link", name="Read the review").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("End-of-cycle review")
    main = page.locator("main")
    expect(main.get_by_text("Retention held; ARR lagged behind plan.")).to_be_visible()
    expect(main.get_by_text("Waiting for the CRM export")).to_be_visible()
    expect(main.locator(".review-flags")).to_contain_text("Product")  # 1.0 two quarters running
    expect(main.get_by_text("0 of 1 met")).to_be_visible()  # the committed objective
    teams = main.locator("table.review-teams")
    expect(teams.get_by_role("rowheader")).to_have_text(["Growth", "Product", "No team"])
    assert serious_accessibility_violations(page) == []
    save_screenshot(page, "review")

    page.emulate_media(media="print")
    expect(page.locator("header.topbar")).to_be_hidden()
    expect(page.get_by_role("link", name="Download CSV")).to_be_hidden()
    expect(main.get_by_text("Waiting for the CRM export")).to_be_visible()
    save_screenshot(page, "review-print")
    page.emulate_media(media="screen")

    with page.expect_download() as download:
        page.get_by_role("link", name="Download CSV").click()
    assert download.value.suggested_filename == f"okapi-acme-{quarter.cycle}-review.csv"
    text = Path(download.value.path()).read_text(encoding="utf-8")
    assert text.startswith("cycle,objective_key,objective_title")
    assert "Two enterprise deals signed" in text


def test_vera_reads_the_review_but_only_once_the_cycle_is_closed(
    page: Any, live_server: Any, quarter: Any
) -> None:
    sign_in(page, live_server, "vera@acme.test", "vera-pw")
    page.goto(f"{live_server.url}/w/acme/rhythm/review/{quarter.cycle}/")
    expect(page.get_by_role("heading", name="No review yet")).to_be_visible()
    expect(page.get_by_role("link", name="Close the cycle")).to_have_count(0)
    page.goto(f"{live_server.url}/w/acme/okrs/")
    page.get_by_label("Cycle").select_option(quarter.before)
    page.get_by_role("link", name="Read the review").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Last quarter")
    expect(page.locator("main")).to_contain_text("Ship the mobile app")


def test_alice_reopens_last_quarter_to_fix_it(page: Any, live_server: Any, quarter: Any) -> None:
    sign_in(page, live_server, "alice@acme.test", "alice-pw")
    page.goto(f"{live_server.url}/w/acme/okrs/{quarter.before}/")
    expect(page.get_by_text("This cycle is closed: its scores are final")).to_be_visible()
    expect(page.get_by_role("link", name="New objective")).to_have_count(0)
    page.get_by_text("Reopen this cycle…").click()
    expect(page.get_by_text("Reopening clears the final scores")).to_be_visible()
    assert serious_accessibility_violations(page) == []
    save_screenshot(page, "cycle-reopen")
    page.get_by_role("button", name=f"Reopen Last quarter ({quarter.before})").click()
    expect(page.get_by_role("status")).to_contain_text("is open again")
    expect(page.get_by_role("link", name="New objective")).to_be_visible()
    expect(page.get_by_role("link", name="Close cycle")).to_be_visible()
